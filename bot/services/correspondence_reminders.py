"""Reminders before a correspondence session's deadline.

At each configured lead time (``[reminders] correspondence``, e.g. 24 h and 2 h before the
deadline) the members who have not confirmed delivery or not voted on every resolution get a
short reminder with what is still open shown again, buttons included; the clerks learn how many
confirmations are still missing for the quorum. Lead times that fall before the session opened
are not used. Each reminder is recorded before it goes out, so it is sent at most once, also
across restarts; when the bot was down over several reminder times, only the latest of them is
sent and the older ones are recorded as skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.i18n import Translator
from bot.services.correspondence_invitations import remember, rules_of, show_to_member
from bot.services.correspondence_tally import SessionTally, clerk_ids, load_tally
from bot.services.correspondence_wording import quoted, when
from bot.transport.events import OutgoingMessage
from storage.repositories.correspondence_reminders import ReminderOutcome

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


async def run_due_reminders(app: App, leads: Sequence[timedelta]) -> None:
    for session_id in await app.db.read.correspondence.progress.running():
        await remind_session(app, session_id, leads)


async def remind_session(app: App, session_id: int, leads: Sequence[timedelta]) -> None:
    read = app.db.read
    session = await read.sessions.get(session_id)
    progress = await read.correspondence.progress.get(session_id)
    if session is None or session.deadline is None or progress is None or not progress.opened_at:
        return
    handled = {r.lead_minutes for r in await read.correspondence.reminders.list_for_session(session_id)}
    now = app.now()
    decision = due_reminders(
        reminder_plan(session.deadline, progress.opened_at, leads), handled, session.deadline, now
    )
    if decision.send is None and not decision.skip:
        return
    reminder = decision.send
    async with app.db.transaction() as repos:
        for skipped in decision.skip:
            await repos.correspondence.reminders.claim(
                session_id, skipped.lead_minutes, skipped.due_at, now, ReminderOutcome.SKIPPED
            )
        claimed = reminder is not None and await repos.correspondence.reminders.claim(
            session_id, reminder.lead_minutes, reminder.due_at, now, ReminderOutcome.SENT
        )
    if not claimed or reminder is None:
        return
    body = await read.bodies.get(session.body_id)
    assert body is not None
    tally = await load_tally(read, session_id, rules_of(app, body))
    reminded = 0
    for person_id in tally.member_ids:
        unconfirmed, unvoted = tally.pending_for(person_id)
        if not unconfirmed and not unvoted:
            continue
        if await _remind_member(app, tally, person_id):
            reminded += 1
    async with app.db.transaction() as repos:
        await repos.correspondence.reminders.set_recipients(
            session_id, reminder.lead_minutes, reminded
        )
    await _tell_clerks(app, tally, reminded)
    log.info("correspondence session %s: reminder %s min before the deadline to %d members",
             session_id, reminder.lead_minutes, reminded)  # fmt: skip


async def _remind_member(app: App, tally: SessionTally, person_id: int) -> bool:
    person = await app.db.read.persons.get(person_id)
    if person is None:
        return False
    _ = Translator(person.language)
    session = tally.session
    assert session.deadline is not None and session.id is not None
    unconfirmed, unvoted = tally.pending_for(person_id)
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
    reached = await app.messenger.send_to_person(person_id, OutgoingMessage(html="\n".join(lines)))
    if not reached:
        return False
    sent = await show_to_member(app, tally, person_id, with_files=False, only_pending=True, bulk=True)
    async with app.db.transaction() as repos:
        await remember(repos, session.id, person_id, sent, app.now())
    return True


async def _tell_clerks(app: App, tally: SessionTally, reminded: int) -> None:
    session = tally.session
    assert session.deadline is not None
    for clerk_id in await clerk_ids(app.db.read, session.body_id):
        clerk = await app.db.read.persons.get(clerk_id)
        if clerk is None:
            continue
        _ = Translator(clerk.language)
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
        await app.messenger.send_to_person(clerk_id, OutgoingMessage(html="\n".join(lines)))


def next_reminder_times(
    deadline: datetime, opened_at: datetime, leads: Iterable[timedelta], handled: set[int]
) -> list[datetime]:
    """When the feature should wake up for this session's reminders still to come."""
    return [
        reminder.due_at
        for reminder in reminder_plan(deadline, opened_at, leads)
        if reminder.lead_minutes not in handled
    ]
