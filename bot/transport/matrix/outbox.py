"""The order in which the bot's events go into each Matrix room.

Within one room, sends go out one at a time in the order they were asked for, so members read
them in that order. Different rooms never wait for each other.

Housekeeping (ending a poll that was answered, editing an earlier message) is what nobody is
waiting for, so it goes after the messages that are awaited: it is queued per room and runs
once no send into the room is running or waiting, and not while an incoming event of that room
is being handled (the reply to it goes first). While incoming events are being handled in any
room (thirty members answering at once), it also waits, up to ``MAX_HOUSEKEEPING_DELAY``, so
the homeserver serves the replies first. A newer piece of housekeeping on the same message
replaces one still queued (only the newest edit is shown anyway). Its failures are logged here;
the caller has long moved on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

log = logging.getLogger(__name__)

MAX_HOUSEKEEPING_DELAY = 5.0  # seconds housekeeping may wait for the other rooms' replies

_Result = TypeVar("_Result")
Chore = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class _Queued:
    chore: Chore
    since: float  # event loop time


@dataclass
class _Room:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting_sends: int = 0
    holds: int = 0
    chores: dict[str, _Queued] = field(default_factory=dict)  # by message, oldest first
    worker: asyncio.Task[None] | None = None

    @property
    def idle(self) -> bool:
        return not (self.waiting_sends or self.holds or self.chores or self.worker)


class RoomOutbox:
    def __init__(self) -> None:
        self._rooms: dict[str, _Room] = {}  # rooms with something running or queued
        self._settled = asyncio.Event()
        self._settled.set()
        self._handling = 0  # incoming events being handled, in all rooms
        self._quiet = asyncio.Event()  # set while none is
        self._quiet.set()

    def _room(self, room_id: str) -> _Room:
        room = self._rooms.get(room_id)
        if room is None:
            room = self._rooms[room_id] = _Room()
            self._settled.clear()
        return room

    async def send(self, room_id: str, action: Callable[[], Awaitable[_Result]]) -> _Result:
        """Run a send into ``room_id`` after the sends asked for before it, ahead of chores."""
        room = self._room(room_id)
        room.waiting_sends += 1
        try:
            async with room.lock:
                return await action()
        finally:
            room.waiting_sends -= 1
            self._wake(room_id)

    def later(self, room_id: str, message_id: str, chore: Chore) -> None:
        """Queue housekeeping on ``message_id``; it replaces any still queued on that message."""
        room = self._room(room_id)
        room.chores.pop(message_id, None)
        room.chores[message_id] = _Queued(chore, asyncio.get_running_loop().time())
        self._wake(room_id)

    @contextlib.contextmanager
    def holding(self, room_id: str) -> Iterator[None]:
        """No housekeeping in ``room_id`` meanwhile (an incoming event there is handled)."""
        room = self._room(room_id)
        room.holds += 1
        self._handling += 1
        self._quiet.clear()
        try:
            yield
        finally:
            room.holds -= 1
            self._handling -= 1
            if not self._handling:
                self._quiet.set()
            self._wake(room_id)

    async def settle(self, timeout: float) -> bool:
        """Wait until every queued chore is done; False if some were still left at ``timeout``."""
        try:
            await asyncio.wait_for(self._settled.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        """Drop what is still queued (after :meth:`settle` gave up) and stop the workers."""
        workers = [room.worker for room in self._rooms.values() if room.worker is not None]
        for room in self._rooms.values():
            room.chores.clear()
        for worker in workers:
            worker.cancel()
        for worker in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._rooms.clear()
        self._settled.set()

    def _wake(self, room_id: str) -> None:
        room = self._rooms.get(room_id)
        if room is None:
            return
        if room.chores and room.worker is None and not (room.waiting_sends or room.holds):
            room.worker = asyncio.create_task(self._work(room_id, room), name="matrix-chores")
        elif room.idle:
            del self._rooms[room_id]
            if not self._rooms:
                self._settled.set()

    async def _work(self, room_id: str, room: _Room) -> None:
        loop = asyncio.get_running_loop()
        try:
            while room.chores and not (room.waiting_sends or room.holds):
                message_id, queued = next(iter(room.chores.items()))
                delay_left = queued.since + MAX_HOUSEKEEPING_DELAY - loop.time()
                if self._handling and delay_left > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._quiet.wait(), delay_left)
                    continue  # a send, a hold or a newer chore may have come meanwhile
                del room.chores[message_id]
                async with room.lock:
                    try:
                        await queued.chore()
                    except Exception:  # one failed edit must not stop the others
                        log.exception("Housekeeping on %s in %s failed", message_id, room_id)
        finally:
            room.worker = None
        self._wake(room_id)
