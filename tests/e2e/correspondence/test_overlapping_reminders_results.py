"""Overlapping passes over a correspondence reminder and a session's results (issue 15): three
passes at once (a scheduler wake-up, the periodic scan, a restart's catch-up) find the same
reminder or the same results due. The claim and the batch are stored in the transaction that
decides to send, and one pass owns the batch: every member gets the reminder and the result
once, the clerks one note and one summary. Counted on the fake Telegram Bot API for 11 members.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot.correspondence.closing import announce_unsent_results, close_due_sessions
from bot.correspondence.reminders import run_due_reminders
from bot.correspondence.schedule import correspondence_timers
from tests.e2e.correspondence.test_telegram import CLERK, DEADLINE, MEMBERS, Bot, convene
from tests.support.fake_telegram import FakeTelegram
from tests.support.world import RosterWorld, roster_world

pytestmark = [pytest.mark.e2e]


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


async def test_three_passes_at_once_remind_and_tell_the_result_once(bot: Bot) -> None:
    for email in [*MEMBERS, CLERK]:
        await bot.link(email)
    await convene(bot.world, motions=2)
    await bot.run_due()
    for email in MEMBERS:
        await bot.fake.wait_until(
            lambda email=email: len([m for m in bot.fake.messages_in(bot.users[email])
                                     if "ZA" in m.button_texts]) >= 2 or None, 30,
        )  # fmt: skip
    assert bot.runtime is not None
    app = bot.runtime.app
    leads = app.settings.reminders.correspondence

    bot.clock.freeze(DEADLINE - timedelta(hours=2) + timedelta(minutes=1))
    await asyncio.gather(*(run_due_reminders(app, leads) for _ in range(3)))
    await bot.run_due()  # a later scan changes nothing

    bot.clock.freeze(DEADLINE + correspondence_timers.grace + timedelta(seconds=1))
    await close_due_sessions(app, correspondence_timers.grace)
    await asyncio.gather(*(announce_unsent_results(app) for _ in range(3)))
    await bot.run_due()

    counts = {}
    for email in MEMBERS:
        texts = [m.visible_text for m in bot.fake.messages_in(bot.users[email])]
        counts[email] = (
            sum("Opomnik" in t for t in texts),
            sum("Dopisna seja" in t and "je zaključena" in t for t in texts),
        )
    print(
        f"\nthree passes at once, per member (reminders, results): {sorted(set(counts.values()))}"
    )
    assert set(counts.values()) == {(1, 1)}, counts
    clerk = [m.visible_text for m in bot.fake.messages_in(bot.users[CLERK])]
    assert sum("opomnik je bil poslan" in t for t in clerk) == 1
    assert sum("Zapisnik je priložen" in t for t in clerk) == 1
