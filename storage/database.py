"""The SQLite database: one writer connection, one read-only connection, explicit transactions."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Self

import aiosqlite

from bot.server_keys import ServerKeys

from bot.i18n import N_, Translator
from storage.errors import StorageError
from storage.keyring import KeyRing
from storage.files import owner_only_database, owner_only_file
from storage.migrations import migrate, schema_version
from storage.repositories import Repositories

BUSY_TIMEOUT_MS = 5000


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


class Database:
    """Open with ``await Database.open(path)`` (or ``async with await Database.open(path)``).

    Reads go through ``db.read``, bound to a read-only connection that sees committed data
    only. Every write happens in ``async with db.transaction() as repos:``; inside it, read
    through ``repos`` to see the transaction's own changes.
    """

    def __init__(
        self,
        path: Path,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        ring: KeyRing | None = None,
    ) -> None:
        self._path = path
        self._ring = ring
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()
        self._writing_task: asyncio.Task[object] | None = None
        self._closed = False
        self._read = Repositories(reader, ring)
        self._write = Repositories(writer, ring)

    @classmethod
    async def open(cls, path: str | Path, keys: ServerKeys | None = None) -> Database:
        """Create the folder and file if needed, set the pragmas and apply pending migrations.

        ``keys`` (bot/server_keys.py) seal secret ballots and sign audit entries; without them
        a secret ballot is refused (``ServerKeysMissing``) and audit entries stay unsigned.

        Raises ``DatabaseTooNew`` when the file was written by a newer Sejabot.
        """
        path = Path(path)
        ring = None if keys is None else KeyRing(keys)
        await asyncio.to_thread(owner_only_database, path)
        # isolation_level=None: the module issues no implicit BEGIN; transaction() does.
        writer = await aiosqlite.connect(path, isolation_level=None)
        reader: aiosqlite.Connection | None = None
        try:
            await _configure_writer(writer, path)
            await migrate(writer, path)
            uri = f"{path.resolve().as_uri()}?mode=ro"
            reader = await aiosqlite.connect(uri, uri=True, isolation_level=None)
            await _configure_reader(reader)
        except BaseException:
            if reader is not None:
                await reader.close()
            await writer.close()
            raise
        return cls(path, writer, reader, ring)

    @property
    def path(self) -> Path:
        return self._path

    @property
    def keys(self) -> ServerKeys | None:
        return None if self._ring is None else self._ring.keys

    @property
    def read(self) -> Repositories:
        """Repositories on the read-only connection: committed data, no writes."""
        return self._read

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Repositories]:
        """One writer at a time: BEGIN IMMEDIATE, COMMIT on success, ROLLBACK on any exception."""
        task = asyncio.current_task()
        if task is not None and task is self._writing_task:
            # Waiting for our own lock would hang forever; say so instead.
            raise RuntimeError("transaction() is not re-entrant; use the repositories you have")
        async with self._write_lock:
            if self._closed:
                raise RuntimeError("the database is closed")
            self._writing_task = task
            try:
                try:
                    # Inside the try: a caller cancelled while BEGIN runs on aiosqlite's thread
                    # must not leave the connection in a transaction nobody ends.
                    await self._writer.execute("BEGIN IMMEDIATE")
                    yield self._write
                    await self._writer.execute("COMMIT")
                except BaseException:
                    # rollback() is a no-op when SQLite already ended the transaction (or the
                    # BEGIN failed); queued after the BEGIN, it ends one that did start.
                    await self._writer.rollback()
                    raise
                await self._erase_unsealed_traces()
            finally:
                self._writing_task = None

    async def _erase_unsealed_traces(self) -> None:
        """After a commit that opened the sealed ballots of a closed round: copy the log into
        the database file and truncate it, so no older frame keeps the sealed records in the
        order they were cast (secure_delete has already zeroed them in the file's pages).
        Called with the write lock held; a reader still on an old snapshot only delays it to
        the next such commit or the daily housekeeping."""
        ring = self._ring
        if ring is None or not ring.unsealed_rounds:
            return
        ring.unsealed_rounds = 0
        await self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def backup_to(self, target: str | Path) -> None:
        """A consistent online copy while the bot keeps writing (SQLite's backup API)."""
        await backup_file(self._path, Path(target))

    async def schema_version(self) -> int:
        return await schema_version(self._reader)

    async def pragmas(self) -> dict[str, dict[str, object]]:
        """The settings each connection actually runs with, for diagnostics."""
        names = ("journal_mode", "foreign_keys", "busy_timeout", "synchronous", "query_only")
        result: dict[str, dict[str, object]] = {}
        for label, connection in (("writer", self._writer), ("reader", self._reader)):
            values: dict[str, object] = {}
            for name in names:
                rows = list(await connection.execute_fetchall(f"PRAGMA {name}"))
                values[name] = rows[0][0]
            result[label] = values
        return result

    async def close(self) -> None:
        async with self._write_lock:
            if self._closed:
                return
            self._closed = True
            try:
                await self._reader.close()
                await self._writer.execute("PRAGMA optimize")
            finally:
                await self._writer.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


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
