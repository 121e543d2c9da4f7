"""Rows of read-mostly tables, remembered by the writer's own connection between transactions.

Every incoming event authorises from scratch: the person behind the account, their seats,
the session, its body and rules, the motion, the invitation, the round. Those rows change
rarely, yet each press would read them again. The writer thread keeps the results of such
SELECTs, keyed by statement and parameters, and forgets them all whenever they may be stale:

- any statement of its own that writes to one of these tables (or that it cannot classify);
- a savepoint or transaction rolled back (a result read after an uncommitted write);
- a commit by any other connection, in this process or another (``sejabot`` commands run
  beside the bot): SQLite's ``PRAGMA data_version`` changes, checked at every BEGIN while the
  write lock is held, so nobody can commit between the check and the reads.

Statements that read any other table (votes, buttons, the audit chain) always run.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from enum import Enum, auto
from typing import Any, TypeVar

T = TypeVar("T")

READ_MOSTLY_TABLES = frozenset({
    "persons", "linked_accounts", "memberships", "organisations", "bodies", "sessions",
    "motions", "correspondence_sessions", "correspondence_invitations", "vote_rounds",
})  # fmt: skip
MAX_REMEMBERED = 20_000  # results kept at most; then all are forgotten and it starts afresh

_TABLES_READ = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_]\w*)", re.IGNORECASE)
_TABLE_WRITTEN = re.compile(
    r"^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)"
    r"\s+([A-Za-z_]\w*)",
    re.IGNORECASE,
)


class Effect(Enum):
    REMEMBERED = auto()  # a read of read-mostly tables only: its rows may be kept
    UNTOUCHED = auto()  # reads or writes other tables only: run it, keep nothing
    INVALIDATES = auto()  # writes a read-mostly table, or is not understood: forget all


def effect_of(sql: str) -> Effect:
    written = _TABLE_WRITTEN.match(sql)
    if written is not None:
        return (
            Effect.INVALIDATES
            if written.group(1).lower() in READ_MOSTLY_TABLES
            else Effect.UNTOUCHED
        )
    if sql.lstrip()[:6].upper() != "SELECT":
        return Effect.INVALIDATES  # PRAGMA, DDL, WITH …: rare here, so never trusted
    tables = {name.lower() for name in _TABLES_READ.findall(sql)}
    return Effect.REMEMBERED if tables and tables <= READ_MOSTLY_TABLES else Effect.UNTOUCHED


class StatementCache:
    """Used only on the writer's thread, by the one connection it belongs to."""

    __slots__ = ("_connection", "_data_version", "_effects", "_records", "_rows")

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._effects: dict[str, Effect] = {}
        self._rows: dict[tuple[str, tuple[Any, ...]], list[sqlite3.Row]] = {}
        # The same rows already built into (immutable) records, by the function that builds them.
        self._records: dict[tuple[str, tuple[Any, ...], Callable[..., Any]], tuple[Any, ...]] = {}
        self._data_version: int | None = None

    def effect(self, sql: str) -> Effect:
        try:
            return self._effects[sql]
        except KeyError:
            known = self._effects[sql] = effect_of(sql)
            return known

    def began(self) -> None:
        """Right after BEGIN IMMEDIATE: forget everything if anyone else committed since."""
        (version,) = self._connection.execute("PRAGMA data_version").fetchone()
        if version != self._data_version:
            self._data_version = version
            self.forget()

    def forget(self) -> None:
        self._rows.clear()
        self._records.clear()

    def records(
        self, sql: str, params: Sequence[Any], convert: Callable[[sqlite3.Row], T]
    ) -> tuple[T, ...]:
        if self.effect(sql) is not Effect.REMEMBERED:
            return tuple(convert(row) for row in self.fetchall(sql, params))
        key = (sql, tuple(params), convert)
        try:
            known = self._records.get(key)
        except TypeError:  # an unhashable parameter: simply not kept
            return tuple(convert(row) for row in self._connection.execute(sql, params).fetchall())
        if known is None:
            known = tuple(convert(row) for row in self.fetchall(sql, params))
            if len(self._records) >= MAX_REMEMBERED:
                self._records.clear()
            self._records[key] = known
        return known

    def fetchall(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        effect = self.effect(sql)
        if effect is Effect.REMEMBERED:
            key = (sql, tuple(params))
            try:
                rows = self._rows.get(key)
            except TypeError:  # an unhashable parameter: simply not kept
                return self._connection.execute(sql, params).fetchall()
            if rows is None:
                rows = self._connection.execute(sql, params).fetchall()
                if len(self._rows) >= MAX_REMEMBERED:
                    self._rows.clear()
                self._rows[key] = rows
            return rows
        if effect is Effect.INVALIDATES:
            self.forget()
        return self._connection.execute(sql, params).fetchall()

    def before_write(self, sql: str) -> None:
        if self.effect(sql) is not Effect.UNTOUCHED:
            self.forget()
