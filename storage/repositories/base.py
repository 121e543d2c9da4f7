"""What every repository shares: a connection and three ways to run a statement."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

Params = Sequence[Any]


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

    async def _run(self, sql: str, params: Params = ()) -> int:
        """Execute a write; returns the number of rows it changed."""
        async with self._connection.execute(sql, params) as cursor:
            return cursor.rowcount

    async def _run_many(self, sql: str, params: Iterable[Params]) -> None:
        async with self._connection.executemany(sql, params):
            pass


def placeholders(count: int) -> str:
    return ", ".join("?" * count)
