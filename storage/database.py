"""The database: repositories on a read-only connection, and one transaction at a time on the
writer, through an engine's adapter (storage/engine.py; SQLite: storage/sqlite.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Self

from bot.server_keys import ServerKeys
from storage.engine import Engine
from storage.keyring import KeyRing
from storage.repositories import Repositories
from storage.sqlite import SqliteEngine


class Database:
    """Open with ``await Database.open(path)`` (or ``async with await Database.open(path)``).

    Reads go through ``db.read``, bound to a read-only connection that sees committed data
    only. Every write happens in ``async with db.transaction() as repos:``; inside it, read
    through ``repos`` to see the transaction's own changes.
    """

    def __init__(self, path: Path, engine: Engine, ring: KeyRing | None = None) -> None:
        self._path = path
        self._engine = engine
        self._ring = ring
        self._write_lock = asyncio.Lock()
        self._writing_task: asyncio.Task[object] | None = None
        self._closed = False
        self._read = Repositories(engine.reader, ring)
        self._write = Repositories(engine.writer, ring)

    @classmethod
    async def open(cls, path: str | Path, keys: ServerKeys | None = None) -> Database:
        """Create the folder and file if needed, set the pragmas and apply pending migrations.

        ``keys`` (bot/server_keys.py) seal secret ballots and sign audit entries; without them
        a secret ballot is refused (``ServerKeysMissing``) and audit entries stay unsigned.

        Raises ``DatabaseTooNew`` when the file was written by a newer Sejabot.
        """
        path = Path(path)
        ring = None if keys is None else KeyRing(keys)
        return cls(path, await SqliteEngine.open(path), ring)

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
        """One writer at a time: BEGIN, COMMIT on success, ROLLBACK on any exception."""
        task = asyncio.current_task()
        if task is not None and task is self._writing_task:
            # Waiting for our own lock would hang forever; say so instead.
            raise RuntimeError("transaction() is not re-entrant; use the repositories you have")
        writer = self._engine.writer
        async with self._write_lock:
            if self._closed:
                raise RuntimeError("the database is closed")
            self._writing_task = task
            try:
                try:
                    # Inside the try: a caller cancelled while BEGIN runs on the driver's thread
                    # must not leave the connection in a transaction nobody ends.
                    await writer.begin()
                    yield self._write
                    await writer.commit()
                except BaseException:
                    # A no-op when the engine already ended the transaction (or BEGIN failed);
                    # queued after the BEGIN, it ends one that did start.
                    await writer.rollback()
                    raise
                await self._erase_unsealed_traces()
            finally:
                self._writing_task = None

    async def _erase_unsealed_traces(self) -> None:
        """After a commit that opened the sealed ballots of a closed round: no copy of the
        sealed records, in the order they were cast, may stay in the engine's log. Called with
        the write lock held; a reader still on an old snapshot only delays it to the next such
        commit or the daily housekeeping."""
        ring = self._ring
        if ring is None or not ring.unsealed_rounds:
            return
        ring.unsealed_rounds = 0
        await self._engine.erase_deleted()

    async def backup_to(self, target: str | Path) -> None:
        """A consistent online copy while the bot keeps writing."""
        await self._engine.backup_to(Path(target))

    async def schema_version(self) -> int:
        return await self._engine.schema_version()

    async def settings(self) -> dict[str, dict[str, object]]:
        """The settings each connection actually runs with, for diagnostics."""
        return await self._engine.settings()

    async def close(self) -> None:
        async with self._write_lock:
            if self._closed:
                return
            self._closed = True
            await self._engine.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
