"""Coalesced follow-up work: a burst of requests for the same key runs the work at most
twice (the run under way, then one more that sees everything requested meanwhile).

With ``min_interval``, a key's work also runs at most once per interval: a request soon after
a run is served by one later run, in the background, when the interval is over. That run reads
the newest state, so nothing requested is left out; it is only later. Work that must not wait
(a session's final tally) asks with ``now=True``. ``close`` runs what is still waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Hashable

log = logging.getLogger(__name__)

Work = Callable[[], Awaitable[None]]


class Coalescer:
    def __init__(
        self, min_interval: float = 0.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._min_interval = min_interval
        self._clock = clock
        self._running: set[Hashable] = set()
        self._requested_again: set[Hashable] = set()
        self._urgent: set[Hashable] = set()
        self._last_started: dict[Hashable, float] = {}
        self._waiting: dict[Hashable, tuple[asyncio.Task[None], Work]] = {}
        self._closed = False  # after close nothing waits: requests run at once

    async def run(self, key: Hashable, work: Work, *, now: bool = False) -> None:
        """Run ``work`` now; or, while a run for ``key`` is under way, have that caller run it
        once more after it finishes (and return at once); or, within ``min_interval`` of the
        last run (unless ``now``), have it run in the background when the interval is over."""
        if now:
            self._cancel_waiting(key)
        if key in self._running:
            self._requested_again.add(key)
            if now:
                self._urgent.add(key)
            return
        if key in self._waiting:  # the run already waiting will see this request too
            return
        wait = self._last_started.get(key, float("-inf")) + self._min_interval - self._clock()
        if wait > 0 and not now and not self._closed:
            self._wait_then_run(key, work, wait)
            return
        await self._run_now(key, work)

    async def _run_now(self, key: Hashable, work: Work) -> None:
        self._running.add(key)
        try:
            while True:
                self._requested_again.discard(key)
                self._urgent.discard(key)
                self._last_started[key] = self._clock()
                await work()
                if key not in self._requested_again:
                    return
                if key not in self._urgent and self._min_interval > 0 and not self._closed:
                    self._wait_then_run(key, work, self._min_interval)
                    return
        finally:
            self._running.discard(key)
            self._requested_again.discard(key)
            self._urgent.discard(key)

    def _wait_then_run(self, key: Hashable, work: Work, delay: float) -> None:
        async def later() -> None:
            await asyncio.sleep(delay)
            del self._waiting[key]  # from here on, requests go to the run under way
            await self._run_now(key, work)

        task = asyncio.create_task(later(), name=f"coalesced {key!r}")
        self._waiting[key] = (task, work)
        task.add_done_callback(_report_failure)

    def _cancel_waiting(self, key: Hashable) -> Work | None:
        waiting = self._waiting.pop(key, None)
        if waiting is None:
            return None
        task, work = waiting
        task.cancel()
        return work

    def busy(self, key: Hashable) -> bool:
        return key in self._running or key in self._waiting

    async def close(self) -> None:
        """At stop: what still waits for its interval runs now (failures are logged), and
        later requests run at once."""
        self._closed = True
        for key in list(self._waiting):
            work = self._cancel_waiting(key)
            if work is None:
                continue
            try:
                await self._run_now(key, work)
            except Exception:
                log.exception("coalesced work for %r failed at stop", key)


def _report_failure(task: asyncio.Task[None]) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        error = task.exception()
        if error is not None:
            log.error("coalesced work %s failed", task.get_name(), exc_info=error)
