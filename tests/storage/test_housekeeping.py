"""Daily housekeeping at start and on its schedule (bot/housekeeping.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.models import Platform
from bot.housekeeping import JOB_ID, PROCESSED_UPDATES_KEPT, SENT_MESSAGES_KEPT
from bot.runtime import Runtime
from storage.database import Database

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


async def test_start_forgets_old_updates_and_messages_and_schedules_the_next_pass(
    db: Database,
) -> None:
    old_update = NOW - PROCESSED_UPDATES_KEPT - timedelta(hours=1)
    recent_update = NOW - PROCESSED_UPDATES_KEPT + timedelta(hours=1)
    old_message = NOW - SENT_MESSAGES_KEPT - timedelta(hours=1)
    async with db.transaction() as repos:
        await repos.processed_updates.mark(Platform.TELEGRAM, "old", old_update)
        await repos.processed_updates.mark(Platform.TELEGRAM, "recent", recent_update)
        await repos.sent_messages.offered(Platform.TELEGRAM, "7", "1", ["cs:v"], old_message)
        await repos.sent_messages.offered(Platform.TELEGRAM, "7", "2", ["cs:v"], NOW)

    runtime = Runtime(db, [], clock=lambda: NOW)
    await runtime.start()
    try:
        assert runtime.app.scheduler.next_run(JOB_ID) == NOW + timedelta(days=1)
    finally:
        await runtime.stop()

    async with db.transaction() as repos:  # seen before = still remembered
        assert await repos.processed_updates.mark(Platform.TELEGRAM, "old") is True
        assert await repos.processed_updates.mark(Platform.TELEGRAM, "recent") is False
    assert not await db.read.sent_messages.is_recorded(Platform.TELEGRAM, "7", "1")
    assert await db.read.sent_messages.is_recorded(Platform.TELEGRAM, "7", "2")
