"""Deduplication of redelivered chat updates."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot.domain.models import Platform
from storage.database import Database
from tests.storage.factories import at


async def test_mark_is_true_only_the_first_time(db: Database) -> None:
    async with db.transaction() as repos:
        assert await repos.processed_updates.mark(Platform.TELEGRAM, "update:1001", at(0))
        assert not await repos.processed_updates.mark(Platform.TELEGRAM, "update:1001", at(1))
        # The same key on another platform is another update.
        assert await repos.processed_updates.mark(Platform.MATRIX, "update:1001", at(1))
    assert await db.read.processed_updates.seen(Platform.TELEGRAM, "update:1001")
    assert not await db.read.processed_updates.seen(Platform.TELEGRAM, "update:1002")


async def test_concurrent_redeliveries_are_handled_once(db: Database) -> None:
    async def handle() -> bool:
        async with db.transaction() as repos:
            return await repos.processed_updates.mark(Platform.MATRIX, "$event:example.si")

    results = await asyncio.gather(*(handle() for _ in range(25)))
    assert results.count(True) == 1


async def test_mark_rolled_back_with_a_failed_handler(db: Database) -> None:
    with pytest.raises(ValueError):
        async with db.transaction() as repos:
            await repos.processed_updates.mark(Platform.TELEGRAM, "update:7", at(0))
            raise ValueError("handler failed")
    async with db.transaction() as repos:  # so the redelivery is handled
        assert await repos.processed_updates.mark(Platform.TELEGRAM, "update:7", at(1))


async def test_prune_forgets_old_updates(db: Database, raw) -> None:
    async with db.transaction() as repos:
        await repos.processed_updates.mark(Platform.TELEGRAM, "old", at(0))
        await repos.processed_updates.mark(Platform.TELEGRAM, "new", at(100))
        assert await repos.processed_updates.prune(at(50)) == 1
    assert not await db.read.processed_updates.seen(Platform.TELEGRAM, "old")
    assert await db.read.processed_updates.seen(Platform.TELEGRAM, "new")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        await raw.execute(
            "INSERT INTO processed_updates (platform, update_key, processed_at) "
            "VALUES ('telegram', 'new', '2020-11-09T12:00:00.000000+00:00')"
        )
