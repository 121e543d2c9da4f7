"""The SQLite engine (storage/engine.py) through aiosqlite: one file, a writer connection and a
read-only one, the pragmas a vote relies on, SQLite's constraint errors named as the project's.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import aiosqlite

from bot.i18n import N_, Translator
from storage.engine import Params, Row
from storage.errors import (
    CheckViolation,
    ConstraintViolation,
    DatabaseBusy,
    DatabaseUnavailable,
    ForeignKeyViolation,
    NotNullViolation,
    StorageError,
    UniqueViolation,
)
from storage.files import owner_only_database, owner_only_file
from storage.migrations import migrate, schema_version

BUSY_TIMEOUT_MS = 5000
SETTINGS = ("journal_mode", "foreign_keys", "busy_timeout", "synchronous", "secure_delete",
            "query_only")  # fmt: skip

_VIOLATIONS: dict[int, type[ConstraintViolation]] = {
    sqlite3.SQLITE_CONSTRAINT_UNIQUE: UniqueViolation,
    sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY: UniqueViolation,
    sqlite3.SQLITE_CONSTRAINT_ROWID: UniqueViolation,
    sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY: ForeignKeyViolation,
    sqlite3.SQLITE_CONSTRAINT_CHECK: CheckViolation,
    sqlite3.SQLITE_CONSTRAINT_NOTNULL: NotNullViolation,
}


_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def _is_busy(error: sqlite3.Error) -> bool:
    # The primary code (low byte) of the extended one: BUSY_SNAPSHOT, BUSY_TIMEOUT...
    return getattr(error, "sqlite_errorcode", 0) & 0xFF in _BUSY


def _unavailable(path: Path, error: sqlite3.Error) -> StorageError:
    """Opening failed: busy (another writer migrating or writing) or not openable at all."""
    if _is_busy(error):
        return DatabaseBusy(f"{path}: {error}")
    return DatabaseUnavailable(f"{path}: {error}")


def constraint_violation(error: sqlite3.IntegrityError) -> ConstraintViolation:
    """SQLite's error as the project's, with SQLite's message (it names the constraint)."""
    kind = _VIOLATIONS.get(getattr(error, "sqlite_errorcode", -1), ConstraintViolation)
    return kind(str(error))


class WalUnavailable(StorageError):
    """SQLite refused write-ahead logging, which concurrent readers and the writer rely on."""

    MESSAGE = N_(
        "The database {path} cannot use write-ahead logging (its journal mode stays {mode}). "
        "Keep the database on a local file system."
    )

    def __init__(self, path: Path, mode: str) -> None:
        self.path = str(path)
        self.mode = mode
        super().__init__(self.message())

    def message(self, language: str | None = None) -> str:
        return Translator(language)(self.MESSAGE, path=self.path, mode=self.mode)


class SqliteConnection:
    """An aiosqlite connection as ``storage.engine.Connection``."""

    __slots__ = ("_connection",)

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def fetch(self, sql: str, params: Params = ()) -> Sequence[Row]:
        try:
            return list(await self._connection.execute_fetchall(sql, params))
        except sqlite3.IntegrityError as error:
            raise constraint_violation(error) from error

    async def execute(self, sql: str, params: Params = ()) -> int:
        try:
            async with self._connection.execute(sql, params) as cursor:
                return cursor.rowcount
        except sqlite3.IntegrityError as error:
            raise constraint_violation(error) from error

    async def execute_many(self, sql: str, params: Iterable[Params]) -> None:
        try:
            async with self._connection.executemany(sql, params):
                pass
        except sqlite3.IntegrityError as error:
            raise constraint_violation(error) from error

    async def begin(self) -> None:
        # IMMEDIATE takes the file's write lock now, so other processes wait (busy_timeout)
        # instead of failing at the first write.
        try:
            await self._connection.execute_fetchall("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if _is_busy(error):
                raise DatabaseBusy(str(error)) from error
            raise

    async def commit(self) -> None:
        await self.fetch("COMMIT")

    async def rollback(self) -> None:
        await self._connection.rollback()  # sqlite3 does nothing when no transaction is open


class SqliteEngine:
    """A database file opened as ``storage.engine.Engine``; ``open`` applies the migrations."""

    def __init__(
        self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection
    ) -> None:
        self._path = path
        self._raw_writer = writer
        self._raw_reader = reader
        self._writer = SqliteConnection(writer)
        self._reader = SqliteConnection(reader)

    @classmethod
    async def open(cls, path: Path) -> SqliteEngine:
        """Create the folder and file if needed (owner only), set the pragmas and apply pending
        migrations. Raises ``DatabaseTooNew`` when the file was written by a newer Sejabot."""
        await asyncio.to_thread(owner_only_database, path)
        try:
            # isolation_level=None: the module issues no implicit BEGIN; Database says when.
            writer = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as error:
            raise _unavailable(path, error) from error
        reader: aiosqlite.Connection | None = None
        try:
            await _configure_writer(writer, path)
            await migrate(writer, path)
            uri = f"{path.resolve().as_uri()}?mode=ro"
            reader = await aiosqlite.connect(uri, uri=True, isolation_level=None)
            await _configure_reader(reader)
        except BaseException as error:
            if reader is not None:
                await reader.close()
            await writer.close()
            if isinstance(error, sqlite3.Error):
                raise _unavailable(path, error) from error
            raise
        return cls(path, writer, reader)

    @property
    def writer(self) -> SqliteConnection:
        return self._writer

    @property
    def reader(self) -> SqliteConnection:
        return self._reader

    async def erase_deleted(self) -> None:
        """Copy the write-ahead log into the database file and truncate it, so no older frame
        keeps deleted rows (secure_delete has already zeroed them in the file's pages). A
        reader still on an old snapshot only delays it to the next call."""
        await self._raw_writer.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)")

    async def schema_version(self) -> int:
        return await schema_version(self._raw_reader)

    async def settings(self) -> dict[str, dict[str, object]]:
        result: dict[str, dict[str, object]] = {}
        for label, connection in (("writer", self._raw_writer), ("reader", self._raw_reader)):
            values: dict[str, object] = {}
            for name in SETTINGS:
                rows = list(await connection.execute_fetchall(f"PRAGMA {name}"))
                values[name] = rows[0][0]
            result[label] = values
        return result

    async def backup_to(self, target: Path) -> None:
        await backup_file(self._path, target)

    async def close(self) -> None:
        try:
            await self._raw_reader.close()
            await self._raw_writer.execute_fetchall("PRAGMA optimize")
        finally:
            await self._raw_writer.close()


async def _configure_writer(connection: aiosqlite.Connection, path: Path) -> None:
    connection.row_factory = sqlite3.Row
    rows = list(await connection.execute_fetchall("PRAGMA journal_mode=WAL"))
    mode = str(rows[0][0]).lower()
    if mode != "wal":
        raise WalUnavailable(path, mode)
    await connection.execute("PRAGMA foreign_keys=ON")
    await connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # FULL: a commit is on disk before the member is told "recorded", even across a power
    # cut (NORMAL in WAL mode only survives a crash of the process).
    await connection.execute("PRAGMA synchronous=FULL")
    await connection.execute("PRAGMA secure_delete=ON")  # deleted sealed ballots leave zeros


async def _configure_reader(connection: aiosqlite.Connection) -> None:
    connection.row_factory = sqlite3.Row
    await connection.execute("PRAGMA foreign_keys=ON")
    await connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


async def backup_file(source: Path, target: Path) -> None:
    """Copy a live database file consistently; safe while another process writes to it."""

    def copy() -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        owner_only_file(partial)
        try:
            with contextlib.closing(
                sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
            ) as src:
                src.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                with contextlib.closing(sqlite3.connect(partial)) as dst:
                    src.backup(dst)
                    (result,) = dst.execute("PRAGMA integrity_check").fetchone()
                    if result != "ok":
                        raise StorageError(
                            f"backup of {source} failed its integrity check: {result}"
                        )
            partial.replace(target)  # never leave a half-written file under the final name
        except BaseException:
            partial.unlink(missing_ok=True)  # a failed copy leaves nothing behind
            raise

    await asyncio.to_thread(copy)
