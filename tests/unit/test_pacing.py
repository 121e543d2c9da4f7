"""Per-chat pacing of sends (bot/transport/pacing.py)."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from bot.transport import pacing
from bot.transport.pacing import ChatPacer

INTERVAL = 0.05


async def _send(pacer: ChatPacer, chat: str, log: list[tuple[str, float, float]]) -> None:
    async with pacer.turn(chat):
        began = time.monotonic()
        await asyncio.sleep(0.001)  # the request on its way
        log.append((chat, began, time.monotonic()))


async def test_sends_into_one_chat_are_spaced_from_the_end_of_the_previous() -> None:
    pacer, log = ChatPacer(INTERVAL), []
    await asyncio.gather(*(_send(pacer, "7", log) for _ in range(4)))
    for (_, _, previous_end), (_, began, _) in itertools.pairwise(log):
        assert began - previous_end >= INTERVAL * 0.99


async def test_other_chats_are_not_held_up() -> None:
    pacer, log = ChatPacer(INTERVAL), []
    started = time.monotonic()
    await asyncio.gather(*(_send(pacer, str(chat), log) for chat in range(50)))
    assert len(log) == 50
    assert time.monotonic() - started < INTERVAL  # fifty chats, one send each: nobody waited


async def test_a_zero_interval_never_waits_nor_tracks() -> None:
    pacer, log = ChatPacer(0), []
    await asyncio.gather(*(_send(pacer, "7", log) for _ in range(3)))
    assert len(log) == 3
    assert pacer.tracked_chats() == 0


async def test_idle_chats_are_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pacing, "SWEEP_EVERY", 10)
    now = [0.0]
    pacer = ChatPacer(1.0, monotonic=lambda: now[0])
    for chat in range(10):
        async with pacer.turn(str(chat)):
            pass
    assert pacer.tracked_chats() == 10
    now[0] = 5.0  # every interval is over
    async with pacer.turn("new"):
        pass
    assert pacer.tracked_chats() == 1


async def test_a_failed_send_still_starts_the_interval() -> None:
    pacer = ChatPacer(INTERVAL)
    with pytest.raises(RuntimeError):
        async with pacer.turn("7"):
            raise RuntimeError("network down")
    ended = time.monotonic()
    async with pacer.turn("7"):
        assert time.monotonic() - ended >= INTERVAL * 0.99
