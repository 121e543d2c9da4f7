"""What the bot sends and to whom: the envelopes handlers, features and the messenger share.

A leaf module (it imports only the neutral message model), so every layer may use it without
importing the conversation layer.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.transport.events import ChatRef, MessageRef, OutgoingMessage


@dataclass(frozen=True, slots=True)
class ToChat:
    chat: ChatRef


@dataclass(frozen=True, slots=True)
class ToPerson:
    """Every linked direct chat of the person (a member may use Telegram and Matrix)."""

    person_id: int


@dataclass(frozen=True, slots=True)
class ToEdit:
    """Replace an earlier message in place (a tally, a vote whose buttons are now spent)."""

    message: MessageRef


@dataclass(frozen=True, slots=True)
class Outgoing:
    target: ToChat | ToPerson | ToEdit
    message: OutgoingMessage
