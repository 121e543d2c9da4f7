"""The clerk convenes in the chat (step by step, or by sending the convening file), the notice
period is enforced with its reason, and a timed vote survives a restart of the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot.domain.models import SessionStatus
from tests.e2e.live.world import (
    CHAIR,
    CLERK,
    STARTS_AT,
    LiveBot,
    convene_session,
    convening_toml,
    council_member_emails,
    council_world,
    local_text,
    running_bot,
)
from tests.support.world import RosterWorld

pytestmark = [pytest.mark.e2e]

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest_asyncio.fixture
async def world(tmp_path: Path) -> AsyncIterator[RosterWorld]:
    async with council_world(tmp_path) as world:
        yield world


@pytest_asyncio.fixture
async def bot(world: RosterWorld) -> AsyncIterator[LiveBot]:
    async with running_bot(world, [CHAIR, CLERK, *council_member_emails()[:3]]) as live:
        yield live


async def test_the_clerk_convenes_step_by_step_and_a_date_too_soon_is_refused_with_the_reason(
    bot: LiveBot,
) -> None:
    clerk = bot.member(CLERK)
    member = bot.member(council_member_emails()[0])
    await clerk.say("/sklic")
    await clerk.expect("Za kateri organ sklicujete sejo?")  # the clerk serves two bodies
    await clerk.choose("Občinski svet Občine Gornji Grad")
    await clerk.expect("Nova seja")
    await clerk.choose("Redna")
    await clerk.expect("Kako bo seja potekala?")
    await clerk.choose("Hibridno (dvorana in video klic)")
    await clerk.expect("naslov seje")
    await clerk.say("13. redna seja")
    await clerk.expect("datum in uro začetka")

    await clerk.say(local_text(NOW + timedelta(days=3)))  # a regular session needs 7 days
    refusal = await clerk.expect("najmanj 7 dni pred dnem seje")
    assert "Izberite datum 30. 11. 2026 ali poznejši" in refusal.text
    await clerk.say("31. 2. 2027 ob 17.00")
    await clerk.expect("tak datum ne obstaja")  # a date that does not exist, explained
    await clerk.say(local_text(NOW + timedelta(days=10)))
    await clerk.expect("dvorano")
    await clerk.say("Sejna soba Občine Gornji Grad")
    await clerk.expect("povezavo do video klica")
    await clerk.say("zoom.us/j/123")
    await clerk.expect("se začne s https://")
    await clerk.say("https://zoom.us/j/123")
    await clerk.expect("1. točka dnevnega reda")
    await clerk.say("Potrditev zapisnika 12. redne seje")
    await clerk.expect("predlog sklepa")
    await clerk.say("Občinski svet potrdi zapisnik 12. redne seje.")
    await clerk.expect("Kakšno večino")
    await clerk.choose("dvotretjinska večina glasov navzočih članov")
    await clerk.expect("Kako se glasuje?")
    await clerk.choose("Javno glasovanje")
    await clerk.expect("2. točka dnevnega reda")
    await clerk.choose("Namesto tega dodaj volitve")
    await clerk.expect("naslov volitev")
    await clerk.say("Volitve podžupana")
    await clerk.expect("Koliko mest")
    await clerk.choose("1")
    await clerk.expect("kandidate")
    await clerk.say("Novak, Ana; Kos, Peter")
    await clerk.expect("3. točka dnevnega reda")
    await clerk.choose("Dnevni red je končan")
    await clerk.expect("pošljite gradivo")
    await clerk.send_file("obrazlozitev.pdf", b"%PDF-1.4\n% gradivo\n", "application/pdf")
    await clerk.expect("Prejeto: obrazlozitev.pdf")
    await clerk.choose("Pregled")
    review = await clerk.expect("Pregled pred pošiljanjem")
    assert "Volitve podžupana" in review.text and "obrazlozitev.pdf" in review.text
    await clerk.choose("Pošlji vabila")
    await clerk.expect("Seja je sklicana")

    invitation = await member.expect("Vabilo na sejo")
    assert "13. redna seja" in invitation.text and "dvotretjinska večina" in invitation.text
    await member.expect(lambda seen: seen.file is not None and seen.file[0] == "seja.ics")
    material = await member.expect(
        lambda seen: seen.file is not None and seen.file[0] == "obrazlozitev.pdf"
    )
    assert material.file[1].startswith(b"%PDF")
    await member.expect("Se boste udeležili seje?")


async def test_a_convening_file_sent_in_the_chat_may_be_urgent_only_with_a_reason(
    bot: LiveBot,
) -> None:
    clerk = bot.member(CLERK)
    toml = convening_toml(NOW + timedelta(days=2), kind="extraordinary")
    await clerk.send_file("izredna.toml", toml.encode(), "application/toml")
    await clerk.expect("Datoteka sklica je prebrana: točk dnevnega reda: 4")
    await clerk.expect("pošljite gradivo")
    await clerk.choose("Pregled")
    review = await clerk.expect("Preden je mogoče poslati vabila")
    assert "najmanj 5 dni pred dnem seje" in review.text
    await clerk.choose("Označi kot nujno")
    await clerk.expect("zakaj je seja nujna")
    await clerk.say("Rok za prijavo na razpis poteče v petek.")
    ready = await clerk.expect("Pregled pred pošiljanjem")
    assert "Sklicana nujno, ker: Rok za prijavo" in ready.text
    await clerk.choose("Pošlji vabila")
    await clerk.expect("Seja je sklicana")
    invitation = await bot.member(council_member_emails()[1]).expect("Vabilo na sejo")
    assert "Sklicana nujno, ker: Rok za prijavo na razpis poteče v petek." in invitation.text

    broken = toml.replace('majority = "members_present_two_thirds"', 'majority = "dve tretjini"')
    await clerk.send_file("napaka.toml", broken.encode(), "application/toml")
    mistakes = await clerk.expect("Datoteka sklica ima napake")
    assert "dve tretjini" in mistakes.text and "members_present_two_thirds" in mistakes.text


async def test_a_timed_vote_closes_and_is_announced_after_a_restart(bot: LiveBot) -> None:
    chair = bot.member(CHAIR)
    member = bot.member(council_member_emails()[0])
    session_id = await convene_session(bot)
    await bot.sweep()
    bot.at(STARTS_AT)
    await chair.say("/odpri_sejo")
    await chair.expect("je odprta")
    await member.expect("Ste navzoči na seji?")
    await member.choose("Prisoten")
    await member.expect("Navzočnost potrjena")
    await chair.say("/glasovanje 1 2")
    await chair.expect("je odprto do")
    await member.expect("Glasovanje o točki 1")

    await bot.stop()
    bot.later(timedelta(minutes=10))  # the vote's time runs out while the bot is down
    await bot.start()
    result = await member.expect("Izid glasovanja o točki 1", timeout=20)
    assert "Navzočih: 1 od 17" in result.text and "NESKLEPČNA" in result.text
    session = await bot.world.db.read.sessions.get(session_id)
    assert session is not None and session.status is SessionStatus.OPEN
    rounds = await bot.world.db.read.live.rounds.for_session(session_id)
    assert rounds[0].closed_at == rounds[0].closes_at  # closed at its set time, not at restart
