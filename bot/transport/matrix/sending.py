"""Sending to Matrix with bounded retries, idempotent transactions and device trust.

nio's own retry loops are switched off (``max_limit_exceeded=0``, ``max_timeouts=0`` in the
client config) so every retry decision is made here, with a limit:

* ``M_LIMIT_EXCEEDED`` waits ``retry_after_ms`` (or a backoff when the server names none);
* connection errors, time-outs and server errors (5xx) back off exponentially;
* a refusal for good of a room event or an upload (the event is too large, ``M_TOO_LARGE`` or
  HTTP 413; the bot may not post there, ``M_FORBIDDEN``; a malformed event, ``M_BAD_JSON``,
  ``M_NOT_JSON``, ``M_INVALID_PARAM``; any other 4xx but 401, 408 and 429) raises
  :class:`MessageRefused` with the homeserver's own code and words, so the clerk's report says
  why a member was not reached; sending it again would only repeat the refusal;
* anything else fails at once with :class:`MatrixTransportError`.

Each logical send gets one transaction id, reused by every retry, so a PUT whose answer was lost
is recognised by the homeserver and never creates a second event. A message that carries an
``idempotency_key`` (bot/transport/events.py) gets transaction ids derived from it
(:func:`transaction_id`), the same in every process: a send repeated after a crash, between the
homeserver's acceptance and the bot's record, returns the first event instead of showing the
message twice. Synapse (1.163, MSC3970) keys transactions by user and *device*, not by access
token, so a new login onto the configured ``device_id`` still matches; it remembers them 30-60
minutes in memory and 24 hours in its database (``event_txn_id_device_id``), so a repeat later
than that, or from another device id, is a new event.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote

from aiohttp import ClientError
from nio import (
    AsyncClient,
    ErrorResponse,
    JoinedMembersError,
    LocalProtocolError,
    MatrixRoom,
    RoomLeaveResponse,
    RoomSendResponse,
    UploadResponse,
)
from nio.responses import EmptyResponse

from bot.transport.events import OutgoingFile
from bot.transport.refusal import MessageRefused

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 5
BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0
ROOM_WAIT_SECONDS = 30.0

_Result = TypeVar("_Result")


class MatrixTransportError(RuntimeError):
    """The homeserver refused a request, or it kept failing after bounded retries."""


class SyncSignal:
    """Lets senders wait until a sync has brought in what they need (a new room, a member)."""

    def __init__(self) -> None:
        self._condition = asyncio.Condition()

    async def synced(self) -> None:
        async with self._condition:
            self._condition.notify_all()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        if predicate():  # the usual case: nothing to wait for
            return True
        async with self._condition:
            try:
                await asyncio.wait_for(self._condition.wait_for(predicate), timeout)
            except TimeoutError:
                return predicate()
        return True


# Error codes that mean this request will never be accepted as it is.
REFUSAL_CODES = frozenset(
    {
        "M_TOO_LARGE",
        "M_FORBIDDEN",
        "M_BAD_JSON",
        "M_NOT_JSON",
        "M_INVALID_PARAM",
        "M_UNRECOGNIZED",
        "M_NOT_FOUND",
        "M_GUEST_ACCESS_FORBIDDEN",
        "M_CANNOT_LEAVE_SERVER_NOTICE_ROOM",
        "M_RESOURCE_LIMIT_EXCEEDED",
    }
)
_NOT_REFUSALS = frozenset({401, 408, 429})  # a token problem, a time-out, a rate limit


def transaction_id(key: str, part: str) -> str | None:
    """The transaction id of one event of a message with an idempotency key (None without):
    the same for the same key and part in every process, and naming neither."""
    if not key:
        return None
    digest = hashlib.sha256(f"{key}\x1f{part}".encode()).hexdigest()[:40]
    return f"sejabot.{digest}"


def _http_status(response: ErrorResponse) -> int | None:
    transport = getattr(response, "transport_response", None)
    status = getattr(transport, "status", None)
    return status if isinstance(status, int) else None


def refusal_reason(response: ErrorResponse) -> str | None:
    """The homeserver's own reason when it refused for good, else None."""
    status = _http_status(response)
    code = str(response.status_code or "")
    final = (
        code in REFUSAL_CODES
        or status == 413
        or (
            status is not None
            and 400 <= status < 500
            and status not in _NOT_REFUSALS
            and code not in {"M_LIMIT_EXCEEDED", "M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"}
        )
    )
    if not final:
        return None
    words = str(response.message or "").strip()
    if status == 413 and not code:
        code = "M_TOO_LARGE"
    label = f"{code} (HTTP {status})" if status is not None else code or "refused"
    return f"{label}: {words}" if words else label


def _is_server_error(response: ErrorResponse) -> bool:
    status = _http_status(response)
    return status is not None and status >= 500


def _retry_delay(attempt: int, response: ErrorResponse | None) -> float:
    if response is not None and response.retry_after_ms:
        return float(response.retry_after_ms) / 1000
    return float(min(BACKOFF_SECONDS * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS))


def _is_rate_limited(response: ErrorResponse) -> bool:
    return response.status_code == "M_LIMIT_EXCEEDED" or response.retry_after_ms is not None


async def with_retries(
    action: str,
    request: Callable[[], Awaitable[_Result | ErrorResponse]],
    *,
    retry_network_errors: bool = True,
    refusable: bool = False,
) -> _Result:
    """Run ``request`` until it succeeds; retry rate limits, network and server errors a
    bounded time.

    Requests that are not idempotent pass ``retry_network_errors=False``: after a lost answer
    the server may have acted, and only a rate limit proves it did not. ``refusable``: a
    refusal for good raises :class:`MessageRefused` (a message, not the bot, is at fault).
    """
    for attempt in range(1, SEND_ATTEMPTS + 1):
        error: ErrorResponse | None = None
        try:
            result = await request()
        except (ClientError, TimeoutError) as network_error:
            if not retry_network_errors:
                raise MatrixTransportError(
                    f"Could not {action}: {network_error}"
                ) from network_error
            reason: str | None = f"{type(network_error).__name__}: {network_error}"
        else:
            if not isinstance(result, ErrorResponse):
                return result
            reason = refusal_reason(result) if refusable else None
            if reason is not None:
                raise MessageRefused("matrix", reason)
            retriable = _is_server_error(result) and retry_network_errors
            if not (_is_rate_limited(result) or retriable):
                raise MatrixTransportError(f"Matrix refused to {action}: {result}")
            error, reason = result, str(result)
        if attempt == SEND_ATTEMPTS:
            raise MatrixTransportError(f"Could not {action} after {attempt} attempts: {reason}")
        delay = _retry_delay(attempt, error)
        log.warning("Could not %s (%s); retrying in %.1f s", action, reason, delay)
        await asyncio.sleep(delay)
    raise AssertionError("unreachable")


class MatrixSender:
    """Room events, media and account data, sent the way this module's docstring describes."""

    def __init__(self, client: AsyncClient, signal: SyncSignal) -> None:
        self._client = client
        self._signal = signal
        self._querying_keys = asyncio.Lock()  # one key query at a time, not one per send

    async def room(self, room_id: str) -> MatrixRoom:
        """The joined room; waits for the sync that brings a room the bot has just entered."""
        known = await self._signal.wait_for(
            lambda: room_id in self._client.rooms, ROOM_WAIT_SECONDS
        )
        if not known:
            raise MatrixTransportError(f"The bot is not in room {room_id}.")
        return self._client.rooms[room_id]

    async def send_event(
        self,
        room_id: str,
        event_type: str,
        content: dict[str, Any],
        *,
        transaction: str | None = None,
    ) -> str:
        """Send one room event (encrypted in encrypted rooms); returns its event id.
        ``transaction``: its transaction id (:func:`transaction_id`), else a new one."""
        room = await self.room(room_id)
        transaction_id = transaction or str(uuid.uuid4())

        async def attempt() -> RoomSendResponse | ErrorResponse:
            try:
                if room.encrypted:
                    await self.prepare_encryption(room)
                return await self._client.room_send(
                    room_id,
                    event_type,
                    content,
                    tx_id=transaction_id,
                    ignore_unverified_devices=True,
                )
            except LocalProtocolError as error:  # e.g. a group session share already running
                raise MatrixTransportError(f"Cannot send to {room_id}: {error}") from error

        response = await with_retries(f"send {event_type} to {room_id}", attempt, refusable=True)
        return str(response.event_id)

    async def prepare_encryption(self, room: MatrixRoom) -> None:
        """Know every member's devices (invited ones too) and trust them on first use."""
        if not room.members_synced:
            members = await self._client.joined_members(room.room_id)
            if isinstance(members, JoinedMembersError):
                log.warning("Could not list the members of %s: %s", room.room_id, members)
        if self._client.should_query_keys:
            async with self._querying_keys:
                # Another send or the sync loop may have answered it meanwhile.
                if self._client.should_query_keys:
                    with contextlib.suppress(LocalProtocolError):
                        await self._client.keys_query()
        trusted = trust_devices_on_first_use(self._client, room.users)
        if trusted:
            log.info("Trusted %d new device(s) in %s on first use", trusted, room.room_id)

    async def upload(self, file: OutgoingFile, encrypt: bool) -> tuple[str, dict[str, Any] | None]:
        """Upload to the media repository; returns the mxc URI and, if encrypted, the keys."""

        async def attempt() -> tuple[UploadResponse, dict[str, Any] | None] | ErrorResponse:
            response, keys = await self._client.upload(
                io.BytesIO(file.content),
                content_type=file.media_type,
                filename=file.filename,
                encrypt=encrypt,
                filesize=len(file.content),  # Synapse refuses uploads of unknown length
            )
            return response if isinstance(response, ErrorResponse) else (response, keys)

        response, keys = await with_retries(f"upload {file.filename}", attempt, refusable=True)
        return response.content_uri, keys

    async def leave(self, room_id: str, reason: str) -> None:
        """Leave a room or reject an invitation, with a reason its members' clients show."""
        path = f"/_matrix/client/v3/rooms/{quote(room_id, safe='')}/leave"

        async def attempt() -> RoomLeaveResponse | ErrorResponse:
            response: RoomLeaveResponse | ErrorResponse = await self._client._send(
                RoomLeaveResponse, "POST", path, json.dumps({"reason": reason})
            )
            return response

        await with_retries(f"leave {room_id}", attempt)

    async def put_account_data(self, event_type: str, content: dict[str, Any]) -> None:
        user = quote(self._client.user_id, safe="")
        path = f"/_matrix/client/v3/user/{user}/account_data/{quote(event_type, safe='')}"

        async def attempt() -> EmptyResponse | ErrorResponse:
            response: EmptyResponse | ErrorResponse = await self._client._send(
                EmptyResponse, "PUT", path, json.dumps(content)
            )
            return response

        await with_retries(f"store {event_type}", attempt)


def trust_devices_on_first_use(client: AsyncClient, user_ids: Any) -> int:
    """Mark every not yet judged device of these users verified; returns how many were new.

    Blacklisted devices stay blacklisted. A device that changes its keys under the same id is
    refused by nio's device store, so trust never silently moves to a new key.
    """
    assert client.olm is not None
    trusted = 0
    for user_id in list(user_ids):
        if user_id == client.user_id:
            continue
        for device in client.device_store.active_user_devices(user_id):
            if client.olm.is_device_blacklisted(device) or client.olm.is_device_verified(device):
                continue
            client.verify_device(device)
            trusted += 1
    return trusted
