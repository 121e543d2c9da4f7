"""The seam between Sejabot's storage and a database engine.

Repositories speak to ``Statements`` only: SQL with ``?`` placeholders (the one style, whatever
the engine), rows read through ``Row``, and a broken constraint raised as one of the project's
own errors (``storage.errors.ConstraintViolation`` and its kinds), never as a driver's.
``Database`` holds an ``Engine``: two ``Connection``s (a writer and a read-only reader) and the
chores only the engine knows how to do. An adapter (storage/sqlite.py) provides all of it; a
second engine is a second adapter and a folder of its own migrations.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

Params = Sequence[Any]


class Row(Protocol):
    """A result row, read by column position or name (``sqlite3.Row`` and ``asyncpg.Record``
    both are one)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]:
        """The values in column order."""
        ...

    def __len__(self) -> int: ...

    def keys(self) -> Iterable[str]: ...


class Statements(Protocol):
    """A connection as the repositories use it; it never begins, commits or rolls back."""

    async def fetch(self, sql: str, params: Params = ()) -> Sequence[Row]:
        """Every row the statement returns (a write with ``RETURNING`` included)."""
        ...

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run a write; returns the number of rows it changed."""
        ...

    async def execute_many(self, sql: str, params: Iterable[Params]) -> None:
        """Run one write once for each set of parameters."""
        ...


class Connection(Statements, Protocol):
    """A connection ``Database`` holds: its statements, its transactions and its end."""

    async def begin(self) -> None:
        """Start a transaction that will write, waiting for any other writer (in this process
        or another) to finish first."""
        ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None:
        """End the open transaction without keeping anything; nothing if none is open."""
        ...


class Engine(Protocol):
    """What ``Database`` needs from an engine besides its two connections' statements."""

    @property
    def writer(self) -> Connection: ...

    @property
    def reader(self) -> Connection:
        """Sees committed data only; refuses writes."""
        ...

    async def erase_deleted(self) -> None:
        """Leave no copy of rows deleted by the last commit in the engine's own logs (called
        with the write lock held, after a commit that opened sealed ballots)."""
        ...

    async def schema_version(self) -> int: ...

    async def settings(self) -> dict[str, dict[str, object]]:
        """The settings each connection actually runs with, by connection, for diagnostics."""
        ...

    async def backup_to(self, target: Path) -> None:
        """A consistent copy in a file while the bot keeps writing."""
        ...

    async def close(self) -> None: ...
