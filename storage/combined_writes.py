"""Small writes of one kind, arriving together, applied in one transaction body.

After each event the bot forgets the replies it has just delivered, and after each message with
buttons it records what the message offers. Each alone is a statement or two, yet as a
transaction of its own each costs a savepoint, a trip to the writer's thread and a wake-up of
its caller. Here the writes requested while one is being applied are applied together in the
next body: under load, dozens per transaction; alone, one at a time as before.

If a combined body fails, each request is tried again on its own, so one bad request fails
only its own caller.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from storage.database import Database
from storage.repositories import Repositories

T = TypeVar("T")
log = logging.getLogger(__name__)


class CombinedWrites(Generic[T]):
    def __init__(
        self,
        db: Database,
        apply: Callable[[Repositories, Sequence[T]], Awaitable[None]],
        what: str,
    ) -> None:
        self._db = db
        self._apply = apply
        self._what = what  # for the log: what these writes record
        self._pending: list[tuple[Sequence[T], asyncio.Future[None] | None]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def write(self, items: Sequence[T]) -> None:
        """Return once ``items`` are committed; raise what applying them alone raised."""
        done = asyncio.get_running_loop().create_future()
        self._enqueue(items, done)
        await asyncio.shield(done)  # a cancelled caller's items are still written

    def submit(self, items: Sequence[T]) -> None:
        """Write ``items`` soon without waiting; a failure is logged."""
        self._enqueue(items, None)

    async def drain(self) -> None:
        """Return once everything requested so far is written (or has failed)."""
        while self._flusher is not None:
            await asyncio.shield(self._flusher)

    def _enqueue(self, items: Sequence[T], done: asyncio.Future[None] | None) -> None:
        self._pending.append((items, done))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush(), name=f"sejabot-combined-{self._what}")

    async def _flush(self) -> None:
        try:
            while self._pending:
                requests, self._pending = self._pending, []
                await self._write_combined(requests)
        finally:
            self._flusher = None

    async def _write_combined(self, requests: list[tuple[Sequence[T], asyncio.Future[None] | None]]) -> None:
        if len(requests) == 1:
            await self._write_alone(requests[0])
            return
        try:
            await self._transaction([item for items, _ in requests for item in items])
        except Exception:  # noqa: BLE001 - find the one that fails; the others still commit
            for request in requests:
                await self._write_alone(request)
            return
        for request in requests:
            self._settle(request, None)

    async def _write_alone(self, request: tuple[Sequence[T], asyncio.Future[None] | None]) -> None:
        try:
            await self._transaction(request[0])
        except Exception as error:  # noqa: BLE001 - handed to its caller
            self._settle(request, error)
        else:
            self._settle(request, None)

    async def _transaction(self, items: Sequence[T]) -> None:
        async def apply(repos: Repositories) -> None:
            await self._apply(repos, items)

        await self._db.run_transaction(apply)

    def _settle(
        self, request: tuple[Sequence[T], asyncio.Future[None] | None], error: BaseException | None
    ) -> None:
        done = request[1]
        if done is None:
            if error is not None:
                log.error("could not record %s", self._what, exc_info=error)
            return
        if done.done():
            return
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)
