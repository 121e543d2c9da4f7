"""What runs once a live-session action's transaction has committed: announcements, ballots,
panels, vote timers and minutes (bot/live/effects.py describes them), and the timers' own work of
closing votes whose set time ended."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot import send_ledger
from bot.app import App
from bot.live.ballot_closing import close_ballots
from bot.live.effects import Effects
from bot.live.elections import due_election_rounds
from bot.live.minutes_delivery import send_minutes
from bot.live.panels import refresh_panels, send_new_panels
from bot.live.vote_actions import RESULT_KIND, finish_election_round, finish_round
from bot.live.voting import ARRIVAL_GRACE, due_rounds
from bot.timeutil import utc_now
from storage.repositories.live.presence import PanelKind
from storage.repositories.live.rounds import ClosedBy

log = logging.getLogger(__name__)

DEADLINE_JOB_PREFIX = "live:deadline:"


async def after_commit(app: App, effects: Effects) -> None:
    """Send-ledger batches (a closed round's announcement), then ballots, panels, timers and
    minutes; the messages in ``outgoing`` are delivered by whoever holds them."""
    for batch_id in effects.batches:
        await send_ledger.run(app, batch_id)
    for closing in effects.closed_ballots:
        await close_ballots(app, closing)
    for session_id in sorted(effects.new_panels):
        await send_new_panels(app, session_id)
    for session_id in sorted(effects.panels - effects.new_panels):
        await refresh_panels(app, session_id, PanelKind.QUORUM)
    for session_id in sorted(effects.hall_panels - effects.new_panels):
        await refresh_panels(app, session_id, PanelKind.HALL)
    for moment in effects.deadlines:
        schedule_deadline(app, moment)
    for session_id in sorted(effects.minutes):
        await send_minutes(app, session_id)


async def deliver_all(app: App, effects: Effects) -> None:
    await app.messenger.deliver(effects.outgoing)
    await after_commit(app, effects)


def real_moment(app: App, moment: datetime) -> datetime:
    """When the scheduler (real time) should fire for ``moment`` of the application's clock,
    which a test may move: by the distance from the application's now."""
    return utc_now() + max(moment - app.now(), timedelta(0))


def schedule_deadline(app: App, moment: datetime) -> None:
    async def job() -> None:
        await close_due_votes(app)

    app.scheduler.at(real_moment(app, moment), f"{DEADLINE_JOB_PREFIX}{moment.isoformat()}", job)


async def close_due_votes(app: App) -> int:
    """Closes every vote whose set time has passed; used by timers and at start."""
    # Announcements a stop or a crash kept from everyone (issue 15).
    await send_ledger.resume(app, (RESULT_KIND,))
    closed = 0
    now = app.now()
    for live_round in await due_rounds(app.db.read, now):
        async with app.db.transaction() as repos:
            current = await repos.live.rounds.get(live_round.motion_id, live_round.round)
            if current is None or not current.is_open:
                continue
            effects = await finish_round(repos, app, current, now, ClosedBy.TIMER)
        async with app.messenger.in_flight.delivery():  # a clean stop lets the results go out
            await deliver_all(app, effects)
        closed += 1
    for election_round in await due_election_rounds(app.db.read, now, ARRIVAL_GRACE):
        async with app.db.transaction() as repos:
            current_election = await repos.live.elections.get_round(
                election_round.election_id, election_round.round
            )
            if current_election is None or not current_election.is_open:
                continue
            effects = await finish_election_round(repos, app, current_election, now, ClosedBy.TIMER)
        async with app.messenger.in_flight.delivery():  # a clean stop lets the results go out
            await deliver_all(app, effects)
        closed += 1
    if closed:
        log.info("%d live votes closed at their set time", closed)
    return closed
