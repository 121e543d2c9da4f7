"""What every repository shares: a connection and the ways to run a statement on it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

import aiosqlite

from storage.keyring import KeyRing

Params = Sequence[Any]
T = TypeVar("T")


class PlainStatements(Protocol):
    """A connection that runs statements as plain calls on its own thread, and may remember
    the rows of read-mostly tables (storage/direct_writer.py, storage/statement_cache.py)."""

    runs_directly: bool

    def rows(self, sql: str, params: Params) -> list[sqlite3.Row]: ...

    def records(self, sql: str, params: Params, convert: Callable[[sqlite3.Row], T]) -> Sequence[T]: ...

    def changed(self, sql: str, params: Params) -> int: ...

    def changed_many(self, sql: str, params: Iterable[Params]) -> None: ...


class Repository:
    """Runs SQL on the connection it was given; never begins, commits or rolls back."""

    __slots__ = ("_connection", "_keys", "_plain")

    def __init__(self, connection: aiosqlite.Connection, keys: KeyRing | None = None) -> None:
        self._connection = connection
        # The server's keys (storage/keyring.py), for the repositories that seal or sign.
        self._keys = keys
        # The writer's own connection: each statement a plain call, no await per statement.
        self._plain: PlainStatements | None = (
            connection if getattr(connection, "runs_directly", False) else None  # type: ignore[assignment]
        )

    async def _all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        if self._plain is not None:
            return list(self._plain.rows(sql, params))  # a copy: the rows may be remembered
        return list(await self._connection.execute_fetchall(sql, params))

    async def _one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        plain = self._plain
        rows = (
            plain.rows(sql, params)
            if plain is not None
            else await self._connection.execute_fetchall(sql, params)
        )
        for row in rows:
            return row
        return None

    async def _get(self, sql: str, params: Params, convert: Callable[[sqlite3.Row], T]) -> T | None:
        """The first row as a record (``convert`` must build an immutable one)."""
        plain = self._plain
        if plain is not None:
            records = plain.records(sql, params, convert)
            return records[0] if records else None
        for row in await self._connection.execute_fetchall(sql, params):
            return convert(row)
        return None

    async def _list(self, sql: str, params: Params, convert: Callable[[sqlite3.Row], T]) -> list[T]:
        """Every row as a record (``convert`` must build immutable ones)."""
        if self._plain is not None:
            return list(self._plain.records(sql, params, convert))
        return [convert(row) for row in await self._connection.execute_fetchall(sql, params)]

    async def _run(self, sql: str, params: Params = ()) -> int:
        """Execute a write; returns the number of rows it changed."""
        if self._plain is not None:
            return self._plain.changed(sql, params)
        async with self._connection.execute(sql, params) as cursor:
            return cursor.rowcount

    async def _run_many(self, sql: str, params: Iterable[Params]) -> None:
        if self._plain is not None:
            self._plain.changed_many(sql, params)
            return
        async with self._connection.executemany(sql, params):
            pass


def placeholders(count: int) -> str:
    return ", ".join("?" * count)
