"""Messages sent exactly once to a list of people: correspondence reminders and results, survey
invitations and reminders (issue 15).

A *batch* is one decision to send (a reminder of a session at one lead time, a session's
results, a survey's invitations, one survey reminder). The transaction that decides to send it
stores the batch and its recipients (``storage/repositories/send_ledger.py``), so what a stop
or a crash keeps from going out is sent by the next pass instead of being lost. Then:

* one pass owns a batch at a time: it claims the batch in the database (renewed with every
  recipient it starts); a pass that finds it claimed leaves it alone, and the claim of a bot
  process that stopped or crashed lapses at once;
* each recipient's messages are sent chat by chat, each recorded as soon as the platform
  accepted it, and a recipient is marked served once all are out; a resumed pass sends a
  recipient only the parts their chats do not hold yet, so only a crash between a platform's
  acceptance and the record repeats a message, one per recipient at most;
* each recipient's sending runs inside ``messenger.in_flight.delivery()``: a clean stop lets
  it finish and be recorded (a bounded wait, bot/in_flight.py) and starts no new one.

What a kind of batch sends to one recipient is a :data:`Serve` function registered under the
kind's name; ``resume`` runs every unfinished batch of the given kinds (at start and on every
scan).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.transport.events import ChatRef, MessageRef, OutgoingMessage
from storage.repositories import Repositories
from storage.repositories.send_ledger import BatchRecipient, SendBatch

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

# This bot process: claims of passes of any other (stopped, crashed) process lapse at once.
PROCESS = uuid.uuid4().hex
# A pass's claim on a batch, renewed with every recipient it starts.
LEASE = timedelta(minutes=10)
# Recipients served at once: each chat is paced by the platform, so many chats in flight use
# its overall rate (as the invitations do, bot/correspondence/outbox.py).
RECIPIENTS_AT_ONCE = 32


@dataclass(slots=True)
class Recipient:
    """One recipient's sending: sends parts into their chats, skipping what is recorded."""

    app: App
    batch: SendBatch
    person_id: int
    detail: Mapping[str, Any]
    already: set[tuple[str, str, str]]  # (part, platform, chat id) recorded before
    chats: list[ChatRef] = field(default_factory=list)
    reached: set[ChatRef] = field(default_factory=set)
    refused: dict[ChatRef, str] = field(default_factory=dict)
    failed: dict[ChatRef, str] = field(default_factory=dict)
    skipped: bool = False  # nothing was due for this recipient any more

    def holds(self, part: str, chat: ChatRef) -> bool:
        return (part, str(chat.platform), chat.chat_id) in self.already

    def parts_held(self, chat: ChatRef) -> set[str]:
        return {
            part
            for part, platform, chat_id in self.already
            if platform == str(chat.platform) and chat_id == chat.chat_id
        }

    async def record(
        self,
        part: str,
        ref: MessageRef,
        also: Callable[[Repositories], Awaitable[None]] | None = None,
    ) -> None:
        """Record one message the platform accepted (with ``also`` in the same transaction)."""
        async with self.app.db.transaction() as repos:
            await repos.send_ledger.record(
                self.batch.id, self.person_id, part, str(ref.chat.platform), ref.chat.chat_id,
                ref.message_id, self.app.now(),
            )  # fmt: skip
            if also is not None:
                await also(repos)
        self.already.add((part, str(ref.chat.platform), ref.chat.chat_id))
        self.reached.add(ref.chat)

    async def send(self, part: str, message: OutgoingMessage) -> list[MessageRef]:
        """Send ``message`` into every chat of the recipient that does not hold ``part`` yet,
        recording each as the platform accepts it."""
        sent = []
        for chat in self.chats:
            if self.holds(part, chat):
                self.reached.add(chat)
                continue
            if chat in self.refused or chat in self.failed:
                continue  # the rest of the set would not make sense there without it
            outcome = await self.app.messenger.send_to_chat(chat, message)
            if outcome.ref is None:
                if outcome.refused:
                    self.refused[chat] = outcome.refused
                else:
                    self.failed[chat] = outcome.failed
                continue
            await self.record(part, outcome.ref)
            sent.append(outcome.ref)
        return sent


# What a kind of batch sends one recipient (through ``Recipient.send`` / ``record``).
Serve = Callable[["Recipient"], Awaitable[None]]
# Run in the transaction that finishes a batch (once): e.g. plan the batch that follows.
OnFinished = Callable[[Repositories, SendBatch], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Kind:
    serve: Serve
    on_finished: OnFinished | None = None
    # Before the batch's first recipient of a pass (e.g. an edit that is safe to repeat).
    before: Callable[[App, SendBatch], Awaitable[None]] | None = None


KINDS: dict[str, Kind] = {}


def register(name: str, serve: Serve, on_finished: OnFinished | None = None,
             before: Callable[[App, SendBatch], Awaitable[None]] | None = None) -> None:  # fmt: skip
    KINDS[name] = Kind(serve, on_finished, before)


async def plan(
    repos: Repositories,
    kind: str,
    scope: str,
    recipients: Iterable[tuple[int, Mapping[str, Any]]],
    at: Any,
    detail: Mapping[str, Any] | None = None,
) -> int:
    """In the deciding transaction: the batch and who is to get it."""
    batch_id = await repos.send_ledger.create(kind, scope, at, detail)
    await repos.send_ledger.add_recipients(batch_id, recipients, at)
    return batch_id


@dataclass(frozen=True, slots=True)
class PassOutcome:
    """What one pass over a batch did; ``owned`` False when another pass was sending it."""

    owned: bool
    reached: Mapping[int, int]  # person -> chats reached, for those served by this pass
    finished: bool  # this pass finished the batch


async def run(app: App, batch_id: int) -> PassOutcome:
    """Send the batch's recipients not yet served; safe to call at any time, any number of
    times, also at once: one pass sends, the others leave it."""
    owner = f"{PROCESS}:{uuid.uuid4().hex}"
    now = app.now()
    async with app.db.transaction() as repos:
        batch = await repos.send_ledger.by_id(batch_id)
        if batch is None or batch.finished_at is not None:
            return PassOutcome(True, {}, False)
        pending = await repos.send_ledger.pending(batch_id)
        if pending and not await repos.send_ledger.claim(
            batch_id, owner, PROCESS, now, now - LEASE
        ):
            log.info("%s %s is being sent by another pass", batch.kind, batch.scope)
            return PassOutcome(False, {}, False)
    kind = KINDS[batch.kind]
    reached: dict[int, int] = {}
    try:
        if pending and kind.before is not None and not app.messenger.in_flight.closing:
            async with app.messenger.in_flight.delivery():
                await kind.before(app, batch)
        work = iter(pending)

        async def one_after_another() -> None:
            for recipient in work:  # one shared iterator: each recipient taken once
                if app.messenger.in_flight.closing:
                    return  # stopping: the rest is sent by the next start
                async with app.messenger.in_flight.delivery():
                    chats = await _serve(app, batch, kind, recipient, owner)
                if chats is None:
                    return  # the claim lapsed and another pass took over
                reached[recipient.person_id] = chats

        async with asyncio.TaskGroup() as group:
            for _ in range(min(RECIPIENTS_AT_ONCE, len(pending))):
                group.create_task(one_after_another())
    finally:
        async with app.db.transaction() as repos:
            await repos.send_ledger.release(batch_id, owner)
    async with app.db.transaction() as repos:
        finished = await repos.send_ledger.finish_if_done(batch_id, app.now())
        if finished and kind.on_finished is not None:
            await kind.on_finished(repos, batch)
    return PassOutcome(True, reached, finished)


async def _serve(
    app: App, batch: SendBatch, kind: Kind, recipient: BatchRecipient, owner: str
) -> int | None:
    """One recipient: renew the claim, send what their chats do not hold, mark them served.
    Returns the chats reached, None when the claim was lost."""
    now = app.now()
    async with app.db.transaction() as repos:
        if not await repos.send_ledger.claim(batch.id, owner, PROCESS, now, now - LEASE):
            return None
        held = await repos.send_ledger.messages(batch.id, recipient.person_id)
    sending = Recipient(
        app, batch, recipient.person_id, recipient.detail,
        {(m.part, m.platform, m.chat_id) for m in held},
    )  # fmt: skip
    sending.chats = await app.messenger.person_chats(recipient.person_id)
    broken = False
    try:
        await kind.serve(sending)
    except Exception:
        log.exception("%s %s to person %s failed", batch.kind, batch.scope, recipient.person_id)
        broken = True
    if (sending.failed or broken) and not sending.reached:
        return 0  # may pass: the next pass tries again
    async with app.db.transaction() as repos:
        await repos.send_ledger.mark_done(
            batch.id, recipient.person_id, len(sending.reached), app.now()
        )
    return len(sending.reached)


async def run_planned(app: App, kind: str, scope: str) -> PassOutcome | None:
    batch = await app.db.read.send_ledger.get(kind, scope)
    if batch is None:
        return None
    return await run(app, batch.id)


async def resume(app: App, kinds: Iterable[str]) -> None:
    """Run every unfinished batch of these kinds (left by a stop, a crash, or just planned)."""
    for kind in kinds:
        for batch in await app.db.read.send_ledger.unfinished(kind):
            if app.messenger.in_flight.closing:
                return
            await run(app, batch.id)
