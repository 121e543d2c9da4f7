"""The engine seam (storage/engine.py): the SQLite adapter names broken constraints with the
project's own errors, and no repository reaches past the seam to a driver."""

from __future__ import annotations

import ast
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from bot.domain.models import Person
from storage import sqlite as sqlite_adapter
from storage.database import Database
from storage.errors import (
    CheckViolation,
    ConstraintViolation,
    DatabaseBusy,
    DuplicateEmail,
    ForeignKeyViolation,
    NotNullViolation,
    UniqueViolation,
)
from storage.sqlite import SqliteConnection
from tests.support.keys import TEST_KEYS

REPOSITORIES = Path(__file__).resolve().parents[2] / "storage" / "repositories"
DRIVERS = frozenset({"sqlite3", "aiosqlite"})

SCHEMA = """
CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE children (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER NOT NULL REFERENCES parents (id),
    age INTEGER NOT NULL CHECK (age >= 0)
);
CREATE TRIGGER parents_kept BEFORE DELETE ON parents
BEGIN
    SELECT RAISE(ABORT, 'parents are kept');
END;
"""


@pytest.fixture
async def statements(tmp_path: Path) -> AsyncIterator[SqliteConnection]:
    connection = await aiosqlite.connect(tmp_path / "seam.sqlite3", isolation_level=None)
    connection.row_factory = sqlite3.Row
    await connection.execute("PRAGMA foreign_keys=ON")
    await connection.executescript(SCHEMA)
    await connection.execute("INSERT INTO parents (id, name) VALUES (1, 'Ana')")
    try:
        yield SqliteConnection(connection)
    finally:
        await connection.close()


async def _violation(statement: object) -> ConstraintViolation:
    with pytest.raises(ConstraintViolation) as raised:
        await statement  # type: ignore[misc]
    error = raised.value
    # The project's error, not the driver's: callers need not know the engine.
    assert not isinstance(error, sqlite3.Error)
    assert isinstance(error.__cause__, sqlite3.IntegrityError)
    return error


async def test_each_kind_of_constraint_is_named_by_the_projects_own_error(
    statements: SqliteConnection,
) -> None:
    add_child = "INSERT INTO children (parent_id, age) VALUES (?, ?)"
    cases = [
        (statements.execute("INSERT INTO parents (name) VALUES (?)", ("Ana",)), UniqueViolation),
        (statements.execute("INSERT INTO parents (id, name) VALUES (1, 'Bor')"), UniqueViolation),
        (statements.execute(add_child, (99, 3)), ForeignKeyViolation),
        (statements.execute(add_child, (1, -1)), CheckViolation),
        (statements.execute(add_child, (1, None)), NotNullViolation),
        (statements.execute("DELETE FROM parents"), ConstraintViolation),  # the trigger
    ]
    for statement, kind in cases:
        assert type(await _violation(statement)) is kind


async def test_violations_are_named_on_every_path_a_statement_takes(
    statements: SqliteConnection,
) -> None:
    returning = "INSERT INTO parents (name) VALUES (?) RETURNING id"
    assert isinstance(await _violation(statements.fetch(returning, ("Ana",))), UniqueViolation)
    many = statements.execute_many(
        "INSERT INTO children (parent_id, age) VALUES (?, ?)", [(1, 2), (1, -5)]
    )
    assert isinstance(await _violation(many), CheckViolation)


async def test_rows_are_read_by_position_or_name_and_writes_count_their_rows(
    statements: SqliteConnection,
) -> None:
    (row,) = await statements.fetch("SELECT id, name FROM parents")
    assert (row[0], row["name"], list(row.keys())) == (1, "Ana", ["id", "name"])
    await statements.execute_many("INSERT INTO parents (name) VALUES (?)", [("Bor",), ("Cene",)])
    assert await statements.execute("UPDATE parents SET name = name || '!' WHERE id > 1") == 2


async def test_a_repository_turns_the_seams_unique_violation_into_its_own_error(
    db: Database,
) -> None:
    async with db.transaction() as repos:
        await repos.persons.add(Person(None, "Ana", "Novak", "ana@example.si"))
    with pytest.raises(DuplicateEmail) as raised:
        async with db.transaction() as repos:
            await repos.persons.add(Person(None, "Ana", "Kovač", "ANA@example.si"))
    assert isinstance(raised.value.__cause__, UniqueViolation)


def driver_imports(source: str) -> set[str]:
    """The database drivers a module's source imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & DRIVERS
    return found


def test_the_import_check_sees_every_form_of_import() -> None:
    assert driver_imports("import sqlite3") == {"sqlite3"}
    assert driver_imports("from aiosqlite import Connection") == {"aiosqlite"}
    assert driver_imports("import os, sqlite3 as db") == {"sqlite3"}
    assert driver_imports("def f():\n    import aiosqlite.core\n") == {"aiosqlite"}
    assert driver_imports("from storage.engine import Row") == set()


def test_no_repository_imports_a_database_driver() -> None:
    modules = sorted(REPOSITORIES.rglob("*.py"))  # the feature rooms' folders too
    assert len(modules) > 30  # the folder is really there
    offending = {
        str(module.relative_to(REPOSITORIES)): imported
        for module in modules
        if (imported := driver_imports(module.read_text(encoding="utf-8")))
    }
    assert offending == {}


async def test_a_writer_kept_waiting_past_the_busy_timeout_gets_the_projects_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holding the write lock longer than SQLite waits: the transaction does
    not begin, and the caller learns it as DatabaseBusy (the CLI turns it into advice)."""
    monkeypatch.setattr(sqlite_adapter, "BUSY_TIMEOUT_MS", 50)
    path = tmp_path / "busy.sqlite3"
    async with await Database.open(path, TEST_KEYS) as db:
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(DatabaseBusy):
                async with db.transaction() as repos:
                    await repos.organisations.get_or_create("Občina Bled")
            other.execute("ROLLBACK")
        finally:
            other.close()
        async with db.transaction() as repos:  # usable again once the other writer is gone
            await repos.organisations.get_or_create("Občina Bled")
