"""35 council members voting at once over Matrix, against a bare matrix-nio echo client.

The bot runs as its own process (`sejabot run`, Telegram on the fake Bot API, Matrix on the
local Synapse); the echo client (``benchmarks.matrix_echo``) too. The 35 members are real
matrix-nio clients with encryption in this process; all at once, each opened an encrypted direct
room with the bot and one with the echo client, and linked their account with their code.

A vote is the member's whole dialogue: answer the ballot poll with ZA, wait for the "are you
sure?" poll, answer it, wait for the confirmation text. Timed per member from the first answer
to the confirmation as the member's client shows it. The echo client answers the same two poll
answers with the same two messages at once and does nothing else, so the difference is the
time the bot adds: its checks and transactions, the question's full text it shows before the
"are you sure?" poll, and the housekeeping (ending the answered polls) it sends after confirming,
which shares the homeserver with the other members' replies.
Rounds alternate, echo then bot, so a change of load weighs on both; each bot round is a new
correspondence session stored ready (as ``sejabot session create`` does) and sent by the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nio
from nio import AsyncClient, AsyncClientConfig, LoginError, RoomCreateError, RoomPreset

from benchmarks.common import Result, median, percentile
from benchmarks.councils import convene, council_ids
from benchmarks.keys import BENCH_KEYS
from benchmarks.matrix_echo import BALLOT_REQUEST
from benchmarks.population import populate
from bot.correspondence.create import voting_member_ids
from bot.linking.codes import issue_codes
from bot.local_homeserver import SynapseServer
from bot.transport.matrix.content import MEGOLM_ALGORITHM
from bot.transport.matrix.sending import trust_devices_on_first_use
from storage.database import Database
from tests.support.bot_process import BotProcess
from tests.support.fake_telegram import FakeTelegram
from tests.support.harness import MatrixMember, Seen

GOAL_ADDED = 0.20
MEMBERS = 35
ROUNDS = 3
PASSWORD = "benchmark password"
SYNC_TIMEOUT_MS = 30_000  # members long-poll as the bot does
WAIT = 120.0
REPO_ROOT = Path(__file__).resolve().parents[1]
# The members' nio warns once per device it has no Olm session with yet, then claims its keys.
MEMBER_CRYPTO_LOGGER = "nio.crypto.log"


class SetupFailed(RuntimeError):
    """The homeserver refused a member's login, sync or room."""


def offers(label: str) -> Callable[[Seen], bool]:
    return lambda seen: any(offered == label for offered, _ in seen.choices)


def says(text: str) -> Callable[[Seen], bool]:
    return lambda seen: text in seen.text and not seen.choices


class MemberClients:
    """Registers member accounts and logs in encryption-capable nio clients."""

    def __init__(self, synapse: SynapseServer, store_root: Path) -> None:
        self.synapse = synapse
        self.store_root = store_root
        self.clients: list[AsyncClient] = []

    async def new_client(self, localpart: str) -> AsyncClient:
        user_id = await self.synapse.register_user(localpart, PASSWORD)
        store = self.store_root / localpart
        store.mkdir(parents=True)
        client = AsyncClient(
            self.synapse.base_url, user_id, store_path=str(store),
            config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True),
        )  # fmt: skip
        self.clients.append(client)
        login = await client.login(PASSWORD, device_name="member")
        if isinstance(login, LoginError):
            raise SetupFailed(f"login of {user_id} failed: {login}")
        if client.should_upload_keys:
            await client.keys_upload()
        return client

    @staticmethod
    async def sync_once(client: AsyncClient, timeout_ms: int = 500) -> nio.SyncResponse:
        """One /sync and the key housekeeping ``sync_forever`` does after it."""
        response = await client.sync(timeout=timeout_ms, full_state=client.next_batch is None)
        if isinstance(response, nio.SyncError):
            raise SetupFailed(f"sync of {client.user_id} failed: {response}")
        await client.send_to_device_messages()
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())
        return response

    @staticmethod
    def trust_devices_on_first_use(client: AsyncClient, user_id: str) -> int:
        return trust_devices_on_first_use(client, [user_id])

    async def close_all(self) -> None:
        await asyncio.gather(*(client.close() for client in self.clients))


async def _direct_room(users: MemberClients, client: AsyncClient, other: str) -> str:
    """An encrypted direct room with ``other``, once they joined and their keys are known."""
    encryption = {
        "type": "m.room.encryption",
        "state_key": "",
        "content": {"algorithm": MEGOLM_ALGORITHM},
    }
    created = await client.room_create(
        is_direct=True, invite=[other], preset=RoomPreset.trusted_private_chat,
        initial_state=[encryption],
    )  # fmt: skip
    if isinstance(created, RoomCreateError):
        raise SetupFailed(f"{client.user_id} could not open a room with {other}: {created}")
    deadline = time.monotonic() + WAIT
    while not (
        created.room_id in client.rooms
        and other in client.rooms[created.room_id].users
        and any(True for _ in client.device_store.active_user_devices(other))
    ):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{other} never joined {client.user_id}'s room")
        await users.sync_once(client)
    users.trust_devices_on_first_use(client, other)
    return str(created.room_id)


@dataclass
class Voter:
    client: AsyncClient
    with_bot: MatrixMember
    with_echo: MatrixMember
    syncing: asyncio.Task[None] | None = None
    bot_times: list[float] = field(default_factory=list)
    echo_times: list[float] = field(default_factory=list)
    # Of each vote, the first step: from the answer to the "are you sure?" poll.
    bot_first_steps: list[float] = field(default_factory=list)
    echo_first_steps: list[float] = field(default_factory=list)

    def start_syncing(self, users: MemberClients) -> None:
        async def loop() -> None:
            while True:
                try:
                    await users.sync_once(self.client, SYNC_TIMEOUT_MS)
                except Exception:  # noqa: BLE001 - a failed sync is tried again, as clients do
                    await asyncio.sleep(0.5)

        self.syncing = asyncio.create_task(loop())

    async def stop_syncing(self) -> None:
        if self.syncing is not None:
            self.syncing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.syncing


async def vote(member: MatrixMember, times: list[float], first_steps: list[float]) -> None:
    """ZA on the newest ballot, "Da, glasujem ZA", then the confirmation: timed."""
    started = time.perf_counter()
    await member.choose("ZA")
    await member.expect(offers("Da, glasujem ZA"), WAIT)
    first_steps.append(time.perf_counter() - started)
    await member.choose("Da, glasujem ZA")
    await member.expect(says("Zabeleženo"), WAIT)
    times.append(time.perf_counter() - started)


async def _prepare_database(path: Path, member_ids: dict[int, str]) -> tuple[int, dict[int, str]]:
    """The council with its members' Matrix IDs; returns its body id and the codes."""
    db = await Database.open(path, BENCH_KEYS)
    try:
        body_id = (await council_ids(db))[0]
        codes = {item.person.id: item.code for item in await issue_codes(db, datetime.now(UTC), 14)}
        async with db.transaction() as repos:
            for person_id, user_id in member_ids.items():
                person = await repos.persons.get(person_id)
                assert person is not None
                await repos.persons.update(replace(person, matrix_id=user_id))
        return body_id, {person_id: codes[person_id] for person_id in member_ids}
    finally:
        await db.close()


async def _start_echo(
    synapse: SynapseServer, user_id: str, store: Path
) -> asyncio.subprocess.Process:
    echo = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.matrix_echo", synapse.base_url, user_id, PASSWORD,
        str(store), cwd=REPO_ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert echo.stdout is not None
    line = await asyncio.wait_for(echo.stdout.readline(), WAIT)
    if line.strip() != b"ready":
        raise RuntimeError(f"the echo client did not start: {line!r}")
    return echo


async def _join(users: MemberClients, client: AsyncClient, bot_id: str, echo_id: str,
                code: str) -> Voter:  # fmt: skip
    bot_room = await _direct_room(users, client, bot_id)
    echo_room = await _direct_room(users, client, echo_id)
    voter = Voter(client, MatrixMember(users, client, bot_room, client.user_id, 0),
                  MatrixMember(users, client, echo_room, client.user_id, 0))  # fmt: skip
    voter.start_syncing(users)
    await voter.with_bot.say(code)
    await voter.with_bot.expect(lambda seen: "povezan" in seen.text, WAIT)
    return voter


async def _echo_round(voters: list[Voter]) -> None:
    for voter in voters:
        await voter.with_echo.say(BALLOT_REQUEST)
    await asyncio.gather(*(v.with_echo.expect(offers("ZA"), WAIT) for v in voters))
    await asyncio.gather(*(vote(v.with_echo, v.echo_times, v.echo_first_steps) for v in voters))


async def _bot_round(voters: list[Voter], database: Path, body_id: int) -> None:
    db = await Database.open(database, BENCH_KEYS)  # a second process on the file, as the CLI is
    try:
        now = datetime.now(UTC)
        await convene(db, [body_id], motions=1, deadline=now + timedelta(days=2), now=now,
                      with_material=False)  # fmt: skip
    finally:
        await db.close()
    await asyncio.gather(*(v.with_bot.expect(offers("ZA"), WAIT) for v in voters))
    await asyncio.gather(*(vote(v.with_bot, v.bot_times, v.bot_first_steps) for v in voters))


async def run(work_dir: Path, synapse: SynapseServer) -> Result:
    crypto_log = logging.getLogger(MEMBER_CRYPTO_LOGGER)
    level = crypto_log.level
    crypto_log.setLevel(logging.ERROR)
    try:
        return await _measure(work_dir, synapse)
    finally:
        crypto_log.setLevel(level)


async def _measure(work_dir: Path, synapse: SynapseServer) -> Result:
    database = work_dir / "matrix.sqlite3"
    db = await Database.open(database, BENCH_KEYS)
    await populate(db, 1, MEMBERS, 0)
    members = await voting_member_ids(db.read, (await council_ids(db))[0])
    await db.close()
    run_tag = f"{os.getpid()}x{int(time.time())}"
    bot_id = await synapse.register_user(f"bot{run_tag}", PASSWORD)
    echo_id = await synapse.register_user(f"echo{run_tag}", PASSWORD)
    users = MemberClients(synapse, work_dir / "member-stores")
    clients = [await users.new_client(f"m{number}x{run_tag}") for number in range(len(members))]
    body_id, codes = await _prepare_database(
        database, {person: client.user_id for person, client in zip(members, clients, strict=True)}
    )
    voters: list[Voter] = []
    async with FakeTelegram() as fake:
        bot = BotProcess(work_dir, database, fake.url, fake.token, homeserver=synapse.base_url,
                         matrix_user=bot_id, matrix_password=PASSWORD)  # fmt: skip
        await bot.start()
        echo = await _start_echo(synapse, echo_id, work_dir / "echo-store")
        try:
            # All members at once, as after a council's first invitation: each must keep the
            # one direct room they opened.
            voters.extend(
                await asyncio.gather(
                    *(
                        _join(users, client, bot_id, echo_id, codes[person_id])
                        for client, person_id in zip(clients, members, strict=True)
                    )
                )
            )
            load_before = os.getloadavg()[0]
            for _round in range(ROUNDS):
                await _echo_round(voters)
                await _bot_round(voters, database, body_id)
            load_after = os.getloadavg()[0]
        finally:
            for voter in voters:
                await voter.stop_syncing()
            echo.terminate()
            await echo.wait()
            await bot.stop()
            await users.close_all()

    bot_times = [t for v in voters for t in v.bot_times]
    echo_times = [t for v in voters for t in v.echo_times]
    bot_first = [t for v in voters for t in v.bot_first_steps]
    echo_first = [t for v in voters for t in v.echo_first_steps]
    bot_mean, echo_mean = sum(bot_times) / len(bot_times), sum(echo_times) / len(echo_times)
    added = bot_mean / echo_mean - 1

    def spread(times: list[float]) -> str:
        return (f"mean {sum(times) / len(times):.2f} s, p50 {median(times):.2f} s, "
                f"p90 {percentile(times, 0.9):.2f} s, max {max(times):.2f} s")  # fmt: skip

    return Result(
        name="Matrix: 35 members voting at once",
        goal=f"added time per vote over a bare matrix-nio echo client ≤ {GOAL_ADDED:.0%}",
        measured=(
            f"{added:+.1%} ({bot_mean:.2f} s per vote with the bot, {echo_mean:.2f} s "
            "with the echo client)"
        ),
        met=added <= GOAL_ADDED,
        details=[
            (
                f"{MEMBERS} matrix-nio members with encryption, each in an encrypted direct room "
                "with the bot (`sejabot run`, its own process) and one with the echo client (its "
                "own process, same encryption and trust on first use), on the local Synapse"
            ),
            (
                'a vote: answer the ballot poll ZA, wait for the "are you sure?" poll, answer it, '
                "wait for the confirmation; timed from the first answer to the confirmation shown "
                f"in the member's client, all {MEMBERS} members at once"
            ),
            (
                f"{ROUNDS} rounds each, alternating echo and bot; each bot round a new "
                "correspondence session sent by the bot"
            ),
            f"bot: {len(bot_times)} votes, {spread(bot_times)}",
            f"echo client: {len(echo_times)} votes, {spread(echo_times)}",
            (
                'of which the first step (answer to the "are you sure?" poll): bot mean '
                f"{sum(bot_first) / len(bot_first):.2f} s, echo client mean "
                f"{sum(echo_first) / len(echo_first):.2f} s"
            ),
            (
                f"added time per vote: {bot_mean - echo_mean:.2f} s on the mean, "
                f"{median(bot_times) / median(echo_times) - 1:+.1%} on the median"
            ),
            (
                f"load average of the machine (1 min): {load_before:.1f} before, "
                f"{load_after:.1f} after"
            ),
        ],
    )
