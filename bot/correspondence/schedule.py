"""Correspondence sessions over time: the outbox, reminders, closing and announcing.

``run_due`` does whatever is due now, and every step claims its work in the database first, so
it may run any number of times, from any trigger, without repeating anything:

1. open the sessions stored as ready (by the clerk's chat flow or by the CLI, which is another
   process and never talks to the chat platforms itself) and send unsent invitations;
2. send the reminder that is due;
3. close the sessions whose deadline has passed, plus a short grace for actions stamped by the
   platform before the deadline but arriving after it (see ``correspondence_voting``);
4. announce results not yet announced.

Triggers: at start (catching up on whatever came due while the bot was down), a periodic scan
every ``scan_every`` (this is how sessions created with the CLI are picked up), and wake-ups at
each running session's next reminder and closing time. After a start, closing waits the grace
period once more, so that actions queued on the platforms while the bot was down are handled
first. Times are the application's clock (``app.now()``); wake-ups are set on the scheduler's
real clock by their distance from it, which is the same in production.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.correspondence.closing import (
    announce_unsent_results,
    close_due_sessions,
    closes_at,
)
from bot.correspondence.outbox import dispatch
from bot.correspondence.reminders import next_reminder_times, run_due_reminders
from bot.timeutil import utc_now

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

JOB_PREFIX = "correspondence:"
SCAN_JOB = f"{JOB_PREFIX}scan"
WAKE_PREFIX = f"{JOB_PREFIX}session:"


class CorrespondenceTimers:
    """The correspondence feature's start hook and the wake-ups it keeps: the outbox, reminders,
    closing and announcing, at each moment due and on a regular scan."""

    def __init__(
        self,
        scan_every: timedelta = timedelta(seconds=15),
        grace: timedelta = timedelta(seconds=30),
    ) -> None:
        self.scan_every = scan_every
        self.grace = grace
        self._started_at: datetime | None = None

    async def on_start(self, app: App) -> None:
        self._started_at = app.now()
        async with app.db.transaction() as repos:
            released = await repos.correspondence.progress.release_claims()
        if released:
            log.info("%d invitations claimed before a stop will be sent again", released)
        await self.run_due(app)
        self._schedule_scan(app)

    def earliest_close(self) -> datetime | None:
        """Closing waits the grace after a start too (None before the feature started)."""
        return None if self._started_at is None else self._started_at + self.grace

    async def run_due(self, app: App) -> None:
        await dispatch(app)
        await run_due_reminders(app, app.settings.reminders.correspondence)
        await close_due_sessions(app, self.grace, self.earliest_close())
        await announce_unsent_results(app)
        await self.schedule_wakeups(app)

    async def schedule_wakeups(self, app: App) -> None:
        """A wake-up at each running session's next reminder and closing time still to come."""
        read = app.db.read
        now = app.now()
        leads = app.settings.reminders.correspondence
        app.scheduler.cancel_prefix(WAKE_PREFIX)  # closed sessions need none; the rest follow
        for session_id in await read.correspondence.progress.running():
            session = await read.sessions.get(session_id)
            progress = await read.correspondence.progress.get(session_id)
            if session is None or session.deadline is None or progress is None:
                continue
            handled = {
                r.lead_minutes
                for r in await read.correspondence.reminders.list_for_session(session_id)
            }
            opened_at = progress.opened_at or progress.ready_at
            moments = next_reminder_times(session.deadline, opened_at, leads, handled)
            close = closes_at(session.deadline, self.grace)
            earliest = self.earliest_close()
            moments.append(max(close, earliest) if earliest is not None else close)
            for index, moment in enumerate(sorted(moments)):
                if moment > now:  # what is due now was just done; never wake up into the past
                    self._wake_at(app, moment, f"{WAKE_PREFIX}{session_id}:{index}")

    def _wake_at(self, app: App, moment: datetime, job_id: str) -> None:
        async def wake() -> None:
            await self.run_due(app)

        app.scheduler.at(_on_real_clock(app, moment), job_id, wake)

    def _schedule_scan(self, app: App) -> None:
        async def scan() -> None:
            try:
                await self.run_due(app)
            finally:
                self._schedule_scan(app)

        app.scheduler.at(utc_now() + self.scan_every, SCAN_JOB, scan)


def _on_real_clock(app: App, moment: datetime) -> datetime:
    """The scheduler runs on real time; the application's clock may be set apart (tests)."""
    return utc_now() + (moment - app.now())


correspondence_timers = CorrespondenceTimers()
