"""Sending to Matrix with bounded retries, idempotent transactions and device trust.

nio's own retry loops are switched off (``max_limit_exceeded=0``, ``max_timeouts=0`` in the
client config) so every retry decision is made here, with a limit:

* ``M_LIMIT_EXCEEDED`` waits ``retry_after_ms`` (or a backoff when the server names none);
* connection errors and time-outs back off exponentially;
* anything else fails at once with :class:`MatrixTransportError`.

Each logical send gets one transaction id, reused by every retry, so a PUT whose answer was lost
is recognised by the homeserver and never creates a second event.
"""

from __future__ import annotations

import asyncio
import contextlib
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
) -> _Result:
    """Run ``request`` until it succeeds; retry rate limits and network errors a bounded time.

    Requests that are not idempotent pass ``retry_network_errors=False``: after a lost answer
    the server may have acted, and only a rate limit proves it did not.
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
            reason = f"{type(network_error).__name__}: {network_error}"
        else:
            if not isinstance(result, ErrorResponse):
                return result
            if not _is_rate_limited(result):
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

    async def send_event(self, room_id: str, event_type: str, content: dict[str, Any]) -> str:
        """Send one room event (encrypted in encrypted rooms); returns its event id."""
        room = await self.room(room_id)
        transaction_id = str(uuid.uuid4())

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

        response = await with_retries(f"send {event_type} to {room_id}", attempt)
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

        response, keys = await with_retries(f"upload {file.filename}", attempt)
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
