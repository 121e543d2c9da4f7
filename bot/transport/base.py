"""The transport protocol: what the core needs from a chat platform, and nothing more."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.domain.models import Platform
from bot.transport.events import (
    Capability,
    ChatRef,
    IncomingEvent,
    MessageRef,
    OutgoingMessage,
)

EventSink = Callable[[IncomingEvent], Awaitable[None]]


class Transport(Protocol):
    platform: Platform
    capabilities: frozenset[Capability]

    async def start(self, sink: EventSink) -> None:
        """Connect and begin delivering events to ``sink``; returns once running."""

    async def stop(self) -> None:
        """Stop receiving, flush what is pending, disconnect."""

    async def send(self, chat: ChatRef, message: OutgoingMessage) -> MessageRef:
        """Show a message; raises UnsupportedCapability rather than dropping a part of it."""

    async def edit(self, ref: MessageRef, message: OutgoingMessage) -> MessageRef:
        """Replace an earlier message in place (or say it cannot)."""

    async def direct_chat(self, external_user_id: str) -> ChatRef:
        """The one-to-one chat with a person, opened if needed."""
