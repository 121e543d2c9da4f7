"""Rows the writer remembers between transactions are never stale (storage/statement_cache.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.domain.models import Person
from storage.database import Database
from storage.repositories import Repositories
from storage.statement_cache import Effect, StatementCache, effect_of, write_reach
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


def _scratch(schema: str) -> tuple[sqlite3.Connection, StatementCache]:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.executescript(schema)
    cache = StatementCache(connection)
    cache.began()  # learns the schema, as at the writer's first BEGIN
    return connection, cache


PEOPLE_AND_SEATS = """
PRAGMA foreign_keys = ON;
CREATE TABLE persons (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE bodies (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE memberships (person_id INTEGER REFERENCES persons (id) ON DELETE CASCADE,
                          body_id INTEGER REFERENCES bodies (id));
CREATE TABLE sessions (id INTEGER PRIMARY KEY, body_id INTEGER, title TEXT);
INSERT INTO persons VALUES (1, 'Ana');
INSERT INTO bodies VALUES (1, 'Svet');
INSERT INTO memberships VALUES (1, 1);
INSERT INTO sessions VALUES (1, 1, 'Prva');
"""
SEATS = "SELECT person_id, body_id FROM memberships WHERE person_id = ?"
PERSON = "SELECT id, name FROM persons WHERE id = ?"
SESSION = "SELECT id, title FROM sessions WHERE id = ?"


def test_a_write_forgets_only_what_was_read_from_the_tables_it_changes() -> None:
    _, cache = _scratch(PEOPLE_AND_SEATS)
    person = cache.records(PERSON, (1,), tuple)
    assert cache.records(SESSION, (1,), tuple) == ((1, "Prva"),)
    cache.before_write("UPDATE sessions SET title = 'Druga' WHERE id = 1")
    cache.fetchall("UPDATE sessions SET title = 'Druga' WHERE id = 1", ())
    assert cache.records(SESSION, (1,), tuple) == ((1, "Druga"),)
    assert cache.records(PERSON, (1,), tuple) is person  # kept: persons was not written


def test_a_write_forgets_what_its_foreign_key_cascade_changes() -> None:
    connection, cache = _scratch(PEOPLE_AND_SEATS)
    assert cache.records(SEATS, (1,), tuple) == ((1, 1),)
    cache.before_write("DELETE FROM persons WHERE id = ?")
    connection.execute("DELETE FROM persons WHERE id = ?", (1,))  # deletes the seat too
    assert cache.records(SEATS, (1,), tuple) == ()


def test_a_trigger_that_writes_makes_a_write_forget_everything() -> None:
    connection, cache = _scratch(
        PEOPLE_AND_SEATS
        + "CREATE TRIGGER rename AFTER UPDATE ON bodies BEGIN "
        "UPDATE sessions SET title = 'Preimenovana'; END;"
    )
    assert cache.records(SESSION, (1,), tuple) == ((1, "Prva"),)
    cache.before_write("UPDATE bodies SET name = 'Odbor'")
    connection.execute("UPDATE bodies SET name = 'Odbor'")
    assert cache.records(SESSION, (1,), tuple) == ((1, "Preimenovana"),)


def test_a_trigger_that_only_refuses_reaches_nothing() -> None:
    connection, _ = _scratch(
        PEOPLE_AND_SEATS
        + "CREATE TRIGGER fixed BEFORE UPDATE ON bodies BEGIN SELECT RAISE(ABORT, 'no'); END;"
    )
    reach = write_reach(connection)
    assert reach["bodies"] == {"bodies"}
    assert reach["persons"] == {"persons", "memberships"}


def test_a_trigger_added_by_another_connection_is_learnt_at_the_next_begin(tmp_path: Path) -> None:
    path = tmp_path / "scratch.sqlite3"
    connection = sqlite3.connect(path, isolation_level=None)
    connection.executescript(PEOPLE_AND_SEATS)
    cache = StatementCache(connection)
    cache.began()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute(
        "CREATE TRIGGER rename AFTER UPDATE ON bodies BEGIN "
        "UPDATE sessions SET title = 'Preimenovana'; END"
    )
    other.close()
    connection.execute("BEGIN IMMEDIATE")
    cache.began()
    assert cache.records(SESSION, (1,), tuple) == ((1, "Prva"),)
    cache.before_write("UPDATE bodies SET name = 'Odbor'")
    connection.execute("UPDATE bodies SET name = 'Odbor'")
    assert cache.records(SESSION, (1,), tuple) == ((1, "Preimenovana"),)
    connection.execute("COMMIT")
