"""Authorization: attacks on the bot, each refused with a clear Slovenian message, nothing stored,
and a WARNING on ``sejabot.security`` naming the kind of attack.

The matrix (attack: what the attacker reads):

 1. an unlinked account writes, runs a command, presses a forwarded ballot: "kodo povabila"
 2. a member removed from the roster presses his ballot: "Niste več na seznamu članov"
 3. a member of another body (the committee) presses a council ballot or forges a council
    motion's payload: "ne pripada sporočilu" / "ni bila nikoli ponujena"
 4. a button on a forwarded message (a colleague's ballot): "ne pripada sporočilu"
 5. replayed callback data (a double press, the same payload sent again later): "že glasovali"
 6. forged callback data (another body's motion, a nonexistent id, malformed, skipping the
    confirmation step, an unknown prefix): "ni bila nikoli ponujena"
 7. a used, an expired, an unknown invitation code, and a code sent from someone else's
    account: "že bila uporabljena", "potekla", "ni veljavna", "povezan z drugo osebo"
 8. one member voting twice through Telegram and Matrix: "že glasovali", "Vaš glas: ZA"
 9. a member running clerk commands: "namenjen le uslužbencem"; chair commands:
    "namenjen predsedujočemu"
10. a Matrix user of another homeserver, even one whose ID is on the roster and holds a valid
    code: the invitation is rejected with "služi le računom na strežniku"; what they write in a
    shared room never reaches the bot
11. a vote after the deadline: "po izteku roka"
12. a vote in a closed round: "preden je prispel vaš glas"
13. a command in a group chat: "deluje le v zasebnem klepetu"
14. a Matrix invitation from a stranger of the bot's own homeserver: "na njegovem seznamu"

Refusals decided inside a feature (11, 12 and the chair commands of 9) are logged when its
handler answers with ``ctx.refuse``. Where a handler still answers with ``reply_text``, the test
checks the answer and the database and ends as an expected failure at the log check
(``pending_log``), naming the handler.

Telegram runs on the fake Bot API server, which lets a person press only buttons shown to them
(as Telegram does); what a modified client or a replaying proxy could send is handed to the
dispatcher directly as the transport would. Matrix runs on real Synapse homeservers.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nio
import pytest
import pytest_asyncio
from nio import AsyncClient, JoinResponse, RoomCreateResponse

from bot.assembly import matrix_welcome_check
from bot.correspondence.create import (
    MaterialDraft,
    MotionDraft,
    SessionDraft,
    store_ready_session,
)
from bot.correspondence.invitations import rules_of
from bot.correspondence.schedule import correspondence_timers
from bot.correspondence.voting import Refusal, Refused, ballot
from bot.domain.models import MotionCategory, Platform, VoteChoice
from bot.linking.codes import issue_codes
from bot.runtime import Runtime
from bot.transport.events import ChatRef, ChoiceMade, IncomingEvent, MessageRef, Sender
from bot.transport.matrix.adapter import MatrixTransport
from bot.transport.security_log import LOGGER_NAME, RefusalKind
from bot.transport.telegram import TelegramTransport
from storage.database import Database
from storage.repositories.correspondence.progress import Source
from tests.e2e.conftest import DEFAULT_PASSWORD, MatrixUsers
from tests.e2e.live.world import CHAIR, CONVENED_AT, STARTS_AT, LiveBot, convene_session
from tests.e2e.matrix_kit import plain_client
from tests.support.fake_telegram import FakeMessage, FakeTelegram, FakeUser
from tests.support.harness import BotHarness, ManualClock, MatrixMember, Seen, TelegramMember
from tests.support.synapse import SynapseServer
from tests.support.world import RosterWorld, roster_world

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

COUNCIL = "obcinski-svet-obcine-gornji-grad"
COMMITTEE = "Odbor za gospodarstvo in kmetijstvo"
MARKO = "marko.zupancic@gornji-grad.example"  # council only
TANJA = "tanja.kocevar@gornji-grad.example"  # council only
BARBARA = "barbara.stiglic@gornji-grad.example"  # council, on Telegram and Matrix
ROK = "rok.slapnik@posta.example"  # the committee only
CLERK = "vesna.hribernik@gornji-grad.example"
NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 11, 18, 11, 0, tzinfo=UTC)
WAIT = 30.0

# What the attacker reads (Slovenian, the default language).
STRANGER = "kodo povabila"
NO_SEAT = "Niste več na seznamu članov nobenega organa"
NOT_OURS = "Ta gumb ne pripada sporočilu, ki vam ga je poslal bot"
NOT_OFFERED = "Ta izbira pod tem sporočilom ni bila nikoli ponujena"
ALREADY_VOTED = "o tem predlogu ste že glasovali"
STAFF_ONLY = "namenjen le uslužbencem občinske uprave"
CHAIR_ONLY = "namenjen predsedujočemu"
AFTER_DEADLINE = "po izteku roka"
ROUND_CLOSED = "preden je prispel vaš glas"
GROUP = "deluje le v zasebnem klepetu"
FOREIGN_SERVER = "služi le računom na strežniku"
UNWELCOME = "na njegovem seznamu"


# --- what every attack must leave behind -------------------------------------------------------


# Bookkeeping, not effects: the dedup marks of handled updates, and the record of the bot's
# own messages with buttons (edits of panels and tallies may touch it at any time).
# What the bot keeps to run (duplicates, offered buttons, replies on their way, wrong linking
# codes counted for the limit on guessing), not facts.
BOOKKEEPING = (
    "linking_attempts",
    "processed_updates",
    "sent_messages",
    "sent_message_choices",
    "pending_replies",
    "pending_reply_choices",
)


async def stored_rows(db: Database) -> list[str]:
    """Every row of the database but the bookkeeping, as SQL text, in a stable order."""

    def dump() -> list[str]:
        connection = sqlite3.connect(f"{db.path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return sorted(
                line
                for line in connection.iterdump()
                if not line.startswith(tuple(f'INSERT INTO "{table}"' for table in BOOKKEEPING))
            )
        finally:
            connection.close()

    return await asyncio.to_thread(dump)


def security_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == LOGGER_NAME]


def logged(
    caplog: pytest.LogCaptureFixture,
    kinds: RefusalKind | Iterable[RefusalKind],
    user: str | None = None,
) -> list[logging.LogRecord]:
    wanted = {str(kinds)} if isinstance(kinds, RefusalKind) else {str(kind) for kind in kinds}
    return [
        record
        for record in security_records(caplog)
        if record.levelno == logging.WARNING
        and getattr(record, "refusal_kind", None) in wanted
        and (user is None or getattr(record, "refusal_user", None) == user)
    ]


def assert_logged(
    caplog: pytest.LogCaptureFixture,
    kinds: RefusalKind | Iterable[RefusalKind],
    user: str | None = None,
    count: int = 1,
) -> list[logging.LogRecord]:
    found = logged(caplog, kinds, user)
    assert len(found) >= count, [record.getMessage() for record in security_records(caplog)]
    for record in found:
        assert record.getMessage().startswith(f"refused kind={record.refusal_kind} ")  # type: ignore[attr-defined]
    return found


def pending_log(caplog: pytest.LogCaptureFixture, kind: RefusalKind, user: str, where: str) -> None:
    """The last check of an attack refused inside a feature: its refusal must be logged."""
    if logged(caplog, kind, user):
        return
    pytest.xfail(f"{where} answers this refusal with reply_text, not ctx.refuse({kind})")


def assert_no_secret_logged(caplog: pytest.LogCaptureFixture, secrets: Iterable[str]) -> None:
    for record in caplog.records:
        text = record.getMessage()
        for secret in secrets:
            assert secret not in text, text


# --- the bot on the fake Telegram server -------------------------------------------------------


class Bot:
    """The runtime on the fake Telegram server with a movable clock."""

    def __init__(self, fake: FakeTelegram, world: RosterWorld) -> None:
        self.fake = fake
        self.world = world
        self.clock = ManualClock()
        self.clock.freeze(NOW)
        self.runtime: Runtime | None = None
        self.users: dict[str, FakeUser] = {}
        self._ids = itertools.count(8001)
        self._crafted = itertools.count(1)

    async def start(self) -> None:
        transport = TelegramTransport(
            self.fake.token, base_url=self.fake.base_url, base_file_url=self.fake.base_file_url,
            poll_timeout=1, retry_delay=0.05,
        )  # fmt: skip
        self.runtime = Runtime(self.world.db, [transport], clock=self.clock)
        await self.runtime.start()

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None

    @property
    def db(self) -> Database:
        return self.world.db

    def new_user(self, first: str = "Neznan", last: str = "Uporabnik") -> FakeUser:
        return self.fake.user(next(self._ids), first, last)

    async def link(self, email: str) -> FakeUser:
        person = await self.db.read.persons.get(self.world.person_ids[email])
        assert person is not None
        user = self.new_user(person.name, person.surname)
        await self.fake.user_sends_text(user, f"/start {self.world.code_of(email)}")
        await self.fake.wait_for_message(user, lambda m: "pomoc" in (m.text or ""))
        self.users[email] = user
        return user

    async def expect(self, user: FakeUser, text: str) -> FakeMessage:
        return await self.fake.wait_for_message(user, lambda m: text in m.visible_text, WAIT)

    async def showing(self, user: FakeUser, label: str) -> FakeMessage:
        """The newest message the user sees with a button ``label`` (waiting for one)."""

        def newest() -> FakeMessage | None:
            for message in reversed(self.fake.messages_in(user)):
                if label in message.button_texts:
                    return message
            return None

        return await self.fake.wait_until(newest, WAIT)

    async def press(self, user: FakeUser, message: FakeMessage, label: str) -> None:
        await self.fake.user_presses_labelled(user, message.message_id, label)

    async def send_choice(self, user: FakeUser, payload: str, message_id: int) -> None:
        """A callback as a modified client or a replaying proxy would send it: any payload,
        claimed to come from a message in the user's own chat."""
        assert self.runtime is not None
        chat = ChatRef(Platform.TELEGRAM, str(user.id))
        event = IncomingEvent(
            platform=Platform.TELEGRAM,
            event_key=f"crafted-{next(self._crafted)}",
            sender=Sender(Platform.TELEGRAM, str(user.id)),
            chat=chat,
            timestamp=self.clock(),
            choice=ChoiceMade(payload, MessageRef(chat, str(message_id))),
        )
        await self.runtime.dispatcher.handle(event)

    async def forward(self, message: FakeMessage, to: FakeUser) -> FakeMessage:
        """``to`` forwards a copy of the bot's ``message`` into their chat with the bot; as on
        Telegram, the copy keeps the inline buttons."""
        copy = await self.fake.user_forwards_text(
            to, message.visible_text, origin="Sejabot", origin_date=message.date
        )
        copy.reply_markup = message.reply_markup
        return copy

    async def run_due(self) -> None:
        assert self.runtime is not None
        await correspondence_timers.run_due(self.runtime.app)

    async def convene(
        self, body_id: int, title: str, materials: tuple[MaterialDraft, ...] = (), send: bool = True
    ) -> int:
        """A correspondence session with one motion, sent as the running bot sends it."""
        draft = SessionDraft(
            body_id=body_id, title=title, deadline=DEADLINE,
            motions=(MotionDraft("Imenovanje člana nadzornega odbora",
                                 "Imenuje se član nadzornega odbora.",
                                 MotionCategory.APPOINTMENT),),
            materials=materials,
        )  # fmt: skip
        async with self.db.transaction() as repos:
            session = await store_ready_session(repos, draft, now=self.clock(), source=Source.CLI)
        if send:
            await self.run_due()
        assert session.id is not None
        return session.id

    async def body_id(self, slug_or_name: str) -> int:
        for body in await self.db.read.bodies.list():
            if slug_or_name in (body.slug, body.name):
                assert body.id is not None
                return body.id
        raise AssertionError(f"no body {slug_or_name}")

    async def motion_of(self, session_id: int) -> int:
        motions = await self.db.read.motions.list_for_session(session_id)
        assert motions and motions[0].id is not None
        return motions[0].id

    async def votes(self, motion_id: int) -> list[tuple[int, VoteChoice]]:
        return [
            (v.person_id, v.choice) for v in await self.db.read.votes.list_for_motion(motion_id, 1)
        ]

    async def council_session(self) -> int:
        return await self.convene(await self.body_id(COUNCIL), "7. dopisna seja Občinskega sveta")


@pytest_asyncio.fixture(loop_scope="session")
async def world(tmp_path: Path) -> AsyncIterator[RosterWorld]:
    world = await roster_world(tmp_path / "sejabot.sqlite3")
    yield world
    await world.db.close()


@pytest_asyncio.fixture(loop_scope="session")
async def bot(world: RosterWorld) -> AsyncIterator[Bot]:
    async with FakeTelegram() as fake:
        running = Bot(fake, world)
        await running.start()
        try:
            yield running
        finally:
            await running.stop()


# --- 1. an unlinked account --------------------------------------------------------------------


async def test_an_unlinked_account_is_told_to_link_and_can_do_nothing(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    marko = await bot.link(MARKO)
    session_id = await bot.council_session()
    ballot_message = await bot.showing(marko, "ZA")
    stranger = bot.new_user()
    before = await stored_rows(bot.db)

    await bot.fake.user_sends_text(stranger, "/seje")
    assert STRANGER in (await bot.expect(stranger, STRANGER)).text
    await bot.fake.user_sends_text(stranger, "Prisoten")
    await bot.expect(stranger, STRANGER)
    # Marko's ballot, forwarded to the stranger, who presses ZA on it.
    copy = await bot.forward(ballot_message, stranger)
    await bot.expect(stranger, STRANGER)
    await bot.fake.user_presses_labelled(stranger, copy.message_id, "ZA")
    await bot.expect(stranger, STRANGER)

    assert await stored_rows(bot.db) == before
    assert await bot.votes(await bot.motion_of(session_id)) == []
    records = assert_logged(caplog, RefusalKind.UNLINKED_USER, str(stranger.id), count=4)
    details = [record.refusal_detail for record in records]  # type: ignore[attr-defined]
    assert details == ["command=seje", "text", "text", "choice prefix=cs"]
    assert_no_secret_logged(caplog, ["Prisoten", "cs:v:"])


# --- 2. a member removed from the roster -------------------------------------------------------


async def test_a_removed_member_is_told_so_and_his_ballot_no_longer_counts(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    marko = await bot.link(MARKO)
    session_id = await bot.council_session()
    invitation = await bot.showing(marko, "Potrjujem prejem")
    ballot_message = await bot.showing(marko, "ZA")
    async with bot.db.transaction() as repos:  # the next roster import leaves him out
        person_id = bot.world.person_ids[MARKO]
        for seat in await repos.memberships.list_for_person(person_id):
            await repos.memberships.upsert(replace(seat, active=False))
    before = await stored_rows(bot.db)

    await bot.press(marko, invitation, "Potrjujem prejem")
    assert NO_SEAT in (await bot.expect(marko, NO_SEAT)).text
    await bot.press(marko, ballot_message, "ZA")
    await bot.expect(marko, NO_SEAT)
    await bot.fake.user_sends_text(marko, "/seje")
    await bot.expect(marko, NO_SEAT)

    assert await stored_rows(bot.db) == before
    assert await bot.db.read.deliveries.get(session_id, bot.world.person_ids[MARKO]) is None
    assert await bot.votes(await bot.motion_of(session_id)) == []
    assert_logged(caplog, RefusalKind.NO_ACTIVE_SEAT, str(marko.id), count=3)


# --- 3. a member of another body ---------------------------------------------------------------


async def test_a_member_of_another_body_cannot_vote_in_the_council(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    marko = await bot.link(MARKO)
    rok = await bot.link(ROK)  # sits on the committee only
    session_id = await bot.council_session()
    motion_id = await bot.motion_of(session_id)
    ballot_message = await bot.showing(marko, "ZA")
    await bot.fake.user_sends_text(rok, "/jezik")
    language_question = await bot.showing(rok, "English")  # a real message with buttons
    before = await stored_rows(bot.db)

    # Marko's ballot forwarded to Rok: its buttons are not Rok's.
    copy = await bot.forward(ballot_message, rok)
    await bot.expect(rok, "pomoc")  # the forwarded text itself means nothing to the bot
    await bot.fake.user_presses_labelled(rok, copy.message_id, "ZA")
    assert NOT_OURS in (await bot.expect(rok, NOT_OURS)).text
    # The council motion's vote payload, put under a real message of his own chat.
    await bot.send_choice(rok, f"cs:v:{motion_id}:za", language_question.message_id)
    assert NOT_OFFERED in (await bot.expect(rok, NOT_OFFERED)).text
    await bot.send_choice(rok, f"cs:s:{motion_id}:za", language_question.message_id)
    await bot.expect(rok, NOT_OFFERED)

    assert await stored_rows(bot.db) == before
    assert await bot.votes(motion_id) == []
    assert_logged(caplog, RefusalKind.FOREIGN_MESSAGE, str(rok.id))
    assert_logged(caplog, RefusalKind.FORGED_CHOICE, str(rok.id), count=2)
    assert_no_secret_logged(caplog, [f"cs:v:{motion_id}:za", f"cs:s:{motion_id}:za"])
    # Behind the dispatcher, the feature's own check refuses him as well.
    assert bot.runtime is not None
    app = bot.runtime.app
    refused = await ballot(bot.db.read, lambda body: rules_of(app, body), motion_id,
                           bot.world.person_ids[ROK], bot.clock(), VoteChoice.ZA)  # fmt: skip
    assert refused == Refusal(Refused.NOT_INVITED)


# --- 4. a button on a forwarded message --------------------------------------------------------


async def test_a_button_on_a_forwarded_ballot_is_refused(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    marko = await bot.link(MARKO)
    tanja = await bot.link(TANJA)  # a council colleague: she has a ballot of her own
    session_id = await bot.council_session()
    motion_id = await bot.motion_of(session_id)
    marko_ballot = await bot.showing(marko, "ZA")
    await bot.showing(tanja, "ZA")
    before = await stored_rows(bot.db)

    copy = await bot.forward(marko_ballot, tanja)
    await bot.expect(tanja, "pomoc")
    await bot.fake.user_presses_labelled(tanja, copy.message_id, "PROTI")
    assert NOT_OURS in (await bot.expect(tanja, NOT_OURS)).text
    # Marko forwards his own ballot into his chat: the copy is still not the bot's message.
    own_copy = await bot.forward(marko_ballot, marko)
    await bot.expect(marko, "pomoc")
    await bot.fake.user_presses_labelled(marko, own_copy.message_id, "ZA")
    await bot.expect(marko, NOT_OURS)

    assert await stored_rows(bot.db) == before
    assert await bot.votes(motion_id) == []
    assert_logged(caplog, RefusalKind.FOREIGN_MESSAGE, str(tanja.id))
    assert_logged(caplog, RefusalKind.FOREIGN_MESSAGE, str(marko.id))
    # The member's own ballot still works.
    await bot.press(marko, marko_ballot, "ZA")
    sure = await bot.showing(marko, "Da, glasujem ZA")
    await bot.press(marko, sure, "Da, glasujem ZA")
    await bot.expect(marko, "Zabeleženo")
    assert await bot.votes(motion_id) == [(bot.world.person_ids[MARKO], VoteChoice.ZA)]


async def test_a_button_pressed_while_the_materials_still_upload_is_taken(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    """Not an attack: the guard must not refuse a quick press on a message still being sent
    (the invitation's buttons show before its materials are uploaded)."""
    marko = await bot.link(MARKO)
    bot.fake.inject_fault("sendDocument", 429, retry_after=2)  # a slow upload of the materials
    pdf = MaterialDraft("predlog.pdf", "application/pdf", b"%PDF-1.4\n% gradivo\n")
    session_id = await bot.convene(await bot.body_id(COUNCIL), "8. dopisna seja", (pdf,), False)
    sending = asyncio.create_task(bot.run_due())
    invitation = await bot.showing(marko, "Potrjujem prejem")
    await bot.press(marko, invitation, "Potrjujem prejem")  # while the upload waits
    assert not sending.done()
    await bot.expect(marko, "Prejem vabila")
    await sending
    assert await bot.db.read.deliveries.get(session_id, bot.world.person_ids[MARKO]) is not None
    assert not security_records(caplog)


# --- 5. replayed callback data -----------------------------------------------------------------


async def test_replayed_callback_data_records_nothing_twice(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    marko = await bot.link(MARKO)
    session_id = await bot.council_session()
    motion_id = await bot.motion_of(session_id)
    ballot_message = await bot.showing(marko, "ZA")
    ballot_za = ballot_message.button("ZA").callback_data
    await bot.press(marko, ballot_message, "ZA")
    sure = await bot.showing(marko, "Da, glasujem ZA")
    payload = sure.button("Da, glasujem ZA").callback_data
    assert payload is not None and ballot_za is not None

    # A double press: both presses leave before the first answer has taken the buttons away.
    await bot.fake.user_presses_button(marko, sure.message_id, payload)
    await bot.fake.user_presses_button(marko, sure.message_id, payload)
    await bot.expect(marko, "Zabeleženo")
    assert ALREADY_VOTED in (await bot.expect(marko, ALREADY_VOTED)).text
    assert not bot.fake.message(marko, sure.message_id).button_texts
    after_vote = await stored_rows(bot.db)

    # The same callback data sent again an hour later, as a replaying proxy would.
    bot.clock.advance(timedelta(hours=1))
    await bot.send_choice(marko, payload, sure.message_id)
    refusal = await bot.expect(marko, ALREADY_VOTED)
    assert "Vaš glas: ZA" in refusal.text
    # And the ballot's own ZA, whose buttons are gone too.
    assert not bot.fake.message(marko, ballot_message.message_id).button_texts
    await bot.send_choice(marko, ballot_za, ballot_message.message_id)
    await bot.expect(marko, ALREADY_VOTED)

    assert await stored_rows(bot.db) == after_vote
    assert await bot.votes(motion_id) == [(bot.world.person_ids[MARKO], VoteChoice.ZA)]
    assert_logged(caplog, RefusalKind.REPLAYED_CHOICE, str(marko.id), count=3)
    assert_no_secret_logged(caplog, [payload])


# --- 6. forged callback data -------------------------------------------------------------------


async def test_forged_callback_data_is_refused(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    marko = await bot.link(MARKO)
    session_id = await bot.council_session()
    motion_id = await bot.motion_of(session_id)
    committee_session = await bot.convene(await bot.body_id(COMMITTEE), "2. dopisna seja odbora")
    committee_motion = await bot.motion_of(committee_session)
    ballot_message = await bot.showing(marko, "ZA")
    before = await stored_rows(bot.db)

    forged = [
        f"cs:v:{committee_motion}:za",  # a motion of another body
        "cs:v:999999:za",  # a motion that does not exist
        "cs:s:abc",  # malformed
        f"cs:s:{motion_id}:za",  # the confirmation step skipped
        f"cs:v:{motion_id}:vzdrzan",  # a choice the rules do not offer
        "zz:1",  # a prefix no feature knows
        "",  # empty
    ]
    for payload in forged:
        await bot.send_choice(marko, payload, ballot_message.message_id)
        assert NOT_OFFERED in (await bot.expect(marko, NOT_OFFERED)).text

    assert await stored_rows(bot.db) == before
    assert await bot.votes(motion_id) == [] and await bot.votes(committee_motion) == []
    records = assert_logged(caplog, RefusalKind.FORGED_CHOICE, str(marko.id), count=len(forged))
    assert all(f"message={ballot_message.message_id}" in r.refusal_detail for r in records)  # type: ignore[attr-defined]
    assert_no_secret_logged(caplog, [p for p in forged if ":" in p and p.count(":") > 1])
    # The real ballot is untouched and still works.
    await bot.press(marko, ballot_message, "PROTI")
    await bot.showing(marko, "Da, glasujem PROTI")


# --- 7. used, expired, unknown codes and someone else's account -------------------------------


async def test_invitation_codes_work_once_before_they_expire_from_a_fresh_account(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    marko = await bot.link(MARKO)
    before = await stored_rows(bot.db)

    impostor = bot.new_user("Drugi", "Človek")
    await bot.fake.user_sends_text(impostor, f"/start {bot.world.code_of(MARKO)}")
    assert "že bila uporabljena" in (await bot.expect(impostor, "že bila uporabljena")).text
    await bot.fake.user_sends_text(impostor, "ABCD-EFGH-JK")
    await bot.expect(impostor, "ni veljavna")
    # Marko, already linked, tries Tanja's code from his account.
    await bot.fake.user_sends_text(marko, bot.world.code_of(TANJA))
    await bot.expect(marko, "povezan z drugo osebo")
    # Fifteen days later Tanja's code of fourteen days has expired.
    bot.clock.freeze(bot.world.issued_at + timedelta(days=15))
    tanja = bot.new_user("Tanja", "Kočevar")
    await bot.fake.user_sends_text(tanja, bot.world.code_of(TANJA))
    await bot.expect(tanja, "potekla")

    assert await stored_rows(bot.db) == before
    assert await bot.db.read.accounts.find_person(Platform.TELEGRAM, str(impostor.id)) is None
    assert await bot.db.read.accounts.find_person(Platform.TELEGRAM, str(tanja.id)) is None
    statuses = [
        record.refusal_detail  # type: ignore[attr-defined]
        for record in assert_logged(caplog, RefusalKind.INVITATION_CODE, count=4)
    ]
    assert statuses == [
        "status=already_used", "status=unknown", "status=linked_to_other_person", "status=expired",
    ]  # fmt: skip
    codes = [bot.world.code_of(email) for email in (MARKO, TANJA)]
    assert_no_secret_logged(caplog, [*codes, *(c.replace("-", "") for c in codes), "ABCD-EFGH-JK"])


# --- 9. a member running clerk and chair commands ----------------------------------------------


async def test_a_member_running_clerk_commands_is_refused(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    marko = await bot.link(MARKO)
    before = await stored_rows(bot.db)
    commands = ["/povezani", "/nova_dopisna", "/sklic", "/nova_anketa", "/stanje_ankete"]
    for command in commands:
        await bot.fake.user_sends_text(marko, command)
        assert STAFF_ONLY in (await bot.expect(marko, STAFF_ONLY)).text
    assert await stored_rows(bot.db) == before
    records = assert_logged(caplog, RefusalKind.STAFF_ONLY, str(marko.id), count=len(commands))
    assert (
        [r.refusal_detail.split("command=")[1] for r in records]
        == [  # type: ignore[attr-defined]
            command[1:] for command in commands
        ]
    )


async def test_a_member_running_chair_commands_is_refused(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    marko = await bot.link(MARKO)
    before = await stored_rows(bot.db)
    for command in ("/glasovanje 1 0", "/zapri_glasovanje", "/navzocnost", "/zakljuci_sejo"):
        await bot.fake.user_sends_text(marko, command)
        assert CHAIR_ONLY in (await bot.expect(marko, CHAIR_ONLY)).text
    assert await stored_rows(bot.db) == before
    assert_logged(caplog, RefusalKind.NOT_PRESIDING, str(marko.id))


# --- 11. a vote after the deadline -------------------------------------------------------------


async def test_a_vote_after_the_deadline_is_refused(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    marko = await bot.link(MARKO)
    session_id = await bot.council_session()
    motion_id = await bot.motion_of(session_id)
    await bot.press(marko, await bot.showing(marko, "ZA"), "ZA")
    sure = await bot.showing(marko, "Da, glasujem ZA")
    before = await stored_rows(bot.db)

    bot.clock.freeze(DEADLINE + timedelta(seconds=5))  # the press arrives after the deadline
    await bot.press(marko, sure, "Da, glasujem ZA")
    refusal = await bot.expect(marko, AFTER_DEADLINE)
    assert "18. 11. 2026 ob 12.00" in refusal.text

    assert await stored_rows(bot.db) == before
    assert await bot.votes(motion_id) == []
    assert_logged(caplog, RefusalKind.DEADLINE_PASSED, str(marko.id))


# --- 12. a vote in a closed round (a live session) ---------------------------------------------


@pytest_asyncio.fixture(loop_scope="session")
async def live(world: RosterWorld) -> AsyncIterator[LiveBot]:
    async with FakeTelegram() as fake:
        running = LiveBot(fake, world)
        running.at(CONVENED_AT)
        await running.start()
        try:
            await running.link([CHAIR, MARKO])
            yield running
        finally:
            await running.stop()


async def test_a_vote_in_a_closed_round_is_refused(
    live: LiveBot, caplog: pytest.LogCaptureFixture
) -> None:
    chair, marko = live.member(CHAIR), live.member(MARKO)
    session_id = await convene_session(live)
    await live.sweep()
    await marko.expect("Vabilo na sejo")
    live.at(STARTS_AT)
    await chair.say("/odpri_sejo")
    await chair.expect("je odprta")
    await marko.expect("Ste navzoči na seji?")
    await marko.choose("Prisoten")
    await marko.expect("Navzočnost potrjena")
    await chair.say("/glasovanje 1 0")
    await marko.expect("Glasovanje o točki 1")
    await marko.choose("ZA")
    await live.fake.wait_until(
        lambda: any("Potrdi: ZA" in m.button_texts for m in live.fake.messages_in(marko.user))
    )
    # The chair closes the vote and the member's confirmation follows it: handled after the
    # closing (updates are handled in order), before the bot takes the button away.
    await chair.say("/zapri_glasovanje")
    await marko.choose("Potrdi: ZA")
    await marko.expect("Izid glasovanja o točki 1")
    refusal = await marko.expect(ROUND_CLOSED)
    assert "ni bil upoštevan" in refusal.text

    motion = (await live.world.db.read.motions.list_for_session(session_id))[0]
    assert motion.id is not None
    assert await live.world.db.read.votes.list_for_motion(motion.id, 1) == []
    assert_logged(caplog, RefusalKind.ROUND_CLOSED, str(marko.user.id))


# --- 8. one member voting twice through Telegram and Matrix ------------------------------------


@pytest_asyncio.fixture(loop_scope="session")
async def harness(
    synapse: SynapseServer, matrix_users: MatrixUsers, tmp_path: Path
) -> AsyncIterator[BotHarness]:
    started = await BotHarness.start(synapse, matrix_users, tmp_path)
    try:
        yield started
    finally:
        await started.close()


def offers(label: str) -> Callable[[Seen], bool]:
    return lambda seen: any(offered == label for offered, _ in seen.choices)


async def test_one_member_cannot_vote_twice_through_both_platforms(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    telegram = await harness.member(BARBARA, "telegram")
    # A second code, for Matrix.
    fresh = await issue_codes(harness.db, harness.clock(), 14, include_linked=True)
    harness.world.codes[BARBARA] = next(i.code for i in fresh if i.person.email == BARBARA)
    matrix = await harness.member(BARBARA, "matrix")
    assert isinstance(telegram, TelegramMember) and isinstance(matrix, MatrixMember)
    body = await harness.db.read.bodies.get_by_slug(COUNCIL)
    assert body is not None and body.id is not None
    draft = SessionDraft(
        body_id=body.id, title="Glas z dveh platform", deadline=harness.clock() + timedelta(days=2),
        motions=(MotionDraft("Imenovanje člana nadzornega odbora",
                             "Imenuje se član nadzornega odbora.", MotionCategory.APPOINTMENT),),
    )  # fmt: skip
    async with harness.db.transaction() as repos:
        session = await store_ready_session(repos, draft, now=harness.clock(), source=Source.CLI)
    assert harness.runtime is not None and session.id is not None
    await correspondence_timers.run_due(harness.runtime.app)
    await matrix.expect(offers("ZA"), timeout=WAIT)
    await telegram.expect(offers("ZA"), timeout=WAIT)

    await telegram.choose("ZA")
    await telegram.expect(offers("Da, glasujem ZA"), timeout=WAIT)
    await telegram.choose("Da, glasujem ZA")
    # The Matrix ballot (a poll) was ended before this confirmation went out.
    await telegram.expect("Zabeleženo", timeout=WAIT)
    before = await stored_rows(harness.db)

    await matrix.choose("PROTI")  # the same member, on Matrix, on his ballot there
    refusal = await matrix.expect(ALREADY_VOTED, timeout=WAIT)
    assert "Vaš glas: ZA" in refusal.text and "Telegram" in refusal.text

    assert await stored_rows(harness.db) == before
    motion = (await harness.db.read.motions.list_for_session(session.id))[0]
    votes = await harness.db.read.votes.list_for_motion(motion.id, 1)
    assert [(v.person_id, v.choice) for v in votes] == [(telegram.person_id, VoteChoice.ZA)]
    assert_logged(
        caplog, {RefusalKind.DOUBLE_VOTE, RefusalKind.REPLAYED_CHOICE}, matrix.client.user_id
    )


# --- 10. a Matrix user of another homeserver, 13. a group chat, 14. a stranger's invitation ----


async def left_rooms_with_reasons(
    observer: AsyncClient, bot_user_id: str, room_id: str, timeout: float = WAIT
) -> str:
    """Sync the bot's own account until ``room_id`` is among its left rooms; the reason given."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        synced = await observer.sync(timeout=500)
        assert isinstance(synced, nio.SyncResponse), synced
        left = synced.rooms.leave.get(room_id)
        if left is None:
            continue
        for event in left.timeline.events:
            if isinstance(event, nio.RoomMemberEvent) and event.state_key == bot_user_id:
                return str(event.content.get("reason", ""))
        return ""
    raise AssertionError(f"the bot never left {room_id}")


async def test_users_of_another_homeserver_and_strangers_are_refused_on_matrix(
    two_homeservers: tuple[SynapseServer, SynapseServer],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    home, foreign = two_homeservers
    world = await roster_world(tmp_path / "sejabot.sqlite3")
    clients: list[AsyncClient] = []
    runtime: Runtime | None = None
    try:
        bot_id = await home.register_user("sejabot", DEFAULT_PASSWORD)
        visitor = await plain_client(foreign, "tanja")  # Tanja's roster ID is on the other server
        clerk = await plain_client(home, "vesna")
        stranger = await plain_client(home, "nekdo")  # on the bot's server, on no roster
        observer = AsyncClient(
            home.base_url, bot_id, config=nio.AsyncClientConfig(encryption_enabled=False)
        )
        clients += [visitor, clerk, stranger, observer]
        async with world.db.transaction() as repos:
            for email, client in ((TANJA, visitor), (CLERK, clerk)):
                person = await repos.persons.get(world.person_ids[email])
                assert person is not None
                await repos.persons.update(replace(person, matrix_id=client.user_id))
        transport = MatrixTransport(
            home.base_url, bot_id, "AUTHZ", tmp_path / "matrix-store",
            is_welcome=matrix_welcome_check(world.db), password=DEFAULT_PASSWORD,
        )  # fmt: skip
        runtime = Runtime(world.db, [transport])
        await runtime.start()
        assert isinstance(await observer.login(DEFAULT_PASSWORD), nio.LoginResponse)
        await observer.sync(timeout=0)
        before = await stored_rows(world.db)

        # 10. The visitor of the other server invites the bot: rejected, with the reason.
        direct = await visitor.room_create(is_direct=True, invite=[bot_id])
        assert isinstance(direct, RoomCreateResponse), direct
        reason = await left_rooms_with_reasons(observer, bot_id, direct.room_id)
        assert FOREIGN_SERVER in reason and home.server_name in reason
        assert_logged(caplog, RefusalKind.FOREIGN_HOMESERVER, visitor.user_id)

        # 14. A stranger of the bot's own server invites it: rejected, with the reason.
        stranger_room = await stranger.room_create(is_direct=True, invite=[bot_id])
        assert isinstance(stranger_room, RoomCreateResponse), stranger_room
        reason = await left_rooms_with_reasons(observer, bot_id, stranger_room.room_id)
        assert UNWELCOME in reason
        assert_logged(caplog, RefusalKind.UNWELCOME_INVITATION, stranger.user_id)

        # 10 and 13. In a room of three the clerk made, the visitor sends Tanja's valid code:
        # it never reaches the bot. The clerk's command there is refused: private chats only.
        group = await clerk.room_create(name="Seja sveta", invite=[bot_id, visitor.user_id])
        assert isinstance(group, RoomCreateResponse), group
        await MatrixUsers.sync_until(visitor, lambda: group.room_id in visitor.invited_rooms)
        assert isinstance(await visitor.join(group.room_id), JoinResponse)
        await MatrixUsers.sync_until(
            clerk, lambda: bot_id in clerk.rooms.get(group.room_id, nio.MatrixRoom("", "")).users
        )
        sent = await visitor.room_send(
            group.room_id, "m.room.message", {"msgtype": "m.text", "body": world.code_of(TANJA)}
        )
        assert isinstance(sent, nio.RoomSendResponse), sent
        await assert_eventually(
            lambda: bool(logged(caplog, RefusalKind.FOREIGN_HOMESERVER, visitor.user_id)[1:])
        )
        sent = await clerk.room_send(
            group.room_id, "m.room.message", {"msgtype": "m.text", "body": "!pomoc"}
        )
        assert isinstance(sent, nio.RoomSendResponse), sent
        answer = await text_from(clerk, group.room_id, bot_id, GROUP)
        assert "zasebnem klepetu" in answer

        assert await stored_rows(world.db) == before
        assert await world.db.read.accounts.find_person(Platform.MATRIX, visitor.user_id) is None
        assert await world.db.read.accounts.find_person(Platform.MATRIX, clerk.user_id) is None
        assert_logged(caplog, RefusalKind.NOT_DIRECT_CHAT, clerk.user_id)
        tanja_code = world.code_of(TANJA)
        assert_no_secret_logged(caplog, [tanja_code, tanja_code.replace("-", "")])
    finally:
        if runtime is not None:
            await runtime.stop()
        await asyncio.gather(*(client.close() for client in clients))
        await world.db.close()


async def assert_eventually(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never met"
        await asyncio.sleep(0.1)


async def text_from(client: AsyncClient, room_id: str, sender: str, needle: str) -> str:
    """Sync ``client`` until ``sender`` wrote a text containing ``needle`` in the room."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        synced = await client.sync(timeout=500)
        assert isinstance(synced, nio.SyncResponse), synced
        joined = synced.rooms.join.get(room_id)
        for event in joined.timeline.events if joined else []:
            if (
                isinstance(event, nio.RoomMessageText)
                and event.sender == sender
                and needle in event.body
            ):
                return event.body
    raise AssertionError(f"{sender} never wrote {needle!r} in {room_id}")


# --- a copy the bot sent twice -----------------------------------------------------------------


async def test_a_copy_the_bot_has_no_record_of_loses_its_buttons_when_pressed(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    """After a crash between Telegram's acceptance and the bot's record, one message may reach a
    member twice; the copy the bot does not know of is taken out of play at its first press."""
    marko = await bot.link(MARKO)
    session_id = await bot.council_session()
    copy = await bot.showing(marko, "ZA")
    async with bot.db.transaction() as repos:  # as if the record had never been written
        await repos.sent_messages._run(  # the crash the test stands in for
            "DELETE FROM sent_messages WHERE message_id = ?", (str(copy.message_id),)
        )
    await bot.fake.user_presses_labelled(marko, copy.message_id, "ZA")
    await bot.expect(marko, NOT_OURS)

    def spent() -> bool:
        shown = bot.fake.state.find_message(marko.id, copy.message_id)
        return shown is not None and not shown.button_texts and "ne velja več" in shown.visible_text

    for _ in range(100):
        if spent():
            break
        await asyncio.sleep(0.05)
    assert spent()
    assert await bot.votes(await bot.motion_of(session_id)) == []
    assert_logged(caplog, RefusalKind.FOREIGN_MESSAGE, str(marko.id), count=1)
