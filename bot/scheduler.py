"""Deadlines and reminders on one APScheduler AsyncIOScheduler.

The database is the source of truth: jobs are only a wake-up call. Each job re-reads what it
acts on, so a job for a session that changed meanwhile does the right thing or nothing, and at
start every feature rebuilds its jobs from the database (see ``Feature.on_start``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]


class Scheduler:
    def __init__(self) -> None:
        # A job missed while the bot was down runs at start instead (coalesced, any lateness).
        self._scheduler = AsyncIOScheduler(
            timezone="UTC",
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )

    def start(self) -> None:
        if not self._scheduler.running:
            self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def at(self, when: datetime, job_id: str, job: Job) -> None:
        """Run ``job`` at ``when`` (aware datetime); replaces an earlier job with the same id."""
        self._scheduler.add_job(
            _run_logged,
            DateTrigger(run_date=when),
            args=(job_id, job),
            id=job_id,
            replace_existing=True,
        )

    def cancel(self, job_id: str) -> None:
        if self._scheduler.get_job(job_id) is not None:
            self._scheduler.remove_job(job_id)

    def cancel_prefix(self, prefix: str) -> None:
        for job in self._scheduler.get_jobs():
            if job.id.startswith(prefix):
                job.remove()

    def job_ids(self) -> list[str]:
        return sorted(job.id for job in self._scheduler.get_jobs())

    def next_run(self, job_id: str) -> datetime | None:
        job = self._scheduler.get_job(job_id)
        return None if job is None else job.next_run_time


async def _run_logged(job_id: str, job: Job) -> None:
    try:
        await job()
    except asyncio.CancelledError:
        # The bot is stopping: the job's transaction rolled back, and the database, the source
        # of truth, has it run again at the next start. Not an error worth a traceback.
        log.info("scheduled job %s stopped with the bot", job_id)
    except Exception:  # a failing job must not take the scheduler down
        log.exception("scheduled job %s failed", job_id)
