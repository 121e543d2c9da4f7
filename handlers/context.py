"""What a handler receives and what it returns.

Handlers run inside the dispatcher's database transaction and only *describe* the messages to
send; the dispatcher sends them after the transaction commits. So nothing is acknowledged to a
person that is not stored, and a redelivered event is recognised before any handler runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.domain.models import Membership, Person, Role
from bot.i18n import Translator
from bot.transport.events import ChatRef, IncomingEvent, MessageRef, OutgoingMessage
from storage.repositories import Repositories

if TYPE_CHECKING:
    from bot.app import App
    from handlers.routes import Routes


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


@dataclass(slots=True)
class HandlerContext:
    event: IncomingEvent
    repos: Repositories
    now: datetime
    person: Person | None
    memberships: list[Membership]
    _: Translator
    app: App
    routes: Routes
    outgoing: list[Outgoing] = field(default_factory=list)
    # Work that must wait until the transaction committed: scheduling, tallies, notices.
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @property
    def roles(self) -> set[Role]:
        return {membership.role for membership in self.memberships}

    def translator_for(self, person: Person) -> Translator:
        return Translator(person.language)

    def reply(self, message: OutgoingMessage) -> None:
        self.outgoing.append(Outgoing(ToChat(self.event.chat), message))

    def reply_text(self, html: str) -> None:
        self.reply(OutgoingMessage(html=html))

    def send_to_person(self, person_id: int, message: OutgoingMessage) -> None:
        self.outgoing.append(Outgoing(ToPerson(person_id), message))

    def edit(self, ref: MessageRef, message: OutgoingMessage) -> None:
        self.outgoing.append(Outgoing(ToEdit(ref), message))
