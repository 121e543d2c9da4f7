"""Members voting at once on Matrix: real matrix-nio clients in the encrypted direct rooms the
bot opens, answering its native polls, for crash and fault tests.

Each :class:`MatrixVoter` syncs on its own (long polls, so an idle member costs the homeserver
little), joins the room the bot invites it to, and votes on its resolutions one after the
other the way a person does: answer the resolution's poll, wait for the bot's "are you sure?"
poll, answer "Da, glasujem ...", wait for the confirmation. A member who hears nothing for a
while once the bot is up asks again. Everything the member sent (event ids) and was told (per
resolution) is kept for the checks. Sending and syncing ride out a homeserver restart: nio
retries connection failures with back-off, as a chat app does.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import aiohttp
from nio import (
    AsyncClient,
    JoinResponse,
    KeysClaimResponse,
    MatrixRoom,
    MegolmEvent,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
    UnknownEvent,
)

from bot.domain.models import Platform
from tests.support.bot_process import BotProcess
from tests.support.harness import MatrixUsersLike
from tests.support.voting_crowd import (
    ALREADY,
    APOLOGY,
    RECORDED,
    Council,
    Motion,
    cli_environment,
    convene,
    link_accounts,
    plan_for,
    populate,
    query,
)

POLL_START_TYPES = ("org.matrix.msc3381.poll.start", "m.poll.start")
POLL_END_TYPES = ("org.matrix.msc3381.poll.end", "m.poll.end")
POLL_RESPONSE = "org.matrix.msc3381.poll.response"
OUTCOMES = ("recorded", "already")  # the bot's answers that tell how a vote stands
SYNC_FILTER = {"room": {"timeline": {"limit": 100}}}
T = TypeVar("T")


class BotState:
    """Whether the bot is up, shared by the members (they only ask again while it is up)."""

    def __init__(self) -> None:
        self.up_since: float | None = time.monotonic()

    def down(self) -> None:
        self.up_since = None

    def up(self) -> None:
        self.up_since = time.monotonic()


@dataclass
class MatrixVoter:
    client: AsyncClient
    person_id: int
    plan: list[tuple[Motion, str]]
    bot_user_id: str
    bot: BotState
    silence: float = 20.0
    room_id: str | None = None
    polls: dict[str, list[str]] = field(default_factory=dict)  # answer id -> poll event ids
    told: dict[int, list[str]] = field(default_factory=dict)  # motion id -> what the bot said
    sent: list[tuple[float, str]] = field(default_factory=list)  # (when sending began, event id)
    asked_again: int = 0
    apologies: int = 0
    undecryptable: list[str] = field(default_factory=list)  # the bot's messages it cannot read
    _apologised: bool = False
    _answered: set[str] = field(default_factory=set)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _syncing: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.client.add_event_callback(self._on_event, (RoomMessageText, UnknownEvent))
        self.client.add_event_callback(self._on_undecryptable, MegolmEvent)

    # ---- syncing

    def start(self) -> None:
        self._syncing = asyncio.create_task(
            self._sync_forever(), name=f"sync {self.client.user_id}"
        )

    async def stop(self) -> None:
        if self._syncing is not None:
            self._syncing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._syncing
            self._syncing = None

    async def _sync_forever(self) -> None:
        while True:
            try:
                await self._sync_once()
            except Exception:  # noqa: BLE001 - e.g. the homeserver restarting; sync again
                await asyncio.sleep(0.5)

    async def _sync_once(self) -> None:
        client = self.client
        response = await client.sync(
            timeout=10_000, sync_filter=SYNC_FILTER, full_state=client.next_batch is None
        )
        if not isinstance(response, SyncResponse):
            raise ConnectionError(f"sync failed: {response}")
        # The key housekeeping nio's sync_forever would do.
        await client.send_to_device_messages()
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            claimed = await client.keys_claim(client.get_users_for_key_claiming())
            assert isinstance(claimed, KeysClaimResponse), claimed
        for room_id, room in list(client.invited_rooms.items()):
            if self.bot_user_id in room.users or room.inviter == self.bot_user_id:
                joined = await client.join(room_id)
                if isinstance(joined, JoinResponse):
                    self.room_id = room_id
        self._changed.set()

    def _on_event(self, room: MatrixRoom, event: RoomMessageText | UnknownEvent) -> None:
        if event.sender != self.bot_user_id:
            return
        self.room_id = self.room_id or room.room_id
        if isinstance(event, RoomMessageText):
            self._on_text(event.body)
        elif event.type in POLL_START_TYPES:
            content = event.source.get("content", {})
            poll = content.get("org.matrix.msc3381.poll.start") or {}
            for answer in poll.get("answers", []):
                self.polls.setdefault(answer.get("id", ""), []).append(event.event_id)
        elif event.type in POLL_END_TYPES:
            body = str(event.source.get("content", {}).get("body", ""))
            if "Vaš glas" in body:  # the resolution's poll ended with the vote it recorded
                self._tell(body, "shown")
        self._changed.set()

    def _on_undecryptable(self, room: MatrixRoom, event: MegolmEvent) -> None:
        if event.sender == self.bot_user_id:
            self.undecryptable.append(event.event_id)

    def _on_text(self, body: str) -> None:
        if body.startswith(RECORDED):
            self._tell(body, "recorded")
        elif ALREADY in body:
            self._tell(body, "already")
        elif body.startswith(APOLOGY):  # nothing was stored: try again
            self.apologies += 1
            self._apologised = True

    def _tell(self, body: str, kind: str) -> None:
        for motion, _ in self.plan:
            if f"»{motion.title}«" in body:
                self.told.setdefault(motion.id, []).append(kind)
                return

    # ---- voting

    async def vote_all(self, timeout: float, *, gate: asyncio.Event | None = None) -> None:
        """Vote on every resolution of the plan (once ``gate`` opens, if given)."""
        if gate is not None:
            await gate.wait()
        for motion, choice in self.plan:
            await asyncio.wait_for(self._vote(motion, choice), timeout)

    def _outcome(self, motion: Motion) -> bool:
        return any(kind in OUTCOMES for kind in self.told.get(motion.id, ()))

    def _shown(self, motion: Motion) -> bool:
        """The resolution's poll ended saying how the member voted (no answer came, though)."""
        return "shown" in self.told.get(motion.id, ())

    async def _vote(self, motion: Motion, choice: str) -> None:
        ballot, sure = f"cs:v:{motion.id}:{choice}", f"cs:s:{motion.id}:{choice}"
        while not self._outcome(motion):
            poll = await self._wait(lambda: self._newest(ballot), patient=True)
            assert poll is not None
            await self._answer(poll, ballot)
            asked = await self._wait(lambda: self._unanswered(sure) or self._outcome(motion))
            if asked is True:
                return  # told already (e.g. that the vote was recorded before)
            if asked is not None:
                await self._answer(str(asked), sure)
                if await self._wait(lambda: self._outcome(motion)) is not None:
                    return
            if self._shown(motion):
                return  # heard nothing, but the ended poll says what was recorded
            self.asked_again += 1

    def _newest(self, answer: str) -> str | None:
        polls = self.polls.get(answer)
        return polls[-1] if polls else None

    def _unanswered(self, answer: str) -> str | None:
        return next((p for p in self.polls.get(answer, []) if p not in self._answered), None)

    async def _wait(self, condition: Callable[[], T | None], *, patient: bool = False) -> T | None:
        """``condition()``'s first truthy value; None once the member has heard nothing for
        ``silence`` seconds while the bot was up (never when ``patient``)."""
        began = time.monotonic()
        while True:
            self._changed.clear()
            found = condition()
            if found:
                return found
            if self._apologised and not patient:
                self._apologised = False
                return None
            up_since = self.bot.up_since
            if (
                not patient
                and up_since is not None
                and time.monotonic() - max(began, up_since) > self.silence
            ):
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), 1.0)

    async def _answer(self, poll_event_id: str, answer: str) -> None:
        assert self.room_id is not None
        self._answered.add(poll_event_id)
        content = {
            "m.relates_to": {"rel_type": "m.reference", "event_id": poll_event_id},
            POLL_RESPONSE: {"answers": [answer]},
        }
        began = time.monotonic()
        while True:
            sent = await self.client.room_send(
                self.room_id, POLL_RESPONSE, content, ignore_unverified_devices=True
            )
            if isinstance(sent, RoomSendResponse):
                self.sent.append((began, sent.event_id))
                return
            await asyncio.sleep(0.5)  # refused meanwhile (e.g. the homeserver restarting)


async def saved_sync_token(store_path: Path, user_id: str, device_id: str) -> str:
    """The sync token the bot's Matrix store holds (read after the bot was killed)."""
    rows = await query(store_path / f"{user_id}_{device_id}.db", "SELECT token FROM synctokens")
    return str(rows[0][0]) if rows else ""


async def events_since(
    base_url: str, admin_token: str, room_id: str, since: str
) -> list[tuple[str, str]]:
    """(event id, sender) of every event in the room after the sync token ``since``, through
    Synapse's admin API (the admin need not be in the room)."""
    found: list[tuple[str, str]] = []
    token = since
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {admin_token}"}) as http:
        while True:
            url = f"{base_url}/_synapse/admin/v1/rooms/{room_id}/messages"
            params = {"from": token, "dir": "f", "limit": "500"}
            async with http.get(url, params=params) as response:
                body = await response.json()
                if response.status != 200:
                    raise AssertionError(f"admin messages of {room_id}: {response.status} {body}")
            chunk = body.get("chunk", [])
            found += [(event["event_id"], event["sender"]) for event in chunk]
            if not chunk or not body.get("end") or body["end"] == token:
                return found
            token = body["end"]


async def access_token(base_url: str, user_id: str, password: str) -> str:
    login = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user_id},
        "password": password,
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base_url}/_matrix/client/v3/login", json=login) as response,
    ):
        body = await response.json()
        assert response.status == 200, body
        return str(body["access_token"])


class MatrixUsersRegistering(MatrixUsersLike, Protocol):
    async def register(self, prefix: str = "user", *, admin: bool = False) -> str: ...


async def matrix_voters(
    users: MatrixUsersLike, council: Council, bot_user_id: str, bot: BotState
) -> list[MatrixVoter]:
    """A freshly registered, logged-in Matrix account per member of the council."""
    clients = await asyncio.gather(*(users.new_client("voter") for _ in council.member_ids))
    return [
        MatrixVoter(client, person_id, plan_for(person_id, council.motions), bot_user_id, bot)
        for client, person_id in zip(clients, council.member_ids, strict=True)
    ]


@dataclass
class MatrixVoting:
    """One council voting over Matrix with the real bot process, set up and not yet started."""

    database: Path
    bot_user: str
    bot: BotProcess
    state: BotState
    voters: list[MatrixVoter]
    planned: dict[tuple[int, int], str]


async def matrix_voting(
    work_dir: Path,
    homeserver: str,
    users: MatrixUsersRegistering,
    telegram: tuple[str, str],
    *,
    members: int,
    motions: int,
    bot_prefix: str,
    password: str,
) -> MatrixVoting:
    """A council of ``members`` with a correspondence session of ``motions`` resolutions stored
    ready, the bot process configured for Matrix (and the fake Telegram at ``telegram``: url,
    token), and every member a logged-in nio client linked to their person."""
    telegram_url, telegram_token = telegram
    database = work_dir / "sejabot.sqlite3"
    [council] = await populate(database, 1, members)
    bot_user = await users.register(bot_prefix)
    bot = BotProcess(
        work_dir, database, telegram_url, telegram_token, homeserver=homeserver,
        matrix_user=bot_user, matrix_password=password,
    )  # fmt: skip
    await convene(bot, database, [council], motions, cli_environment(telegram_token, password))
    state = BotState()
    voters = await matrix_voters(users, council, bot_user, state)
    await link_accounts(
        database, [(v.person_id, Platform.MATRIX, v.client.user_id) for v in voters]
    )
    planned = {(v.person_id, motion.id): choice for v in voters for motion, choice in v.plan}
    return MatrixVoting(database, bot_user, bot, state, voters, planned)
