"""Reminders before a correspondence session's deadline.

At each configured lead time (``[reminders] correspondence``, e.g. 24 h and 2 h before the
deadline) the members who have not confirmed delivery or not voted on every resolution get a
short reminder with what is still open shown again, buttons included; the clerks learn how many
confirmations are still missing for the quorum. Lead times that fall before the session opened
are not used. When the bot was down over several reminder times, only the latest of them is
sent and the older ones are recorded as skipped.

Exactly once (issue 15): the transaction that decides to send a reminder stores it with the
members it goes to as a batch (bot/send_ledger.py); one pass sends it, each message
recorded as the platform accepts it, and a stop or a crash leaves the members not yet served
to the next pass (at start or the next scan): nobody is reminded twice, nobody is left out.
The clerks' note follows once every member is served.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot import send_ledger
from bot.correspondence.invitations import (
    SentMessage,
    message_key,
    remember,
    rules_of,
    show_to_member,
)
from bot.correspondence.tally import SessionTally, clerk_ids, load_tally
from bot.correspondence.wording import quoted, when
from bot.i18n import Translator
from bot.transport.events import OutgoingMessage
from storage.repositories import Repositories
from storage.repositories.correspondence.messages import MessagePurpose
from storage.repositories.correspondence.reminders import ReminderOutcome
from storage.repositories.send_ledger import SendBatch

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    lead: timedelta
    due_at: datetime

    @property
    def lead_minutes(self) -> int:
        return int(self.lead.total_seconds() // 60)


def reminder_plan(
    deadline: datetime, opened_at: datetime, leads: Iterable[timedelta]
) -> list[PlannedReminder]:
    """The reminders of a session, earliest first; those due before it opened are left out."""
    plan = {
        PlannedReminder(lead, deadline - lead)
        for lead in leads
        if lead.total_seconds() >= 60 and deadline - lead > opened_at
    }
    return sorted(plan, key=lambda reminder: reminder.due_at)


@dataclass(frozen=True, slots=True)
class ReminderDecision:
    send: PlannedReminder | None
    skip: tuple[PlannedReminder, ...]


def due_reminders(
    plan: Sequence[PlannedReminder], handled_minutes: set[int], deadline: datetime, now: datetime
) -> ReminderDecision:
    """Of the unhandled reminders now due before the deadline: send the latest, skip the rest."""
    if now >= deadline:
        return ReminderDecision(None, ())
    due = [r for r in plan if r.due_at <= now and r.lead_minutes not in handled_minutes]
    if not due:
        return ReminderDecision(None, ())
    handled = [r.due_at for r in plan if r.lead_minutes in handled_minutes]
    if handled and max(handled) > due[-1].due_at:
        return ReminderDecision(None, tuple(due))  # a later reminder already went out
    return ReminderDecision(due[-1], tuple(due[:-1]))


MEMBERS_KIND = "correspondence_reminder"
CLERKS_KIND = "correspondence_reminder_clerks"


async def run_due_reminders(app: App, leads: Sequence[timedelta]) -> None:
    # Reminders a stop or a crash interrupted go on first (also for a session closed since:
    # what was decided goes out; the clerks' note follows).
    await send_ledger.resume(app, (MEMBERS_KIND, CLERKS_KIND))
    for session_id in await app.db.read.correspondence.progress.running():
        await remind_session(app, session_id, leads)


async def remind_session(app: App, session_id: int, leads: Sequence[timedelta]) -> None:
    read = app.db.read
    session = await read.sessions.get(session_id)
    progress = await read.correspondence.progress.get(session_id)
    if session is None or session.deadline is None or progress is None or not progress.opened_at:
        return
    handled = {
        r.lead_minutes for r in await read.correspondence.reminders.list_for_session(session_id)
    }
    now = app.now()
    decision = due_reminders(
        reminder_plan(session.deadline, progress.opened_at, leads), handled, session.deadline, now
    )
    if decision.send is None and not decision.skip:
        return
    reminder = decision.send
    body = await read.bodies.get(session.body_id)
    assert body is not None
    scope = f"{session_id}:{reminder.lead_minutes}" if reminder is not None else ""
    async with app.db.transaction() as repos:
        for skipped in decision.skip:
            await repos.correspondence.reminders.claim(
                session_id, skipped.lead_minutes, skipped.due_at, now, ReminderOutcome.SKIPPED
            )
        claimed = reminder is not None and await repos.correspondence.reminders.claim(
            session_id, reminder.lead_minutes, reminder.due_at, now, ReminderOutcome.SENT
        )
        if claimed:  # who is reminded is decided here, with the claim
            tally = await load_tally(repos, session_id, rules_of(app, body))
            pending: list[tuple[int, dict[str, object]]] = [
                (person_id, {})
                for person_id in tally.member_ids
                if any(tally.pending_for(person_id))
            ]
            await send_ledger.plan(
                repos, MEMBERS_KIND, scope, pending, now,
                {"session": session_id, "lead": reminder.lead_minutes if reminder else 0},
            )  # fmt: skip
    if not claimed or reminder is None:
        return
    outcome = await send_ledger.run_planned(app, MEMBERS_KIND, scope)
    if outcome is not None and outcome.finished:
        await send_ledger.run_planned(app, CLERKS_KIND, scope)


async def _remind_member(recipient: send_ledger.Recipient) -> None:
    """One member's reminder: the text, then what is still open (buttons included), each
    message recorded as the platform accepts it; what a resumed pass finds recorded is not
    sent again. A member with nothing open any more (they voted meanwhile) is passed over."""
    app = recipient.app
    session_id = int(recipient.batch.detail["session"])
    person = await app.db.read.persons.get(recipient.person_id)
    session = await app.db.read.sessions.get(session_id)
    if person is None or session is None:
        return
    if session.deadline is None or session.deadline <= app.now():
        recipient.skipped = True  # resumed after the deadline: a reminder would mislead
        return
    body = await app.db.read.bodies.get(session.body_id)
    assert body is not None
    tally = await load_tally(app.db.read, session_id, rules_of(app, body))
    person_id = recipient.person_id
    _ = Translator(person.language)
    assert session.deadline is not None and session.id is not None
    unconfirmed, unvoted = tally.pending_for(person_id)
    text_held = any(recipient.holds("text", chat) for chat in recipient.chats)
    if not unconfirmed and not unvoted and not text_held:
        recipient.skipped = True
        return
    lines = [
        "<b>" + _("Reminder") + "</b>",
        _("The correspondence session {title} runs until {deadline}.",
          title=quoted(session.title), deadline=when(session.deadline, _)),
    ]  # fmt: skip
    if unconfirmed:
        lines.append(_("You have not yet confirmed receipt of the invitation."))
    if unvoted:
        numbers = ", ".join(str(motion.motion.position) for motion in unvoted)
        lines.append(_("You have not yet voted on proposed resolutions: {numbers}.",
                       numbers=numbers))  # fmt: skip
    lines.append(_("What is still open is shown below."))
    if not await recipient.send("text", OutgoingMessage(html="\n".join(lines))) and not any(
        recipient.holds("text", chat) for chat in recipient.chats
    ):
        return
    already = frozenset(
        message_key(MessagePurpose(purpose), int(motion) if motion else None, chat)
        for chat in recipient.chats
        for held in recipient.parts_held(chat)
        if held != "text"
        for purpose, _sep, motion in [held.partition(":")]
    )

    async def record(item: SentMessage) -> None:
        async def remember_too(repos: Repositories) -> None:
            await remember(repos, session_id, person_id, [item], app.now())

        part = f"{item.purpose.value}:{item.motion_id or ''}"
        await recipient.record(part, item.ref, remember_too)

    await show_to_member(
        app, tally, person_id, with_files=False, only_pending=True, bulk=True,
        already=already, on_sent=record,
    )  # fmt: skip


async def _plan_clerks_note(repos: Repositories, batch: SendBatch) -> None:
    """When every member of a reminder is served: the clerks' note, once."""
    session_id = int(batch.detail["session"])
    session = await repos.sessions.get(session_id)
    if session is None:
        return
    served = [r for r in await repos.send_ledger.recipients(batch.id) if r.chats > 0]
    await repos.correspondence.reminders.set_recipients(
        session_id, int(batch.detail["lead"]), len(served)
    )
    clerks: list[tuple[int, dict[str, object]]] = [
        (clerk_id, {}) for clerk_id in await clerk_ids(repos, session.body_id)
    ]
    await send_ledger.plan(
        repos, CLERKS_KIND, batch.scope, clerks, batch.created_at,
        {**batch.detail, "reminded": len(served)},
    )  # fmt: skip
    log.info("correspondence session %s: reminder %s min before the deadline to %d members",
             session_id, batch.detail["lead"], len(served))  # fmt: skip


async def _note_to_clerk(recipient: send_ledger.Recipient) -> None:
    app = recipient.app
    session_id = int(recipient.batch.detail["session"])
    session = await app.db.read.sessions.get(session_id)
    if session is None:
        return
    body = await app.db.read.bodies.get(session.body_id)
    assert body is not None
    tally = await load_tally(app.db.read, session_id, rules_of(app, body))
    clerk = await app.db.read.persons.get(recipient.person_id)
    if clerk is None:
        return
    message = _clerk_note(
        tally, int(recipient.batch.detail["reminded"]), Translator(clerk.language)
    )
    await recipient.send("note", message)


send_ledger.register(MEMBERS_KIND, _remind_member, _plan_clerks_note)
send_ledger.register(CLERKS_KIND, _note_to_clerk)


def _clerk_note(tally: SessionTally, reminded: int, _: Translator) -> OutgoingMessage:
    session = tally.session
    assert session.deadline is not None
    lines = [
        _("Correspondence session {title}: a reminder went to {count} members; the session "
          "runs until {deadline}.",
          title=quoted(session.title), count=reminded, deadline=when(session.deadline, _)),
        _("Delivery confirmed by {confirmed} of {members} members; the quorum needs {needed}.",
          confirmed=tally.confirmed, members=tally.member_count, needed=tally.quorum_needed),
    ]  # fmt: skip
    if tally.missing_for_quorum:
        lines.append(_("Confirmations still missing for the quorum: {count}.",
                       count=tally.missing_for_quorum))  # fmt: skip
    else:
        lines.append(_("The quorum is reached."))
    return OutgoingMessage(html="\n".join(lines))


def next_reminder_times(
    deadline: datetime, opened_at: datetime, leads: Iterable[timedelta], handled: set[int]
) -> list[datetime]:
    """When the feature should wake up for this session's reminders still to come."""
    return [
        reminder.due_at
        for reminder in reminder_plan(deadline, opened_at, leads)
        if reminder.lead_minutes not in handled
    ]
