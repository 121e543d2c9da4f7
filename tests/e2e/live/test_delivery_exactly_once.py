"""Exactly-once live-session results and invitations after a crash (issue 15), against the real
bot (``sejabot run``, its own process) on the fake Telegram Bot API.

* A live vote is closed by its timer while the bot runs; the bot is killed (SIGKILL) once the
  first results reached members and started again: every member holds the result, and at most
  one message per member came twice. Before, the announcement lived only in the memory of the
  process that closed the round: the members not reached before the kill never got it.
* The bot is killed while a live session's invitations go out to 14 members (each several
  messages) and started again: every member holds the whole invitation, and only the message in
  flight at the kill came twice (the text and its calendar file count as one: Telegram takes
  them as two messages, the bot sends and records them as one). Before, the member in flight got the whole invitation again once the
  claim's lease ran out (and nothing until then).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain.models import Platform, VoteChoice
from bot.live.agenda import load_agenda
from bot.live.voting import cast_vote, open_vote
from bot.timeutil import utc_now
from storage.database import Database
from tests.storage.live.factories import (
    app_for,
    convened_session,
    live_council,
    open_with_present,
)
from tests.support.bot_process import BotProcess
from tests.support.fake_telegram import FakeTelegram
from tests.support.keys import TEST_KEYS
from tests.support.voting_crowd import query, restart

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

MEMBERS = 14
RESULT_MARKER = "SPREJET"  # the public vote below is adopted


async def _council(database: Path, members: int) -> tuple[int, list[int]]:
    """A convened live session of ``members`` members; returns its id and the members."""
    db = await Database.open(database, TEST_KEYS)
    try:
        body_id, people, _chair, _clerk = await live_council(db, members=members)
        session = await convened_session(db, app_for(db), body_id)
        return session.id or 0, [p.id or 0 for p in people]
    finally:
        await db.close()


async def _link(database: Path, fake: FakeTelegram, member_ids: list[int]) -> dict[int, object]:
    db = await Database.open(database, TEST_KEYS)
    users = {}
    try:
        async with db.transaction() as repos:
            for index, person_id in enumerate(member_ids):
                user = fake.user(930_000 + index, f"Član{index}", "Preizkusni")
                fake.state.started.add(user.id)
                await repos.accounts.link(person_id, Platform.TELEGRAM, str(user.id), utc_now())
                users[person_id] = user
    finally:
        await db.close()
    return users


async def _open_timed_vote(database: Path, session_id: int, member_ids: list[int]) -> None:
    """The session open with everyone present, the invitations out, and the first item's
    public vote open until a few seconds from now, everyone having voted for it."""
    db = await Database.open(database, TEST_KEYS)
    try:
        people = [await db.read.persons.get(p) for p in member_ids]
        await open_with_present(db, session_id, [p for p in people if p is not None])
        app = app_for(db)
        rules = app.rule_set("gornji-grad-2016")
        item = (await load_agenda(db.read, session_id))[0]
        assert item.motion is not None
        now = utc_now()
        async with db.transaction() as repos:
            for person_id in await repos.live.sessions.roll(session_id):
                await repos.live.sessions.mark_sent(session_id, person_id, now)
            opened = await open_vote(
                repos, rules, session_id, item.motion, now, timedelta(seconds=8)
            )
            assert opened.round is not None
            for person_id in member_ids:
                await cast_vote(
                    repos, rules, item.motion.id or 0, opened.round.round, person_id,
                    VoteChoice.ZA, now, Platform.TELEGRAM,
                )  # fmt: skip
    finally:
        await db.close()


def _print(what: str, at_kill: int, new: dict[int, int], marked: dict[int, int]) -> None:
    print(
        f"\n{what}, SIGKILL: {at_kill} messages out at the kill; new messages per member after "
        f"the restart: {sorted(Counter(new.values()).items())} (messages, members); "
        f"marked texts per member: {sorted(Counter(marked.values()).items())}"
    )


async def test_sigkill_after_a_timed_vote_closed_delivers_its_result_to_everyone(
    tmp_path: Path,
) -> None:
    database = tmp_path / "sejabot.sqlite3"
    session_id, member_ids = await _council(database, MEMBERS)
    async with FakeTelegram() as fake:
        users = await _link(database, fake, member_ids)
        await _open_timed_vote(database, session_id, member_ids)
        bot = BotProcess(tmp_path, database, fake.url, fake.token)
        await bot.start()
        base = {p: len(fake.messages_in(u)) for p, u in users.items()}  # type: ignore[arg-type]

        def marked() -> dict[int, int]:
            return {
                p: sum(RESULT_MARKER in (m.text or "") for m in fake.messages_in(u)[base[p] :])  # type: ignore[arg-type]
                for p, u in users.items()
            }

        await fake.wait_until(lambda: sum(marked().values()) >= 2 or None, 60)
        await bot.kill()
        at_kill = sum(marked().values())
        [[closed_by]] = await query(database, "SELECT closed_by FROM live_rounds")
        assert closed_by == "timer"  # closed by its timer before the kill
        await restart(bot, generation=1)
        try:
            await fake.wait_until(lambda: all(n >= 1 for n in marked().values()) or None, 60)
        except TimeoutError:
            pass  # counted below
        await asyncio.sleep(3.0)  # anything repeated would have arrived by now
        await bot.stop()
        new = {p: len(fake.messages_in(u)) - base[p] for p, u in users.items()}  # type: ignore[arg-type]
        result = marked()
    _print("timed-vote result", at_kill, new, result)
    assert at_kill < MEMBERS, "the kill came after everyone was told: no test of a resume"
    assert all(1 <= n <= 2 for n in result.values()), result
    assert all(1 <= n <= 2 for n in new.values()), new


async def test_sigkill_while_live_invitations_go_out_repeats_at_most_one_message(
    tmp_path: Path,
) -> None:
    database = tmp_path / "sejabot.sqlite3"
    session_id, member_ids = await _council(database, MEMBERS)
    async with FakeTelegram() as fake:
        users = await _link(database, fake, member_ids)
        bot = BotProcess(tmp_path, database, fake.url, fake.token)

        def counts() -> dict[int, int]:
            return {p: len(fake.messages_in(u)) for p, u in users.items()}  # type: ignore[arg-type]

        await bot.start()
        # The first member's whole invitation tells how many messages it has.
        await fake.wait_until(lambda: sum(counts().values()) >= 1 or None, 60)
        first = next(p for p, n in counts().items() if n)
        await fake.wait_until(
            lambda: sum(n for p, n in counts().items() if p != first) >= 1 or None, 60
        )
        per_member = counts()[first]
        kill_after = 3 * per_member + per_member // 2 + 1  # in the middle of the fourth member
        await fake.wait_until(lambda: sum(counts().values()) >= kill_after or None, 60)
        await bot.kill()
        at_kill = sum(counts().values())
        await restart(bot, generation=1)
        try:
            await fake.wait_until(
                lambda: all(n >= per_member for n in counts().values()) or None, 90
            )
        except TimeoutError:
            pass  # counted below
        await asyncio.sleep(3.0)
        await bot.stop()
        final = counts()
        sent = await query(
            database, "SELECT COUNT(*) FROM live_invitations WHERE session_id = ? AND "
            f"sent_at IS NOT NULL AND person_id IN ({','.join(map(str, member_ids))})",
            (session_id,),
        )  # fmt: skip
    _print(f"live invitation ({per_member} messages each)", at_kill, final, {})
    assert at_kill < MEMBERS * per_member
    assert sent == [(MEMBERS,)]
    assert all(n >= per_member for n in final.values()), final
    # The invitation's text and its calendar file are one message of the bot that Telegram takes
    # as two: a kill between them repeats both (the ledger records the pair). Nobody gets more
    # than that, and only the member in flight at the kill.
    assert all(n <= per_member + 2 for n in final.values()), final
    assert sum(n > per_member for n in final.values()) <= 1, final
