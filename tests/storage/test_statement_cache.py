"""Rows the writer remembers between transactions are never stale (storage/statement_cache.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.domain.models import Person
from storage.database import Database
from storage.repositories import Repositories
from storage.statement_cache import Effect, effect_of
from tests.storage.factories import council


@pytest.mark.parametrize(
    ("sql", "effect"),
    [
        ("SELECT id, name FROM persons WHERE id = ?", Effect.REMEMBERED),
        ("SELECT p.id FROM linked_accounts a JOIN persons p ON p.id = a.person_id", Effect.REMEMBERED),
        ("  select id from bodies", Effect.REMEMBERED),
        ("SELECT motion_id FROM votes WHERE motion_id = ?", Effect.UNTOUCHED),
        ("SELECT id FROM persons WHERE id IN (SELECT person_id FROM votes)", Effect.UNTOUCHED),
        ("SELECT 1", Effect.UNTOUCHED),
        ("INSERT INTO votes (motion_id) VALUES (?)", Effect.UNTOUCHED),
        ("INSERT INTO memberships (person_id) VALUES (?)", Effect.INVALIDATES),
        ("INSERT OR REPLACE INTO persons (id) VALUES (?)", Effect.INVALIDATES),
        ("UPDATE sessions SET status = ?", Effect.INVALIDATES),
        ("DELETE FROM linked_accounts WHERE id = ?", Effect.INVALIDATES),
        ("DELETE FROM pending_replies WHERE id IN (?)", Effect.UNTOUCHED),
        ("PRAGMA data_version", Effect.INVALIDATES),
        ("WITH x AS (SELECT 1) SELECT * FROM x", Effect.INVALIDATES),
    ],
)
def test_statements_are_classified_by_the_tables_they_touch(sql: str, effect: Effect) -> None:
    assert effect_of(sql) is effect


async def _language(db: Database, person_id: int) -> str:
    async def read(repos: Repositories) -> str:
        person = await repos.persons.get(person_id)
        assert person is not None
        return person.language

    return await db.run_transaction(read)


async def _a_member(db: Database) -> Person:
    async with db.transaction() as repos:
        _, people = await council(repos, members=1)
    return people[0]


async def test_a_change_committed_by_another_process_is_seen(db: Database, db_path: Path) -> None:
    member = await _a_member(db)
    assert await _language(db, member.id) == "sl"  # now remembered by the writer
    other = sqlite3.connect(db_path)  # as a `sejabot` command beside the bot would
    other.execute("UPDATE persons SET language = 'en' WHERE id = ?", (member.id,))
    other.commit()
    other.close()
    assert await _language(db, member.id) == "en"


async def test_a_change_committed_through_the_other_writer_is_seen(db: Database) -> None:
    member = await _a_member(db)
    assert await _language(db, member.id) == "sl"
    async with db.transaction() as repos:
        await repos.persons.set_language(member.id, "en")
    assert await _language(db, member.id) == "en"


async def test_the_writers_own_change_is_seen_in_the_same_and_later_transactions(db: Database) -> None:
    member = await _a_member(db)
    assert await _language(db, member.id) == "sl"

    async def change_and_read(repos: Repositories) -> str:
        await repos.persons.set_language(member.id, "en")
        person = await repos.persons.get(member.id)
        assert person is not None
        return person.language

    assert await db.run_transaction(change_and_read) == "en"
    assert await _language(db, member.id) == "en"


async def test_rows_read_after_a_write_that_was_rolled_back_are_forgotten(db: Database) -> None:
    member = await _a_member(db)
    assert await _language(db, member.id) == "sl"

    class Abort(Exception):
        pass

    async def change_read_and_fail(repos: Repositories) -> None:
        await repos.persons.set_language(member.id, "en")
        person = await repos.persons.get(member.id)  # remembered as "en" for a moment
        assert person is not None and person.language == "en"
        raise Abort

    with pytest.raises(Abort):
        await db.run_transaction(change_read_and_fail)
    assert await _language(db, member.id) == "sl"


async def test_records_read_twice_come_from_memory(db: Database) -> None:
    member = await _a_member(db)

    async def read_twice(repos: Repositories) -> bool:
        first = await repos.persons.get(member.id)
        second = await repos.persons.get(member.id)
        return first is second  # the same immutable record, not built again

    assert await db.run_transaction(read_twice)
    async with db.transaction() as repos:  # aiosqlite: nothing remembered, equal records
        first = await repos.persons.get(member.id)
        second = await repos.persons.get(member.id)
    assert first == second and first is not second
