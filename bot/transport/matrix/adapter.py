"""Matrix adapter: matrix-nio 0.26 with end-to-end encryption (vodozemac), one sync loop.

Lifecycle. ``start`` logs in with the password (always onto the configured device id, so the
crypto keys in the store stay valid) or restores the access token, loads nio's SQLite store under
``store_path`` (Olm account, Megolm sessions, device trust, sync token) and uploads keys if needed.
With no stored sync token (first start) it makes one full sync whose timeline is *not* handed to
the sink, so old history is never replayed; invitations found in it are still decided. With a
stored token the first sync asks for the full room state (nio keeps rooms only in memory) but
only the timeline since the token, which is delivered. Then ``sync_forever`` runs in a task that
survives network failures with a bounded backoff. ``stop`` takes no new events, delivers the
queued ones (handlers may still send), sends the queued housekeeping (polls to end, edits), then
stops syncing and disconnects; what arrived during that is fetched again by the next start. How events reach the sink and when the sync token is
saved: :mod:`bot.transport.matrix.delivery`.

Trust. There is no interactive verification: devices of everyone the bot talks to are marked
verified on first use (when they write in an encrypted room, or before the bot sends into one).
A device that later presents different keys under the same id is refused by nio's device store.

Who is heard. Events of the bot itself are ignored, and so are users of homeservers other than
the bot's own unless ``allowed_servers`` lists them (each such event is logged as a refusal on
``sejabot.security``). Invitations are accepted only from users of allowed servers whom the
``is_welcome`` callback approves (linked members, roster Matrix IDs); others are rejected with a
reason their client shows, and logged.

Secrets (password, access token, the store's pickle key) are passed in by the caller and never
logged. The store is encrypted with the pickle key and readable by its owner only; a store
written with nio's default key is re-encrypted at start (:mod:`bot.transport.matrix.store`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    InviteMemberEvent,
    LoginResponse,
    MegolmEvent,
    RoomMessage,
    SyncError,
    SyncResponse,
    UnknownAccountDataEvent,
    UnknownEvent,
    WhoamiResponse,
)

from bot.domain.models import Platform
from bot.i18n import DEFAULT_LANGUAGE, Translator
from bot.transport.base import EventSink
from bot.transport.credentials import CredentialProblem, CredentialsRefused
from bot.transport.events import Capability, ChatRef, MessageRef, OutgoingMessage
from bot.transport.matrix.delivery import Delivery
from bot.transport.matrix.incoming import ChoiceMemory, IncomingReader
from bot.transport.matrix.notices import PollNotices
from bot.transport.matrix.outbox import RoomOutbox
from bot.transport.matrix.outgoing import OutgoingMessages
from bot.transport.matrix.rooms import (
    DIRECT_ACCOUNT_DATA,
    DirectRooms,
    InviteGate,
    ServerPolicy,
    WelcomeCheck,
)
from bot.transport.matrix.sending import MatrixSender, MatrixTransportError, SyncSignal
from bot.transport.matrix.store import NIO_DEFAULT_PICKLE_KEY, StoreKeyError, rekey, restrict

log = logging.getLogger(__name__)

SYNC_TIMEOUT_MS = 30_000
TIMELINE_LIMIT = 50
MAX_SYNC_BACKOFF_SECONDS = 60.0
STOP_FLUSH_SECONDS = 30.0


class _SyncingClient(AsyncClient):  # nio ships no type hints: AsyncClient is Any to mypy
    """nio's client with one hook: ``after_sync`` runs once a sync batch has been handled.

    ``handling`` is held while a batch is handled, so stopping never cuts a batch in half.
    """

    after_sync: Callable[[SyncResponse], Awaitable[None]] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.handling = asyncio.Lock()

    async def receive_response(self, response: Any) -> None:
        if not isinstance(response, SyncResponse):
            await super().receive_response(response)
            return
        async with self.handling:
            await super().receive_response(response)
            if self.after_sync is not None:
                await self.after_sync(response)


class MatrixTransport:
    platform = Platform.MATRIX
    capabilities = frozenset(
        {
            Capability.POLLS,
            Capability.EDIT,
            Capability.FILES,
            Capability.IMAGES,
            Capability.ENCRYPTION,
            Capability.PLATFORM_TIMESTAMPS,
        }
    )

    def __init__(
        self,
        homeserver: str,
        user_id: str,
        device_id: str,
        store_path: Path | str,
        *,
        is_welcome: WelcomeCheck,
        password: str | None = None,
        access_token: str | None = None,
        allowed_servers: Iterable[str] = (),
        language: str = DEFAULT_LANGUAGE,
        device_name: str = "Sejabot",
        timeline_limit: int = TIMELINE_LIMIT,
        pickle_key: str | None = None,
    ) -> None:
        """``pickle_key`` encrypts the crypto store: the running bot passes the one derived
        from SEJABOT_SECRET_KEY; None keeps nio's default key (tests and the demo only)."""
        if (password is None) == (access_token is None):
            raise ValueError("Give either a password or an access token.")
        self.homeserver = homeserver
        self.user_id = user_id
        self.device_id = device_id
        self.store_path = Path(store_path)
        self._password = password
        self._access_token = access_token
        self._pickle_key = pickle_key or NIO_DEFAULT_PICKLE_KEY
        self._is_welcome = is_welcome
        self._policy = ServerPolicy(user_id, allowed_servers)
        self._translate = Translator(language)
        self._device_name = device_name
        self._sync_filter = {"room": {"timeline": {"limit": timeline_limit}}}
        self._choices = ChoiceMemory()
        self._signal = SyncSignal()
        self._sync_failures = 0
        self._client: _SyncingClient | None = None
        self._delivery_task: asyncio.Task[None] | None = None
        self._sync_task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:  # never shows the secrets
        return f"MatrixTransport({self.user_id!r}, device {self.device_id!r})"

    # ------------------------------------------------------------------ lifecycle

    async def start(self, sink: EventSink) -> None:
        if self._client is not None:
            raise RuntimeError("The Matrix transport is already running.")
        await asyncio.to_thread(self._prepare_store)
        client = _SyncingClient(
            self.homeserver,
            self.user_id,
            device_id=self.device_id,
            store_path=str(self.store_path),
            config=AsyncClientConfig(
                encryption_enabled=True,
                store_sync_tokens=False,  # saved after delivery instead (matrix_delivery)
                max_limit_exceeded=0,  # retries are decided in matrix_sending, with limits
                max_timeouts=0,
                pickle_key=self._pickle_key,
            ),
        )
        self._client = client
        self._wire(client)
        self._delivery_task = asyncio.create_task(self._delivery.run(sink), name="matrix-deliver")
        try:
            await self._log_in(client)
            await self._direct_rooms.load()
            await self._first_sync(client)
        except BaseException:
            await self.stop()
            raise
        self._sync_task = asyncio.create_task(self._sync_loop(client), name="matrix-sync")

    def _prepare_store(self) -> None:
        """Owner-only files, and a store written with nio's default key re-encrypted."""
        restrict(self.store_path, self.user_id, self.device_id)
        try:
            rekey(self.store_path, self.user_id, self.device_id, self._pickle_key)
        except StoreKeyError as error:
            raise MatrixTransportError(str(error)) from None

    async def stop(self) -> None:
        client = self._client
        if client is None or self._delivery.closed:
            return
        # Take no new events, deliver the queued ones while sending and syncing still work
        # (a handler may open a direct room, which waits for a sync), then stop syncing.
        # Batches synced meanwhile are not checkpointed, so the next start fetches them again.
        self._delivery.close()
        await self._delivery.flush(STOP_FLUSH_SECONDS)
        if not await self._outbox.settle(STOP_FLUSH_SECONDS):
            log.warning("Stopped before every answered Matrix poll was ended")
        await self._outbox.close()
        sync_task, self._sync_task = self._sync_task, None
        async with client.handling:  # never cut nio's handling of a batch in half
            await _cancel(sync_task)
        delivery_task, self._delivery_task = self._delivery_task, None
        await _cancel(delivery_task)
        self._client = None
        await client.close()

    async def _log_in(self, client: _SyncingClient) -> None:
        if self._access_token is not None:
            client.restore_login(self.user_id, self.device_id, self._access_token)
            whoami = await client.whoami()
            if not isinstance(whoami, WhoamiResponse):
                raise CredentialsRefused(
                    CredentialProblem.MATRIX_TOKEN,
                    server=self.homeserver,
                    detail=str(getattr(whoami, "status_code", "") or whoami),
                    device=self.device_id,
                )
            if whoami.device_id != self.device_id:
                raise CredentialsRefused(
                    CredentialProblem.MATRIX_OTHER_DEVICE,
                    other=str(whoami.device_id),
                    device=self.device_id,
                )
        else:
            assert self._password is not None
            login = await client.login(self._password, device_name=self._device_name)
            if not isinstance(login, LoginResponse):
                raise CredentialsRefused(
                    CredentialProblem.MATRIX_LOGIN,
                    server=self.homeserver,
                    user=self.user_id,
                    detail=str(getattr(login, "status_code", "") or login),
                )
        if client.should_upload_keys:
            await client.keys_upload()

    def _wire(self, client: _SyncingClient) -> None:
        self._sender = MatrixSender(client, self._signal)
        self._direct_rooms = DirectRooms(client, self._sender, self._signal)
        self._invites = InviteGate(
            client, self._policy, self._is_welcome, self._direct_rooms, self._sender,
            self._translate,
        )  # fmt: skip
        reader = IncomingReader(client, self._choices, self._direct_rooms.is_direct)
        self._outbox = RoomOutbox()
        self._outgoing = OutgoingMessages(
            client, self._sender, self._choices, self._translate, self._outbox
        )
        notices = PollNotices(self._outgoing, self._translate)
        self._delivery = Delivery(client, reader, self._policy, self._outbox, notices.answer)
        client.after_sync = self._after_sync
        client.add_event_callback(
            self._delivery.on_room_event, (RoomMessage, UnknownEvent, MegolmEvent)
        )
        client.add_event_callback(self._invites.on_invite, InviteMemberEvent)
        client.add_global_account_data_callback(self._on_account_data, UnknownAccountDataEvent)
        client.add_response_callback(self._on_sync_error, SyncError)

    async def _first_sync(self, client: _SyncingClient) -> None:
        assert client.store is not None
        since = client.store.load_sync_token() or ""
        client.loaded_sync_token = since
        self._delivery.since = since
        # Without a token this is the first start: take the state, not the history.
        self._delivery.delivering = bool(since)
        response = await client.sync(timeout=0, sync_filter=self._sync_filter, full_state=True)
        if not isinstance(response, SyncResponse):
            raise MatrixTransportError(f"The first Matrix sync failed: {response}")
        if not since:
            self._delivery.delivering = True
            await self._invites.decide_pending(response)

    async def _sync_loop(self, client: _SyncingClient) -> None:
        while True:
            try:
                await client.sync_forever(timeout=SYNC_TIMEOUT_MS, sync_filter=self._sync_filter)
                return
            except Exception as error:  # noqa: BLE001 - the loop outlives any network failure
                await self._back_off(f"The Matrix sync loop failed ({error!r})")

    async def _back_off(self, what: str) -> None:
        self._sync_failures += 1
        delay = min(2.0**self._sync_failures, MAX_SYNC_BACKOFF_SECONDS)
        log.warning("%s; retrying in %.0f s", what, delay)
        await asyncio.sleep(delay)

    async def _on_sync_error(self, response: SyncError) -> None:
        # nio's loop would otherwise ask again at once, and again.
        await self._back_off(f"Matrix sync refused: {response}")

    async def _after_sync(self, response: SyncResponse) -> None:
        await self._delivery.after_sync(response)
        self._sync_failures = 0
        await self._signal.synced()

    async def _on_account_data(self, event: UnknownAccountDataEvent) -> None:
        if event.type == DIRECT_ACCOUNT_DATA:
            self._direct_rooms.merge(event.content)

    # ------------------------------------------------------------------ outgoing

    async def send(self, chat: ChatRef, message: OutgoingMessage) -> MessageRef:
        self._require_running()
        return await self._outgoing.send(chat, message)

    async def edit(self, ref: MessageRef, message: OutgoingMessage) -> MessageRef:
        self._require_running()
        return await self._outgoing.edit(ref, message)

    async def direct_chat(self, external_user_id: str) -> ChatRef:
        self._require_running()
        room_id = await self._direct_rooms.room_for(external_user_id)
        return ChatRef(Platform.MATRIX, room_id, is_direct=True)

    def _require_running(self) -> None:
        if self._client is None:
            raise RuntimeError("The Matrix transport has not been started.")


async def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
