"""Shared pieces of the Bot API method implementations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .errors import bad_request
from .state import TelegramState
from .wire import ApiCall


@dataclass(frozen=True)
class Reply:
    """A result with the optional ``description`` some methods add (setWebhook and friends)."""

    result: Any
    description: str | None = None


Handler = Callable[[TelegramState, ApiCall], Awaitable[Any]]


def message_id_param(params: dict[str, Any]) -> int:
    value = params.get("message_id")
    if not isinstance(value, int):
        raise bad_request("message identifier is not specified")
    return value


def chat_id_param(params: dict[str, Any]) -> Any:
    value = params.get("chat_id")
    if value is None or value == "":
        raise bad_request("chat_id is empty")
    return value
