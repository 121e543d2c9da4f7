"""Connections, pragmas and transactions of Database."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from bot.domain.models import Body, BodyKind, Membership, Person, Role
from storage.database import Database
from storage.errors import ForeignKeyViolation
from storage.sqlite import BUSY_TIMEOUT_MS
from tests.storage.factories import council
from tests.support.keys import TEST_KEYS


async def test_open_creates_the_folder_and_the_file(db: Database, db_path: Path) -> None:
    assert db.path == db_path
    assert db_path.is_file()


async def test_pragmas_are_really_in_effect(db: Database, raw) -> None:
    pragmas = await db.settings()
    assert pragmas["writer"]["journal_mode"] == "wal"
    assert pragmas["writer"]["foreign_keys"] == 1
    assert pragmas["writer"]["busy_timeout"] == BUSY_TIMEOUT_MS == 5000
    assert pragmas["writer"]["synchronous"] == 2  # FULL: on disk before "recorded"
    assert pragmas["writer"]["secure_delete"] == 1  # deleted sealed ballots leave zeros
    assert pragmas["reader"]["foreign_keys"] == 1
    assert pragmas["reader"]["busy_timeout"] == 5000
    # WAL is a property of the file, so any connection sees it.
    rows = await raw.execute_fetchall("PRAGMA journal_mode")
    assert rows[0][0] == "wal"
    assert Path(f"{db.path}-wal").exists()


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(ForeignKeyViolation):
        async with db.transaction() as repos:
            await repos.memberships.upsert(Membership(None, 999, 999, Role.MEMBER))


async def test_read_only_connection_cannot_write(db: Database) -> None:
    body = Body(None, "sos", "Predsedstvo SOS", BodyKind.PRESIDENCY, "gornji-grad-2016")
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await db.read.bodies.upsert(body)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await db.read.persons.add(Person(None, "Ana", "Novak", "ana@example.si"))
    assert await db.read.bodies.list() == []


async def test_reads_see_committed_data_only(db: Database) -> None:
    async with db.transaction() as repos:
        await repos.organisations.get_or_create("Občina Bohinj")
        assert await db.read.organisations.list() == []
        assert len(await repos.organisations.list()) == 1
    assert [o.name for o in await db.read.organisations.list()] == ["Občina Bohinj"]


async def test_rollback_leaves_nothing(db: Database) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with db.transaction() as repos:
            await council(repos, members=3)
            await repos.organisations.get_or_create("Občina Ajdovščina")
            raise Abort
    assert await db.read.bodies.list() == []
    assert await db.read.persons.list() == []
    assert await db.read.organisations.list() == []
    # The writer is usable again afterwards.
    async with db.transaction() as repos:
        await council(repos, members=1)
    assert len(await db.read.persons.list()) == 1


async def test_cancelled_transaction_is_rolled_back(db: Database) -> None:
    entered = asyncio.Event()

    async def slow_writer() -> None:
        async with db.transaction() as repos:
            await repos.organisations.get_or_create("Občina Škofja Loka")
            entered.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(slow_writer())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await db.read.organisations.list() == []
    async with db.transaction() as repos:
        await repos.organisations.get_or_create("Občina Trzin")
    assert [o.name for o in await db.read.organisations.list()] == ["Občina Trzin"]


async def test_nested_transaction_is_refused_instead_of_hanging(db: Database) -> None:
    with pytest.raises(RuntimeError, match="re-entrant"):
        async with db.transaction(), db.transaction():
            pass
    async with db.transaction() as repos:  # the lock was released
        await repos.organisations.get_or_create("Občina Lovrenc na Pohorju")


async def test_naive_datetimes_are_refused(db: Database) -> None:
    async with db.transaction() as repos:
        person = await repos.persons.add(Person(None, "Ana", "Novak", "ana@example.si"))
        with pytest.raises(ValueError, match="naive"):
            await repos.linking_codes.add(
                "h", person.id, None, datetime(2020, 1, 1), datetime(2020, 1, 2)
            )


async def test_two_databases_on_one_file_serialise_through_sqlite(db_path: Path) -> None:
    first = await Database.open(db_path, TEST_KEYS)
    second = await Database.open(db_path, TEST_KEYS)
    try:

        async def add(database: Database, name: str) -> None:
            async with database.transaction() as repos:
                await repos.organisations.get_or_create(name)
                await asyncio.sleep(0)  # let the other writer try to get in meanwhile

        await asyncio.gather(*(add(first if n % 2 else second, f"Občina {n}") for n in range(60)))
        assert len(await first.read.organisations.list()) == 60
        assert len(await second.read.organisations.list()) == 60
    finally:
        await first.close()
        await second.close()


async def test_close_is_idempotent(db_path: Path) -> None:
    database = await Database.open(db_path, TEST_KEYS)
    await database.close()
    await database.close()


async def test_a_transaction_cancelled_while_another_waits_is_rolled_back_before_it_begins(
    db: Database,
) -> None:
    entered = asyncio.Event()

    async def slow_writer() -> None:
        async with db.transaction() as repos:
            await repos.organisations.get_or_create("Občina Škofja Loka")
            entered.set()
            await asyncio.sleep(60)

    async def next_writer() -> list[str]:
        async with db.transaction() as repos:
            await repos.organisations.get_or_create("Občina Trzin")
            return [o.name for o in await repos.organisations.list()]

    task = asyncio.create_task(slow_writer())
    await entered.wait()
    waiting = asyncio.create_task(next_writer())
    await asyncio.sleep(0)  # queued on the write lock
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await waiting == ["Občina Trzin"]


async def test_violations_reach_the_caller_and_the_writer_stays_usable(db: Database) -> None:
    with pytest.raises(ForeignKeyViolation):
        async with db.transaction() as repos:
            await repos.memberships.upsert(Membership(None, 999, 999, Role.MEMBER))
    async with db.transaction() as repos:
        await council(repos, members=1)
    assert len(await db.read.persons.list()) == 1


async def test_a_failing_transaction_among_concurrent_ones_rolls_back_alone(db: Database) -> None:
    class Abort(Exception):
        pass

    async def add(number: int) -> int:
        async with db.transaction() as repos:
            organisation = await repos.organisations.get_or_create(f"Občina {number}")
            if number % 10 == 3:
                raise Abort(number)
            return organisation.id

    results = await asyncio.gather(*(add(n) for n in range(100)), return_exceptions=True)
    failed = sorted(r.args[0] for r in results if isinstance(r, Abort))
    assert failed == list(range(3, 100, 10))
    names = {o.name for o in await db.read.organisations.list()}
    assert names == {f"Občina {n}" for n in range(100) if n % 10 != 3}


async def test_concurrent_transactions_see_each_others_writes_in_order(db: Database) -> None:
    """Read-then-write by 50 concurrent transactions: serial, as if one after another."""

    async def next_number() -> None:
        async with db.transaction() as repos:
            count = len(await repos.organisations.list())
            await asyncio.sleep(0)  # let the others try to get in meanwhile
            await repos.organisations.get_or_create(str(count))

    await asyncio.gather(*(next_number() for _ in range(50)))
    names = sorted(int(o.name) for o in await db.read.organisations.list())
    assert names == list(range(50))


async def test_a_transaction_after_close_fails_instead_of_hanging(db_path: Path) -> None:
    database = await Database.open(db_path, TEST_KEYS)
    await database.close()

    async def write() -> None:
        async with database.transaction() as repos:
            await repos.organisations.get_or_create("Občina Kostel")

    with pytest.raises(RuntimeError, match="the database is closed"):
        await asyncio.wait_for(write(), 5)


async def test_a_transaction_cancelled_while_it_begins_leaves_no_transaction_behind(
    db: Database,
) -> None:
    """A stopping bot cancels tasks wherever they are, also while BEGIN runs on aiosqlite's
    thread; the next transaction must still begin (it failed with 'cannot start a transaction
    within a transaction')."""
    for _ in range(20):
        entered = asyncio.Event()

        async def writer(entered: asyncio.Event = entered) -> None:
            async with db.transaction():
                entered.set()
                await asyncio.sleep(10)

        task = asyncio.create_task(writer())
        while db._writing_task is not task:  # the lock is taken, BEGIN is queued
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        async with db.transaction() as repos:
            await repos.organisations.get_or_create("Občina Luče")
    assert [o.name for o in await db.read.organisations.list()] == ["Občina Luče"]
