"""One bot on both platforms, with members on either, for cross-platform end-to-end tests.

The bot is the real Runtime with the real Telegram adapter (python-telegram-bot against the
fake Bot API server) and the real Matrix adapter (matrix-nio against a real Synapse). Members
are simulated Telegram users or real matrix-nio clients in encrypted direct rooms; both kinds
offer the same verbs, so a test reads the same whichever platform a member is on:

    harness = await BotHarness.start(synapse, matrix_users, tmp_path)
    marko = await harness.member("marko.zupancic@gornji-grad.example", "telegram")
    tanja = await harness.member("tanja.kocevar@gornji-grad.example", "matrix")
    await tanja.say("!pomoc")
    help_text = await tanja.expect("jezik")
    await marko.choose("ZA")

Runs in pytest-asyncio's session loop (Synapse is one per session): test modules use
``pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import nio
from nio import AsyncClient, JoinResponse, MatrixRoom, RoomSendResponse, UnknownEvent

from bot.assembly import matrix_welcome_check
from bot.domain.models import Platform
from bot.local_homeserver import SynapseServer
from bot.runtime import Runtime
from bot.transport.matrix.adapter import MatrixTransport
from bot.transport.telegram import TelegramTransport
from tests.support.fake_telegram import FakeMessage, FakeTelegram
from tests.support.world import EXAMPLE_ROSTER, RosterWorld, roster_world

POLL_START_TYPES = ("org.matrix.msc3381.poll.start", "m.poll.start")
_numbers = itertools.count(1)


class MatrixUsersLike(Protocol):
    """The conftest's MatrixUsers factory (registers accounts, logs clients in, syncs)."""

    async def new_client(self, prefix: str = "user", *, admin: bool = False) -> AsyncClient: ...

    @staticmethod
    async def sync_once(client: AsyncClient, timeout_ms: int = 500) -> nio.SyncResponse: ...

    @staticmethod
    def trust_devices_on_first_use(client: AsyncClient, user_id: str) -> int: ...


class ManualClock:
    """The runtime's clock: real time until frozen; tests move it to cross deadlines."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None

    def __call__(self) -> datetime:
        return self._frozen or datetime.now(UTC)

    def freeze(self, moment: datetime) -> None:
        self._frozen = moment

    def advance(self, delta: timedelta) -> None:
        self.freeze(self() + delta)

    def resume(self) -> None:
        self._frozen = None


@dataclass
class Seen:
    """A message from the bot as a member saw it."""

    text: str
    choices: list[tuple[str, str]] = field(default_factory=list)  # (label, payload)
    file: tuple[str, bytes] | None = None


class Member(Protocol):
    platform: Platform
    email: str
    person_id: int

    async def say(self, text: str) -> None: ...

    async def expect(self, needle: str | Callable[[Seen], bool], timeout: float = 20.0) -> Seen: ...

    async def choose(self, label: str) -> None: ...

    def seen(self) -> list[Seen]: ...


def _matcher(needle: str | Callable[[Seen], bool]) -> Callable[[Seen], bool]:
    if callable(needle):
        return needle
    return lambda seen: needle in seen.text or any(needle == label for label, _ in seen.choices)


class TelegramMember:
    platform = Platform.TELEGRAM

    def __init__(self, fake: FakeTelegram, user_id: int, email: str, person_id: int) -> None:
        self.fake = fake
        self.user = fake.state.users[user_id]
        self.email = email
        self.person_id = person_id

    @staticmethod
    def _seen(message: FakeMessage) -> Seen:
        file = None
        stored = message.document or message.photo
        if stored is not None:
            file = (getattr(stored, "file_name", "") or "file", message.file_bytes or b"")
        choices = [
            (button.text, button.callback_data or "") for row in message.buttons for button in row
        ]
        return Seen(message.text or message.caption or "", choices, file)

    async def say(self, text: str, *, at: datetime | None = None) -> None:
        await self.fake.user_sends_text(self.user, text, date=at)

    async def send_file(self, filename: str, content: bytes, media_type: str) -> None:
        await self.fake.user_sends_document(self.user, filename, content, media_type)

    async def expect(self, needle: str | Callable[[Seen], bool], timeout: float = 20.0) -> Seen:
        match = _matcher(needle)
        message = await self.fake.wait_for_message(
            self.user, lambda m: match(self._seen(m)), timeout
        )
        return self._seen(message)

    async def choose(self, label: str, *, at: datetime | None = None) -> None:
        for message in reversed(self.fake.messages_in(self.user)):
            if label in message.button_texts:
                await self.fake.user_presses_labelled(self.user, message.message_id, label, date=at)
                return
        raise AssertionError(f"{self.email} sees no button {label!r}")

    def seen(self) -> list[Seen]:
        return [self._seen(message) for message in self.fake.messages_in(self.user)]


class MatrixMember:
    platform = Platform.MATRIX

    def __init__(
        self, users: MatrixUsersLike, client: AsyncClient, room_id: str, email: str, person_id: int
    ) -> None:
        self.users = users
        self.client = client
        self.room_id = room_id
        self.email = email
        self.person_id = person_id
        self._events: list[tuple[str, Seen]] = []  # (event id, what it showed)
        self._read = 0
        self._changed = asyncio.Event()
        self._syncing: asyncio.Task[None] | None = None
        client.add_event_callback(self._collect, (nio.RoomMessage, UnknownEvent))

    def _collect(self, room: MatrixRoom, event: nio.Event) -> None:
        if room.room_id != self.room_id or event.sender == self.client.user_id:
            return
        if isinstance(event, nio.RoomMessageText):
            seen = Seen(event.body)
        elif isinstance(
            event,
            (
                nio.RoomEncryptedFile,
                nio.RoomMessageFile,
                nio.RoomEncryptedImage,
                nio.RoomMessageImage,
            ),
        ):
            seen = Seen(event.body, file=(event.body, b""))
        elif isinstance(event, UnknownEvent) and event.type in POLL_START_TYPES:
            poll = event.source["content"].get("org.matrix.msc3381.poll.start") or event.source[
                "content"
            ].get("m.poll", {})
            answers = poll.get("answers", [])
            question = poll.get("question", {})
            text = question.get("body") or question.get("org.matrix.msc1767.text") or ""
            if not text and isinstance(question.get("m.text"), list):
                text = question["m.text"][0].get("body", "")
            choices = []
            for answer in answers:
                label = answer.get("org.matrix.msc1767.text") or answer.get("body") or ""
                if not label and isinstance(answer.get("m.text"), list):
                    label = answer["m.text"][0].get("body", "")
                choices.append((label, answer.get("id") or answer.get("m.id", "")))
            seen = Seen(text, choices)
        else:
            return
        self._events.append((event.event_id, seen))
        self._changed.set()

    def start_syncing(self) -> None:
        async def loop() -> None:
            while True:
                with contextlib.suppress(Exception):
                    await self.users.sync_once(self.client, 300)
                await asyncio.sleep(0)

        self._syncing = asyncio.create_task(loop())

    async def stop_syncing(self) -> None:
        if self._syncing is not None:
            self._syncing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._syncing
            self._syncing = None

    async def say(self, text: str) -> None:
        sent = await self.client.room_send(
            self.room_id,
            "m.room.message",
            {"msgtype": "m.text", "body": text},
            ignore_unverified_devices=True,
        )
        assert isinstance(sent, RoomSendResponse), sent

    async def expect(self, needle: str | Callable[[Seen], bool], timeout: float = 20.0) -> Seen:
        match = _matcher(needle)
        deadline = time.monotonic() + timeout
        while True:
            for index in range(self._read, len(self._events)):
                if match(self._events[index][1]):
                    self._read = index + 1
                    return self._events[index][1]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [seen.text for _, seen in self._events]
                raise AssertionError(f"{self.email} (Matrix) saw no matching message; saw {seen}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def choose(self, label: str) -> None:
        for event_id, seen in reversed(self._events):
            for choice_label, answer_id in seen.choices:
                if choice_label == label:
                    content = {
                        "m.relates_to": {"rel_type": "m.reference", "event_id": event_id},
                        "org.matrix.msc3381.poll.response": {"answers": [answer_id]},
                    }
                    sent = await self.client.room_send(
                        self.room_id,
                        "org.matrix.msc3381.poll.response",
                        content,
                        ignore_unverified_devices=True,
                    )
                    assert isinstance(sent, RoomSendResponse), sent
                    return
        raise AssertionError(f"{self.email} (Matrix) sees no poll answer {label!r}")

    def seen(self) -> list[Seen]:
        return [seen for _, seen in self._events]


class BotHarness:
    def __init__(
        self,
        synapse: SynapseServer,
        users: MatrixUsersLike,
        work_dir: Path,
        world: RosterWorld,
        fake: FakeTelegram,
    ) -> None:
        self.synapse = synapse
        self.users = users
        self.work_dir = work_dir
        self.world = world
        self.fake = fake
        self.clock = ManualClock()
        self.runtime: Runtime | None = None
        self.members: dict[str, TelegramMember | MatrixMember] = {}
        # Every Matrix member ever made, also one replaced in ``members`` by a newer account of
        # the same person: each syncs until the harness closes (a sync after its client is
        # closed would open a new HTTP session that nobody closes).
        self._matrix_members: list[MatrixMember] = []
        number = next(_numbers)
        self.bot_localpart = f"harnessbot{number}"
        self.bot_password = f"bot-password-{number}"
        self._telegram_ids = itertools.count(10_000 * number)

    @classmethod
    async def start(
        cls,
        synapse: SynapseServer,
        users: MatrixUsersLike,
        work_dir: Path,
        roster: Path = EXAMPLE_ROSTER,
    ) -> BotHarness:
        world = await roster_world(work_dir / "sejabot.sqlite3", roster)
        fake = await FakeTelegram().start()
        harness = cls(synapse, users, work_dir, world, fake)
        await synapse.register_user(harness.bot_localpart, harness.bot_password)
        await harness.start_bot()
        return harness

    @property
    def db(self):  # type: ignore[no-untyped-def]
        return self.world.db

    async def start_bot(self) -> Runtime:
        telegram = TelegramTransport(
            self.fake.token,
            base_url=self.fake.base_url,
            base_file_url=self.fake.base_file_url,
            poll_timeout=1,
            retry_delay=0.05,
        )
        matrix = MatrixTransport(
            self.synapse.base_url,
            self.synapse.user_id(self.bot_localpart),
            "HARNESS",
            self.work_dir / "matrix-store",
            is_welcome=matrix_welcome_check(self.world.db),
            password=self.bot_password,
        )
        self.runtime = Runtime(self.world.db, [telegram, matrix], clock=self.clock)
        await self.runtime.start()
        return self.runtime

    async def stop_bot(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None

    async def restart_bot(self) -> Runtime:
        await self.stop_bot()
        return await self.start_bot()

    async def member(self, email: str, platform: Platform | str) -> TelegramMember | MatrixMember:
        """Link the roster person with this e-mail on ``platform`` with their invitation code."""
        person_id = self.world.person_ids[email]
        code = self.world.code_of(email)
        if Platform(platform) is Platform.TELEGRAM:
            user_id = next(self._telegram_ids)
            person = await self.db.read.persons.get(person_id)
            self.fake.user(user_id, person.name, person.surname)
            member: TelegramMember | MatrixMember = TelegramMember(
                self.fake, user_id, email, person_id
            )
        else:
            member = await self._matrix_member(email, person_id)
            self._matrix_members.append(member)
        await member.say(code)
        await member.expect(
            lambda seen: "povezan" in seen.text or "linked" in seen.text, timeout=30
        )
        self.members[email] = member
        return member

    async def members_on_both(self, emails: Iterable[str]) -> list[TelegramMember | MatrixMember]:
        """Alternate platforms: the first on Telegram, the second on Matrix, and so on."""
        platforms = itertools.cycle((Platform.TELEGRAM, Platform.MATRIX))
        return list(
            await asyncio.gather(*(self.member(email, next(platforms)) for email in emails))
        )

    async def _matrix_member(self, email: str, person_id: int) -> MatrixMember:
        assert self.runtime is not None
        client = await self.users.new_client("member")
        async with self.db.transaction() as repos:  # the roster lists this Matrix ID
            person = await repos.persons.get(person_id)
            await repos.persons.update(replace(person, matrix_id=client.user_id))
        transport = self.runtime.transport(Platform.MATRIX)
        chat = await transport.direct_chat(client.user_id)
        deadline = time.monotonic() + 30
        while chat.chat_id not in client.invited_rooms:
            assert time.monotonic() < deadline, "the bot's direct room invitation never arrived"
            await self.users.sync_once(client)
        assert isinstance(await client.join(chat.chat_id), JoinResponse)
        bot_id = self.synapse.user_id(self.bot_localpart)
        while not any(True for _ in client.device_store.active_user_devices(bot_id)):
            assert time.monotonic() < deadline, "the bot's device keys never arrived"
            await self.users.sync_once(client)
        self.users.trust_devices_on_first_use(client, bot_id)
        member = MatrixMember(self.users, client, chat.chat_id, email, person_id)
        member.start_syncing()
        return member

    async def close(self) -> None:
        for member in self._matrix_members:
            await member.stop_syncing()
        await self.stop_bot()
        await self.fake.stop()
        await self.world.db.close()
