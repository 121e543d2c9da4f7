"""Whole transactions on a thread of their own, for the busiest path (one incoming event).

Through aiosqlite every statement is a round trip between the event loop and the
connection's thread; an event that runs thirty statements pays thirty of them. Here the
transaction's whole body runs on the writer's own thread and event loop, next to its own
connection, so each statement is a plain call and the caller's loop waits once per
transaction. The body is ordinary async code using the same repositories; it must not touch
objects bound to the caller's loop (transports, the messenger): handlers collect their replies
and send them after the commit, on the caller's loop, as they always do.

Bodies that arrive while a transaction runs are run together in the next one (group commit):
a burst of events costs one trip to the thread and one commit. They run one after another
without savepoints, which would make SQLite copy every page each body touches; if one fails,
the transaction is rolled back and the others are run again, each in a savepoint of its own,
so the failing body is rolled back alone. A body may thus run twice: it must do nothing but
read and write through its repositories and build its result (``Database.run_transaction``).
A body that never suspends (repository calls here never do) is run as a plain call, without a
task of its own; one that does wait on something finishes as a task of the writer's loop.
Rows of read-mostly tables are remembered between transactions (storage/statement_cache.py).

The connection is a second writer connection to the same file; ``Database`` holds its one
write lock around both, so only one transaction writes at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
import threading
from collections.abc import Callable, Coroutine, Generator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from storage.keyring import KeyRing
from storage.repositories import Repositories
from storage.repositories.base import Params
from storage.statement_cache import StatementCache

T = TypeVar("T")


class DirectStatements:
    """The writer's own connection as the repositories see it (``PlainStatements`` of
    storage/repositories/base.py): plain calls on the thread that owns ``connection``,
    through the statement cache; nothing here ever suspends."""

    __slots__ = ("_cache", "_connection")
    runs_directly = True

    def __init__(self, connection: sqlite3.Connection, cache: StatementCache) -> None:
        self._connection = connection
        self._cache = cache

    def rows(self, sql: str, params: Params) -> list[sqlite3.Row]:
        return self._cache.fetchall(sql, params)

    def records(self, sql: str, params: Params, convert: Callable[[sqlite3.Row], T]) -> Sequence[T]:
        return self._cache.records(sql, params, convert)

    def changed(self, sql: str, params: Params) -> int:
        self._cache.before_write(sql)
        cursor = self._connection.execute(sql, params)
        try:
            return cursor.rowcount
        finally:
            cursor.close()

    def changed_many(self, sql: str, params: Iterable[Params]) -> None:
        self._cache.before_write(sql)
        self._connection.executemany(sql, params).close()


@dataclass(eq=False)
class Unit:
    """One caller's transaction body; its task and flags live on the writer's loop."""

    body: Callable[[Repositories], Coroutine[Any, Any, Any]]
    task: asyncio.Task[Any] | None = None
    abandoned: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    value: Any = None
    error: BaseException | None = None
    cancelled: bool = False

    @classmethod
    def of(cls, done: asyncio.Task[Any]) -> Outcome:
        """What a finished task came to (read on the loop it ran on)."""
        if done.cancelled():
            return cls(cancelled=True)
        error = done.exception()
        return cls(error=error) if error is not None else cls(value=done.result())

    def settle(self, future: asyncio.Future[Any]) -> None:
        if future.done():
            return
        if self.cancelled:
            future.cancel()
        elif self.error is not None:
            future.set_exception(self.error)
        else:
            future.set_result(self.value)


class DirectWriter:
    def __init__(self, loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
        self._loop = loop
        self._thread = thread
        self._connection: sqlite3.Connection | None = None
        self._cache: StatementCache | None = None
        self._repos: Repositories | None = None

    @classmethod
    async def open(
        cls,
        path: Path,
        configure: Callable[[sqlite3.Connection], None],
        keys: KeyRing | None = None,
    ) -> DirectWriter:
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="sejabot-writer", daemon=True)
        thread.start()
        writer = cls(loop, thread)
        try:
            await writer._on_thread(writer._connect(path, configure, keys))
        except BaseException:
            await writer.close()
            raise
        return writer

    async def _connect(
        self,
        path: Path,
        configure: Callable[[sqlite3.Connection], None],
        keys: KeyRing | None,
    ) -> None:
        # isolation_level=None: no implicit BEGIN; the transaction below says when.
        connection = sqlite3.connect(path, isolation_level=None)
        connection.row_factory = sqlite3.Row
        configure(connection)
        self._connection = connection
        self._cache = StatementCache(connection)
        self._repos = Repositories(DirectStatements(connection, self._cache), keys)  # type: ignore[arg-type]

    async def run_batch(self, units: Sequence[Unit]) -> list[Outcome]:
        """Run the units' bodies in ONE transaction on the writer's thread: a body that raises
        is rolled back alone, the others commit together (group commit: one BEGIN, one COMMIT
        and one trip to the thread for many callers). If the commit itself fails, nothing of
        the batch is stored and every unit fails. The caller holds the database's write lock."""
        return await self._on_thread(self._batch(units))

    async def _batch(self, units: Sequence[Unit]) -> list[Outcome]:
        together = await self._together(units)
        if isinstance(together, list):
            return together
        # One body failed: nothing of the batch is stored. The others run again, each in a
        # savepoint, so that one failing again is rolled back alone; the failed one is not rerun.
        failed_at, failure = together
        outcomes = await self._each_in_savepoint([u for i, u in enumerate(units) if i != failed_at])
        outcomes.insert(failed_at, failure)
        return outcomes

    def _began(self) -> tuple[sqlite3.Connection, Repositories, StatementCache]:
        connection, repos, cache = self._connection, self._repos, self._cache
        assert connection is not None and repos is not None and cache is not None, (
            "the writer is closed"
        )
        connection.execute("BEGIN IMMEDIATE")
        return connection, repos, cache

    async def _together(self, units: Sequence[Unit]) -> list[Outcome] | tuple[int, Outcome]:
        """The usual case, no savepoints: every outcome, committed; or, with everything rolled
        back, the position and outcome of the first body that failed."""
        connection, repos, cache = self._began()
        outcomes: list[Outcome] = []
        try:
            cache.began()
            for position, unit in enumerate(units):
                if unit.abandoned:
                    outcomes.append(Outcome(cancelled=True))
                    continue
                try:
                    value = await self._kept_unless_abandoned(unit, repos)
                except BaseException as error:  # noqa: BLE001 - handed to its caller
                    cache.forget()  # it may hold rows read after the batch's writes
                    connection.rollback()
                    return position, _failure(error)
                outcomes.append(Outcome(value=value))
            connection.execute("COMMIT")
        except BaseException as error:  # noqa: BLE001 - each caller gets it (a cancellation is raised)
            return self._all_failed(connection, cache, units, error)
        return outcomes

    async def _each_in_savepoint(self, units: Sequence[Unit]) -> list[Outcome]:
        if not units:
            return []
        connection, repos, cache = self._began()
        outcomes: list[Outcome] = []
        try:
            cache.began()
            for unit in units:
                if unit.abandoned:
                    outcomes.append(Outcome(cancelled=True))
                    continue
                connection.execute("SAVEPOINT unit")
                try:
                    value = await self._kept_unless_abandoned(unit, repos)
                except BaseException as error:  # noqa: BLE001 - handed to its caller
                    cache.forget()  # it may hold rows read after the unit's own writes
                    connection.execute("ROLLBACK TO unit")
                    connection.execute("RELEASE unit")
                    outcomes.append(_failure(error))
                    continue
                connection.execute("RELEASE unit")
                outcomes.append(Outcome(value=value))
            connection.execute("COMMIT")
        except BaseException as error:  # noqa: BLE001 - each caller gets it (a cancellation is raised)
            return self._all_failed(connection, cache, units, error)
        return outcomes

    @staticmethod
    def _all_failed(
        connection: sqlite3.Connection,
        cache: StatementCache,
        units: Sequence[Unit],
        error: BaseException,
    ) -> list[Outcome]:
        """BEGIN or COMMIT failed, or the batch itself was cancelled: nothing is stored."""
        cache.forget()
        connection.rollback()
        if isinstance(error, asyncio.CancelledError):
            raise error
        return [Outcome(error=error) for _ in units]

    async def _kept_unless_abandoned(self, unit: Unit, repos: Repositories) -> Any:
        value = await self._run_unit(unit, repos)
        if unit.abandoned:  # its caller gave up while it ran: keep nothing of it
            raise asyncio.CancelledError
        return value

    async def _run_unit(self, unit: Unit, repos: Repositories) -> Any:
        """Run the body as a plain call while it does not suspend, which is what repository
        calls on this connection never do; a body that does wait on something finishes as a
        task of the writer's loop, which its caller can cancel."""
        body = unit.body(repos)
        try:
            pending = body.send(None)
        except StopIteration as done:
            return done.value
        unit.task = self._loop.create_task(_continued(body, pending))
        try:
            return await unit.task
        finally:
            unit.task = None

    def abandon(self, unit: Unit) -> None:
        """From the caller's loop: its caller was cancelled; roll its body back (if it is
        running) or skip it (if it has not started)."""

        unit.abandoned = True  # seen by the writer before and after it runs the body

        def on_writer() -> None:
            if unit.task is not None:  # a body that suspended: cancel it where it waits
                unit.task.cancel()

        self._loop.call_soon_threadsafe(on_writer)

    async def _on_thread(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` on the writer's loop and wait for it. Cancelling the caller cancels
        the work there and still waits until it is over (rolled back): the caller's write
        lock must outlast it."""
        if self._loop.is_closed():
            work.close()
            raise RuntimeError("the database is closed")
        caller = asyncio.get_running_loop()
        outcome: asyncio.Future[T] = caller.create_future()
        running: list[asyncio.Task[T]] = []

        def begin() -> None:  # on the writer's loop
            task = self._loop.create_task(work)
            running.append(task)
            task.add_done_callback(
                lambda done: caller.call_soon_threadsafe(Outcome.of(done).settle, outcome)
            )

        self._loop.call_soon_threadsafe(begin)
        try:
            return await asyncio.shield(outcome)
        except asyncio.CancelledError:
            # Scheduled after begin(), so the task exists when this runs.
            self._loop.call_soon_threadsafe(lambda: running[0].cancel())
            with contextlib.suppress(BaseException):
                await outcome
            raise

    async def pragmas(self, names: Iterable[str]) -> dict[str, object]:
        """The settings the writer's connection runs with, for diagnostics."""

        async def read() -> dict[str, object]:
            assert self._connection is not None, "the writer is closed"
            return {
                name: self._connection.execute(f"PRAGMA {name}").fetchone()[0] for name in names
            }

        return await self._on_thread(read())

    async def close(self) -> None:
        if self._thread.is_alive():
            if self._connection is not None:
                await self._on_thread(_call(self._connection.close))
                self._connection = None
            self._loop.call_soon_threadsafe(self._loop.stop)
            await asyncio.to_thread(self._thread.join)
        self._loop.close()


class _Resumed:
    """Awaiting this continues a coroutine that already suspended once on ``pending``, as if
    it had been awaited from the start: what the task sends or throws reaches it."""

    __slots__ = ("_coroutine", "_pending")

    def __init__(self, coroutine: Coroutine[Any, Any, Any], pending: Any) -> None:
        self._coroutine = coroutine
        self._pending = pending

    def __await__(self) -> Generator[Any, None, Any]:
        coroutine, pending = self._coroutine, self._pending
        while True:
            try:
                yield pending
            except BaseException as error:  # noqa: BLE001 - a cancellation, passed on
                step = functools.partial(coroutine.throw, error)
            else:
                step = functools.partial(coroutine.send, None)
            try:
                pending = step()
            except StopIteration as done:
                return done.value


def _failure(error: BaseException) -> Outcome:
    cancelled = isinstance(error, asyncio.CancelledError)
    return Outcome(error=None if cancelled else error, cancelled=cancelled)


async def _continued(coroutine: Coroutine[Any, Any, T], pending: Any) -> T:
    return await _Resumed(coroutine, pending)  # type: ignore[no-any-return]


async def _call(function: Callable[[], Any]) -> Any:
    return function()
