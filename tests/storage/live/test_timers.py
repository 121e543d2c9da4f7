"""The live feature's timers follow the application's clock, whatever real time it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import App
from bot.live.follow_up import DEADLINE_JOB_PREFIX, real_moment, schedule_deadline
from bot.messenger import Messenger
from bot.scheduler import Scheduler
from bot.timeutil import utc_now
from storage.database import Database

APP_NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)  # the application's clock, far from real time


async def test_a_vote_deadline_fires_after_the_same_distance_in_real_time(db: Database) -> None:
    app = App(db=db, messenger=Messenger(db, {}), scheduler=Scheduler(), clock=lambda: APP_NOW)
    before = utc_now()
    moment = real_moment(app, APP_NOW + timedelta(minutes=2))
    assert before + timedelta(minutes=2) <= moment <= utc_now() + timedelta(minutes=2)
    assert real_moment(app, APP_NOW - timedelta(hours=1)) <= utc_now()  # overdue: at once

    app.scheduler.start()
    try:
        schedule_deadline(app, APP_NOW + timedelta(minutes=2))
        jobs = [job for job in app.scheduler.job_ids() if job.startswith(DEADLINE_JOB_PREFIX)]
        assert len(jobs) == 1
        fires = app.scheduler.next_run(jobs[0])
        assert fires is not None
        assert timedelta(minutes=1) < fires - utc_now() <= timedelta(minutes=2)
    finally:
        app.scheduler.stop()
