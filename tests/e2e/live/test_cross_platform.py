"""A live session with 17 members on Telegram and Matrix at once, through one running bot.

Members alternate between the fake Telegram server and a real Synapse; the clerk works on
Matrix, the chair on Telegram. Invitations are answered with attendance and excuses on both,
presence is hybrid (pressed, typed "Prisoten", marked in the hall), an item needing two thirds of
the members present is voted and repeated on an objection, a secret vote is checked in the
database dump for any link between member and choice, and an election takes two rounds.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from nio import MatrixRoom, UnknownEvent

from bot.i18n import Translator
from bot.live.agenda import roll
from bot.live.convening import ConveningSpec, convene
from bot.live.convening_file import parse_convening
from bot.live.minutes_delivery import render_minutes
from bot.live.schedule import sweep
from tests.e2e.live.world import (
    CHAIR,
    CLERK,
    assert_no_link_between_members_and_choices,
    convening_toml,
    council_member_emails,
    write_council_roster,
)
from tests.support.harness import BotHarness, MatrixMember, Seen, TelegramMember

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]
POLL_END_TYPES = ("org.matrix.msc3381.poll.end", "m.poll.end")

Member = TelegramMember | MatrixMember


@pytest_asyncio.fixture(loop_scope="session")
async def harness(synapse, matrix_users, tmp_path: Path) -> AsyncIterator[BotHarness]:  # type: ignore[no-untyped-def]
    bot = await BotHarness.start(synapse, matrix_users, tmp_path, write_council_roster(tmp_path))
    try:
        yield bot
    finally:
        await bot.close()


def _has_choice(label: str):  # type: ignore[no-untyped-def]
    return lambda seen: any(choice == label for choice, _ in seen.choices)


async def press_or_type_present(member: Member) -> None:
    """Telegram members press the button; Matrix members write "Prisoten"."""
    if isinstance(member, MatrixMember):
        await member.say("Prisoten")
    else:
        await member.choose("Prisoten")
    await member.expect("Navzočnost potrjena")


async def cast(harness: BotHarness, member: Member, label: str) -> str:
    """Choose on the ballot, confirm, return the confirmation of what was recorded."""
    if isinstance(member, MatrixMember):
        await member.expect(_has_choice(label), timeout=30)
        await member.choose(label)
        confirm = "Potrdi" if label[:1].isdigit() else f"Potrdi: {label}"
        await member.expect(_has_choice(confirm), timeout=30)
        await member.choose(confirm)
    else:
        ballot = await harness.fake.wait_until(
            lambda: next(
                (
                    m
                    for m in reversed(harness.fake.messages_in(member.user))
                    if label in m.button_texts
                ),
                None,
            )
        )
        await harness.fake.user_presses_labelled(member.user, ballot.message_id, label)
        confirm = "Potrdi" if label[:1].isdigit() else f"Potrdi: {label}"
        await harness.fake.wait_until(lambda: confirm in ballot.button_texts)
        await harness.fake.user_presses_labelled(member.user, ballot.message_id, confirm)
    seen = await member.expect(lambda s: "zabeležen" in s.text or "oddana" in s.text, timeout=30)
    return seen.text


async def ballot_labels(harness: BotHarness, member: Member, heading: str) -> list[str]:
    """The choices of the newest ballot whose question starts with ``heading``."""
    if isinstance(member, MatrixMember):
        seen: Seen = await member.expect(
            lambda s: s.text.startswith(heading) and bool(s.choices), timeout=30
        )
        member._read -= 1  # leave the ballot unread: cast() looks for it again
        return [label for label, _ in seen.choices]
    message = await harness.fake.wait_until(
        lambda: next(
            (
                m
                for m in reversed(harness.fake.messages_in(member.user))
                if heading in (m.text or "") and m.buttons
            ),
            None,
        )
    )
    return message.button_texts


def _poll_ends(member: MatrixMember) -> set[str]:
    """The ids of the polls ended in the member's room from now on, filled while it syncs."""
    ended: set[str] = set()

    def collect(room: MatrixRoom, event: UnknownEvent) -> None:
        if room.room_id == member.room_id and event.type in POLL_END_TYPES:
            relation = event.source.get("content", {}).get("m.relates_to", {})
            ended.add(relation.get("event_id", ""))

    member.client.add_event_callback(collect, UnknownEvent)
    return ended


async def _poll_id(member: MatrixMember, question: str) -> str:
    """The event id of the newest poll whose question starts with ``question``."""
    await member.expect(lambda s: s.text.startswith(question) and bool(s.choices), timeout=60)
    return next(
        event_id
        for event_id, seen in reversed(member._events)
        if seen.text.startswith(question) and seen.choices
    )


async def test_seventeen_members_on_telegram_and_matrix_hold_a_hybrid_session(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for noisy in ("httpx", "httpcore", "telegram", "apscheduler", "aiosqlite", "nio", "peewee"):
        logging.getLogger(noisy).setLevel(logging.WARNING)  # as `sejabot run` configures them
    assert harness.runtime is not None
    app = harness.runtime.app
    now = datetime.now(UTC).replace(microsecond=0)
    harness.clock.freeze(now)
    harness.fake.set_time(now)

    emails = council_member_emails()
    members: list[Member] = await harness.members_on_both(emails)
    chair = await harness.member(CHAIR, "telegram")
    clerk = await harness.member(CLERK, "matrix")
    assert len(members) == 17
    assert {m.platform for m in members} == {"telegram", "matrix"}

    # An extraordinary session convened urgently for today, so the clocks stay close to real.
    starts_at = now + timedelta(minutes=5)
    extra = 'urgent = true\nurgency_reason = "Rok razpisa poteče jutri."'
    parsed = parse_convening(
        convening_toml(starts_at, kind="extraordinary", extra=extra), None, now
    )
    assert parsed.ok, [p.render(Translator("en")) for p in parsed.problems]
    body = next(b for b in await harness.db.read.bodies.list() if b.name == parsed.body)
    spec = ConveningSpec(
        body_id=body.id or 0,
        kind=parsed.kind,
        mode=parsed.mode,
        title=parsed.title,
        starts_at=starts_at,
        location=parsed.location,
        video_link=parsed.video_link,
        urgent=True,
        urgency_reason=parsed.urgency_reason,
        agenda=tuple(parsed.agenda),
    )
    async with harness.db.transaction() as repos:
        result = await convene(repos, spec, app.rule_set(body.rule_set), now)
    assert result.ok and result.session is not None
    session_id = result.session.id or 0

    # --- invitations reach both platforms; 15 will attend, 2 excuse themselves ---------------
    await sweep(app)
    for member in members:
        await member.expect("Vabilo na sejo", timeout=60)
        await member.expect(lambda s: s.file is not None and "seja.ics" in s.file[0], timeout=60)
    for member in members[:15]:
        await member.expect(_has_choice("Udeležil se bom"), timeout=60)
        await member.choose("Udeležil se bom")
        await member.expect("udeležili se boste seje", timeout=30)
    for member, reason in zip(members[15:], ("bolezen", "dopust"), strict=True):
        await member.choose("Ne morem priti")
        await member.expect("napišite razlog", timeout=30)
        await member.say(reason)
        await member.expect("Razlog je zabeležen", timeout=30)
    await clerk.say("!udelezba")
    overview = await clerk.expect("Se bodo udeležili (15)", timeout=30)
    assert "bolezen" in overview.text and "dopust" in overview.text

    # --- the session opens; presence pressed, typed, and marked in the hall ------------------
    harness.clock.freeze(starts_at)
    harness.fake.set_time(starts_at)
    await chair.say("/odpri_sejo")
    await chair.expect("je odprta")
    hall = members[13:15]
    for member in members[:13]:
        await member.expect("Ste navzoči na seji?", timeout=60)
        await press_or_type_present(member)
    ordered = await roll(harness.db.read, session_id)
    numbers = [
        index for index, p in enumerate(ordered, start=1) if p.id in {m.person_id for m in hall}
    ]
    await clerk.say("!dvorana " + " ".join(map(str, numbers)))
    await clerk.expect("navzoč v dvorani", timeout=30)
    present = members[:15]

    # --- item 1 needs two thirds of the members present; repeated on an objection ------------
    await chair.say("/glasovanje 1 0")
    for index, member in enumerate(present):
        confirmation = await cast(harness, member, "ZA" if index < 9 else "PROTI")
        assert "ob" in confirmation
    await chair.say("/zapri_glasovanje")
    first = await chair.expect("Izid glasovanja o točki 1")
    assert "Navzočih: 15 od 17" in first.text and "ZA: 9 · PROTI: 6" in first.text
    assert "najmanj 10 glasov ZA od 15" in first.text and "Sklep NI sprejet" in first.text
    await chair.say("/ponovi 1 Ugovor zoper potek glasovanja")
    for member in present:
        await member.expect("začenja se glasovanje", timeout=60)
        await press_or_type_present(member)
    for index, member in enumerate(present):
        await cast(harness, member, "ZA" if index < 11 else "PROTI")
    await chair.say("/zapri_glasovanje")
    second = await chair.expect("Izid glasovanja o točki 1")
    assert "2. glasovanje" in second.text and "ZA: 11 · PROTI: 4" in second.text
    assert "Sklep je SPREJET" in second.text
    matrix_member = next(m for m in present if isinstance(m, MatrixMember))
    await matrix_member.expect("Ponovljeno zaradi ugovora", timeout=60)

    # --- item 3, secret, on both platforms: receipts, report, no link in the database --------
    await chair.say("/glasovanje 3 0")
    receipts: dict[str, str] = {}
    for index, member in enumerate(present):
        await press_or_type_present(member)
        confirmation = await cast(harness, member, "PROTI" if index % 4 == 0 else "ZA")
        found = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", confirmation)
        assert found is not None
        receipts[member.email] = found.group(0)
    await chair.say("/zapri_glasovanje")
    report = await chair.expect("Izid glasovanja o točki 3")
    assert "Razdeljenih glasovnic: 15" in report.text and "Oddanih glasovnic: 15" in report.text
    assert "ZA: 11 · PROTI: 4" in report.text
    published = await matrix_member.expect("Številke potrdil glasovnic", timeout=60)
    assert receipts[matrix_member.email] in published.text
    assert_no_link_between_members_and_choices(harness.db.path, receipts, caplog.records)

    # --- item 4, election in two rounds ------------------------------------------------------
    await chair.say("/volitve 4 0")
    plan = [0] * 7 + [1] * 5 + [2] * 3
    for member, position in zip(present, plan, strict=True):
        await press_or_type_present(member)
        labels = await ballot_labels(harness, member, "Volitve pri točki 4")
        await cast(harness, member, labels[position])
    await chair.say("/zapri_glasovanje")
    round_one = await chair.expect("Izid volitev pri točki 4")
    assert "Drugi krog med" in round_one.text
    await chair.say("/volitve 4 0")
    for member, position in zip(present, [0] * 10 + [1] * 5, strict=True):
        await press_or_type_present(member)
        labels = await ballot_labels(harness, member, "Volitve, drugi krog")
        await cast(harness, member, labels[position])
    await chair.say("/zapri_glasovanje")
    round_two = await chair.expect("Izid volitev pri točki 4")
    assert "Izvoljen:" in round_two.text

    # --- a practice vote nobody answers: closing it takes the buttons, on Matrix ends the poll --
    telegram_member = next(m for m in present if isinstance(m, TelegramMember))
    ended = _poll_ends(matrix_member)
    await chair.say("/poskusno 0")
    practice_poll = await _poll_id(matrix_member, "POSKUSNO GLASOVANJE")
    practice_ballot = await harness.fake.wait_until(
        lambda: next(
            (
                m
                for m in reversed(harness.fake.messages_in(telegram_member.user))
                if "POSKUSNO GLASOVANJE" in (m.text or "") and m.buttons
            ),
            None,
        ),
        timeout=60,
    )
    await chair.say("/zapri_glasovanje")
    await chair.expect("Izid POSKUSNEGA glasovanja", timeout=60)
    await harness.fake.wait_until(lambda: not practice_ballot.buttons, timeout=60)
    assert "Glasovanje je bilo zaključeno ob" in (practice_ballot.text or "")
    deadline = asyncio.get_running_loop().time() + 60
    while practice_poll not in ended and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.2)
    assert practice_poll in ended, "the Matrix poll of the closed practice vote was not ended"

    await chair.say("/zakljuci_sejo")
    await chair.expect("Seja je zaključena")
    rendered = await render_minutes(
        harness.db.read, app.rule_set(body.rule_set), session_id, "md", Translator("sl"), starts_at
    )
    assert rendered is not None
    minutes = rendered[0].decode()
    assert "bolezen" in minutes and "Ugovor zoper potek glasovanja" in minutes
    assert "Sklicana nujno" in minutes and "v dvorani" in minutes
