"""A live hybrid session of a 17-member council over the real Telegram stack (fake Bot API).

Invitations answered with attendance and excuses, reminders, hybrid presence, an item needing
two thirds of the members present, a repeated vote, a roll-call record, a vote refused as late,
a secret vote whose database dump and logs are searched for any link between member and choice,
a two-round election, a practice vote, and the minutes. Time is the runtime's clock and the
fake platform's clock, moved by the test; nothing sleeps for a deadline.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot.domain.models import Platform
from bot.live.agenda import roll
from tests.e2e.live.world import (
    CHAIR,
    CLERK,
    STARTS_AT,
    LiveBot,
    assert_no_link_between_members_and_choices,
    convene_session,
    council_member_emails,
    council_world,
    running_bot,
)
from tests.support.fake_telegram import FakeMessage
from tests.support.harness import TelegramMember
from tests.support.world import RosterWorld

pytestmark = [pytest.mark.e2e]


async def press(member: TelegramMember, label: str) -> None:
    await member.choose(label)


async def vote(bot: LiveBot, member: TelegramMember, label: str) -> str:
    """Choose on the ballot, confirm; the ballot loses its buttons and the confirmation of what
    was recorded follows. Returns the confirmation's text."""
    ballot = _latest_with_button(bot, member, label)
    await bot.fake.user_presses_labelled(member.user, ballot.message_id, label)
    await bot.fake.wait_until(lambda: f"Potrdi: {label}" in ballot.button_texts)
    await bot.fake.user_presses_labelled(member.user, ballot.message_id, f"Potrdi: {label}")
    confirmation = await member.expect(
        lambda seen: "zabeležen" in seen.text or "oddana" in seen.text
    )
    assert not ballot.buttons and "oddan" in (ballot.text or "")
    return confirmation.text


def _latest_with_button(bot: LiveBot, member: TelegramMember, label: str) -> FakeMessage:
    for message in reversed(bot.fake.messages_in(member.user)):
        if label in message.button_texts:
            return message
    raise AssertionError(f"{member.email} sees no button {label!r}")


@pytest_asyncio.fixture
async def world(tmp_path: Path) -> AsyncIterator[RosterWorld]:
    async with council_world(tmp_path) as world:
        yield world


@pytest_asyncio.fixture
async def bot(world: RosterWorld) -> AsyncIterator[LiveBot]:
    async with running_bot(world, [CHAIR, CLERK, *council_member_emails()]) as live:
        yield live


async def test_a_hybrid_session_of_seventeen_members_from_invitation_to_minutes(
    bot: LiveBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for noisy in ("httpx", "httpcore", "telegram", "apscheduler", "aiosqlite", "nio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)  # as `sejabot run` configures them
    members = [bot.member(email) for email in council_member_emails()]
    assert len(members) == 17
    chair, clerk = bot.member(CHAIR), bot.member(CLERK)
    session_id = await convene_session(bot)

    # --- invitations: with the calendar file; 14 will attend, 2 cannot come, 1 is silent ------
    await bot.sweep()
    for member in members:
        invitation = await member.expect("Vabilo na sejo")
        assert "12. redna seja" in invitation.text and "Spremembe Poslovnika" in invitation.text
        calendar = await member.expect(
            lambda seen: seen.file is not None and seen.file[0] == "seja.ics"
        )
        assert (
            b"BEGIN:VEVENT" in calendar.file[1] and b"DTSTART:20261203T160000Z" in calendar.file[1]
        )
        await member.expect("Se boste udeležili seje?")
    await chair.expect("Poslano vam v vednost")
    await bot.sweep()  # a second scan sends nothing twice
    assert (
        sum("Vabilo na sejo" in (m.text or "") for m in bot.fake.messages_in(members[0].user)) == 1
    )

    for member in members[:14]:
        await press(member, "Udeležil se bom")
        await member.expect("udeležili se boste seje")
    for member, reason in ((members[14], "bolezen"), (members[15], "službena pot v tujini")):
        await press(member, "Ne morem priti")
        await member.expect("napišite razlog")
        await member.say(reason)
        await member.expect("Razlog je zabeležen")
        await chair.expect(f"Razlog: {reason}")

    # --- a reminder goes only to the member who has not answered, once -------------------------
    bot.at(STARTS_AT - timedelta(hours=23))
    await bot.sweep()
    await bot.sweep()
    await members[16].expect("Opomnik na sejo")
    for member in members[:16]:
        assert not any("Opomnik" in (m.text or "") for m in bot.fake.messages_in(member.user))
    assert (
        sum("Opomnik na sejo" in (m.text or "") for m in bot.fake.messages_in(members[16].user))
        == 1
    )

    await clerk.say("/udelezba")
    overview = await clerk.expect("Se bodo udeležili (14)")
    assert "Ne morejo priti (2)" in overview.text and "bolezen" in overview.text
    assert "Še niso odgovorili (1)" in overview.text

    # --- the day: the chair opens, 10 confirm in the chat, the clerk marks 4 in the hall ------
    bot.at(STARTS_AT)
    await chair.say("/odpri_sejo")
    await chair.expect("je odprta")
    panel = await bot.fake.wait_for_message(
        chair.user, lambda m: "Navzočih: 0 od 17 članov" in (m.text or "")
    )
    for member in members[:10]:
        await member.expect("Ste navzoči na seji?")
        await press(member, "Prisoten")
        await member.expect("Navzočnost potrjena")
    await bot.fake.wait_until(lambda: "Navzočih: 10 od 17" in (panel.text or ""))
    await clerk.say("/dvorana")
    await clerk.expect("Člani, navzoči v dvorani")
    numbers = await _roll_numbers(bot, [m.email for m in members[10:14]])
    await clerk.say("/dvorana " + " ".join(str(n) for n in numbers))
    await clerk.expect("navzoč v dvorani")
    await bot.fake.wait_until(lambda: "Navzočih: 14 od 17" in (panel.text or ""))
    assert "sklepčna" in (panel.text or "")
    assert "V dvorani: 4" in (panel.text or "")

    # --- item 1 needs two thirds of the members present: 9 of 14 is not enough ---------------
    await chair.say("/glasovanje 1 5")
    await chair.expect("je odprto do")
    for member in members[:14]:
        await member.expect("Glasovanje o točki 1")
    for member in members[:9]:
        await vote(bot, member, "ZA")
    for member in members[9:14]:
        await vote(bot, member, "PROTI")
    await chair.say("/zapri_glasovanje")
    result = await members[0].expect("Izid glasovanja o točki 1")
    assert "Navzočih: 14 od 17" in result.text and "ZA: 9 · PROTI: 5" in result.text
    assert "najmanj 10 glasov ZA od 14" in result.text and "Sklep NI sprejet" in result.text
    # The trail's head as the vote closed, as `sejabot audit verify --anchor` takes it.
    anchor = re.search(r"Revizijska sled ob zaključku: (\d+):([0-9a-f]{16})", result.text)
    assert anchor is not None, result.text
    [entry] = await bot.world.db.read.audit.entries_after(int(anchor[1]) - 1, 1)
    assert entry.hash.startswith(anchor[2]) and entry.kind == "outcome"

    # --- an objection: the vote is repeated once, presence established again -----------------
    await chair.say("/ponovi 1 Član je ugovarjal ugotovitvi izida")
    await chair.expect("Za to glasovanje se navzočnost ugotavlja znova")
    for member in members[:14]:
        await member.expect("začenja se glasovanje")
        await press(member, "Prisoten")
        await member.expect("Ponovljeno glasovanje (2. glasovanje)")
    for member in members[:10]:
        await vote(bot, member, "ZA")
    for member in members[10:14]:
        await vote(bot, member, "PROTI")
    await chair.say("/zapri_glasovanje")
    repeated = await members[0].expect("Izid glasovanja o točki 1")
    assert "2. glasovanje" in repeated.text and "ZA: 10 · PROTI: 4" in repeated.text
    assert "Sklep je SPREJET" in repeated.text
    await chair.say("/ponovi 1 še en ugovor")
    assert "največ 2-krat" in (await chair.expect("O isti zadevi")).text

    # --- item 2, roll call, with a set time: a late vote is refused, the record is alphabetical
    await chair.say("/glasovanje 2 2")
    await chair.expect("je odprto do")
    for member in members[:14]:
        await press(member, "Prisoten")
        await member.expect("Poimensko glasovanje")
    for member in members[:12]:
        await vote(bot, member, "ZA")
    late = members[12]
    ballot = _latest_with_button(bot, late, "PROTI")
    await bot.fake.user_presses_labelled(late.user, ballot.message_id, "PROTI")
    await bot.fake.wait_until(lambda: "Potrdi: PROTI" in ballot.button_texts)
    bot.later(timedelta(minutes=3))
    await bot.fake.user_presses_labelled(late.user, ballot.message_id, "Potrdi: PROTI")
    refusal = await late.expect("ni bil upoštevan")
    assert "Čas za glasovanje je potekel" in refusal.text
    await bot.sweep()  # the timer's work: the round closes at its set time
    record = await members[0].expect("Izid glasovanja o točki 2")
    lines = [line for line in record.text.splitlines() if line.startswith("• ")]
    assert len(lines) == 17
    surnames = [line[2:].split(":")[0] for line in lines]
    assert (
        surnames[0].startswith("Ažman")
        and surnames[1].startswith("Cerar")
        and surnames[2].startswith("Čeh")
    )
    assert any(line.endswith("odsoten") for line in lines)
    assert any(line.endswith("navzoč, ni glasoval") for line in lines)
    await chair.say("/ponovi 2 ugovor")
    await chair.expect("Poimenskega glasovanja se ne ponavlja")

    # --- item 3, secret: receipts only to the voter, then published with the choices ---------
    await chair.say("/glasovanje 3 0")
    receipts: dict[str, str] = {}
    choices: dict[str, str] = {}
    for index, member in enumerate(members[:14]):
        await press(member, "Prisoten")
        await member.expect("Glasovanje je tajno")
        choice = "ZA" if index % 3 else "PROTI"
        confirmation = await vote(bot, member, choice)
        assert "Vaša tajna glasovnica" in confirmation
        receipt = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", confirmation)
        assert receipt is not None
        receipts[member.email] = receipt.group(0)
        choices[member.email] = choice
    await chair.say("/zapri_glasovanje")
    report = await members[0].expect("Izid glasovanja o točki 3")
    assert "Razdeljenih glasovnic: 14" in report.text and "Oddanih glasovnic: 14" in report.text
    assert "Neveljavnih glasovnic: 0" in report.text and "Veljavnih glasovnic: 14" in report.text
    assert "ZA: 9 · PROTI: 5" in report.text
    published = await members[0].expect("Številke potrdil glasovnic")
    for email, receipt in receipts.items():
        assert f"{receipt} {choices[email]}" in published.text  # every voter finds their ballot
    assert_no_link_between_members_and_choices(bot.world.db.path, receipts, caplog.records)

    # --- item 4, election: no majority in round 1, a second round elects ---------------------
    await chair.say("/volitve 4 0")
    first = {0: 6, 1: 5, 2: 3}  # votes per ballot position in round 1
    await _election_round(bot, members[:14], first, "Volitve pri točki 4")
    await chair.say("/zapri_glasovanje")
    round_one = await members[0].expect("Izid volitev pri točki 4")
    assert "Drugi krog med" in round_one.text
    await chair.say("/volitve 4 0")
    await _election_round(bot, members[:14], {0: 9, 1: 5}, "Volitve, drugi krog")
    await chair.say("/zapri_glasovanje")
    round_two = await members[0].expect("Izid volitev pri točki 4")
    assert "drugi krog" in round_two.text and "Izvoljen:" in round_two.text

    # --- a practice vote never counts; closing sends the minutes -----------------------------
    await chair.say("/poskusno 0")
    await members[16].expect("POSKUSNO GLASOVANJE")
    await chair.say("/zapri_glasovanje")
    await members[16].expect("Izid POSKUSNEGA glasovanja")
    await chair.say("/zakljuci_sejo")
    await chair.expect("Seja je zaključena")
    docx = await chair.expect(lambda seen: seen.file is not None and seen.file[0].endswith(".docx"))
    pdf = await clerk.expect(lambda seen: seen.file is not None and seen.file[0].endswith(".pdf"))
    assert docx.file[1].startswith(b"PK") and pdf.file[1].startswith(b"%PDF")
    await _assert_minutes(bot, session_id)


async def _roll_numbers(bot: LiveBot, emails: list[str]) -> list[int]:
    session_ids = await bot.world.db.read.live.sessions.session_ids()
    ordered = await roll(bot.world.db.read, session_ids[0])
    ids = [bot.world.person_ids[email] for email in emails]
    return [index for index, person in enumerate(ordered, start=1) if person.id in ids]


async def _election_round(
    bot: LiveBot, voters: list[TelegramMember], counts: dict[int, int], heading: str
) -> None:
    plan = [position for position, count in counts.items() for _ in range(count)]
    for member, position in zip(voters, plan, strict=True):
        await press(member, "Prisoten")
        ballot_seen = await member.expect(heading)
        label = ballot_seen.choices[position][0]
        ballot = _latest_with_button(bot, member, label)
        await bot.fake.user_presses_labelled(member.user, ballot.message_id, label)
        await bot.fake.wait_until(lambda shown=ballot: "Potrdi" in shown.button_texts)
        await bot.fake.user_presses_labelled(member.user, ballot.message_id, "Potrdi")
        await member.expect("Vaša tajna glasovnica")


async def _assert_minutes(bot: LiveBot, session_id: int) -> None:
    from bot.i18n import Translator
    from bot.live.minutes_delivery import render_minutes

    assert bot.runtime is not None
    rule_set = bot.runtime.app.rule_set("gornji-grad-2016")
    rendered = await render_minutes(
        bot.world.db.read, rule_set, session_id, "md", Translator("sl"), bot.clock()
    )
    assert rendered is not None
    text = rendered[0].decode()
    assert "bolezen" in text and "službena pot v tujini" in text  # absences with reasons
    assert "Član je ugovarjal ugotovitvi izida" in text  # the repeated vote's objection
    assert "Zaznamek o poimenskem glasovanju" in text
    assert "Razdeljene glasovnice" in text and "Predsednik komisije za glasovanje" in text
    assert "Drugi krog" in text and "Izvoljen" in text
    assert "POSKUSN" not in text and "Poskusno" not in text  # practice votes are not minuted
    csv = await render_minutes(
        bot.world.db.read, rule_set, session_id, "csv", Translator("sl"), bot.clock()
    )
    assert csv is not None and csv[0].startswith("\ufeff".encode())
    assert Platform.TELEGRAM  # the whole session ran over Telegram


# --- a few members: closed ballots, and members trying the chair's commands ------------------


@pytest_asyncio.fixture
async def small_bot(world: RosterWorld) -> AsyncIterator[LiveBot]:
    """The chair, the clerk and three members linked (the roll has all 17)."""
    async with running_bot(world, [CHAIR, CLERK, *council_member_emails()[:3]]) as live:
        yield live


async def _open_with_present(bot: LiveBot, members: list[TelegramMember]) -> int:
    session_id = await convene_session(bot)
    await bot.sweep()
    for member in members:
        await member.expect("Se boste udeležili seje?")
    bot.at(STARTS_AT)
    chair = bot.member(CHAIR)
    await chair.say("/odpri_sejo")
    await chair.expect("je odprta")
    for member in members:
        await member.expect("Ste navzoči na seji?")
        await press(member, "Prisoten")
        await member.expect("Navzočnost potrjena")
    return session_id


async def _ballot(bot: LiveBot, member: TelegramMember, heading: str) -> FakeMessage:
    """The member's ballot under ``heading``; presence is confirmed first if asked for."""
    seen = await member.expect(lambda s: heading in s.text or "Ste navzoči na seji?" in s.text)
    if heading not in seen.text:
        await press(member, "Prisoten")
        await member.expect(heading)
    return await bot.fake.wait_until(
        lambda: next(
            (
                m
                for m in reversed(bot.fake.messages_in(member.user))
                if heading in (m.text or "") and m.buttons
            ),
            None,
        )
    )


async def _closed(bot: LiveBot, ballot: FakeMessage) -> None:
    await bot.fake.wait_until(lambda: not ballot.buttons)
    assert "Glasovanje je bilo zaključeno ob" in (ballot.text or "")
    assert "te glasovnice ni več mogoče uporabiti" in (ballot.text or "")


async def test_ballots_left_unused_lose_their_buttons_when_the_vote_closes(
    small_bot: LiveBot,
) -> None:
    bot = small_bot
    chair = bot.member(CHAIR)
    members = [bot.member(email) for email in council_member_emails()[:3]]
    voter, chooser, idle = members
    await _open_with_present(bot, members)

    # The chair closes: a ballot untouched and one waiting for confirmation are closed; the
    # ballot of the member who voted still says what it said.
    await chair.say("/glasovanje 1 0")
    ballots = [await _ballot(bot, member, "Glasovanje o točki 1") for member in members]
    await vote(bot, voter, "ZA")
    await bot.fake.user_presses_labelled(chooser.user, ballots[1].message_id, "ZA")
    await bot.fake.wait_until(lambda: "Potrdi: ZA" in ballots[1].button_texts)
    await chair.say("/zapri_glasovanje")
    await idle.expect("Izid glasovanja o točki 1")
    await _closed(bot, ballots[1])
    await _closed(bot, ballots[2])
    assert "je bil oddan" in (ballots[0].text or "") and "zaključeno" not in (ballots[0].text or "")

    # An election: the candidates' buttons go too.
    await chair.say("/volitve 4 0")
    election = [await _ballot(bot, member, "Volitve pri točki 4") for member in members]
    await chair.say("/zapri_glasovanje")
    await idle.expect("Izid volitev pri točki 4")
    for ballot in election:
        await _closed(bot, ballot)

    # A vote with a set time that ends while the bot is down is closed at the next start, and
    # so are its ballots.
    await chair.say("/glasovanje 2 1")
    timed = [await _ballot(bot, member, "Glasovanje o točki 2") for member in members]
    await bot.stop()
    bot.later(timedelta(minutes=3))
    await bot.start()
    await idle.expect("Izid glasovanja o točki 2")
    for ballot in timed:
        await _closed(bot, ballot)
        assert "zaključeno ob 17.01" in (ballot.text or "")  # its set time, not the restart


async def test_a_member_is_told_that_only_the_chair_opens_and_runs_the_session(
    small_bot: LiveBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="sejabot.security")
    bot = small_bot
    member = bot.member(council_member_emails()[0])
    session_id = await convene_session(bot)
    await bot.sweep()
    await member.expect("Se boste udeležili seje?")
    bot.at(STARTS_AT)
    answers = {
        "/odpri_sejo": "sejo lahko odpre le predsedujoči",
        "/navzocnost": "ponovno ugotavljanje navzočnosti lahko odredi le predsedujoči",
        "/glasovanje 1 0": "glasovanje ali volitve lahko odpre le predsedujoči",
        "/volitve 4 0": "glasovanje ali volitve lahko odpre le predsedujoči",
        "/zapri_glasovanje": "glasovanje lahko zaključi le predsedujoči",
        "/ponovi 1 ugovor": "ponovitev glasovanja zaradi ugovora lahko odredi le predsedujoči",
        "/poskusno": "poskusno glasovanje lahko izvede le predsedujoči",
        "/kandidati 4 Novak, Ana": "novo kandidaturo lahko zabeleži le predsedujoči",
        "/zakljuci_sejo": "sejo lahko zaključi le predsedujoči",
        "/udelezba": "le onadva vidita, kdo se bo udeležil seje",
        "/dvorana": "le onadva označujeta navzočnost članov v dvorani",
    }
    for command, answer in answers.items():
        await member.say(command)
        refusal = await member.expect(answer)
        assert refusal.text.startswith("Ta ukaz je namenjen predsedujočemu"), refusal.text
    refused = [
        record
        for record in caplog.records
        if getattr(record, "refusal_kind", None) == "not_presiding"
        and record.refusal_user == str(member.user.id)  # type: ignore[attr-defined]
    ]
    assert len(refused) == len(answers)
    assert "duty=open_session" in refused[0].refusal_detail  # type: ignore[attr-defined]
    session = await bot.world.db.read.sessions.get(session_id)
    assert session is not None and session.status.value == "convened"  # nothing was done
    await bot.member(CHAIR).say("/odpri_sejo")
    await bot.member(CHAIR).expect("je odprta")
