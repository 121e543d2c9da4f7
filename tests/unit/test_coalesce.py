"""Coalesced follow-up work (bot/coalesce.py)."""

from __future__ import annotations

import asyncio

import pytest

from bot.coalesce import Coalescer


async def test_a_burst_runs_the_work_twice_and_the_last_run_sees_the_last_request() -> None:
    coalescer, state, seen = Coalescer(), {"requested": 0}, []
    gate = asyncio.Event()

    async def work() -> None:
        seen.append(state["requested"])
        await gate.wait()

    async def request() -> None:
        state["requested"] += 1
        await coalescer.run("session 1", work)

    first = asyncio.create_task(request())
    await asyncio.sleep(0)
    others = [asyncio.create_task(request()) for _ in range(9)]
    await asyncio.gather(*others)  # they return at once: the first caller runs again for them
    assert coalescer.busy("session 1")
    gate.set()
    await first
    assert seen == [1, 10]
    assert not coalescer.busy("session 1")


async def test_keys_do_not_wait_for_each_other() -> None:
    coalescer, ran = Coalescer(), []

    async def work(key: str) -> None:
        ran.append(key)

    await asyncio.gather(*(coalescer.run(key, lambda key=key: work(key)) for key in "abc"))
    assert sorted(ran) == ["a", "b", "c"]


async def test_a_failure_reaches_the_caller_and_frees_the_key() -> None:
    coalescer = Coalescer()

    async def broken() -> None:
        raise RuntimeError("edit failed")

    with pytest.raises(RuntimeError):
        await coalescer.run(1, broken)
    assert not coalescer.busy(1)
    ran = []

    async def fine() -> None:
        ran.append(True)

    await coalescer.run(1, fine)
    assert ran == [True]


class Counted:
    """Work that records the request count it saw."""

    def __init__(self) -> None:
        self.requested = 0
        self.seen: list[int] = []

    async def __call__(self) -> None:
        self.seen.append(self.requested)


async def _until_idle(coalescer: Coalescer, key: str) -> None:
    async with asyncio.timeout(5):
        while coalescer.busy(key):
            await asyncio.sleep(0.01)


async def test_within_the_interval_one_later_run_sees_every_request() -> None:
    coalescer, work = Coalescer(min_interval=0.05), Counted()
    work.requested = 1
    await coalescer.run("session 1", work)  # nothing ran lately: at once
    assert work.seen == [1]
    for _ in range(5):
        work.requested += 1
        await coalescer.run("session 1", work)  # returns at once
    assert work.seen == [1] and coalescer.busy("session 1")
    await _until_idle(coalescer, "session 1")
    assert work.seen == [1, 6]


async def test_an_urgent_request_runs_at_once_instead_of_the_waiting_run() -> None:
    coalescer, work = Coalescer(min_interval=0.05), Counted()
    await coalescer.run("s", work)
    work.requested = 2
    await coalescer.run("s", work)  # would wait for the interval
    work.requested = 3
    await coalescer.run("s", work, now=True)
    assert work.seen == [0, 3] and not coalescer.busy("s")
    await asyncio.sleep(0.1)
    assert work.seen == [0, 3]  # the waiting run was dropped, not run late with old news


async def test_close_runs_what_waits_and_later_requests_run_at_once() -> None:
    coalescer, work = Coalescer(min_interval=3600), Counted()
    await coalescer.run("s", work)
    work.requested = 2
    await coalescer.run("s", work)
    assert work.seen == [0]
    await coalescer.close()
    assert work.seen == [0, 2] and not coalescer.busy("s")
    work.requested = 3
    await coalescer.run("s", work)
    assert work.seen == [0, 2, 3]


async def test_a_failing_later_run_is_logged_and_frees_the_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    coalescer, calls = Coalescer(min_interval=0.01), []

    async def flaky() -> None:
        calls.append(True)
        if len(calls) == 2:
            raise RuntimeError("edit failed")

    await coalescer.run("s", flaky)
    await coalescer.run("s", flaky)
    await _until_idle(coalescer, "s")
    assert len(calls) == 2
    assert any("edit failed" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)
