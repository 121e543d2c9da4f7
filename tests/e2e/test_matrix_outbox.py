"""The per-room order of the Matrix adapter's sends and housekeeping (no homeserver needed).

Sends are stood in for by coroutines that record when they ran; what is checked is the order
:class:`~bot.transport.matrix.outbox.RoomOutbox` lets them run in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from bot.transport.matrix import outbox as matrix_outbox
from bot.transport.matrix.outbox import RoomOutbox

pytestmark = [pytest.mark.asyncio(loop_scope="session")]

ROOM = "!a:example.org"
OTHER_ROOM = "!b:example.org"


class Wire:
    """What reached the homeserver, in order; each request takes a moment."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def request(self, name: str, seconds: float = 0.01) -> Callable[[], Awaitable[str]]:
        async def go() -> str:
            await asyncio.sleep(seconds)
            self.sent.append(name)
            return name

        return go

    def chore(self, name: str) -> Callable[[], Awaitable[None]]:
        async def go() -> None:
            await self.request(name)()

        return go


async def test_sends_into_one_room_go_in_order_and_rooms_do_not_wait() -> None:
    outbox, wire = RoomOutbox(), Wire()
    results = await asyncio.gather(
        outbox.send(ROOM, wire.request("a1", 0.05)),
        outbox.send(ROOM, wire.request("a2", 0.01)),
        outbox.send(OTHER_ROOM, wire.request("b1", 0.01)),
    )
    assert results == ["a1", "a2", "b1"]
    assert wire.sent == ["b1", "a1", "a2"]  # b1 did not wait for room a
    assert await outbox.settle(1)


async def test_housekeeping_waits_for_the_reply_of_the_event_being_handled() -> None:
    outbox, wire = RoomOutbox(), Wire()
    with outbox.holding(ROOM):
        outbox.later(ROOM, "$ballot", wire.chore("end ballot"))
        outbox.later(ROOM, "$sure", wire.chore("end sure"))
        await asyncio.sleep(0.05)
        assert wire.sent == []  # nothing goes while the event is handled
        await outbox.send(ROOM, wire.request("confirmation"))
    assert await outbox.settle(1)
    assert wire.sent == ["confirmation", "end ballot", "end sure"]


async def test_a_send_overtakes_housekeeping_queued_without_a_handler() -> None:
    outbox, wire = RoomOutbox(), Wire()
    outbox.later(ROOM, "$1", wire.chore("edit 1"))
    outbox.later(ROOM, "$2", wire.chore("edit 2"))
    reply = asyncio.create_task(outbox.send(ROOM, wire.request("reply")))
    assert await outbox.settle(1)
    await reply
    # The first edit may already be under way; the reply never waits behind both.
    assert wire.sent.index("reply") <= 1
    assert sorted(wire.sent) == ["edit 1", "edit 2", "reply"]


async def test_a_newer_edit_of_the_same_message_replaces_the_queued_one() -> None:
    outbox, wire = RoomOutbox(), Wire()
    with outbox.holding(ROOM):
        outbox.later(ROOM, "$tally", wire.chore("tally 5"))
        outbox.later(ROOM, "$other", wire.chore("other"))
        outbox.later(ROOM, "$tally", wire.chore("tally 6"))
    assert await outbox.settle(1)
    assert wire.sent == ["other", "tally 6"]


async def test_housekeeping_lets_other_rooms_replies_go_first_but_not_for_ever(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(matrix_outbox, "MAX_HOUSEKEEPING_DELAY", 0.3)
    outbox, wire = RoomOutbox(), Wire()
    outbox.later(ROOM, "$poll", wire.chore("end poll"))
    with outbox.holding(OTHER_ROOM):  # another member's event is being handled
        await asyncio.sleep(0.1)
        assert wire.sent == []
        await outbox.send(OTHER_ROOM, wire.request("other reply"))
    assert await outbox.settle(1)
    assert wire.sent == ["other reply", "end poll"]

    with outbox.holding(OTHER_ROOM):  # a handler that takes long holds nothing for ever
        outbox.later(ROOM, "$poll2", wire.chore("end poll 2"))
        await asyncio.sleep(0.6)
        assert wire.sent[-1] == "end poll 2"
    assert await outbox.settle(1)


async def test_failed_housekeeping_is_logged_and_the_rest_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outbox, wire = RoomOutbox(), Wire()

    async def refused() -> None:
        raise RuntimeError("M_FORBIDDEN")

    outbox.later(ROOM, "$1", refused)
    outbox.later(ROOM, "$2", wire.chore("edit 2"))
    assert await outbox.settle(1)
    assert wire.sent == ["edit 2"]
    assert any("Housekeeping on $1" in record.getMessage() for record in caplog.records)


async def test_close_drops_what_is_left() -> None:
    outbox, wire = RoomOutbox(), Wire()
    with outbox.holding(ROOM):
        outbox.later(ROOM, "$1", wire.chore("edit 1"))
        assert not await outbox.settle(0.05)
        await outbox.close()
    await asyncio.sleep(0.05)
    assert wire.sent == []
