"""Numbered schema migrations and the ``schema_version`` table.

Migrations are the SQL files ``NNNN_name.sql`` in the engine's folder beside this module
(``sqlite/``), shipped as package data.
Each one runs in its own transaction together with the row it adds to ``schema_version``
(version, applied_at), so a database is always at exactly one version: a failing migration
leaves the previous version intact. A database written by a newer Sejabot is refused rather
than half understood.
"""

from __future__ import annotations

import asyncio
import functools
import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

import aiosqlite

from bot.i18n import N_, Translator
from storage.columns import now_utc, parse_utc, utc_text
from storage.errors import StorageError
from storage.records import AppliedMigration

ENGINE_FOLDER = "sqlite"  # the engine whose migrations this runner applies
FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")

VERSION_TABLE_DDL = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
)


class MigrationError(StorageError):
    """The shipped migration files are inconsistent, or one of them failed."""


class DatabaseTooNew(StorageError):
    """The database was written by a newer Sejabot than the one trying to open it."""

    MESSAGE = N_(
        "The database {path} has schema version {found}, but this version of Sejabot "
        "understands schema versions up to {supported}. Upgrade Sejabot to open it."
    )

    def __init__(self, path: str | Path, found: int, supported: int) -> None:
        self.path = str(path)
        self.found = found
        self.supported = supported
        super().__init__(self.message())

    def message(self, language: str | None = None) -> str:
        return Translator(language)(
            self.MESSAGE, path=self.path, found=self.found, supported=self.supported
        )


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        """The file split into complete statements (semicolons in strings and comments kept)."""
        statements: list[str] = []
        pending = ""
        for line in self.sql.splitlines(keepends=True):
            pending += line
            if sqlite3.complete_statement(pending):
                statements.append(pending.strip())
                pending = ""
        leftover = [
            text
            for text in (line.strip() for line in pending.splitlines())
            if text and not text.startswith("--")
        ]
        if leftover:
            raise MigrationError(
                f"migration {self.version:04d}_{self.name}: statement without final semicolon"
            )
        return statements


def _parse_migrations(files: Sequence[tuple[str, str]]) -> tuple[Migration, ...]:
    migrations = []
    for file_name, sql in files:
        match = FILE_NAME.match(file_name)
        if match is None:
            raise MigrationError(f"migration file name {file_name!r} is not NNNN_name.sql")
        migrations.append(Migration(int(match["version"]), match["name"], sql))
    migrations.sort(key=lambda m: m.version)
    expected = list(range(1, len(migrations) + 1))
    if [m.version for m in migrations] != expected:
        found = [m.version for m in migrations]
        raise MigrationError(f"migration versions must be 1..{len(expected)}, found {found}")
    return tuple(migrations)


@functools.cache
def bundled_migrations() -> tuple[Migration, ...]:
    """The migrations shipped with this version of Sejabot, in order."""
    package = resources.files(__name__) / ENGINE_FOLDER
    files = [
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in package.iterdir()
        if entry.name.endswith(".sql")
    ]
    return _parse_migrations(files)


def latest_version(migrations: Sequence[Migration] | None = None) -> int:
    chosen = bundled_migrations() if migrations is None else migrations
    return chosen[-1].version if chosen else 0


async def schema_version(connection: aiosqlite.Connection) -> int:
    """The highest applied version; 0 for a database that has never been migrated."""
    rows = await connection.execute_fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    )
    if not rows:
        return 0
    rows = list(await connection.execute_fetchall("SELECT MAX(version) FROM schema_version"))
    return int(rows[0][0] or 0)


async def applied_migrations(connection: aiosqlite.Connection) -> list[AppliedMigration]:
    if await schema_version(connection) == 0:
        return []
    rows = await connection.execute_fetchall(
        "SELECT version, applied_at FROM schema_version ORDER BY version"
    )
    return [AppliedMigration(int(row[0]), parse_utc(row[1])) for row in rows]


async def migrate(
    connection: aiosqlite.Connection,
    path: str | Path,
    migrations: Sequence[Migration] | None = None,
    clock: Callable[[], datetime] = now_utc,
) -> list[int]:
    """Bring the database at ``path`` up to the newest version; returns the versions applied.

    ``connection`` must be in autocommit mode (isolation_level=None): transactions are explicit.
    """
    if migrations is None:
        migrations = await asyncio.to_thread(bundled_migrations)
    supported = latest_version(migrations)
    found = await schema_version(connection)
    if found > supported:
        raise DatabaseTooNew(path, found, supported)

    applied: list[int] = []
    for migration in migrations:
        if migration.version <= found:
            continue
        if await _apply(connection, path, migration, supported, clock()):
            applied.append(migration.version)
        found = migration.version
    return applied


async def _apply(
    connection: aiosqlite.Connection,
    path: str | Path,
    migration: Migration,
    supported: int,
    applied_at: datetime,
) -> bool:
    # BEGIN IMMEDIATE takes the write lock before reading the version, so two processes
    # opening the same file never apply the same migration twice.
    await connection.execute("BEGIN IMMEDIATE")
    try:
        await connection.execute(VERSION_TABLE_DDL)
        current = await schema_version(connection)
        if current > supported:
            raise DatabaseTooNew(path, current, supported)
        if current >= migration.version:
            await connection.execute("COMMIT")
            return False
        for statement in migration.statements():
            await connection.execute(statement)
        violations = list(await connection.execute_fetchall("PRAGMA foreign_key_check"))
        if violations:
            raise MigrationError(
                f"migration {migration.version:04d}_{migration.name} leaves "
                f"{len(violations)} foreign key violations"
            )
        await connection.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
            (migration.version, utc_text(applied_at)),
        )
        await connection.execute("COMMIT")
    except BaseException:
        await connection.rollback()
        raise
    return True
