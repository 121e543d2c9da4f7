"""What a handler receives and what it returns.

Handlers run inside the dispatcher's database transaction and only *describe* the messages to
send; the dispatcher sends them after the transaction commits. So nothing is acknowledged to a
person that is not stored, and a redelivered event is recognised before any handler runs.

A handler that turns someone away because they are not entitled (not a member of that body,
voted already, too late, round closed) answers with ``ctx.refuse(kind, text)`` instead of
``ctx.reply_text(text)``: the person reads the same text, and the dispatcher also logs the
refusal on ``sejabot.security`` (kinds in :class:`bot.transport.security_log.RefusalKind`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.app import App
from bot.domain.models import Membership, Person, Role
from bot.i18n import Translator
from bot.outgoing import Outgoing, ToChat, ToEdit, ToPerson
from bot.transport.events import IncomingEvent, MessageRef, OutgoingMessage
from storage.repositories import Repositories


@dataclass(frozen=True, slots=True)
class RecordedRefusal:
    kind: str  # a bot.transport.security_log.RefusalKind value
    detail: str = ""  # ids and reasons, never a secret (see bot.transport.security_log)


@dataclass(slots=True)
class HandlerContext:
    event: IncomingEvent
    repos: Repositories
    now: datetime
    person: Person | None
    memberships: list[Membership]
    _: Translator
    app: App
    # What each feature adds to /pomoc (handlers/help.py), in the features' order.
    help_providers: Sequence[HelpProvider]
    outgoing: list[Outgoing] = field(default_factory=list)
    # Work that must wait until the transaction committed: scheduling, tallies, notices.
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Refusals to log once the event is handled (see the module docstring).
    refusals: list[RecordedRefusal] = field(default_factory=list)
    # Ids of the replies stored with the event until delivered (bot/reply_outbox.py).
    kept_replies: list[int] = field(default_factory=list)

    @property
    def roles(self) -> set[Role]:
        return {membership.role for membership in self.memberships}

    def translator_for(self, person: Person) -> Translator:
        return Translator(person.language)

    def reply(self, message: OutgoingMessage) -> None:
        self.outgoing.append(Outgoing(ToChat(self.event.chat), message))

    def reply_text(self, html: str) -> None:
        self.reply(OutgoingMessage(html=html))

    def refuse(self, kind: str, html: str, *, detail: str = "") -> None:
        """Tell the person why not, and have the refusal logged as a security event."""
        self.reply_text(html)
        self.note_refusal(kind, detail=detail)

    def note_refusal(self, kind: str, *, detail: str = "") -> None:
        """Have a refusal logged whose answer the person gets otherwise (or not at all)."""
        self.refusals.append(RecordedRefusal(str(kind), detail))

    def send_to_person(self, person_id: int, message: OutgoingMessage) -> None:
        self.outgoing.append(Outgoing(ToPerson(person_id), message))

    def edit(self, ref: MessageRef, message: OutgoingMessage) -> None:
        self.outgoing.append(Outgoing(ToEdit(ref), message))


HelpProvider = Callable[[HandlerContext], Awaitable[list[str]]]  # lines (HTML) for /pomoc
