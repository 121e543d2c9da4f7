"""The sync token is saved only once every event before it was handled, whichever room finished
first (no homeserver needed: events and sync batches are handed to the delivery as nio would,
and the token goes into nio's real store)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from nio import AsyncClient, AsyncClientConfig, MatrixRoom, RoomMessageText, SyncResponse

from bot.transport.events import IncomingEvent
from bot.transport.matrix.delivery import Delivery
from bot.transport.matrix.incoming import ChoiceMemory, IncomingReader, PollNotice
from bot.transport.matrix.outbox import RoomOutbox
from bot.transport.matrix.rooms import ServerPolicy

pytestmark = [pytest.mark.asyncio(loop_scope="session")]

BOT = "@sejabot:example.org"
ROOM_A = MatrixRoom("!a:example.org", BOT)
ROOM_B = MatrixRoom("!b:example.org", BOT)
_event_numbers = itertools.count(1)


class SlowSink:
    """Handles each text at once, except those it was told to hold until released."""

    def __init__(self, *held: str) -> None:
        self.handled: list[str] = []
        self.releases = {text: asyncio.Event() for text in held}

    async def __call__(self, event: IncomingEvent) -> None:
        if event.text in self.releases:
            await self.releases[event.text].wait()
        self.handled.append(event.text)

    async def until_handled(self, *texts: str) -> None:
        async with asyncio.timeout(5):
            while not set(texts) <= set(self.handled):
                await asyncio.sleep(0.01)


@pytest_asyncio.fixture(loop_scope="session")
async def client(tmp_path: Path) -> AsyncIterator[AsyncClient]:
    nio_client = AsyncClient(
        "http://127.0.0.1:9", BOT, device_id="TOKENS", store_path=str(tmp_path),
        config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False),
    )  # fmt: skip
    nio_client.restore_login(BOT, "TOKENS", "unused")  # loads the store; nothing goes out
    try:
        yield nio_client
    finally:
        await nio_client.close()


def text(body: str) -> RoomMessageText:
    return RoomMessageText.from_dict(
        {
            "type": "m.room.message",
            "event_id": f"$event{next(_event_numbers)}",
            "sender": "@ana:example.org",
            "origin_server_ts": 1_800_000_000_000,
            "content": {"msgtype": "m.text", "body": body},
        }
    )


async def delivery_running(
    client: AsyncClient, sink: SlowSink
) -> tuple[Delivery, asyncio.Task[None]]:
    async def no_notices(notice: PollNotice) -> None:
        raise AssertionError(f"unexpected {notice}")

    reader = IncomingReader(client, ChoiceMemory(), lambda room: True)
    delivery = Delivery(client, reader, ServerPolicy(BOT, ()), RoomOutbox(), no_notices)
    delivery.delivering = True
    return delivery, asyncio.create_task(delivery.run(sink))


async def synced(delivery: Delivery, token: str) -> None:
    await delivery.after_sync(SyncResponse.from_dict({"next_batch": token}))


async def test_a_slow_room_holds_the_token_back_until_its_event_is_handled(
    client: AsyncClient,
) -> None:
    sink = SlowSink("a1")
    delivery, task = await delivery_running(client, sink)
    try:
        await delivery.on_room_event(ROOM_A, text("a1"))
        await delivery.on_room_event(ROOM_B, text("b1"))
        await synced(delivery, "batch-1")
        await delivery.on_room_event(ROOM_B, text("b2"))
        await synced(delivery, "batch-2")
        await sink.until_handled("b1", "b2")
        await asyncio.sleep(0.05)
        assert client.store.load_sync_token() is None  # a crash now must bring a1 again

        sink.releases["a1"].set()
        await sink.until_handled("a1")
        await delivery.flush(5)
        assert client.store.load_sync_token() == "batch-2"
        assert sink.handled == ["b1", "b2", "a1"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_token_is_saved_as_soon_as_its_own_batch_is_handled(client: AsyncClient) -> None:
    sink = SlowSink("b2")
    delivery, task = await delivery_running(client, sink)
    try:
        await delivery.on_room_event(ROOM_A, text("a1"))
        await delivery.on_room_event(ROOM_B, text("b1"))
        await synced(delivery, "batch-1")
        await delivery.on_room_event(ROOM_B, text("b2"))
        await delivery.on_room_event(ROOM_A, text("a2"))
        await synced(delivery, "batch-2")
        await sink.until_handled("a1", "b1", "a2")
        await asyncio.sleep(0.05)
        assert client.store.load_sync_token() == "batch-1"

        sink.releases["b2"].set()
        await delivery.flush(5)
        assert client.store.load_sync_token() == "batch-2"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
