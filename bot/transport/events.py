"""The neutral event model shared by every transport (Telegram, Matrix) and by handlers/.

Incoming events describe what a person did in a chat; outgoing messages describe what the bot
wants shown. Neither mentions a platform library, so conversation logic is written once.
Text is a small HTML subset (<b>, <i>, <code>, <a href>) that both Telegram (parse_mode=HTML)
and Matrix (formatted_body) render; transports derive the plain-text body themselves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.domain.models import Platform


class Capability(StrEnum):
    BUTTONS = "buttons"  # inline choice buttons under a message
    POLLS = "polls"  # native polls (Matrix m.poll.*)
    EDIT = "edit"  # edit an earlier message in place
    FILES = "files"
    IMAGES = "images"
    DEEP_LINKS = "deep_links"  # /start CODE links
    PLATFORM_TIMESTAMPS = "platform_timestamps"  # the platform stamps each action itself
    ENCRYPTION = "encryption"  # end-to-end encrypted rooms


class UnsupportedCapability(RuntimeError):
    """Raised instead of silently dropping part of a message a transport cannot show."""

    def __init__(self, platform: Platform, capability: Capability) -> None:
        super().__init__(f"{platform} cannot {capability}")
        self.platform = platform
        self.capability = capability


@dataclass(frozen=True, slots=True)
class Sender:
    platform: Platform
    external_id: str  # Telegram user id as text, Matrix user ID
    display_name: str = ""
    language_hint: str = ""  # the client's language, when the platform tells it


@dataclass(frozen=True, slots=True)
class ChatRef:
    platform: Platform
    chat_id: str  # Telegram chat id as text, Matrix room ID
    is_direct: bool = True


@dataclass(frozen=True, slots=True)
class MessageRef:
    chat: ChatRef
    message_id: str  # Telegram message id as text, Matrix event ID


@dataclass(frozen=True, slots=True)
class IncomingFile:
    filename: str
    media_type: str
    size: int
    fetch: Callable[[], Awaitable[bytes]] = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ChoiceMade:
    """A button pressed or a poll answered; ``message`` is the message that offered it."""

    payload: str
    message: MessageRef | None = None


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    platform: Platform
    event_key: str  # unique per platform: deduplicates redelivered updates
    sender: Sender
    chat: ChatRef
    timestamp: datetime  # the platform's own time of the action, UTC
    text: str = ""
    command: str = ""  # without the leading / or !, lower case
    args: tuple[str, ...] = ()
    choice: ChoiceMade | None = None
    file: IncomingFile | None = None
    forwarded: bool = False


@dataclass(frozen=True, slots=True)
class Choice:
    label: str
    payload: str  # at most 64 bytes: Telegram's callback_data limit


@dataclass(frozen=True, slots=True)
class OutgoingFile:
    filename: str
    media_type: str
    content: bytes = field(repr=False)

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    html: str
    choices: tuple[tuple[Choice, ...], ...] = ()  # rows of buttons
    files: tuple[OutgoingFile, ...] = ()
    # Matrix shows choices as a native poll with this question; "" uses the first text line.
    poll_question: str = ""
    # Sent in bulk (invitations, reminders), not as a reply someone waits for: a transport may
    # space such messages to respect a platform's per-chat limit.
    bulk: bool = False
    # Shows or carries a secret ballot's choice: the bot keeps neither its text nor the exact
    # payloads of its buttons (only their stems), so nothing stored ties the member to a choice.
    secret: bool = False
    # The same for every send of this logical message (e.g. session, member, part and a
    # generation that changes only when the bot deliberately sends a new copy); "" for none.
    # Matrix derives its transaction ids from it, so a send repeated after a crash is
    # recognised by the homeserver and shown once (bot/transport/matrix/sending.py).
    idempotency_key: str = ""

    @property
    def flat_choices(self) -> tuple[Choice, ...]:
        return tuple(choice for row in self.choices for choice in row)
