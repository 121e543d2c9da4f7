"""The live-session feature's timers: the outbox scan, and at start the end of timed votes
(their jobs are set in bot/live/follow_up.py).

Jobs only wake the bot up: each re-reads the database and acts on what is due then, so a job
that fires early or twice does nothing wrong.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.app import App
from bot.live.follow_up import close_due_votes, schedule_deadline
from bot.live.outbox import send_invitations, send_reminders
from bot.live.voting import ARRIVAL_GRACE
from bot.timeutil import utc_now

log = logging.getLogger(__name__)

SCAN_INTERVAL = timedelta(seconds=15)
SCAN_JOB = "live:scan"


async def sweep(app: App) -> None:
    """Everything that may have come due: invitations, reminders, votes whose time ended."""
    await send_invitations(app)
    await send_reminders(app)
    await close_due_votes(app)


def schedule_scan(app: App) -> None:
    async def job() -> None:
        try:
            await sweep(app)
        finally:
            schedule_scan(app)

    app.scheduler.at(utc_now() + SCAN_INTERVAL, SCAN_JOB, job)


class LiveTimers:
    """At start: finish what came due while the bot was down, set the timers, start scanning."""

    async def on_start(self, app: App) -> None:
        await sweep(app)
        for live_round in await app.db.read.live.rounds.open_rounds():
            if live_round.closes_at is not None:
                schedule_deadline(app, live_round.closes_at + ARRIVAL_GRACE)
        for election_round in await app.db.read.live.elections.open_rounds():
            if election_round.closes_at is not None:
                schedule_deadline(app, election_round.closes_at + ARRIVAL_GRACE)
        schedule_scan(app)


live_timers = LiveTimers()
