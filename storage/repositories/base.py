"""What every repository shares: a connection and the ways to run a statement on it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from storage.engine import Params, Row, Statements
from storage.keyring import KeyRing

T = TypeVar("T")


class Repository:
    """Runs SQL on the connection it was given; never begins, commits or rolls back."""

    __slots__ = ("_connection", "_keys")

    def __init__(self, connection: Statements, keys: KeyRing | None = None) -> None:
        self._connection = connection
        # The server's keys (storage/keyring.py), for the repositories that seal or sign.
        self._keys = keys

    async def _all(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._connection.fetch(sql, params))

    async def _one(self, sql: str, params: Params = ()) -> Row | None:
        for row in await self._connection.fetch(sql, params):
            return row
        return None

    async def _get(self, sql: str, params: Params, convert: Callable[[Row], T]) -> T | None:
        """The first row as a record."""
        row = await self._one(sql, params)
        return None if row is None else convert(row)

    async def _list(self, sql: str, params: Params, convert: Callable[[Row], T]) -> list[T]:
        """Every row as a record."""
        return [convert(row) for row in await self._connection.fetch(sql, params)]

    async def _run(self, sql: str, params: Params = ()) -> int:
        """Execute a write; returns the number of rows it changed."""
        return await self._connection.execute(sql, params)

    async def _run_many(self, sql: str, params: Iterable[Params]) -> None:
        await self._connection.execute_many(sql, params)


def placeholders(count: int) -> str:
    return ", ".join("?" * count)
