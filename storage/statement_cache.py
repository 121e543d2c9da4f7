"""Rows of read-mostly tables, remembered by the writer's own connection between transactions.

Every incoming event authorises from scratch: the person behind the account, their seats,
the session, its body and rules, the motion, the invitation, the round. Those rows change
rarely, yet each press would read them again. The writer thread keeps the results of such
SELECTs, keyed by statement and parameters, and forgets them whenever they may be stale:

- a statement of its own that writes to one of these tables: the results read from that table,
  and from any table a write there reaches through a foreign key's cascade, are forgotten (a
  table with a trigger, or a statement it cannot classify, forgets everything);
- a savepoint or transaction rolled back (a result read after an uncommitted write): all;
- a commit by any other connection, in this process or another (``sejabot`` commands run
  beside the bot): SQLite's ``PRAGMA data_version`` changes, checked at every BEGIN while the
  write lock is held, so nobody can commit between the check and the reads: all.

Statements that read any other table (votes, buttons, the audit chain) always run.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum, auto
from typing import Any, TypeVar

T = TypeVar("T")

READ_MOSTLY_TABLES = frozenset({
    "persons", "linked_accounts", "memberships", "organisations", "bodies", "sessions",
    "motions", "correspondence_sessions", "correspondence_invitations", "correspondence_messages",
    "vote_rounds",
})  # fmt: skip
MAX_REMEMBERED = 20_000  # results kept at most; then all are forgotten and it starts afresh
EVERY_TABLE = frozenset({"*"})  # what a write reaches when it cannot be bounded

_TABLES_READ = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_]\w*)", re.IGNORECASE)
_TABLE_WRITTEN = re.compile(
    r"^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)"
    r"\s+([A-Za-z_]\w*)",
    re.IGNORECASE,
)


class Effect(Enum):
    REMEMBERED = auto()  # a read of read-mostly tables only: its rows may be kept
    UNTOUCHED = auto()  # reads or writes other tables only: run it, keep nothing
    INVALIDATES = auto()  # writes a table, or is not understood: forget what it may change


@dataclass(frozen=True, slots=True)
class Statement:
    effect: Effect
    tables: frozenset[str]  # read (REMEMBERED) or written (INVALIDATES; empty: not understood)


def classify(sql: str) -> Statement:
    written = _TABLE_WRITTEN.match(sql)
    if written is not None:
        return Statement(Effect.INVALIDATES, frozenset({written.group(1).lower()}))
    if sql.lstrip()[:6].upper() != "SELECT":
        return Statement(Effect.INVALIDATES, frozenset())  # PRAGMA, DDL, WITH …: never trusted
    tables = frozenset(name.lower() for name in _TABLES_READ.findall(sql))
    if tables and tables <= READ_MOSTLY_TABLES:
        return Statement(Effect.REMEMBERED, tables)
    return Statement(Effect.UNTOUCHED, tables)


def effect_of(sql: str) -> Effect:
    """What running ``sql`` means for remembered rows, whatever the schema."""
    statement = classify(sql)
    if statement.effect is Effect.INVALIDATES and statement.tables - READ_MOSTLY_TABLES:
        return Effect.UNTOUCHED  # a write to another table, if nothing reaches further
    return statement.effect


_WRITES_IN_BODY = re.compile(r"\b(?:INSERT|REPLACE|UPDATE|DELETE)\b", re.IGNORECASE)
_FOREIGN_KEY_ACTIONS = frozenset({"CASCADE", "SET NULL", "SET DEFAULT"})


def write_reach(connection: sqlite3.Connection) -> dict[str, frozenset[str]]:
    """For each table, the tables a write to it may change: itself and those its foreign keys'
    actions reach (CASCADE, SET NULL, SET DEFAULT); ``EVERY_TABLE`` where a trigger on the
    way writes (a trigger that only refuses, as the audit log's, writes nothing)."""
    table_rows = connection.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    tables = [str(name).lower() for (name,) in table_rows]
    trigger_rows = connection.execute(
        "SELECT tbl_name, sql FROM sqlite_schema WHERE type = 'trigger'"
    )
    writing_triggers = {
        str(table).lower()
        for table, sql in trigger_rows
        if _WRITES_IN_BODY.search(re.split(r"\bBEGIN\b", sql, maxsplit=1, flags=re.IGNORECASE)[-1])
    }
    children: dict[str, set[str]] = {}
    for child in tables:
        for parent, on_update, on_delete in connection.execute(
            'SELECT "table", on_update, on_delete FROM pragma_foreign_key_list(?)', (child,)
        ):
            if {on_update, on_delete} & _FOREIGN_KEY_ACTIONS:
                children.setdefault(str(parent).lower(), set()).add(child)
    reach: dict[str, frozenset[str]] = {}
    for table in tables:
        seen, todo = {table}, [table]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        reach[table] = EVERY_TABLE if seen & writing_triggers else frozenset(seen)
    return reach


class StatementCache:
    """Used only on the writer's thread, by the one connection it belongs to."""

    __slots__ = (
        "_connection",
        "_count",
        "_data_version",
        "_reach",
        "_readers",
        "_records",
        "_rows",
        "_schema_version",
        "_statements",
    )  # fmt: skip

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._reach: dict[str, frozenset[str]] = {}  # learnt at the first BEGIN
        self._statements: dict[str, Statement] = {}
        # Remembered results by statement, then by parameters (and, for records, by the
        # function that built the immutable records from the rows).
        self._rows: dict[str, dict[tuple[Any, ...], list[sqlite3.Row]]] = {}
        self._records: dict[str, dict[tuple[Any, ...], tuple[Any, ...]]] = {}
        self._readers: dict[str, set[str]] = {}  # table -> statements remembered that read it
        self._count = 0
        self._data_version: int | None = None
        self._schema_version: int | None = None

    def statement(self, sql: str) -> Statement:
        try:
            return self._statements[sql]
        except KeyError:
            known = self._statements[sql] = classify(sql)
            if known.effect is Effect.REMEMBERED:
                for table in known.tables:
                    self._readers.setdefault(table, set()).add(sql)
            return known

    def began(self) -> None:
        """Right after BEGIN IMMEDIATE: forget everything if anyone else committed since (and
        learn the schema again if that changed it)."""
        (version,) = self._connection.execute("PRAGMA data_version").fetchone()
        if version != self._data_version:
            self._data_version = version
            self.forget()
            (schema,) = self._connection.execute("PRAGMA schema_version").fetchone()
            if schema != self._schema_version:
                self._schema_version = schema
                self._reach = write_reach(self._connection)

    def forget(self) -> None:
        self._rows.clear()
        self._records.clear()
        self._count = 0

    def _forget_written(self, statement: Statement) -> None:
        if not statement.tables:  # PRAGMA, DDL …: forget all, and read the schema at next BEGIN
            self.forget()
            self._data_version = self._schema_version = None
            return
        (table,) = statement.tables
        reach = self._reach.get(table, EVERY_TABLE)  # a table made since start: unknown
        if reach is EVERY_TABLE:
            self.forget()
            return
        for written in reach:
            for sql in self._readers.get(written, ()):
                self._count -= len(self._rows.pop(sql, ())) + len(self._records.pop(sql, ()))

    def _room(self) -> None:
        if self._count >= MAX_REMEMBERED:
            self.forget()
        self._count += 1

    def records(
        self, sql: str, params: Sequence[Any], convert: Callable[[sqlite3.Row], T]
    ) -> tuple[T, ...]:
        key = (tuple(params), convert)
        kept = self._records.get(sql)  # only remembered statements have an entry
        try:
            known = kept.get(key) if kept is not None else None
        except TypeError:  # an unhashable parameter: simply not kept
            return tuple(convert(row) for row in self._connection.execute(sql, params).fetchall())
        if known is not None:
            return known
        if self.statement(sql).effect is not Effect.REMEMBERED:
            return tuple(convert(row) for row in self.fetchall(sql, params))
        # Kept as records only: the rows themselves are not needed again.
        known = tuple(convert(row) for row in self._connection.execute(sql, params).fetchall())
        self._room()
        self._records.setdefault(sql, {})[key] = known
        return known

    def fetchall(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        statement = self.statement(sql)
        if statement.effect is Effect.REMEMBERED:
            key = tuple(params)
            kept = self._rows.get(sql)
            try:
                rows = kept.get(key) if kept is not None else None
            except TypeError:  # an unhashable parameter: simply not kept
                return self._connection.execute(sql, params).fetchall()
            if rows is None:
                rows = self._connection.execute(sql, params).fetchall()
                self._room()
                self._rows.setdefault(sql, {})[key] = rows
            return rows
        if statement.effect is Effect.INVALIDATES:
            self._forget_written(statement)
        return self._connection.execute(sql, params).fetchall()

    def before_write(self, sql: str) -> None:
        statement = self.statement(sql)
        if statement.effect is Effect.INVALIDATES:
            self._forget_written(statement)
        elif statement.effect is Effect.REMEMBERED:
            self.forget()  # a read-only statement run as a write: not expected, so be safe
