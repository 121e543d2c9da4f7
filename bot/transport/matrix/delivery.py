"""From nio's sync callbacks to the sink: filtering, gaps, undecryptable events, the sync token.

Events go through a queue to a delivery task, so a handler may itself wait for the sync loop
(opening a direct room does). The delivery task hands each room's events to the sink in order,
one at a time, but rooms do not wait for each other: up to ``PARALLEL_ROOMS`` events of
different rooms are handled at once, so thirty members answering a poll together are not
answered one after another. While an event is handled, the room's housekeeping (ending answered
polls, edits) waits, so the reply goes out first (:mod:`bot.transport.matrix.outbox`). Poll
responses the adapter answers itself (:class:`~bot.transport.matrix.incoming.PollNotice`) take
the same way.

nio would store the sync token *before* handing a batch to callbacks, so a crash while handling
it would lose the batch; here the token is queued behind the batch and saved once every event
before it was delivered, in whichever room. A crash redelivers rather than loses, and
``event_key`` (the event id) lets the dispatcher drop the repeat.

When the homeserver cuts a room's timeline short (more events since the last sync than the
timeline limit), the missing part is fetched with ``/messages`` back to the previous token and
delivered after the batch, each event with its own server timestamp.

Messages that cannot be decrypted are logged, their room key is requested, and decryption is
retried after later syncs for an hour.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable

from nio import (
    AsyncClient,
    EncryptionError,
    Event,
    LocalProtocolError,
    MatrixRoom,
    MegolmEvent,
    MessageDirection,
    RoomKeyRequestError,
    RoomMessagesResponse,
    SyncResponse,
)

from bot.domain.models import Platform
from bot.transport.base import EventSink
from bot.transport.events import IncomingEvent
from bot.transport.matrix.incoming import IncomingReader, PollNotice
from bot.transport.matrix.outbox import RoomOutbox
from bot.transport.matrix.rooms import ServerPolicy
from bot.transport.matrix.sending import trust_devices_on_first_use
from bot.transport.security_log import RefusalKind, input_kind, refused

log = logging.getLogger(__name__)

DELIVERY_QUEUE_SIZE = 1000  # a full queue holds the sync loop back until handlers catch up
MAX_UNDELIVERED = 1000  # events taken from the queue and not yet handled, in all rooms
PARALLEL_ROOMS = 32  # events of different rooms handled at once
GAP_PAGE_SIZE = 100
MAX_GAP_PAGES = 50
UNDECRYPTED_RETRY_SECONDS = 3600.0
MAX_UNDECRYPTED = 500


Item = IncomingEvent | PollNotice
AnswerNotice = Callable[[PollNotice], Awaitable[None]]


class Delivery:
    def __init__(
        self,
        client: AsyncClient,
        reader: IncomingReader,
        policy: ServerPolicy,
        outbox: RoomOutbox,
        answer_notice: AnswerNotice,
    ) -> None:
        self._client = client
        self._reader = reader
        self._policy = policy
        self._outbox = outbox
        self._answer_notice = answer_notice
        self._queue: asyncio.Queue[Item | str] = asyncio.Queue(DELIVERY_QUEUE_SIZE)
        self._undecrypted: list[tuple[float, MatrixRoom, MegolmEvent]] = []
        # Delivery task state: events per room in order, numbered as taken from the queue.
        self._numbers = itertools.count()
        self._next_number = 0
        self._lanes: dict[str, deque[tuple[int, Item]]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._undelivered: set[int] = set()
        self._tokens: deque[tuple[int, str]] = deque()  # (events before it, sync token)
        self._room_for_more = asyncio.Semaphore(MAX_UNDELIVERED)
        self._handling = asyncio.Semaphore(PARALLEL_ROOMS)
        self._all_delivered = asyncio.Event()
        self._all_delivered.set()
        # Off during a first start's initial sync, whose timeline is history, not news.
        self.delivering = False
        self.closed = False  # stopping: nothing more is queued, not even sync tokens
        self.since = ""  # the token the current sync started from

    async def run(self, sink: EventSink) -> None:
        """The delivery task: hand events to ``sink`` room by room, save tokens once all before
        them is done."""
        try:
            while True:
                item = await self._queue.get()
                try:
                    if isinstance(item, str):
                        self._tokens.append((self._next_number, item))
                        self._save_delivered_tokens()
                    else:
                        await self._room_for_more.acquire()
                        self._start(item, sink)
                finally:
                    self._queue.task_done()
        finally:
            workers = list(self._workers.values())
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    def _start(self, item: Item, sink: EventSink) -> None:
        number = next(self._numbers)
        self._next_number = number + 1
        self._undelivered.add(number)
        self._all_delivered.clear()
        room_id = item.chat.chat_id
        lane = self._lanes.setdefault(room_id, deque())
        lane.append((number, item))
        if room_id not in self._workers:
            self._workers[room_id] = asyncio.create_task(
                self._deliver_room(room_id, lane, sink), name="matrix-room-delivery"
            )

    async def _deliver_room(
        self, room_id: str, lane: deque[tuple[int, Item]], sink: EventSink
    ) -> None:
        try:
            while lane:
                number, item = lane.popleft()
                try:
                    async with self._handling:
                        with self._outbox.holding(room_id):
                            await self._hand_over(item, sink)
                finally:
                    self._delivered(number)
        finally:
            del self._lanes[room_id]
            del self._workers[room_id]

    async def _hand_over(self, item: Item, sink: EventSink) -> None:
        try:
            if isinstance(item, PollNotice):
                await self._answer_notice(item)
            else:
                await sink(item)
        except Exception:  # one failing handler must not stop delivery
            # Event ids only: the text may hold a code, a choice names a vote.
            if isinstance(item, PollNotice):
                log.exception("Answering Matrix poll response %s failed", item.event_id)
            else:
                log.exception(
                    "Handling Matrix event %s (%s) failed", item.event_key, input_kind(item)
                )

    def _delivered(self, number: int) -> None:
        self._undelivered.discard(number)
        self._room_for_more.release()
        self._save_delivered_tokens()
        if not self._undelivered:
            self._all_delivered.set()

    def _save_delivered_tokens(self) -> None:
        """Save the newest token all of whose events were delivered (earlier ones are implied)."""
        oldest_undelivered = min(self._undelivered, default=self._next_number)
        newest: str | None = None
        while self._tokens and self._tokens[0][0] <= oldest_undelivered:
            newest = self._tokens.popleft()[1]
        if newest is not None:
            assert self._client.store is not None
            self._client.store.save_sync_token(newest)

    def close(self) -> None:
        self.delivering = False
        self.closed = True

    async def flush(self, timeout: float) -> None:
        async def drained() -> None:
            await self._queue.join()
            await self._all_delivered.wait()

        try:
            await asyncio.wait_for(drained(), timeout)
        except TimeoutError:
            log.warning(
                "Stopped with %d Matrix event(s) undelivered",
                self._queue.qsize() + len(self._undelivered),
            )

    async def on_room_event(self, room: MatrixRoom, event: Event) -> None:
        """nio event callback for messages, unknown events (polls) and undecryptable events."""
        if not self.delivering:
            return
        try:
            await self._take(room, event)
        except Exception:  # raised into nio, it would abort the rest of the batch
            log.exception("Could not take Matrix event %s", event.event_id)

    async def _take(self, room: MatrixRoom, event: Event) -> None:
        if isinstance(event, MegolmEvent):
            await self._undecryptable(room, event)
            return
        if event.sender == self._client.user_id:
            return
        if not self._policy.allows(event.sender):
            # Never handed to the bot, so nothing it says can link, vote or answer.
            refused(
                RefusalKind.FOREIGN_HOMESERVER,
                Platform.MATRIX,
                event.sender,
                f"event room={room.room_id} event={event.event_id}",
            )
            return
        if room.encrypted:
            trust_devices_on_first_use(self._client, [event.sender])
        incoming = self._reader.read(room, event)
        if isinstance(incoming, IncomingEvent):
            incoming = await self._reader.placed(incoming)
        if incoming is not None:
            await self._queue.put(incoming)

    async def after_sync(self, response: SyncResponse) -> None:
        """Runs once nio has handled a sync batch (and called back for each of its events)."""
        if self.closed:
            return
        try:
            if self.delivering and self.since:
                for room_id, info in response.rooms.join.items():
                    room = self._client.rooms.get(room_id)
                    if info.timeline.limited and room is not None:
                        await self._fill_gap(room, info.timeline.prev_batch)
        except Exception:
            # Not knowing what the gap held, sync this batch again: repeats are deduplicated,
            # losses would not be.
            log.exception("Could not fill a gap in the Matrix timeline; syncing again")
            self._client.next_batch = self.since
            return
        await self._retry_undecrypted()
        await self._queue.put(response.next_batch)
        self.since = response.next_batch

    async def _fill_gap(self, room: MatrixRoom, prev_batch: str) -> None:
        """Deliver what a limited timeline left out: the events between the last token and it."""
        missed: list[Event] = []
        token = prev_batch
        for _ in range(MAX_GAP_PAGES):
            page = await self._client.room_messages(
                room.room_id, start=token, end=self.since,
                direction=MessageDirection.back, limit=GAP_PAGE_SIZE,
            )  # fmt: skip
            if not isinstance(page, RoomMessagesResponse):
                log.warning("Could not fetch missed events of %s: %s", room.room_id, page)
                break
            missed.extend(page.chunk)
            if not page.chunk or not page.end or page.end == token:
                break
            token = page.end
        if missed:
            log.info(
                "Delivering %d event(s) of %s missed by a limited sync", len(missed), room.room_id
            )
        for event in reversed(missed):  # /messages pages backwards
            await self.on_room_event(room, event)

    async def _undecryptable(self, room: MatrixRoom, event: MegolmEvent) -> None:
        log.warning(
            "Cannot decrypt %s from %s in %s (session %s); requesting the key",
            event.event_id, event.sender, room.room_id, event.session_id,
        )  # fmt: skip
        if len(self._undecrypted) < MAX_UNDECRYPTED:
            self._undecrypted.append((time.monotonic(), room, event))
        with contextlib.suppress(LocalProtocolError):  # already requested for this session
            requested = await self._client.request_room_key(event)
            if isinstance(requested, RoomKeyRequestError):
                log.warning("Could not request the key of %s: %s", event.event_id, requested)

    async def _retry_undecrypted(self) -> None:
        waiting, self._undecrypted = self._undecrypted, []
        for first_seen, room, event in waiting:
            try:
                decrypted = self._client.decrypt_event(event)
            except EncryptionError:
                if time.monotonic() - first_seen < UNDECRYPTED_RETRY_SECONDS:
                    self._undecrypted.append((first_seen, room, event))
                continue
            log.info("Decrypted %s after its key arrived", event.event_id)
            await self.on_room_event(room, decrypted)
