"""A fake Telegram Bot API server speaking the real wire format, for end-to-end tests.

The real python-telegram-bot stack runs against it unchanged (``base_url``/``base_file_url``);
tests play the people on the other side. See :class:`FakeTelegram`.
"""

from .clock import PlatformClock
from .errors import ApiError
from .fake import FakeTelegram
from .limits import ApiStats, Fault
from .models import (
    CallbackAnswer,
    CallbackQuery,
    FakeMessage,
    FakeUser,
    InlineButton,
    StoredFile,
    StoredUpdate,
)

__all__ = [
    "ApiError",
    "ApiStats",
    "CallbackAnswer",
    "CallbackQuery",
    "FakeMessage",
    "FakeTelegram",
    "FakeUser",
    "Fault",
    "InlineButton",
    "PlatformClock",
    "StoredFile",
    "StoredUpdate",
]
