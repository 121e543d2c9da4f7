"""What a handler receives and what it returns.

Handlers run inside the dispatcher's database transaction and only *describe* the messages to
send; the dispatcher sends them after the transaction commits. So nothing is acknowledged to a
person that is not stored, and a redelivered event is recognised before any handler runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.models import Membership, Person
from bot.i18n import Translator
from bot.transport.events import ChatRef, IncomingEvent, OutgoingMessage
from storage.repositories import Repositories


@dataclass(frozen=True, slots=True)
class ToChat:
    chat: ChatRef


@dataclass(frozen=True, slots=True)
class ToPerson:
    """Every linked direct chat of the person (a member may use Telegram and Matrix)."""

    person_id: int


@dataclass(frozen=True, slots=True)
class Outgoing:
    target: ToChat | ToPerson
    message: OutgoingMessage


@dataclass(slots=True)
class HandlerContext:
    event: IncomingEvent
    repos: Repositories
    now: datetime
    person: Person | None
    memberships: list[Membership]
    _: Translator
    bot_username: str = ""
    outgoing: list[Outgoing] = field(default_factory=list)

    def reply(self, message: OutgoingMessage) -> None:
        self.outgoing.append(Outgoing(ToChat(self.event.chat), message))

    def reply_text(self, html: str) -> None:
        self.reply(OutgoingMessage(html=html))

    def send_to_person(self, person_id: int, message: OutgoingMessage) -> None:
        self.outgoing.append(Outgoing(ToPerson(person_id), message))
