"""What every repository shares: a connection and three ways to run a statement."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import aiosqlite

Params = Sequence[Any]
T = TypeVar("T")


class Repository:
    """Runs SQL on the connection it was given; never begins, commits or rolls back."""

    __slots__ = ("_connection",)

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def _all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return list(await self._connection.execute_fetchall(sql, params))

    async def _one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self._all(sql, params)
        return rows[0] if rows else None

    async def _get(self, sql: str, params: Params, convert: Callable[[sqlite3.Row], T]) -> T | None:
        """The first row as a record (``convert`` must build an immutable one)."""
        records = await self._records(sql, params, convert)
        return records[0] if records else None

    async def _list(self, sql: str, params: Params, convert: Callable[[sqlite3.Row], T]) -> list[T]:
        """Every row as a record (``convert`` must build immutable ones)."""
        return list(await self._records(sql, params, convert))

    async def _records(
        self, sql: str, params: Params, convert: Callable[[sqlite3.Row], T]
    ) -> Sequence[T]:
        # The writer's own connection may remember the records (storage/statement_cache.py).
        remembered = getattr(self._connection, "records", None)
        if remembered is not None:
            return remembered(sql, params, convert)  # type: ignore[no-any-return]
        return [convert(row) for row in await self._connection.execute_fetchall(sql, params)]

    async def _run(self, sql: str, params: Params = ()) -> int:
        """Execute a write; returns the number of rows it changed."""
        async with self._connection.execute(sql, params) as cursor:
            return cursor.rowcount

    async def _run_many(self, sql: str, params: Iterable[Params]) -> None:
        async with self._connection.executemany(sql, params):
            pass


def placeholders(count: int) -> str:
    return ", ".join("?" * count)
