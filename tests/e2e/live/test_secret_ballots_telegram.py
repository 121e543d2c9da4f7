"""Secret ballots over Telegram (issue 14, item 4), through the real Telegram adapter and the
fake Bot API server.

Telegram bot chats are not end-to-end encrypted. By default a body's rules allow secret votes
and elections on Telegram, and the ballot itself tells the member, once, that Telegram's
servers carry their choice. A rule set may keep secret ballots off Telegram: then the member
gets no ballot there, only the reason and where to vote, and a forged press is refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.domain.rules_loader import PRESET_DIR
from tests.e2e.live.world import (
    CHAIR,
    CLERK,
    STARTS_AT,
    LiveBot,
    convene_session,
    council_member_emails,
    council_world,
    running_bot,
)
from tests.support.fake_telegram import FakeMessage
from tests.support.harness import Seen, TelegramMember
from tests.support.world import RosterWorld

pytestmark = [pytest.mark.e2e]

NOTICE = "klepeti z boti na Telegramu niso šifrirani od konca do konca"
SECRET_HEADING = "Glasovanje o točki 3"
ELECTION_HEADING = "Volitve pri točki 4"


@pytest_asyncio.fixture
async def world(tmp_path: Path) -> AsyncIterator[RosterWorld]:
    async with council_world(tmp_path) as world:
        yield world


@pytest_asyncio.fixture
async def bot(world: RosterWorld) -> AsyncIterator[LiveBot]:
    async with running_bot(world, [CHAIR, CLERK, *council_member_emails()[:2]]) as live:
        yield live


def _matrix_only(bot: LiveBot, folder: Path) -> None:
    """The council's rule set, with secret votes kept to Matrix, takes the shipped one's place."""
    folder.mkdir()
    preset = (PRESET_DIR / "gornji-grad-2016.toml").read_text(encoding="utf-8")
    text = preset.replace(
        'secret_vote_transports = ["matrix", "telegram"]', 'secret_vote_transports = ["matrix"]'
    )
    assert text != preset
    (folder / "gornji-grad-2016.toml").write_text(text, encoding="utf-8")
    assert bot.runtime is not None
    app = bot.runtime.app
    app.settings = app.settings.model_copy(
        update={"bot": app.settings.bot.model_copy(update={"rules_dirs": (folder,)})}
    )


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
        await member.choose("Prisoten")
        await member.expect("Navzočnost potrjena")
    return session_id


async def _when_vote_opens(member: TelegramMember, expected: str) -> Seen:
    """Wait for ``expected``, confirming presence first if the vote asks for it."""
    seen = await member.expect(lambda s: expected in s.text or "Ste navzoči na seji?" in s.text)
    if expected not in seen.text:
        await member.choose("Prisoten")
        seen = await member.expect(expected)
    return seen


def _with_buttons(bot: LiveBot, member: TelegramMember, heading: str) -> list[FakeMessage]:
    return [m for m in bot.fake.messages_in(member.user) if heading in (m.text or "") and m.buttons]


async def test_a_secret_ballot_over_telegram_says_once_that_telegram_carries_the_choice(
    bot: LiveBot,
) -> None:
    members = [bot.member(email) for email in council_member_emails()[:2]]
    await _open_with_present(bot, members)
    chair = bot.member(CHAIR)

    await chair.say("/glasovanje 3 0")
    member = members[0]
    await _when_vote_opens(member, SECRET_HEADING)
    ballot = await bot.fake.wait_until(
        lambda: next(iter(_with_buttons(bot, member, SECRET_HEADING)), None)
    )
    [notice] = [m for m in bot.fake.messages_in(member.user) if NOTICE in (m.text or "")]
    assert notice.message_id < ballot.message_id  # before the vote, with the ballot
    assert "Telegramovih strežnikov" in (notice.text or "") and "Matrix" in (notice.text or "")
    await bot.fake.user_presses_labelled(member.user, ballot.message_id, "PROTI")
    await bot.fake.wait_until(lambda: "Potrdi: PROTI" in ballot.button_texts)
    assert NOTICE not in (ballot.text or "")  # the confirmation step does not repeat it
    await bot.fake.user_presses_labelled(member.user, ballot.message_id, "Nazaj")
    await bot.fake.wait_until(lambda: "PROTI" in ballot.button_texts)
    assert NOTICE not in (ballot.text or "")  # nor does the ballot shown again
    await bot.fake.user_presses_labelled(member.user, ballot.message_id, "ZA")
    await bot.fake.wait_until(lambda: "Potrdi: ZA" in ballot.button_texts)
    await bot.fake.user_presses_labelled(member.user, ballot.message_id, "Potrdi: ZA")
    receipt = await member.expect("Vaša tajna glasovnica")
    assert NOTICE not in receipt.text
    notices = [m for m in bot.fake.messages_in(member.user) if NOTICE in (m.text or "")]
    assert len(notices) == 1
    await chair.say("/zapri_glasovanje")
    await member.expect("Izid glasovanja o točki 3")

    # An election's ballot says it too.
    await chair.say("/volitve 4 0")
    await _when_vote_opens(member, ELECTION_HEADING)
    election = await bot.fake.wait_until(
        lambda: next(iter(_with_buttons(bot, member, ELECTION_HEADING)), None)
    )
    notices = [m for m in bot.fake.messages_in(member.user) if NOTICE in (m.text or "")]
    assert len(notices) == 2 and notices[1].message_id < election.message_id


async def test_rules_that_keep_secret_votes_to_matrix_send_no_ballot_over_telegram(
    bot: LiveBot, tmp_path: Path
) -> None:
    members = [bot.member(email) for email in council_member_emails()[:2]]
    await _open_with_present(bot, members)
    chair = bot.member(CHAIR)
    member = members[0]

    # A ballot shown while Telegram was allowed cannot be used once the rules keep secret
    # votes to Matrix: the press is refused with the reason, nothing is recorded.
    await chair.say("/glasovanje 3 0")
    await _when_vote_opens(member, SECRET_HEADING)
    ballot = await bot.fake.wait_until(
        lambda: next(iter(_with_buttons(bot, member, SECRET_HEADING)), None)
    )
    _matrix_only(bot, tmp_path / "rules")
    await bot.fake.user_presses_labelled(member.user, ballot.message_id, "ZA")
    why = await member.expect("le prek Matrixa")
    assert "!prisoten" in why.text and "glasovnica ni bila poslana sem" in why.text
    assert "Potrdi: ZA" not in ballot.button_texts
    await chair.say("/zapri_glasovanje")
    report = await chair.expect("Izid glasovanja o točki 3")
    assert "Oddanih glasovnic: 0" in report.text

    # An election ballot is not sent over Telegram at all; asking again changes nothing.
    await chair.say("/volitve 4 0")
    await _when_vote_opens(member, "le prek Matrixa")
    await member.say("/prisoten")
    await member.expect("le prek Matrixa")
    assert not _with_buttons(bot, member, ELECTION_HEADING)
    await chair.say("/zapri_glasovanje")
    await chair.expect("Izid volitev pri točki 4")

    # A public vote still comes over Telegram, without the notice.
    await chair.say("/glasovanje 1 0")
    public = await _when_vote_opens(member, "Glasovanje o točki 1")
    assert public.choices and NOTICE not in public.text
    notices = [m for m in bot.fake.messages_in(member.user) if NOTICE in (m.text or "")]
    assert len(notices) == 1  # only the one before the ballot shown while Telegram was allowed
