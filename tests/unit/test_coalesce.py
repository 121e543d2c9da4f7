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
