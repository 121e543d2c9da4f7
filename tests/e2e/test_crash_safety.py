"""Crash safety: the real bot (``sejabot run``, its own process) is killed with SIGKILL in the
middle of a crowd of members voting, started again, and nothing a member was told is lost and
nothing is stored twice.

Over Telegram (fake Bot API server): 100 members of two councils vote on ten proposed
resolutions each, 1,000 votes with the confirmation step. The bot is killed after some hundreds
of confirmations. At that moment every vote confirmed to a member must already be stored, and
every update Telegram considers delivered (below the bot's last getUpdates offset) must be
marked processed: the bot may confirm an update to Telegram only after it handled it. After the
restart Telegram delivers the unconfirmed updates again; those handled before the kill must be
recognised as duplicates, exactly those, and the rest handled. In the end all 1,000 votes are
stored once, and no member was told "recorded" twice for one resolution. The same, smaller,
in webhook mode, where Telegram forgets an update once the bot answered its POST with 2xx.

Over Matrix (real Synapse, real matrix-nio clients in encrypted rooms; fewer members so the test
stays short): the same with the Matrix transport, which saves its sync token only once the
events before it were handled, so events handled before the kill come again and are recognised.
Which events come again is read from the homeserver (Synapse's admin API, from the sync token the
bot's store held at the kill).

A vote stored in the last moment before the kill is confirmed at the restart: its replies were
stored with it (bot/reply_outbox.py) and are sent when the bot starts. A kill between sending a
reply and forgetting it repeats that reply once; the tests count these cases. A member who heard
nothing meanwhile may press again and is told what was recorded and when.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.domain.models import Platform
from bot.local_homeserver import SynapseServer, find_free_port
from tests.e2e.conftest import DEFAULT_PASSWORD, MatrixUsers
from tests.support.bot_process import BotProcess
from tests.support.fake_telegram import FakeTelegram
from tests.support.matrix_crowd import (
    MatrixVoter,
    access_token,
    events_since,
    matrix_voting,
    saved_sync_token,
)
from tests.support.voting_crowd import (
    TelegramCrowd,
    cli_environment,
    convene,
    duplicates_logged,
    link_accounts,
    populate,
    processed_keys,
    restart,
    stored_votes,
    telegram_voters,
)

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

COUNCILS, MEMBERS_PER_COUNCIL, MOTIONS = 2, 50, 10  # 100 members x 10 resolutions = 1,000 votes
KILL_AFTER_CONFIRMATIONS = 400


async def test_telegram_votes_survive_a_kill_mid_voting(tmp_path: Path) -> None:
    await _kill_mid_voting_on_telegram(
        tmp_path, COUNCILS, MEMBERS_PER_COUNCIL, MOTIONS, KILL_AFTER_CONFIRMATIONS
    )


async def test_telegram_votes_survive_a_kill_mid_voting_in_webhook_mode(tmp_path: Path) -> None:
    """Telegram POSTs each update to the bot and forgets it once the bot answered 2xx."""
    await _kill_mid_voting_on_telegram(tmp_path, 1, 30, 4, 40, webhook_port=find_free_port())


async def _kill_mid_voting_on_telegram(
    tmp_path: Path,
    councils_count: int,
    members_per_council: int,
    motions: int,
    kill_after: int,
    *,
    webhook_port: int | None = None,
) -> None:
    began = time.monotonic()
    database = tmp_path / "sejabot.sqlite3"
    councils = await populate(database, councils_count, members_per_council)
    async with FakeTelegram() as fake:
        bot = BotProcess(tmp_path, database, fake.url, fake.token)
        if webhook_port is not None:
            _use_webhook(bot, fake, webhook_port)
        await convene(bot, database, councils, motions, cli_environment(fake.token))
        voters = telegram_voters(fake, councils, first_user_id=700_000)
        await link_accounts(
            database, [(v.person_id, Platform.TELEGRAM, str(v.user.id)) for v in voters]
        )
        planned = {(v.person_id, motion.id): choice for v in voters for motion, choice in v.plan}
        assert len(planned) == councils_count * members_per_council * motions

        crowd = TelegramCrowd(fake, voters)
        await bot.start()
        crowd.start()
        try:
            await crowd.until_recorded(kill_after, timeout=300)
            await bot.kill()
            crowd.bot_down()
            # The platform's and the members' view at the moment of the kill.
            confirmed_to_members = {key for key, n in crowd.told("recorded").items() if n}
            every_update = {str(u.update_id) for u in fake.update_log}
            unconfirmed = {str(u.update_id) for u in fake.pending_updates}
            votes_at_kill = await stored_votes(database)
            handled_at_kill = await processed_keys(database, Platform.TELEGRAM)
            killed_at = time.monotonic() - began

            stored_at_kill = {(person, motion) for person, motion, _, _ in votes_at_kill}
            assert confirmed_to_members <= stored_at_kill, "a vote confirmed to a member is missing"
            delivered = every_update - unconfirmed  # Telegram will never send these again
            assert delivered - handled_at_kill == set(), (
                f"{len(delivered - handled_at_kill)} updates were confirmed to Telegram but never "
                "handled: lost for good"
            )
            handled_unconfirmed = handled_at_kill & unconfirmed  # will come again

            first_log = await restart(bot, generation=1)
            crowd.bot_up()
            await crowd.finished(timeout=300)
        finally:
            await crowd.stop()
            await bot.stop()

        votes = await stored_votes(database)
        handled = await processed_keys(database, Platform.TELEGRAM)
        every_update = {str(u.update_id) for u in fake.update_log}

    # Every vote the members cast is stored once, as cast, from Telegram.
    assert len(votes) == len({(person, motion) for person, motion, _, _ in votes}) == len(planned)
    assert {(person, motion): choice for person, motion, choice, _ in votes} == planned
    assert {platform for *_, platform in votes} == {"telegram"}
    # Every update was handled; those handled before the kill and sent again were recognised.
    assert every_update <= handled
    assert duplicates_logged(first_log, Platform.TELEGRAM) == []
    recognised = duplicates_logged(bot.log, Platform.TELEGRAM)
    assert len(recognised) == len(set(recognised))
    assert set(recognised) == handled_unconfirmed
    # What members were told: every vote confirmed as recorded, also those stored just before
    # the kill; twice only where the kill fell between sending the reply and forgetting it.
    recorded = crowd.told("recorded")
    assert all(recorded[key] >= 1 for key in planned), [k for k in planned if not recorded[k]]
    assert max(recorded.values()) <= 2
    repeated = sum(1 for key in planned if recorded[key] == 2)

    mode = "webhook" if webhook_port is not None else "polling"
    print(
        f"\nTelegram crash ({mode}): {len(planned)} votes by {len(voters)} members; killed after "
        f"{len(confirmed_to_members)} confirmations ({len(votes_at_kill)} stored) at "
        f"{killed_at:.0f} s; {len(handled_unconfirmed)} updates handled but unconfirmed at the "
        f"kill, {len(recognised)} recognised as duplicates after the restart; "
        f"{sum(recorded.values())} confirmations, {repeated} of them repeated after the "
        f"restart ({crowd.asked_again} presses repeated by members); "
        f"{len(every_update)} updates; {time.monotonic() - began:.0f} s in all"
    )


def _use_webhook(bot: BotProcess, fake: FakeTelegram, port: int) -> None:
    """Configure the bot for webhook mode; the fake plays the TLS proxy in front of it."""
    public = "https://sejabot.primer.example/telegram"
    config = bot.config.read_text(encoding="utf-8")
    telegram = 'api_base_url = "'
    assert telegram in config
    config = config.replace(
        telegram,
        f'mode = "webhook"\nwebhook_url = "{public}"\nwebhook_listen = "127.0.0.1"\n'
        f"webhook_port = {port}\n{telegram}",
    )
    bot.config.write_text(config, encoding="utf-8")
    fake.webhooks.proxy_to(f"http://127.0.0.1:{port}")


MATRIX_MEMBERS, MATRIX_MOTIONS = 20, 5  # 100 votes: Synapse and 20 encrypting clients on 2 cores
MATRIX_KILL_AFTER_CONFIRMATIONS = 40


async def test_matrix_votes_survive_a_kill_mid_voting(
    tmp_path: Path, synapse: SynapseServer, matrix_users: MatrixUsers
) -> None:
    began = time.monotonic()
    async with FakeTelegram() as fake:
        voting = await matrix_voting(
            tmp_path, synapse.base_url, matrix_users, (fake.url, fake.token),
            members=MATRIX_MEMBERS, motions=MATRIX_MOTIONS, bot_prefix="crashbot",
            password=DEFAULT_PASSWORD,
        )  # fmt: skip
        database, bot_user, bot = voting.database, voting.bot_user, voting.bot
        state, voters, planned = voting.state, voting.voters, voting.planned
        for voter in voters:
            voter.start()
        await bot.start()
        state.up()
        voting = asyncio.gather(*(voter.vote_all(timeout=240) for voter in voters))
        try:
            await _until(lambda: _recorded(voters) >= MATRIX_KILL_AFTER_CONFIRMATIONS, voting, 240)
            await bot.kill()
            state.down()
            confirmed_to_members = {(v.person_id, m) for v in voters for m, said in v.told.items()
                                    if "recorded" in said}  # fmt: skip
            votes_at_kill = await stored_votes(database)
            handled_at_kill = await processed_keys(database, Platform.MATRIX)
            killed_at = time.monotonic() - began
            assert confirmed_to_members <= {(p, m) for p, m, _, _ in votes_at_kill}

            # What the homeserver will deliver again: everything after the saved sync token.
            token = await saved_sync_token(tmp_path / "matrix-store", bot_user, "BOTPROCESS")
            assert token, "the bot never saved a sync token"
            admin = await access_token(
                synapse.base_url, await matrix_users.register("admin", admin=True), DEFAULT_PASSWORD
            )
            again: set[str] = set()
            for voter in voters:
                if voter.room_id is None:
                    continue  # not invited yet: nothing of this member to deliver
                events = await events_since(synapse.base_url, admin, voter.room_id, token)
                again |= {event_id for event_id, sender in events if sender != bot_user}
            handled_again = again & handled_at_kill

            first_log = await restart(bot, generation=1)
            state.up()
            await asyncio.wait_for(voting, 240)
        finally:
            voting.cancel()
            with contextlib.suppress(BaseException):
                await voting
            for voter in voters:
                await voter.stop()
            await bot.stop()

    votes = await stored_votes(database)
    handled = await processed_keys(database, Platform.MATRIX)
    sent = {event_id for voter in voters for _, event_id in voter.sent}
    assert len(votes) == len({(person, motion) for person, motion, _, _ in votes}) == len(planned)
    assert {(person, motion): choice for person, motion, choice, _ in votes} == planned
    assert {platform for *_, platform in votes} == {"matrix"}
    assert sent <= handled, f"{len(sent - handled)} answers of members were never handled"
    assert duplicates_logged(first_log, Platform.MATRIX) == []
    recognised = duplicates_logged(bot.log, Platform.MATRIX)
    assert len(recognised) == len(set(recognised))
    assert set(recognised) == handled_again
    recorded = Counter((v.person_id, m) for v in voters for m, said in v.told.items()
                       for kind in said if kind == "recorded")  # fmt: skip
    assert all(recorded[(v.person_id, motion.id)] >= 1 for v in voters for motion, _ in v.plan)
    assert max(recorded.values()) <= 2
    assert not any(voter.undecryptable for voter in voters)

    print(
        f"\nMatrix crash: {len(planned)} votes by {len(voters)} members; killed after "
        f"{len(confirmed_to_members)} confirmations ({len(votes_at_kill)} stored) at "
        f"{killed_at:.0f} s; {len(again)} member events after the saved sync token, "
        f"{len(handled_again)} of them handled before the kill and {len(recognised)} recognised "
        f"as duplicates after the restart; {sum(recorded.values())} confirmations "
        f"({sum(n == 2 for n in recorded.values())} repeated), "
        f"{sum(v.asked_again for v in voters)} answers repeated; {len(sent)} answers sent; "
        f"{time.monotonic() - began:.0f} s in all"
    )


def _recorded(voters: list[MatrixVoter]) -> int:
    return sum(said.count("recorded") for voter in voters for said in voter.told.values())


async def _until(condition: Callable[[], bool], work: asyncio.Future[Any], timeout: float) -> None:
    """Wait for ``condition`` while ``work`` runs (its failure is raised at once)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if work.done():
            work.result()
        assert time.monotonic() < deadline, "the members' voting stalled"
        await asyncio.sleep(0.1)
