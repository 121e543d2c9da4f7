"""Who may talk to the bot, which invitations it accepts, and its one-to-one rooms.

Direct rooms are recorded where every Matrix client records them: the ``m.direct`` account data
of the bot's account (user id -> room ids), kept on the homeserver, so a restart or a new store
finds the same rooms. New direct rooms are created encrypted (``m.room.encryption`` in the
initial state) with the ``trusted_private_chat`` preset, whose ``shared`` history visibility lets
the invitee read what the bot sent before they joined. Messages can be sent right after creation:
nio counts invited members as room users, so the Megolm session is shared with the invitee's
devices (queried and trusted on first use) before they accept the invitation.

The map in memory only ever grows: each copy a sync brings is merged into it, never taken in
place of it. A sync may carry a copy older than the bot's own latest write (the copy was read
before invitations accepted in the same batch were recorded), and taking it would forget those
rooms and open a second direct room with the member. Writes are serialised and always send the
whole merged map, so a slow earlier write can never land after a later one and shrink the map
on the homeserver.

A member's own invitation counts as their direct room as soon as the bot has joined it: a
message for them meanwhile waits for the acceptance to finish and goes into that room (the send
waits for the sync that brings the bot's join) instead of opening another.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

from nio import (
    AsyncClient,
    DirectRoomsResponse,
    InviteMemberEvent,
    MatrixRoom,
    RoomCreateResponse,
    RoomPreset,
    SyncResponse,
)

from bot.domain.models import Platform
from bot.i18n import N_, Translator
from bot.transport.matrix.content import MEGOLM_ALGORITHM
from bot.transport.matrix.sending import (
    ROOM_WAIT_SECONDS,
    MatrixSender,
    MatrixTransportError,
    SyncSignal,
    with_retries,
)
from bot.transport.security_log import RefusalKind, refused

log = logging.getLogger(__name__)

DIRECT_ACCOUNT_DATA = "m.direct"
JOIN_ATTEMPTS = 3
JOIN_RETRY_SECONDS = 1.0
WelcomeCheck = Callable[[str], Awaitable[bool]]

# Reasons of a rejected invitation; the inviter's client shows them with the rejection.
FOREIGN_SERVER_REASON = N_(
    "This bot serves only accounts on {servers}, so it cannot accept your invitation."
)
UNWELCOME_REASON = N_(
    "This bot serves members of municipal councils and contacts of municipalities whose "
    "Matrix account is on its roster. To use it, ask your municipal administration to add "
    "your account."
)


def server_name(user_id: str) -> str:
    """``@ana:obcina.si`` -> ``obcina.si`` (a server name may carry a port)."""
    return user_id.partition(":")[2]


class ServerPolicy:
    """Users of the bot's own homeserver are heard; others only from listed servers."""

    def __init__(self, own_user_id: str, allowed_servers: Iterable[str]) -> None:
        self.servers = frozenset({server_name(own_user_id), *allowed_servers})

    def allows(self, user_id: str) -> bool:
        return server_name(user_id) in self.servers


class DirectRooms:
    """The bot's ``m.direct`` map, mirrored in memory and written back when it grows."""

    def __init__(self, client: AsyncClient, sender: MatrixSender, signal: SyncSignal) -> None:
        self._client = client
        self._sender = sender
        self._signal = signal
        self._by_user: dict[str, list[str]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._write_lock = asyncio.Lock()
        self._unwritten = False  # the map holds rooms the homeserver's copy may lack
        self._accepting: dict[str, list[asyncio.Event]] = {}  # user -> invitations being accepted
        self._joining: set[str] = set()  # joined rooms whose join no sync has shown yet

    async def load(self) -> None:
        response = await self._client.list_direct_rooms()
        # An account that never had a direct room answers M_NOT_FOUND: an empty map.
        if isinstance(response, DirectRoomsResponse):
            self.merge(response.rooms)

    def merge(self, content: dict[str, Any]) -> None:
        """Add the rooms of a copy of the map (the homeserver's, maybe changed by another
        client); rooms already known stay, whatever the copy says."""
        for user, rooms in content.items():
            if not isinstance(user, str) or not isinstance(rooms, list):
                continue
            known = self._by_user.setdefault(user, [])
            known.extend(room for room in rooms if isinstance(room, str) and room not in known)
            if not known:
                del self._by_user[user]

    def is_direct(self, room: MatrixRoom) -> bool:
        if any(room.room_id in rooms for rooms in self._by_user.values()):
            return True
        return room.member_count == 2 and not room.name

    async def remember(self, user_id: str, room_id: str) -> None:
        rooms = self._by_user.setdefault(user_id, [])
        if room_id in rooms:
            return
        rooms.append(room_id)
        self._unwritten = True
        await self._write_back()

    async def _write_back(self) -> None:
        """Store the whole map on the homeserver; one write at a time, each with everything
        known when it starts, so concurrent callers are covered by one write."""
        async with self._write_lock:
            if not self._unwritten:
                return  # a write that started after our change has carried it
            self._unwritten = False
            snapshot = {user: list(rooms) for user, rooms in self._by_user.items()}
            try:
                await self._sender.put_account_data(DIRECT_ACCOUNT_DATA, snapshot)
            except BaseException:
                self._unwritten = True
                raise

    @contextlib.contextmanager
    def accepting(self, user_id: str) -> Iterator[None]:
        """Held while the bot accepts a direct invitation from ``user_id``."""
        done = asyncio.Event()
        self._accepting.setdefault(user_id, []).append(done)
        try:
            yield
        finally:
            done.set()
            waiting = self._accepting[user_id]
            waiting.remove(done)
            if not waiting:
                del self._accepting[user_id]

    async def joined(self, user_id: str, room_id: str) -> None:
        """The bot joined the direct room ``user_id`` invited it to."""
        self._joining.add(room_id)
        await self.remember(user_id, room_id)

    async def room_for(self, user_id: str) -> str:
        """The direct room with ``user_id`` (the newest usable one), created when there is none."""
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        async with lock:  # two messages to a new member must not open two rooms
            await self._acceptances_done(user_id)
            existing = self._usable(user_id)
            if existing is not None:
                return existing
            room_id = await self._create(user_id)
            await self.remember(user_id, room_id)
            return room_id

    async def _acceptances_done(self, user_id: str) -> None:
        pending = list(self._accepting.get(user_id, ()))
        if pending:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*(done.wait() for done in pending)), ROOM_WAIT_SECONDS
                )

    def _usable(self, user_id: str) -> str | None:
        for room_id in reversed(self._by_user.get(user_id, [])):
            room = self._client.rooms.get(room_id)
            if room is None:
                if room_id in self._joining:
                    return room_id
                continue
            self._joining.discard(room_id)
            if user_id in room.users and self._client.user_id in room.users:
                return room_id
        return None

    async def _create(self, user_id: str) -> str:
        encryption = {
            "type": "m.room.encryption",
            "state_key": "",
            "content": {"algorithm": MEGOLM_ALGORITHM},
        }
        response: RoomCreateResponse = await with_retries(
            f"open a direct room with {user_id}",
            lambda: self._client.room_create(
                is_direct=True,
                invite=[user_id],
                preset=RoomPreset.trusted_private_chat,
                initial_state=[encryption],
            ),
            retry_network_errors=False,  # a lost answer may hide a created room: never two
        )
        room_id = str(response.room_id)
        arrived = await self._signal.wait_for(
            lambda: room_id in self._client.rooms and user_id in self._client.rooms[room_id].users,
            ROOM_WAIT_SECONDS,
        )
        if not arrived:
            raise MatrixTransportError(f"The new room {room_id} did not arrive in a sync.")
        log.info("Opened direct room %s with %s", room_id, user_id)
        return room_id


class InviteGate:
    """Accepts invitations from welcome users of allowed servers; rejects the rest by leaving
    with the reason, and logs each rejection as a refusal."""

    def __init__(
        self,
        client: AsyncClient,
        policy: ServerPolicy,
        is_welcome: WelcomeCheck,
        direct_rooms: DirectRooms,
        sender: MatrixSender,
        translate: Translator,
    ) -> None:
        self._client = client
        self._policy = policy
        self._is_welcome = is_welcome
        self._direct_rooms = direct_rooms
        self._sender = sender
        self._translate = translate
        self._decided: set[str] = set()

    async def on_invite(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        await self.consider(room.room_id, event)

    async def consider(self, room_id: str, event: InviteMemberEvent) -> None:
        if event.membership != "invite" or event.state_key != self._client.user_id:
            return
        try:
            await self.decide(room_id, event.sender, bool(event.content.get("is_direct")))
        except MatrixTransportError:  # raised into nio, it would abort the rest of the batch
            log.exception("Could not answer the invitation to %s", room_id)

    async def decide(self, room_id: str, inviter: str, is_direct: bool) -> None:
        if room_id in self._decided:
            return
        self._decided.add(room_id)
        refusal = await self._refusal(inviter)
        if refusal is not None:
            kind, reason = refusal
            refused(kind, Platform.MATRIX, inviter, f"invitation room={room_id}")
            await self._sender.leave(room_id, reason)
            return
        log.info("Accepting the invitation to %s from %s", room_id, inviter)
        if not is_direct:
            await self._join(room_id)
            return
        with self._direct_rooms.accepting(inviter):
            await self._join(room_id)
            await self._direct_rooms.joined(inviter, room_id)

    async def _join(self, room_id: str) -> None:
        for attempt in range(1, JOIN_ATTEMPTS + 1):
            try:
                await with_retries(f"join {room_id}", lambda: self._client.join(room_id))
                return
            except MatrixTransportError:
                if attempt == JOIN_ATTEMPTS:
                    raise
                # Over federation the inviting server may still be storing its own invitation
                # and refuses the join until it has.
                await asyncio.sleep(JOIN_RETRY_SECONDS * attempt)

    async def _refusal(self, inviter: str) -> tuple[RefusalKind, str] | None:
        """Why the invitation is rejected (the kind and the reason to show), or None."""
        _ = self._translate
        if not self._policy.allows(inviter):
            servers = ", ".join(sorted(self._policy.servers))
            return RefusalKind.FOREIGN_HOMESERVER, _(FOREIGN_SERVER_REASON, servers=servers)
        if not await self._is_welcome(inviter):
            return RefusalKind.UNWELCOME_INVITATION, _(UNWELCOME_REASON)
        return None

    async def decide_pending(self, response: SyncResponse) -> None:
        """Invitations that arrived while the bot was not running (seen in its first sync)."""
        for room_id, info in response.rooms.invite.items():
            for event in info.invite_state:
                if isinstance(event, InviteMemberEvent):
                    await self.consider(room_id, event)
