"""Association surveys over the real Telegram adapter against the fake Bot API server.

Time is the survey's own: the runtime's clock and the platform's clock stand at Monday
9 November 2020, when the SOS secretariat sent its questionnaire, and move forward to cross the
reminders and the deadline (Wednesday 11 November, end of day). Nothing sleeps.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot.domain.models import Platform
from bot.runtime import Runtime
from bot.surveys.schedule import run_due
from bot.surveys.store import check_definition, store_survey
from bot.transport.events import ChatRef, ChoiceMade, IncomingEvent, MessageRef, Sender
from bot.transport.telegram import TelegramTransport
from storage.records import SurveyStatus
from storage.repositories.surveys.progress import SurveySource
from tests.support.fake_telegram import FakeTelegram
from tests.support.fake_telegram.clock import PlatformClock
from tests.support.harness import ManualClock, TelegramMember
from tests.support.world import RosterWorld, roster_world

pytestmark = [pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[3]
SOS_2020 = ROOT / "config" / "surveys" / "sos-2020-seje-na-daljavo.yaml"
MONDAY = datetime(2020, 11, 9, 9, 0, tzinfo=UTC)  # 10.00 in Ljubljana
DEADLINE = datetime(2020, 11, 11, 23, 0, tzinfo=UTC)  # Wednesday 11 Nov, 24.00 in Ljubljana

IRENA = "irena.vodopivec@skupnostobcin.example"  # secretariat
MAJA = "maja.furlan@ajdovscina.example"  # Ajdovščina
KATJA = "katja.zontar@skofja-loka.example"  # Škofja Loka
LUKA = "luka.oblak@skofja-loka.example"  # Škofja Loka too
PRIMOZ = "primoz.kralj@trzin.example"  # Trzin
SIMONA = "simona.kovse@lovrenc.example"  # Lovrenc na Pohorju
MARKO = "marko.zupancic@gornji-grad.example"  # a councillor, no respondent
ORGANISATIONS = 7  # municipalities with contacts in the example roster


class SurveyBot:
    """The bot on the fake Telegram with the survey's clock; restartable on the same database."""

    def __init__(self, fake: FakeTelegram, world: RosterWorld, clock: ManualClock) -> None:
        self.fake = fake
        self.world = world
        self.clock = clock
        self.runtime: Runtime | None = None
        self._next_user = 7000

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

    @property
    def app(self):  # type: ignore[no-untyped-def]
        assert self.runtime is not None
        return self.runtime.app

    def move_to(self, moment: datetime) -> None:
        """Both clocks: the bot's and the platform's."""
        self.clock.freeze(moment)
        self.fake.set_time(moment)

    async def member(self, email: str) -> TelegramMember:
        self._next_user += 1
        person_id = self.world.person_ids[email]
        person = await self.world.db.read.persons.get(person_id)
        self.fake.user(self._next_user, person.name, person.surname)
        member = TelegramMember(self.fake, self._next_user, email, person_id)
        await member.say(self.world.code_of(email))
        await member.expect("pomoc")
        return member

    async def send_survey(self, text: str | None = None) -> int:
        """Stored as ready, as ``sejabot survey create`` does; the bot opens it when it looks."""
        checked = check_definition(text or SOS_2020.read_text(encoding="utf-8"), self.clock())
        assert checked.ok, checked.problems
        async with self.world.db.transaction() as repos:
            body = next(
                b for b in await repos.bodies.list() if b.name == "Skupnost občin Slovenije"
            )
            survey = await store_survey(repos, checked, body.id, source=SurveySource.CLI,
                                        created_by=None, now=self.clock(), ready=True)  # fmt: skip
        await run_due(self.app)
        assert survey.id is not None
        return survey.id


@pytest_asyncio.fixture
async def bot(tmp_path: Path) -> AsyncIterator[SurveyBot]:
    world = await roster_world(tmp_path / "sejabot.sqlite3")
    clock = ManualClock()
    clock.freeze(MONDAY)
    platform_clock = PlatformClock()
    platform_clock.freeze(MONDAY)
    async with FakeTelegram(clock=platform_clock) as fake:
        survey_bot = SurveyBot(fake, world, clock)
        await survey_bot.start()
        try:
            yield survey_bot
        finally:
            await survey_bot.stop()
            await world.db.close()


def labels(member: TelegramMember) -> list[str]:
    return [label for seen in member.seen() for label, _ in seen.choices]


async def test_the_secretariat_uploads_sees_problems_previews_and_sends(bot: SurveyBot) -> None:
    irena = await bot.member(IRENA)
    maja = await bot.member(MAJA)
    marko = await bot.member(MARKO)

    await irena.say("/pomoc")
    assert "/nova_anketa" in (await irena.expect("/stanje_ankete")).text
    await marko.say("/nova_anketa")
    assert "namenjen le uslužbencem" in (await marko.expect("namenjen")).text

    await irena.say("/nova_anketa")
    template = await irena.expect(lambda seen: seen.file is not None)
    assert template.file is not None and b"Izvedba sej" in template.file[1]

    broken = b"title: Seje\ndeadline: 18. 11. 2026 ob 12.00\nquestions:\n  - key: a\n    kind: radio\n    text: Kaj?\n"
    await irena.send_file("seje.yaml", broken, "application/x-yaml")
    problems = await irena.expect("ničesar nismo shranili")
    assert "Vrstica 5: Vrsta vprašanja »radio« ni znana" in problems.text

    await irena.send_file("seje-2020.yaml", SOS_2020.read_bytes(), "application/x-yaml")
    preview = await irena.expect("Predogled povpraševanja")
    assert "Izvedba sej občinskih svetov na daljavo" in preview.text
    assert "Rok: 11. 11. 2020 ob 24.00." in preview.text
    assert f"Prejemniki: občine: {ORGANISATIONS};" in preview.text
    assert "Le če je odgovor na vprašanje 1 »DA«." in preview.text
    assert [label for label, _ in preview.choices] == [
        f"Pošlji občinam ({ORGANISATIONS})",
        "Prekliči",
    ]
    assert await bot.world.db.read.survey_progress.ready_to_open() == []  # nothing sent yet

    await irena.choose(f"Pošlji občinam ({ORGANISATIONS})")
    sent = await irena.expect(f"poslano občinam (skupaj {ORGANISATIONS})")
    assert (
        "Vabilo so prejele kontaktne osebe: 1 (v klepetih: 1)." in sent.text
    )  # only Maja was linked
    count = await irena.expect("Odgovori na »Izvedba sej")
    assert f"Odgovori občin: 0 od {ORGANISATIONS} (0 %)." in count.text

    invitation = await maja.expect("Začni z odgovarjanjem")
    assert "Odgovarjate v imenu: Občina Ajdovščina" in invitation.text
    assert "Sekretariat SOS je 9.11.2020 občinam poslal" in invitation.text

    # The preview's buttons are spent: a second press cannot send it twice.
    assert all("Pošlji" not in label for label in labels(irena))

    # A contact who links later receives the invitation on the bot's next look (the bot's own
    # scan may come first, even while it is still welcoming them).
    primoz = await bot.member(PRIMOZ)
    await run_due(bot.app)
    late = await bot.fake.wait_until(
        lambda: next(
            (s for s in primoz.seen() if "Začni z odgovarjanjem" in dict(s.choices)), None
        ),
        timeout=20,
    )
    assert "Občina Trzin" in late.text
    await run_due(bot.app)  # and only once
    assert sum("Začni z odgovarjanjem" in label for label in labels(primoz)) == 1


async def test_branching_other_text_changing_and_the_live_count(bot: SurveyBot) -> None:
    irena = await bot.member(IRENA)
    maja = await bot.member(MAJA)
    survey_id = await bot.send_survey()
    count = await irena.expect("Odgovori občin: 0 od 7")

    await maja.choose("Začni z odgovarjanjem")
    first = await maja.expect("Vprašanje 1 od 1")
    assert "Ali ste v vaši občini že izvedli sejo občinskega sveta na daljavo?" in first.text
    assert [label for label, _ in first.choices] == ["DA", "NISMO ŠE, BOMO V KRATKEM", "NE"]

    await maja.choose("DA")
    tool = await maja.expect("Katero IKT orodje ste uporabili?")
    assert "Vprašanje 2 od 3" in tool.text
    await maja.choose("Drugo (navedite)")
    await maja.expect("Izbrali ste »Drugo (navedite)«")
    await maja.say("miTeam")
    experience = await maja.expect("Kakšne so bile izkušnje")
    assert "Preskoči" in [label for label, _ in experience.choices]
    await maja.say("Težav ni bilo, svetniki so bili zadovoljni.")
    summary = await maja.expect("Vaši odgovori")
    assert "→ Drugo (navedite): miTeam" in summary.text
    # The answered questions' messages keep the answer and lose their buttons.
    answered = [
        m.text
        for m in bot.fake.messages_in(maja.user)
        if m.text and m.text.startswith("Katero IKT")
    ]
    assert answered == ["Katero IKT orodje ste uporabili?\n✓ Drugo (navedite)"]

    # Change the first answer to NE: the NO branch is asked; the YES answers are not submitted.
    await maja.choose("✏️ 1")
    await maja.expect("Sedanji odgovor: DA")
    await maja.choose("NE")
    await maja.expect("Ali ste o tem razmišljali?")
    await maja.say("-")  # left out
    await maja.expect("Kje so zadržki?")
    await maja.choose("Preskoči")
    summary = await maja.expect("Vaši odgovori")
    assert "→ NE" in summary.text and "miTeam" not in summary.text
    await maja.choose("✅ Oddaj odgovore")
    thanks = await maja.expect("Hvala.")
    assert "Odgovor za <b>Občina Ajdovščina</b>" not in thanks.text  # HTML is rendered, not shown
    assert "Občina Ajdovščina je zabeležen 9. 11. 2020 ob 10.00" in thanks.text

    response = await bot.world.db.read.surveys.get_response(
        survey_id, await _organisation(bot, "Občina Ajdovščina")
    )
    assert response is not None
    assert [(a.question_key, a.value) for a in response.answers] == [
        ("izvedba", "ne"), ("razmisljali", ""), ("zadrzki", ""),
    ]  # fmt: skip
    assert response.person_id == bot.world.person_ids[MAJA]

    edited = await bot.fake.wait_until(
        lambda: (
            "Odgovori občin: 1 od 7"
            in (bot.fake.message(irena.user, _message_id(bot, irena, count)).text or "")
        )
    )
    assert edited
    text = bot.fake.message(irena.user, _message_id(bot, irena, count)).text
    assert "Zadnji odgovor: Občina Ajdovščina, 9. 11. 2020 ob 10.00." in text

    # /ankete shows the answer and lets it be changed until the deadline.
    await maja.say("/ankete")
    listing = await maja.expect("Izvedba sej občinskih svetov na daljavo")
    assert "Odgovor oddan 9. 11. 2020 ob 10.00." in listing.text
    await maja.choose("Poglej ali spremeni")
    status = await maja.expect("odgovor oddan")
    assert "Odgovor lahko spremenite do 11. 11. 2020 ob 24.00." in status.text
    await maja.choose("✏️ Spremeni odgovore")
    await maja.expect("Vaši odgovori")
    await maja.choose("✏️ 1")
    await maja.expect("Sedanji odgovor: NE")
    await maja.choose("NISMO ŠE, BOMO V KRATKEM")
    await maja.expect("Katero IKT orodje boste uporabili?")
    await maja.choose("MS Teams")
    await maja.expect("Pripombe")
    await maja.choose("Preskoči")
    await maja.expect("Vaši odgovori")
    await maja.choose("✅ Oddaj odgovore")
    assert "Nadomesti prej oddani odgovor." in (await maja.expect("Hvala.")).text
    response = await bot.world.db.read.surveys.get_response(
        survey_id, await _organisation(bot, "Občina Ajdovščina")
    )
    assert response.values("orodje_bomo") == ("teams",) and response.value("izvedba") == "kmalu"
    assert (
        await bot.world.db.read.surveys.count_responses(survey_id) == 1
    )  # still one per municipality


async def test_any_contact_continues_after_a_restart_and_the_other_is_told(bot: SurveyBot) -> None:
    katja = await bot.member(KATJA)
    luka = await bot.member(LUKA)
    survey_id = await bot.send_survey()
    await katja.choose("Začni z odgovarjanjem")
    await katja.expect("Vprašanje 1 od 1")
    await katja.choose("DA")
    await katja.expect("Katero IKT orodje ste uporabili?")
    await katja.choose("Zoom")
    await katja.expect("Kakšne so bile izkušnje")

    await bot.stop()
    await bot.start()

    await luka.say("/ankete")
    listing = await luka.expect("Začeto, še ne oddano.")
    assert "Občina Škofja Loka" in listing.text
    await luka.choose("Nadaljuj")
    resumed = await luka.expect("Kakšne so bile izkušnje")
    assert "Vprašanje 3 od 3" in resumed.text
    await luka.say("Potrebne je precej tehnične pomoči, da se omogoči polno udeležbo.")
    summary = await luka.expect("Vaši odgovori")
    assert "→ Zoom" in summary.text
    # Katja's old "Skip" under question 3 changes nothing now: the summary is on screen.
    await katja.choose("Preskoči")
    assert "Ta gumb ni več veljaven" in (await katja.expect("ni več veljaven")).text
    assert "Potrebne je precej" in (await katja.expect("Vaši odgovori")).text
    await luka.choose("✅ Oddaj odgovore")
    await luka.expect("Hvala.")
    told = await katja.expect("je oddal(a) odgovor")
    assert "Luka Oblak je oddal(a) odgovor za Občina Škofja Loka" in told.text

    organisation = await _organisation(bot, "Občina Škofja Loka")
    response = await bot.world.db.read.surveys.get_response(survey_id, organisation)
    assert response.person_id == bot.world.person_ids[LUKA]
    assert response.value("orodje") == "zoom" and response.value("izkusnje").startswith(
        "Potrebne je"
    )
    assert await bot.world.db.read.survey_progress.get_draft(survey_id, organisation) is None


async def test_reminders_once_late_answers_refused_closing_after_downtime(bot: SurveyBot) -> None:
    irena = await bot.member(IRENA)
    maja = await bot.member(MAJA)
    primoz = await bot.member(PRIMOZ)
    simona = await bot.member(SIMONA)
    survey_id = await bot.send_survey()
    # Ajdovščina answers; Lovrenc starts and stops; Trzin does nothing.
    await maja.choose("Začni z odgovarjanjem")
    await maja.expect("Vprašanje 1 od 1")
    await maja.choose("NE")
    await maja.expect("Ali ste o tem razmišljali?")
    await maja.say("-")
    await maja.expect("Kje so zadržki?")
    await maja.say("-")
    await maja.expect("Vaši odgovori")
    await maja.choose("✅ Oddaj odgovore")
    await maja.expect("Hvala.")
    await simona.choose("Začni z odgovarjanjem")
    await simona.expect("Vprašanje 1 od 1")
    await simona.choose("DA")
    await simona.expect("Katero IKT orodje")

    # 24 hours before the deadline: one reminder to those who have not answered, once.
    bot.move_to(DEADLINE - timedelta(hours=24))
    await run_due(bot.app)
    reminder = await primoz.expect("Opomnik")
    assert (
        "še čaka na odgovor za Občina Trzin" in reminder.text
        and "Rok: 11. 11. 2020 ob 24.00 (še 24h)." in reminder.text
    )
    started = await simona.expect("Opomnik")
    assert "Odgovarjanje je začeto" in started.text and "Nadaljuj" in [
        l for l, _ in started.choices
    ]
    await run_due(bot.app)
    bot.move_to(DEADLINE - timedelta(hours=23))
    await run_due(bot.app)
    assert sum("Opomnik" in seen.text for seen in primoz.seen()) == 1
    assert not any("Opomnik" in seen.text for seen in maja.seen())

    # The bot is down across the 6-hour reminder and the deadline.
    await bot.stop()
    bot.move_to(DEADLINE + timedelta(hours=2))
    late_text = await bot.fake.user_sends_text(
        simona.user, "Zoom", date=DEADLINE + timedelta(minutes=30)
    )
    assert late_text is not None
    await bot.start()  # catches up: closes the survey, reports to the secretariat

    closing = await irena.expect("je zaprto ob roku")
    assert "Odgovori občin: 1 od 7 (14 %)." in closing.text
    report_files = [seen.file[0] for seen in irena.seen() if seen.file is not None]
    assert any(name.endswith(".docx") for name in report_files)
    assert any(name.endswith(".xlsx") for name in report_files)
    survey = await bot.world.db.read.surveys.get(survey_id)
    assert survey.status is SurveyStatus.CLOSED
    reminders = await bot.world.db.read.survey_progress.reminders(survey_id)
    assert [(r.sent, r.organisations) for r in reminders] == [(True, 6), (False, 0)]
    assert all(r.done_at is not None for r in reminders)  # the missed one is passed over
    assert sum("Opomnik" in seen.text for seen in primoz.seen()) == 1  # the missed one is not sent

    # Answers after the deadline are refused with a clear message; nothing is stored.
    await primoz.choose("Odgovori zdaj")
    refused = await primoz.expect("Rok za odgovore")
    assert "je potekel 11. 11. 2020 ob 24.00. Ničesar nismo zabeležili." in refused.text
    await maja.say("/ankete")
    assert "ni odprtega povpraševanja" in (await maja.expect("povpraševanja")).text
    assert await bot.world.db.read.surveys.count_responses(survey_id) == 1

    # A restart after the close repeats neither the closing report nor anything else.
    closings = sum("je zaprto ob roku" in seen.text for seen in irena.seen())
    await bot.stop()
    await bot.start()
    await run_due(bot.app)
    assert sum("je zaprto ob roku" in seen.text for seen in irena.seen()) == closings == 1


async def test_a_text_typed_after_the_deadline_is_refused_by_its_platform_time(
    bot: SurveyBot,
) -> None:
    simona = await bot.member(SIMONA)
    await bot.send_survey()
    await simona.choose("Začni z odgovarjanjem")
    await simona.expect("Vprašanje 1 od 1")
    await simona.choose("DA")
    await simona.expect("Katero IKT orodje")
    await simona.choose("Zoom")
    await simona.expect("Kakšne so bile izkušnje")
    # The platform stamps the message after the deadline; the bot has not closed anything yet.
    await simona.say("Izkušnje so dobre.", at=DEADLINE + timedelta(seconds=1))
    refused = await simona.expect("Rok za odgovore")
    assert "Ničesar nismo zabeležili." in refused.text
    # Stamped before the deadline, the same text is taken.
    await simona.say("Izkušnje so dobre.", at=DEADLINE - timedelta(minutes=1))
    assert "Izkušnje so dobre." in (await simona.expect("Vaši odgovori")).text


async def test_forged_and_foreign_buttons_change_nothing(bot: SurveyBot) -> None:
    maja = await bot.member(MAJA)
    marko = await bot.member(MARKO)
    survey_id = await bot.send_survey()
    await maja.expect("Začni z odgovarjanjem")
    invitation = next(
        m
        for m in reversed(bot.fake.messages_in(maja.user))
        if "Začni z odgovarjanjem" in m.button_texts
    )

    async def press_forged(user_id: int, payload: str, message_id: int) -> None:
        assert bot.runtime is not None
        event = IncomingEvent(
            platform=Platform.TELEGRAM,
            event_key=f"forged-{payload}-{user_id}",
            sender=Sender(Platform.TELEGRAM, str(user_id)),
            chat=ChatRef(Platform.TELEGRAM, str(user_id)),
            timestamp=MONDAY,
            choice=ChoiceMade(
                payload, MessageRef(ChatRef(Platform.TELEGRAM, str(user_id)), str(message_id))
            ),
        )
        await bot.runtime.dispatcher.handle(event)

    # A councillor of Gornji Grad has no survey message: the button is not from his chat.
    await press_forged(marko.user.id, f"sv:a:{survey_id}:0:0", 1)
    await marko.expect("Ta gumb ne pripada sporočilu")
    # Garbled, unknown survey, question not on screen, option out of range, submit from the
    # middle, a secretariat button: none was offered under the invitation.
    for payload in (
        "sv:a:x:0:0", f"sv:a:{survey_id + 100}:0:0", f"sv:a:{survey_id}:3:0",
        f"sv:a:{survey_id}:0:9", f"sv:s:{survey_id}", f"sv:p:{survey_id}",
    ):  # fmt: skip
        await press_forged(maja.user.id, payload, invitation.message_id)
        await maja.expect("ni bila nikoli ponujena")
    organisation = await _organisation(bot, "Občina Ajdovščina")
    draft = await bot.world.db.read.survey_progress.get_draft(survey_id, organisation)
    assert draft is None or draft.rows == ()
    assert await bot.world.db.read.surveys.count_responses(survey_id) == 0


async def _organisation(bot: SurveyBot, name: str) -> int:
    organisation = await bot.world.db.read.organisations.get_by_name(name)
    assert organisation is not None and organisation.id is not None
    return organisation.id


def _message_id(bot: SurveyBot, member: TelegramMember, seen) -> int:  # type: ignore[no-untyped-def]
    for message in bot.fake.messages_in(member.user):
        if message.text and message.text.startswith(seen.text.split("\n")[0]):
            return message.message_id
    raise AssertionError("message not found")


EQUIPMENT = """\
title: Opremljenost svetnikov
deadline: 11. 11. 2020 ob 24.00
questions:
  - key: orodja
    kind: multiple_choice
    text: Katera orodja uporabljajo vaši svetniki?
    max_choices: 2
    options: [Zoom, MS Teams, Cisco Webex, {key: drugo, label: Drugo, other: true}]
  - key: prenosniki
    kind: yes_no
    text: Ali ste svetnikom zagotovili prenosnike?
  - key: koliko
    kind: number
    text: Koliko prenosnikov?
    integer: true
    min: 1
    max: 50
    when: {question: prenosniki, equals: da}
  - key: kdaj
    kind: date
    text: Kdaj je bila zadnja seja na daljavo?
    required: false
"""


async def test_multiple_choice_yes_no_number_and_date(bot: SurveyBot) -> None:
    maja = await bot.member(MAJA)
    survey_id = await bot.send_survey(EQUIPMENT)

    await maja.choose("Začni z odgovarjanjem")
    first = await maja.expect("Katera orodja")
    assert [label for label, _ in first.choices] == [
        "☐ Zoom",
        "☐ MS Teams",
        "☐ Cisco Webex",
        "☐ Drugo",
        "Naprej ▶",
    ]
    await maja.choose("Naprej ▶")
    await maja.expect("izberite vsaj eno možnost")
    question = bot.fake.messages_in(maja.user)[-2]  # the question, above the notice

    async def toggle(label: str, shown: str) -> None:
        await maja.choose(label)
        await bot.fake.wait_until(
            lambda: shown in bot.fake.message(maja.user, question.message_id).button_texts
        )

    await toggle("☐ Zoom", "☑ Zoom")
    await toggle("☐ Drugo", "☑ Drugo")
    await maja.choose("☐ MS Teams")
    assert "največ 2 možnosti" in (await maja.expect("največ")).text
    assert "☐ MS Teams" in bot.fake.message(maja.user, question.message_id).button_texts
    await maja.choose("Naprej ▶")
    await maja.expect("Izbrali ste »Drugo«")
    await maja.say("miTeam")

    await maja.expect("Ali ste svetnikom zagotovili prenosnike?")
    await maja.choose("Da")
    await maja.expect("Koliko prenosnikov?")
    for typed, problem in (
        ("dvanajst", "ni število"),
        ("12,5", "celo število"),
        ("60", "največ 50"),
    ):
        await maja.say(typed)
        assert problem in (await maja.expect(problem)).text
    await maja.say("12")
    await maja.expect("Kdaj je bila zadnja seja")
    await maja.say("32. 1. 2020")
    await maja.expect("ni datum")
    await maja.say("9. 11. 2020")
    summary = await maja.expect("Vaši odgovori")
    for shown in ("→ Zoom; Drugo: miTeam", "→ Da", "→ 12", "→ 9. 11. 2020"):
        assert shown in summary.text
    await maja.choose("✅ Oddaj odgovore")
    await maja.expect("Hvala.")
    response = await bot.world.db.read.surveys.get_response(
        survey_id, await _organisation(bot, "Občina Ajdovščina")
    )
    assert [(a.question_key, a.value) for a in response.answers] == [
        ("orodja", "zoom"), ("orodja", "drugo"), ("orodja.other", "miTeam"), ("prenosniki", "yes"),
        ("koliko", "12"), ("kdaj", "2020-11-09"),
    ]  # fmt: skip
