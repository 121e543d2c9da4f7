"""Faults of the platforms while members vote in a correspondence session, against the real bot
(``sejabot run``, its own process): every vote is stored once and confirmed once, nothing a
member sees arrives twice.

* Telegram answers 429 (flood control, with retry_after) and 500/502 to sendMessage,
  editMessageText and answerCallbackQuery in waves while 20 members vote on three resolutions.
  Each chat must end with exactly the messages of a fault-free run: the invitation, the three
  resolutions, and per vote one "are you sure?" and one confirmation.
* The homeserver (Synapse) is stopped and started again in the middle of a Matrix session.
  Members go on voting; some begin only while it is down (their chat app keeps trying to send).
  Every vote, those sent during and after the restart included, is stored and confirmed once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.domain.models import Platform
from bot.local_homeserver import SynapseServer
from tests.e2e.conftest import DEFAULT_PASSWORD, MatrixUsers
from tests.support.bot_process import BotProcess
from tests.support.fake_telegram import FakeTelegram
from tests.support.matrix_crowd import MatrixVoter, matrix_voting
from tests.support.voting_crowd import (
    TelegramCrowd,
    cli_environment,
    convene,
    link_accounts,
    populate,
    processed_keys,
    stored_votes,
    telegram_voters,
)

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

TELEGRAM_MEMBERS, TELEGRAM_MOTIONS = 20, 3
# (after how many confirmations, method, status, how many calls in a row fail)
FAULT_WAVES = [
    (0, "sendMessage", 429, 2),
    (5, "editMessageText", 500, 2),
    (10, "answerCallbackQuery", 502, 3),
    (20, "sendMessage", 502, 3),
    (30, "editMessageText", 429, 2),
    (40, "sendMessage", 500, 2),
]


async def test_telegram_429_and_5xx_lose_and_repeat_nothing(tmp_path: Path) -> None:
    began = time.monotonic()
    database = tmp_path / "sejabot.sqlite3"
    [council] = await populate(database, 1, TELEGRAM_MEMBERS)
    async with FakeTelegram() as fake:
        bot = BotProcess(tmp_path, database, fake.url, fake.token)
        await convene(bot, database, [council], TELEGRAM_MOTIONS, cli_environment(fake.token))
        voters = telegram_voters(fake, [council], first_user_id=800_000)
        await link_accounts(
            database, [(v.person_id, Platform.TELEGRAM, str(v.user.id)) for v in voters]
        )
        planned = {(v.person_id, motion.id): choice for v in voters for motion, choice in v.plan}
        crowd = TelegramCrowd(fake, voters)
        await bot.start()
        crowd.start()
        faults = []
        try:
            for after, method, status, times in FAULT_WAVES:
                await crowd.until_recorded(after, timeout=120)
                faults.append(fake.inject_fault(method, status, retry_after=1, times=times))
            await crowd.finished(timeout=180)
        finally:
            await crowd.stop()
            await bot.stop()
        log = bot.log.read_text(errors="replace")
        stats = fake.stats
        chats = {v.person_id: fake.messages_in(v.user) for v in voters}

    assert [fault.served for fault in faults] == [times for *_, times in FAULT_WAVES]
    assert stats.errors[429] == 4 and stats.errors[500] == 4 and stats.errors[502] == 6
    votes = await stored_votes(database)
    assert len(votes) == len(planned)
    assert {(person, motion): choice for person, motion, choice, _ in votes} == planned
    # Exactly one confirmation per vote, no other outcome, nobody had to ask again.
    assert set(crowd.told("recorded").values()) == {1}
    assert sum(crowd.told("already").values()) == sum(crowd.told("apology").values()) == 0
    assert crowd.asked_again == 0
    # Nothing arrived twice: each chat shows what a fault-free run shows.
    expected = (
        1 + TELEGRAM_MOTIONS + 2 * TELEGRAM_MOTIONS
    )  # invitation, ballots, question + confirmation
    assert {person: len(messages) for person, messages in chats.items()} == {
        v.person_id: expected for v in voters
    }
    for messages in chats.values():  # every "are you sure?" was answered and spent by an edit
        questions = [m for m in messages if "ali glasujete" in m.visible_text]
        assert len(questions) == TELEGRAM_MOTIONS
        assert not any(question.callback_data for question in questions)
    # The 5xx of sends and edits were retried (429s wait inside the rate limiter); an
    # unanswered button press costs the member only the spinner.
    assert log.count("; retry ") == 7
    assert log.count("callback query not answered") == 3

    print(
        f"\nTelegram faults: {len(planned)} votes by {len(voters)} members; injected "
        f"{sum(f.served for f in faults)} failures ({dict(stats.errors)}); "
        f"{sum(crowd.told('recorded').values())} confirmations, each once; "
        f"{time.monotonic() - began:.0f} s"
    )


MATRIX_MEMBERS, MATRIX_MOTIONS = 8, 3
LATE_MEMBERS = 2  # they begin voting only while the homeserver is down
RESTART_AFTER_CONFIRMATIONS = 8


async def test_votes_survive_a_homeserver_restart(
    tmp_path: Path, synapse: SynapseServer, matrix_users: MatrixUsers
) -> None:
    began = time.monotonic()
    async with FakeTelegram() as fake:
        voting = await matrix_voting(
            tmp_path, synapse.base_url, matrix_users, (fake.url, fake.token),
            members=MATRIX_MEMBERS, motions=MATRIX_MOTIONS, bot_prefix="faultbot",
            password=DEFAULT_PASSWORD,
        )  # fmt: skip
        database, bot, voters, planned = voting.database, voting.bot, voting.voters, voting.planned
        homeserver_down = asyncio.Event()
        early, late = voters[:-LATE_MEMBERS], voters[-LATE_MEMBERS:]
        for voter in voters:
            voter.start()
        await bot.start()
        voting = asyncio.gather(
            *(voter.vote_all(timeout=180) for voter in early),
            *(voter.vote_all(timeout=180, gate=homeserver_down) for voter in late),
        )
        try:
            await _until_recorded(voters, RESTART_AFTER_CONFIRMATIONS, voting, late, timeout=180)
            stopped_at = time.monotonic()
            await synapse.stop()
            homeserver_down.set()
            await asyncio.sleep(1.0)  # the late members are trying to send now
            await synapse.start()
            back_at = time.monotonic()
            await asyncio.wait_for(voting, 240)
        finally:
            homeserver_down.set()
            voting.cancel()
            with contextlib.suppress(BaseException):
                await voting
            for voter in voters:
                await voter.stop()
            await bot.stop()

    votes = await stored_votes(database)
    handled = await processed_keys(database, Platform.MATRIX)
    assert len(votes) == len(planned)
    assert {(person, motion): choice for person, motion, choice, _ in votes} == planned
    recorded = _told(voters, "recorded")
    assert set(recorded.values()) == {1} and len(recorded) == len(planned), [
        (v.person_id, v.told, v.undecryptable, v.asked_again) for v in voters
        if any(recorded[(v.person_id, m.id)] != 1 for m, _ in v.plan)]  # fmt: skip
    assert sum(_told(voters, "already").values()) == 0
    assert not any(voter.undecryptable for voter in voters)
    sent = [(at, event_id) for voter in voters for at, event_id in voter.sent]
    during = [event_id for at, event_id in sent if stopped_at <= at <= back_at]
    after = [event_id for at, event_id in sent if at > back_at]
    assert during and after, "no vote was sent while the homeserver restarted, or after it"
    assert {event_id for _, event_id in sent} <= handled

    print(
        f"\nHomeserver restart: {len(planned)} votes by {len(voters)} members; homeserver down "
        f"{back_at - stopped_at:.1f} s; {len(during)} answers sent while it restarted, "
        f"{len(after)} after; {sum(recorded.values())} confirmations, each once; "
        f"{sum(v.asked_again for v in voters)} answers repeated; {time.monotonic() - began:.0f} s"
    )


def _told(voters: list[MatrixVoter], kind: str) -> Counter[tuple[int, int]]:
    return Counter(
        (voter.person_id, motion_id)
        for voter in voters
        for motion_id, said in voter.told.items()
        for told in said
        if told == kind
    )


async def _until_recorded(
    voters: list[MatrixVoter],
    count: int,
    voting: asyncio.Future[Any],
    waiting: list[MatrixVoter],
    timeout: float,
) -> None:
    """Until ``count`` votes are confirmed and the members held back see their resolutions."""
    deadline = time.monotonic() + timeout

    def ready() -> bool:
        confirmed = sum(_told(voters, "recorded").values())
        first_ballots = [f"cs:v:{voter.plan[0][0].id}:" for voter in waiting]
        return confirmed >= count and all(
            any(answer.startswith(ballot) for answer in voter.polls)
            for voter, ballot in zip(waiting, first_ballots, strict=True)
        )

    while not ready():
        if voting.done():
            voting.result()
        assert time.monotonic() < deadline, "the members' voting stalled"
        await asyncio.sleep(0.1)
