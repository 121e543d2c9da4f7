"""Correspondence sessions end to end over the real python-telegram-bot stack and the fake Bot
API server: the member's confirmation and vote with its confirmation step, refusals (late and
double votes), the clerk's live tally, closing with results and minutes, a restart across the
deadline, and the clerk's guided creation in the chat.

Deadlines are crossed by moving the runtime's clock and running the feature's due work, as its
scheduled wake-up would; nothing sleeps for real deadlines.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot.correspondence.create import (
    MaterialDraft,
    MotionDraft,
    SessionDraft,
    store_ready_session,
)
from bot.correspondence.schedule import correspondence_timers
from bot.domain.models import MotionCategory, SessionStatus, VoteChoice
from bot.runtime import Runtime
from bot.transport.telegram import TelegramTransport
from storage.repositories.correspondence.progress import Source
from tests.support.fake_telegram import FakeMessage, FakeTelegram, FakeUser
from tests.support.harness import ManualClock
from tests.support.world import RosterWorld, roster_world

pytestmark = [pytest.mark.e2e]

CLERK = "vesna.hribernik@gornji-grad.example"
COUNCIL = "obcinski-svet-obcine-gornji-grad"
MEMBERS = [
    f"{name}@gornji-grad.example"
    for name in (
        "marko.zupancic", "tanja.kocevar", "joze.suster", "mojca.zagar", "anton.cretnik",
        "barbara.stiglic", "franc.kladnik", "natasa.podbregar", "matej.rakun", "urska.zvipelj",
        "bojan.presecnik",
    )
]  # fmt: skip
NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # 10.00 in Ljubljana
DEADLINE = datetime(2026, 11, 18, 11, 0, tzinfo=UTC)  # "18. 11. 2026 ob 12.00"
PDF = b"%PDF-1.4\n% gradivo: predlog odloka\n"


class Bot:
    """The runtime on the fake Telegram server with a movable clock; restartable."""

    def __init__(self, fake: FakeTelegram, world: RosterWorld) -> None:
        self.fake = fake
        self.world = world
        self.clock = ManualClock()
        self.clock.freeze(NOW)
        self.runtime: Runtime | None = None
        self.users: dict[str, FakeUser] = {}
        self._ids = itertools.count(7001)

    async def start(self) -> Runtime:
        transport = TelegramTransport(
            self.fake.token, base_url=self.fake.base_url, base_file_url=self.fake.base_file_url,
            poll_timeout=1, retry_delay=0.05,
        )  # fmt: skip
        self.runtime = Runtime(self.world.db, [transport], clock=self.clock)
        await self.runtime.start()
        return self.runtime

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None

    async def run_due(self) -> None:
        """What the feature's scheduled wake-up does."""
        assert self.runtime is not None
        await correspondence_timers.run_due(self.runtime.app)

    async def link(self, email: str) -> FakeUser:
        person = await self.world.db.read.persons.get(self.world.person_ids[email])
        assert person is not None
        user = self.fake.user(next(self._ids), person.name, person.surname)
        await self.fake.user_sends_text(user, f"/start {self.world.code_of(email)}")
        await self.fake.wait_for_message(user, lambda m: "pomoc" in (m.text or ""))
        self.users[email] = user
        return user

    async def expect(
        self, email: str, predicate: Callable[[FakeMessage], bool], timeout: float = 15
    ) -> FakeMessage:
        return await self.fake.wait_for_message(self.users[email], predicate, timeout)

    async def press(self, email: str, message: FakeMessage, label: str) -> None:
        await self.fake.user_presses_labelled(self.users[email], message.message_id, label)

    async def showing(self, email: str, label: str) -> FakeMessage:
        """The newest message the member sees with a button ``label`` (waiting for one)."""

        def newest() -> FakeMessage | None:
            for message in reversed(self.fake.messages_in(self.users[email])):
                if label in message.button_texts:
                    return message
            return None

        return await self.fake.wait_until(newest, 15)


def has(text: str) -> Callable[[FakeMessage], bool]:
    return lambda message: text in message.visible_text


def with_button(label: str) -> Callable[[FakeMessage], bool]:
    return lambda message: label in message.button_texts


@pytest_asyncio.fixture
async def world(tmp_path: Path) -> AsyncIterator[RosterWorld]:
    world = await roster_world(tmp_path / "sejabot.sqlite3")
    yield world
    await world.db.close()


@pytest_asyncio.fixture
async def bot(world: RosterWorld) -> AsyncIterator[Bot]:
    async with FakeTelegram() as fake:
        bot = Bot(fake, world)
        await bot.start()
        yield bot
        await bot.stop()


async def convene(world: RosterWorld, *, motions: int = 1, deadline: datetime = DEADLINE) -> int:
    """Store a session ready to send, as ``sejabot session create`` does."""
    body = await world.db.read.bodies.get_by_slug(COUNCIL)
    assert body is not None and body.id is not None
    draft = SessionDraft(
        body_id=body.id,
        title="5. dopisna seja Občinskega sveta",
        deadline=deadline,
        motions=tuple(
            MotionDraft(f"Imenovanje člana nadzornega odbora {n}",
                        f"Občinski svet imenuje člana nadzornega odbora ({n}).",
                        MotionCategory.APPOINTMENT)
            for n in range(1, motions + 1)
        ),
        materials=(MaterialDraft("predlog.pdf", "application/pdf", PDF),),
    )  # fmt: skip
    async with world.db.transaction() as repos:
        session = await store_ready_session(repos, draft, now=NOW, source=Source.CLI)
    assert session.id is not None
    return session.id


async def confirm_and_vote(
    bot: Bot, email: str, choice: str, *, confirm: bool = True
) -> FakeMessage:
    """Press "Potrjujem prejem" (optionally), then vote and confirm the vote."""
    if confirm:
        invitation = await bot.showing(email, "Potrjujem prejem")
        await bot.press(email, invitation, "Potrjujem prejem")
        await bot.expect(email, has("Prejem vabila"))
    ballot = await bot.showing(email, choice)
    await bot.press(email, ballot, choice)
    sure = await bot.expect(email, with_button(f"Da, glasujem {choice}"))
    await bot.press(email, sure, f"Da, glasujem {choice}")
    return await bot.expect(email, has("Zabeleženo"))


async def test_a_member_confirms_receipt_and_votes_after_a_confirmation_step(bot: Bot) -> None:
    marko = MEMBERS[0]
    await bot.link(marko)
    await bot.link(CLERK)
    session_id = await convene(bot.world)
    await bot.run_due()

    invitation = await bot.expect(marko, with_button("Potrjujem prejem"))
    assert "Vabilo na dopisno sejo" in invitation.text
    assert "18. 11. 2026 ob 12.00" in invitation.text
    assert "Občinski svet imenuje člana nadzornega odbora (1)." in invitation.text
    document = await bot.expect(marko, lambda m: m.document is not None)
    assert bot.fake.file_bytes(document.document.file_id) == PDF  # type: ignore[union-attr]
    ballot = await bot.expect(marko, with_button("ZA"))
    assert ballot.button_texts == ["ZA", "PROTI"]  # no VZDRŽAN under the Gornji Grad rules

    tally = await bot.expect(CLERK, has("Vabilo poslano"))
    await bot.fake.wait_until(lambda: "Vabilo poslano: 1 od 11" in bot.fake.message(
        bot.users[CLERK], tally.message_id).text)  # fmt: skip

    await bot.press(marko, invitation, "Potrjujem prejem")
    thanks = await bot.expect(marko, has("Prejem vabila"))
    assert "Telegram" in thanks.text and " ob " in thanks.text
    assert not bot.fake.message(bot.users[marko], invitation.message_id).button_texts

    # A second thought: the vote is cancelled, nothing recorded.
    await bot.press(marko, ballot, "ZA")
    sure = await bot.expect(marko, with_button("Da, glasujem ZA"))
    assert sure.button_texts == ["Da, glasujem ZA", "Prekliči"]
    await bot.press(marko, sure, "Prekliči")
    await bot.expect(marko, has("glas ni bil oddan"))
    asked = bot.fake.message(bot.users[marko], sure.message_id)
    assert not asked.button_texts and "Oddanega glasu pozneje ni mogoče spremeniti" in asked.text
    motions = await bot.world.db.read.motions.list_for_session(session_id)
    assert await bot.world.db.read.votes.list_for_motion(motions[0].id, 1) == []

    recorded = await confirm_and_vote(bot, marko, "ZA", confirm=False)
    assert "ZA" in recorded.text and "Telegram" in recorded.text
    votes = await bot.world.db.read.votes.list_for_motion(motions[0].id, 1)
    assert [(v.person_id, v.choice) for v in votes] == [
        (bot.world.person_ids[marko], VoteChoice.ZA)
    ]
    updated = bot.fake.message(bot.users[marko], ballot.message_id)
    assert not updated.button_texts and "Vaš glas: ZA" in updated.text

    await bot.fake.wait_until(lambda: "Glasovalo: 1 · ZA: 1 · PROTI: 0" in bot.fake.message(
        bot.users[CLERK], tally.message_id).text)  # fmt: skip
    edited = bot.fake.message(bot.users[CLERK], tally.message_id)
    assert "Prejem potrjen: 1 od 11 (za sklepčnost potrebno 6)" in edited.text
    assert (
        len([m for m in bot.fake.messages_in(bot.users[CLERK]) if "Vabilo poslano" in m.text]) == 1
    )


async def test_a_double_vote_is_refused_with_what_was_recorded_first(bot: Bot) -> None:
    marko = MEMBERS[0]
    await bot.link(marko)
    await convene(bot.world)
    await bot.run_due()
    ballot = await bot.expect(marko, with_button("ZA"))
    # Two confirmation questions open at once, e.g. after pressing twice.
    await bot.press(marko, ballot, "ZA")
    first = await bot.expect(marko, with_button("Da, glasujem ZA"))
    await bot.press(marko, ballot, "PROTI")
    second = await bot.expect(marko, with_button("Da, glasujem PROTI"))
    await bot.press(marko, first, "Da, glasujem ZA")
    await bot.expect(marko, has("Zabeleženo"))
    await bot.press(marko, second, "Da, glasujem PROTI")
    refusal = await bot.expect(marko, has("že glasovali"))
    assert "Vaš glas: ZA" in refusal.text and "ob" in refusal.text
    motion = (await bot.world.db.read.motions.list_for_session(1))[0]
    votes = await bot.world.db.read.votes.list_for_motion(motion.id, 1)
    assert [v.choice for v in votes] == [VoteChoice.ZA]


async def test_a_vote_after_the_deadline_is_refused(bot: Bot) -> None:
    marko = MEMBERS[0]
    await bot.link(marko)
    session_id = await convene(bot.world)
    await bot.run_due()
    ballot = await bot.expect(marko, with_button("ZA"))
    await bot.press(marko, ballot, "ZA")
    sure = await bot.expect(marko, with_button("Da, glasujem ZA"))

    bot.clock.freeze(DEADLINE + timedelta(seconds=5))  # the press arrives after 12.00
    await bot.press(marko, sure, "Da, glasujem ZA")
    refusal = await bot.expect(marko, has("po izteku roka"))
    assert "18. 11. 2026 ob 12.00" in refusal.text
    motion = (await bot.world.db.read.motions.list_for_session(session_id))[0]
    assert await bot.world.db.read.votes.list_for_motion(motion.id, 1) == []


async def test_the_worked_example_nine_confirm_one_against_goes_to_the_next_session(
    bot: Bot,
) -> None:
    for email in [*MEMBERS, CLERK]:
        await bot.link(email)
    session_id = await convene(bot.world)
    await bot.run_due()
    for email in MEMBERS[:8]:
        await confirm_and_vote(bot, email, "ZA")
    await confirm_and_vote(bot, MEMBERS[8], "PROTI")
    quorum = await bot.expect(CLERK, has("sklepčnost je dosežena"))
    assert "6 od 11" in quorum.text

    bot.clock.freeze(DEADLINE + correspondence_timers.grace + timedelta(seconds=1))
    await bot.run_due()
    session = await bot.world.db.read.sessions.get(session_id)
    assert session is not None and session.status is SessionStatus.CLOSED
    outcome = (await bot.world.db.read.correspondence.outcomes.list_for_session(session_id))[0]
    assert (outcome.quorate, outcome.adopted, outcome.referred) == (True, False, True)
    assert (outcome.confirmed, outcome.za, outcome.proti) == (9, 8, 1)

    result = await bot.expect(MEMBERS[10], has("Dopisna seja »"))
    assert "NI SPREJET" in result.text and "redno sejo" in result.text
    summary = await bot.expect(CLERK, has("Zapisnik je priložen"))
    assert "Sklepčnost: potrdilo 9 od 11 članov (potrebno več kot polovica: 6)." in summary.text
    files = [await bot.expect(CLERK, lambda m: m.file is not None) for _ in range(3)]
    assert files[0].photo is not None
    names = [m.document.file_name for m in files[1:] if m.document is not None]
    assert names == [
        f"zapisnik-dopisna-seja-{session_id}.docx",
        f"zapisnik-dopisna-seja-{session_id}.pdf",
    ]
    assert files[2].file_bytes.startswith(b"%PDF")


async def test_a_restart_across_the_deadline_closes_the_session_at_start(bot: Bot) -> None:
    for email in [*MEMBERS[:6], CLERK]:
        await bot.link(email)
    session_id = await convene(bot.world)
    await bot.run_due()
    for email in MEMBERS[:6]:
        await confirm_and_vote(bot, email, "ZA")
    await bot.stop()

    # Down over the deadline: nothing closed it.
    bot.clock.freeze(DEADLINE + timedelta(hours=3))
    session = await bot.world.db.read.sessions.get(session_id)
    assert session is not None and session.status is SessionStatus.OPEN

    await bot.start()  # closing waits the grace after a start for queued platform events
    bot.clock.advance(correspondence_timers.grace)
    await bot.run_due()
    outcome = (await bot.world.db.read.correspondence.outcomes.list_for_session(session_id))[0]
    assert (outcome.quorate, outcome.adopted, outcome.confirmed, outcome.za) == (True, True, 6, 6)
    result = await bot.expect(MEMBERS[0], has("Dopisna seja »"))
    assert "SPREJET" in result.text and "nihče ni glasoval PROTI" in result.text
    await bot.expect(CLERK, has("Zapisnik je priložen"))

    # Another start announces nothing twice.
    await bot.stop()
    await bot.start()
    await bot.run_due()
    texts = [m.visible_text for m in bot.fake.messages_in(bot.users[MEMBERS[0]])]
    assert sum(text.startswith("Dopisna seja »") for text in texts) == 1


async def test_the_clerk_creates_a_session_in_the_chat(bot: Bot) -> None:
    clerk = await bot.link(CLERK)
    marko = MEMBERS[0]
    await bot.link(marko)
    fake = bot.fake

    await fake.user_sends_text(clerk, "/nova_dopisna")
    await bot.expect(CLERK, has("Pripravljamo novo dopisno sejo"))
    which = await bot.expect(CLERK, with_button("Občinski svet Občine Gornji Grad"))
    assert "Odbor za gospodarstvo in kmetijstvo" in which.button_texts  # she serves two bodies
    await bot.press(CLERK, which, "Občinski svet Občine Gornji Grad")
    await bot.expect(CLERK, has("naslov seje"))
    await fake.user_sends_text(clerk, "6. dopisna seja Občinskega sveta")
    await bot.expect(CLERK, has("predloga sklepa 1"))
    await fake.user_sends_text(clerk, "Sprejme se rebalans proračuna za leto 2027.")
    category = await bot.expect(CLERK, with_button("proračun"))
    assert "proračuna" in category.text  # the warning word, so the category can be corrected

    await bot.press(CLERK, category, "proračun")
    refused = await bot.expect(CLERK, has("ni mogoče odločati"))
    assert "proračun" in refused.text
    await fake.user_sends_text(clerk, "Občinski svet se seznani s poročilom o delu odbora.")
    category = await bot.expect(CLERK, with_button("splošna zadeva"))
    await bot.press(CLERK, category, "splošna zadeva")
    more = await bot.expect(CLERK, with_button("Naprej na gradivo"))
    await bot.press(CLERK, more, "Naprej na gradivo")
    await bot.expect(CLERK, with_button("Gradivo je popolno"))
    await fake.user_sends_document(clerk, "porocilo.pdf", PDF, "application/pdf")
    received = await bot.expect(CLERK, has("Prejeto: porocilo.pdf"))
    assert received.text
    materials = await bot.showing(CLERK, "Gradivo je popolno")
    await bot.press(CLERK, materials, "Gradivo je popolno")
    await bot.expect(CLERK, has("Do kdaj traja seja"))
    await fake.user_sends_text(clerk, "18. 11. 2026")
    await bot.expect(CLERK, has("nima ure"))
    await fake.user_sends_text(clerk, "18. 11. 2026 ob 12.00")
    summary = await bot.expect(CLERK, with_button("Pošlji vabila"))
    assert "porocilo.pdf" in summary.text and "18. 11. 2026 ob 12.00" in summary.text
    await bot.press(CLERK, summary, "Pošlji vabila")
    await bot.expect(CLERK, has("je sklicana"))

    invitation = await bot.expect(marko, with_button("Potrjujem prejem"))
    assert "6. dopisna seja Občinskega sveta" in invitation.text
    document = await bot.expect(marko, lambda m: m.document is not None)
    assert document.file_bytes == PDF
    assert await bot.world.db.read.correspondence.drafts.get(bot.world.person_ids[CLERK]) is None


async def test_a_member_sees_open_sessions_again_with_seje(bot: Bot) -> None:
    marko = MEMBERS[0]
    user = await bot.link(marko)
    await convene(bot.world)
    await bot.run_due()
    await bot.expect(marko, with_button("ZA"))
    await bot.fake.user_sends_text(user, "/seje")
    await bot.expect(marko, has("odprte dopisne seje"))
    again = await bot.expect(marko, with_button("ZA"))
    await bot.press(marko, again, "ZA")
    sure = await bot.expect(marko, with_button("Da, glasujem ZA"))
    await bot.press(marko, sure, "Da, glasujem ZA")
    await bot.expect(marko, has("Zabeleženo"))


async def test_a_reminder_goes_once_to_those_who_have_not_acted(bot: Bot) -> None:
    for email in [*MEMBERS[:2], CLERK]:
        await bot.link(email)
    await convene(bot.world)
    await bot.run_due()
    await confirm_and_vote(bot, MEMBERS[0], "ZA")

    bot.clock.freeze(DEADLINE - timedelta(hours=24) + timedelta(minutes=1))
    await bot.run_due()
    reminder = await bot.expect(MEMBERS[1], has("Opomnik"))
    assert "Prejema vabila še niste potrdili" in reminder.text
    await bot.expect(MEMBERS[1], with_button("ZA"))
    clerk_notice = await bot.expect(CLERK, has("opomnik je bil poslan"))
    assert "manjka še potrditev: 5" in clerk_notice.text

    await bot.stop()
    await bot.start()
    await bot.run_due()
    texts = [m.visible_text for m in bot.fake.messages_in(bot.users[MEMBERS[1]])]
    assert sum("Opomnik" in text for text in texts) == 1
    assert not any("Opomnik" in m.visible_text for m in bot.fake.messages_in(bot.users[MEMBERS[0]]))


async def test_unreached_members_are_named_to_the_clerk_and_reached_once_they_link(
    bot: Bot,
) -> None:
    await bot.link(MEMBERS[0])
    await bot.link(CLERK)
    await convene(bot.world)
    await bot.run_due()
    report = await bot.expect(CLERK, has("je bilo poslano 1 od 11 članov"))
    assert "vročite osebno" in report.text and "Tanja Kočevar" in report.text

    tanja = MEMBERS[1]
    await bot.link(tanja)  # she links her account while the session runs
    await bot.run_due()  # the next scan of the outbox
    invitation = await bot.expect(tanja, with_button("Potrjujem prejem"))
    assert "5. dopisna seja Občinskega sveta" in invitation.text
    tally = next(m for m in bot.fake.messages_in(bot.users[CLERK]) if "Vabilo poslano" in m.text)
    await bot.fake.wait_until(lambda: "Vabilo poslano: 2 od 11" in bot.fake.message(
        bot.users[CLERK], tally.message_id).text)  # fmt: skip
    await bot.run_due()
    assert (
        len(
            [
                m
                for m in bot.fake.messages_in(bot.users[tanja])
                if "Potrjujem prejem" in m.button_texts
            ]
        )
        == 1
    )
