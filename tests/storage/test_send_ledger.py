"""The send ledger (migration 14): one pass owns a batch, claims of another process lapse at
once, recipients are served once, the batch finishes once (issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.database import Database
from tests.support.keys import TEST_KEYS

NOW = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)


async def _person(db: Database, email: str) -> int:
    async with db.transaction() as repos:
        (row,) = await repos.persons._connection.fetch(
            "INSERT INTO persons (name, surname, email) VALUES (?, ?, ?) RETURNING id",
            (email, email, email),
        )
        return int(row["id"])


async def test_one_owner_recipients_served_once_and_finished_once(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "s.sqlite3", TEST_KEYS)
    try:
        ana, bor = await _person(db, "ana@x.example"), await _person(db, "bor@x.example")
        async with db.transaction() as repos:
            batch = await repos.send_ledger.create("k", "1", NOW, {"session": 1})
            assert await repos.send_ledger.create("k", "1", NOW) == batch
            await repos.send_ledger.add_recipients(batch, [(ana, {}), (bor, {"o": 2})], NOW)
            await repos.send_ledger.add_recipients(batch, [(ana, {})], NOW)
            lapsed = NOW - timedelta(minutes=10)
            assert await repos.send_ledger.claim(batch, "p1:a", "p1", NOW, lapsed)
            assert not await repos.send_ledger.claim(batch, "p1:b", "p1", NOW, lapsed)
            # a claim left by another (stopped) process lapses at once
            assert await repos.send_ledger.claim(batch, "p2:a", "p2", NOW, lapsed)
            await repos.send_ledger.record(batch, ana, "text", "telegram", "7", "11", NOW)
            await repos.send_ledger.record(batch, ana, "text", "telegram", "7", "12", NOW)
            assert len(await repos.send_ledger.messages(batch, ana)) == 1
            await repos.send_ledger.mark_done(batch, ana, 1, NOW)
            assert not await repos.send_ledger.finish_if_done(batch, NOW)
            assert [r.person_id for r in await repos.send_ledger.pending(batch)] == [bor]
            await repos.send_ledger.mark_done(batch, bor, 0, NOW)
            assert await repos.send_ledger.finish_if_done(batch, NOW)
            assert not await repos.send_ledger.finish_if_done(batch, NOW)  # once
            assert await repos.send_ledger.unfinished("k") == []
            await repos.send_ledger.add_recipients(batch, [(ana, {})], NOW)  # nobody new
            assert await repos.send_ledger.unfinished("k") == []
    finally:
        await db.close()
