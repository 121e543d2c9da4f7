"""Migrations: applied once, recorded, idempotent, atomic; newer databases refused."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
import pytest

from bot.domain.audit_chain import EMPTY_HEAD, ChainEntry, ChainHead, next_entry, verify_chain
from storage.database import Database
from storage.migrations import (
    DatabaseTooNew,
    Migration,
    MigrationError,
    _parse_migrations,
    applied_migrations,
    bundled_migrations,
    latest_version,
    migrate,
    schema_version,
)
from tests.support.keys import TEST_KEYS

EXPECTED_TABLES = {
    "schema_version",
    "bodies",
    "organisations",
    "persons",
    "memberships",
    "linked_accounts",
    "invitation_codes",
    "sessions",
    "motions",
    "materials",
    "delivery_confirmations",
    "attendance",
    "vote_rounds",
    "votes",
    "secret_participation",
    "secret_ballots",
    "elections",
    "candidates",
    "election_rounds",
    "election_participation",
    "election_ballots",
    "election_ballot_marks",
    "surveys",
    "survey_responses",
    "survey_answers",
    "processed_updates",
}


async def tables(connection: aiosqlite.Connection) -> set[str]:
    rows = await connection.execute_fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return {row[0] for row in rows}


def test_bundled_migrations_are_numbered_from_one_without_gaps() -> None:
    migrations = bundled_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].name == "initial"
    assert latest_version() == migrations[-1].version
    for migration in migrations:
        assert migration.statements(), migration.name


def test_migration_files_ship_inside_the_package() -> None:
    from importlib import resources

    folder = resources.files("storage.migrations") / "sqlite"
    names = {entry.name for entry in folder.iterdir()}
    assert "0001_initial.sql" in names


def test_inconsistent_migration_sets_are_rejected() -> None:
    with pytest.raises(MigrationError, match="1..2"):
        _parse_migrations([("0001_a.sql", "SELECT 1;"), ("0003_c.sql", "SELECT 1;")])
    with pytest.raises(MigrationError, match="NNNN_name"):
        _parse_migrations([("1_initial.sql", "SELECT 1;")])
    with pytest.raises(MigrationError, match="semicolon"):
        Migration(1, "a", "CREATE TABLE a (x INTEGER)").statements()


def test_statements_split_on_semicolons_outside_strings_and_comments() -> None:
    sql = (
        "-- a comment; with a semicolon\n"
        "CREATE TABLE a (x TEXT DEFAULT ';');\n"
        "INSERT INTO a VALUES ('b;c'); -- trailing\n"
        "-- closing comment\n"
    )
    statements = Migration(1, "a", sql).statements()
    assert len(statements) == 2
    assert statements[0].endswith("CREATE TABLE a (x TEXT DEFAULT ';');")
    assert statements[1].startswith("INSERT INTO a VALUES ('b;c');")


async def test_fresh_database_gets_every_table_and_one_version_row(db: Database, raw) -> None:
    # Later migrations add tables of their own; those of the initial schema must all be there.
    assert EXPECTED_TABLES <= await tables(raw)
    assert await db.schema_version() == latest_version()
    rows = await raw.execute_fetchall("SELECT version, applied_at FROM schema_version")
    assert [row[0] for row in rows] == list(range(1, latest_version() + 1))
    for _, applied_at in rows:
        assert applied_at.endswith("+00:00")
        moment = datetime.fromisoformat(applied_at)
        assert abs((datetime.now(UTC) - moment).total_seconds()) < 60


async def test_reopening_applies_nothing_and_keeps_data(db_path: Path) -> None:
    async with await Database.open(db_path, TEST_KEYS) as db, db.transaction() as repos:
        await repos.organisations.get_or_create("Občina Trzin")
    async with aiosqlite.connect(db_path, isolation_level=None) as connection:
        first = await applied_migrations(connection)
        assert await migrate(connection, db_path) == []
        assert await applied_migrations(connection) == first
    async with await Database.open(db_path, TEST_KEYS) as db:
        assert [o.name for o in await db.read.organisations.list()] == ["Občina Trzin"]
        assert await db.schema_version() == latest_version()
    async with aiosqlite.connect(db_path) as connection:
        assert await applied_migrations(connection) == first


async def test_newer_database_is_refused_with_the_fix_in_the_message(db_path: Path) -> None:
    async with await Database.open(db_path, TEST_KEYS):
        pass
    newer = latest_version() + 1
    async with aiosqlite.connect(db_path, isolation_level=None) as connection:
        await connection.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
            (newer, "2030-01-01T00:00:00.000000+00:00"),
        )
    with pytest.raises(DatabaseTooNew) as caught:
        await Database.open(db_path, TEST_KEYS)
    error = caught.value
    assert (error.found, error.supported) == (newer, latest_version())
    slovenian = str(error)  # Slovenian is the default language
    assert str(db_path) in slovenian
    assert f"različico sheme {newer}" in slovenian
    assert f"do {latest_version()}" in slovenian
    assert "posodobite Sejabot" in slovenian
    english = error.message("en")
    assert str(db_path) in english and str(newer) in english and str(latest_version()) in english
    assert "Upgrade Sejabot" in english
    # Refusing changed nothing.
    async with aiosqlite.connect(db_path) as connection:
        assert await schema_version(connection) == newer


async def test_failing_migration_leaves_the_previous_version_intact(tmp_path: Path) -> None:
    path = tmp_path / "partial.sqlite3"
    migrations = (
        Migration(1, "first", "CREATE TABLE first (id INTEGER PRIMARY KEY);"),
        Migration(
            2,
            "broken",
            "CREATE TABLE second (id INTEGER PRIMARY KEY);\n"
            "INSERT INTO second (id) VALUES (1);\n"
            "INSERT INTO no_such_table VALUES (1);\n",
        ),
    )
    async with aiosqlite.connect(path, isolation_level=None) as connection:
        with pytest.raises(aiosqlite.OperationalError, match="no_such_table"):
            await migrate(connection, path, migrations)
        assert await schema_version(connection) == 1
        assert not connection.in_transaction
        assert await tables(connection) == {"schema_version", "first"}
        fixed = (migrations[0], Migration(2, "fixed", "CREATE TABLE second (id INTEGER);"))
        assert await migrate(connection, path, fixed) == [2]
        assert await migrate(connection, path, fixed) == []
        assert [m.version for m in await applied_migrations(connection)] == [1, 2]


async def test_migration_runs_with_a_given_clock(tmp_path: Path) -> None:
    path = tmp_path / "clock.sqlite3"
    moment = datetime(2020, 11, 9, 9, 30, tzinfo=UTC)
    async with aiosqlite.connect(path, isolation_level=None) as connection:
        await migrate(connection, path, clock=lambda: moment)
        rows = await connection.execute_fetchall("SELECT applied_at FROM schema_version")
    assert {row[0] for row in rows} == {"2020-11-09T09:30:00.000000+00:00"}


async def test_version_8_turns_recorded_secret_choices_into_stems(tmp_path: Path) -> None:
    """Choices a version-7 bot recorded with a secret ballot's choice keep only their stem."""
    path = tmp_path / "v7.sqlite3"
    up_to_7 = tuple(m for m in bundled_migrations() if m.version <= 7)
    up_to_8 = tuple(m for m in bundled_migrations() if m.version <= 8)
    async with aiosqlite.connect(path, isolation_level=None) as connection:
        await connection.execute("PRAGMA foreign_keys=ON")
        await migrate(connection, path, up_to_7)
        statements = [
            ("INSERT INTO bodies (id, slug, name, kind, rule_set) "
            "VALUES (1, 'svet', 'Občinski svet', 'council', 'gornji-grad-2016')"),
            ("INSERT INTO sessions (id, body_id, kind, title, mode, status, created_at) VALUES "
            "(1, 1, 'regular', 'Seja', 'hybrid', 'open', '2026-11-22T08:00:00.000000+00:00')"),
            ("INSERT INTO motions (id, session_id, position, title, resolution, category, "
            "vote_kind, majority) VALUES "
            "(5, 1, 1, 'Javna', 'Sklep', 'general', 'public', 'simple'), "
            "(6, 1, 2, 'Tajna', 'Sklep', 'general', 'secret', 'simple')"),
            ("INSERT INTO sent_messages VALUES "
            "('telegram', '7001', '1', '2026-11-22T08:00:00.000000+00:00'), "
            "('telegram', '7001', '2', '2026-11-22T08:00:00.000000+00:00'), "
            "('telegram', '7001', '3', '2026-11-22T08:00:00.000000+00:00')"),
            ("INSERT INTO sent_message_choices VALUES "
            "('telegram', '7001', '1', 'lvc:5:1:za', TRUE), "
            "('telegram', '7001', '2', 'lvc:6:1:proti', FALSE), ('telegram', '7001', '2', 'lvn:6:1', FALSE), "
            "('telegram', '7001', '3', 'lex:2:1:5', TRUE), ('telegram', '7001', '3', 'lex:2:1:4', FALSE), "
            "('telegram', '7001', '3', 'les:2:1:5', TRUE)"),
        ]  # fmt: skip
        for statement in statements:
            await connection.execute(statement)
        assert await migrate(connection, path, up_to_8) == [8]
        rows = await connection.execute_fetchall(
            "SELECT message_id, payload, withdrawn FROM sent_message_choices "
            "ORDER BY message_id, payload"
        )
    assert [tuple(row) for row in rows] == [
        ("1", "lvc:5:1:za", 1),  # a public vote's confirmation stays as it was
        ("2", "lvc:6:1:*", 0),
        ("2", "lvn:6:1", 0),
        ("3", "les:2:1:*", 1),
        ("3", "lex:2:1:*", 0),  # offered while any of the replaced marks still was
    ]


async def test_version_9_keeps_the_audit_chain_and_its_guards_without_the_hash_index(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v8.sqlite3"
    up_to_8 = tuple(m for m in bundled_migrations() if m.version <= 8)
    async with aiosqlite.connect(path, isolation_level=None) as connection:
        await migrate(connection, path, up_to_8)
        head = EMPTY_HEAD
        written = []
        for number in range(1, 4):
            entry = next_entry(head, f"2026-11-22T08:0{number}:00.000000+00:00", "vote_cast",
                               "motion:5/round:1", f"person:{number}", {"choice": "za"})  # fmt: skip
            await connection.execute(
                "INSERT INTO audit_log (seq, recorded_at, kind, subject, actor, details, "
                "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (entry.seq, entry.recorded_at, entry.kind, entry.subject, entry.actor,
                 entry.details, entry.prev_hash, entry.hash),
            )  # fmt: skip
            written.append(entry)
            head = ChainHead(entry.seq, entry.hash)
        up_to_9 = tuple(m for m in bundled_migrations() if m.version <= 9)
        assert await migrate(connection, path, up_to_9) == [9]
        rows = await connection.execute_fetchall(
            "SELECT seq, recorded_at, kind, subject, actor, details, prev_hash, hash "
            "FROM audit_log ORDER BY seq"
        )
        kept = [ChainEntry(*row) for row in rows]
        indexes = {
            row[1] for row in await connection.execute_fetchall("PRAGMA index_list(audit_log)")
        }
        for refused in (
            "UPDATE audit_log SET actor = 'person:9' WHERE seq = 2",
            "DELETE FROM audit_log WHERE seq = 3",
            (
                "INSERT INTO audit_log (seq, recorded_at, kind, subject, actor, details, prev_hash, hash) VALUES (9, '2026-11-22T09:00:00.000000+00:00', 'vote_cast', "
                f"'motion:5/round:1', 'person:9', '{{}}', '{head.hash}', '{'0' * 64}')"
            ),
        ):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                await connection.execute(refused)
    assert kept == written
    assert verify_chain(kept).intact
    assert indexes == {"audit_log_subject"}


async def test_version_10_keeps_every_ballot_and_makes_backups_of_elections_work(
    tmp_path: Path,
) -> None:
    """Ballots of earlier versions are written again (in random order) with nothing lost, the
    marks' key columns lead, and SQLite 3.40's integrity check, which every backup runs, passes
    after an election (it reported 'NULL value in election_ballot_marks.election_id')."""
    path = tmp_path / "v9.sqlite3"
    up_to_9 = tuple(m for m in bundled_migrations() if m.version <= 9)
    async with aiosqlite.connect(path, isolation_level=None) as connection:
        await connection.execute("PRAGMA foreign_keys=ON")
        await migrate(connection, path, up_to_9)
        statements = [
            ("INSERT INTO bodies (id, slug, name, kind, rule_set) "
            "VALUES (1, 'svet', 'Občinski svet', 'council', 'gornji-grad-2016')"),
            ("INSERT INTO sessions (id, body_id, kind, title, mode, status, created_at) VALUES "
            "(1, 1, 'regular', 'Seja', 'hybrid', 'open', '2026-11-22T08:00:00.000000+00:00')"),
            ("INSERT INTO motions (id, session_id, position, title, resolution, category, "
            "vote_kind, majority) VALUES (6, 1, 1, 'Tajna', 'Sklep', 'general', 'secret', 'simple')"),
            ("INSERT INTO vote_rounds (motion_id, round, vote_kind, opened_at) "
            "VALUES (6, 1, 'secret', '2026-11-22T08:00:00.000000+00:00')"),
            "INSERT INTO secret_ballots VALUES ('AAAA', 6, 1, 'za'), ('BBBB', 6, 1, 'proti')",
            ("INSERT INTO elections (id, session_id, title, posts, vote_kind) "
            "VALUES (2, 1, 'Podžupan', 1, 'secret')"),
            ("INSERT INTO candidates (id, election_id, name, surname) "
            "VALUES (4, 2, 'Ana', 'Kos'), (5, 2, 'Bor', 'Zupan')"),
            ("INSERT INTO election_rounds (election_id, round, opened_at) "
            "VALUES (2, 1, '2026-11-22T08:00:00.000000+00:00')"),
            "INSERT INTO election_ballots VALUES ('CCCC', 2, 1, TRUE), ('DDDD', 2, 1, TRUE)",
            ("INSERT INTO election_ballot_marks (receipt, election_id, candidate_id) "
            "VALUES ('CCCC', 2, 4), ('DDDD', 2, 5)"),
        ]  # fmt: skip
        for statement in statements:
            await connection.execute(statement)
        assert (await connection.execute_fetchall("PRAGMA integrity_check"))[0][0] != "ok"
        assert await migrate(connection, path) == list(range(10, latest_version() + 1))
        secret = await connection.execute_fetchall("SELECT * FROM secret_ballots ORDER BY receipt")
        ballots = await connection.execute_fetchall(
            "SELECT * FROM election_ballots ORDER BY receipt"
        )
        marks = await connection.execute_fetchall(
            "SELECT receipt, election_id, candidate_id FROM election_ballot_marks ORDER BY receipt"
        )
        integrity = await connection.execute_fetchall("PRAGMA integrity_check")
        foreign = await connection.execute_fetchall("PRAGMA foreign_key_check")
    assert [tuple(r) for r in secret] == [("AAAA", 6, 1, "za"), ("BBBB", 6, 1, "proti")]
    assert [tuple(r) for r in ballots] == [("CCCC", 2, 1, 1), ("DDDD", 2, 1, 1)]
    assert [tuple(r) for r in marks] == [("CCCC", 2, 4), ("DDDD", 2, 5)]
    assert [tuple(r) for r in integrity] == [("ok",)] and list(foreign) == []
    async with await Database.open(path, TEST_KEYS) as db:
        await db.backup_to(tmp_path / "backup.sqlite3")  # runs the integrity check itself
