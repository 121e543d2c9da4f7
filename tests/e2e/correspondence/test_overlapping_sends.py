"""Overlapping send passes (issue 15): the clerk's "Pošlji vabila" and the periodic scan send
at the same moment. One pass owns the session's sending (claimed in the database in the
transaction that reads what is unsent); the other leaves it alone and reports nothing. Every
member gets the invitation once, and the clerk's one delivery report says what the live tally
says: 11 of 11, never "0 of 11 ... deliver in person".
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.correspondence.outbox import dispatch
from tests.e2e.correspondence.test_telegram import CLERK, MEMBERS, Bot, convene, has, with_button
from tests.support.fake_telegram import FakeTelegram
from tests.support.world import RosterWorld, roster_world

pytestmark = [pytest.mark.e2e]

SESSIONS = 3


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


async def test_two_passes_at_once_send_each_invitation_once_and_report_truly(bot: Bot) -> None:
    for email in [*MEMBERS, CLERK]:
        await bot.link(email)
    linked = {email: len(bot.fake.messages_in(bot.users[email])) for email in MEMBERS}
    for _ in range(SESSIONS):
        await convene(bot.world, motions=2)
    assert bot.runtime is not None
    app = bot.runtime.app
    await asyncio.gather(dispatch(app), dispatch(app), dispatch(app))

    clerk = bot.users[CLERK]
    for email in MEMBERS:
        await bot.fake.wait_until(
            lambda email=email: len([m for m in bot.fake.messages_in(bot.users[email])
                                     if "Potrjujem prejem" in m.button_texts]) >= SESSIONS or None, 30,
        )  # fmt: skip
    await bot.run_due()  # a later scan changes nothing
    for email in MEMBERS:
        messages = bot.fake.messages_in(bot.users[email])
        assert len([m for m in messages if "Potrjujem prejem" in m.button_texts]) == SESSIONS
        assert len([m for m in messages if "ZA" in m.button_texts]) == 2 * SESSIONS
        # The invitation, its material (a PDF) and two ballots per session, nothing twice.
        assert len(messages) - linked[email] == 4 * SESSIONS
    reports = [m for m in bot.fake.messages_in(clerk) if "Vročanje vabila" in m.text]
    tallies = [m for m in bot.fake.messages_in(clerk) if "Vabilo poslano" in m.text]
    assert len(reports) == len(tallies) == SESSIONS  # one of each per session
    for report in reports:
        assert "je bilo poslano 11 od 11 članov" in report.text
        assert "vročite osebno" not in report.text and "še poteka" not in report.text
    for tally in tallies:
        assert "Vabilo poslano: 11 od 11" in tally.text
    await bot.expect(MEMBERS[0], with_button("ZA"))
    await bot.expect(CLERK, has("Vročanje vabila"))
