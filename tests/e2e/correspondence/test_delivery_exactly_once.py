"""Exactly-once delivery of invitations (issue 15), against the real bot (``sejabot run``, its
own process) on the fake Telegram Bot API: the bot is stopped with SIGTERM, or killed with
SIGKILL, while the invitations of a 15-member council go out, and started again. Every message
each member received is counted.

* SIGTERM: the stop lets the members in flight finish and be recorded, so after the restart
  every member holds exactly the invitation and one ballot per resolution, none twice.
* SIGKILL: only a message the platform accepted in the last moment before the kill, and not
  yet recorded, may come again: at most one repeated message per member.

Either way the clerk's delivery report, edited in place, ends with all 15 reached and agrees
with the live tally. Overlapping send passes in one process (the clerk's "Pošlji vabila" and
the periodic scan) are tested in-process at the end.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import pytest

from bot.domain.models import Platform
from tests.support.bot_process import BotProcess
from tests.support.fake_telegram import FakeTelegram
from tests.support.voting_crowd import (
    cli_environment,
    convene,
    link_accounts,
    populate,
    query,
    restart,
)

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

MEMBERS, MOTIONS = 15, 3
PER_MEMBER = 1 + MOTIONS  # the invitation and one ballot per resolution
STOP_AFTER_MESSAGES = 12  # the first members' first messages are out, most are still to come


async def _clerk_of(database: Path, body_id: int) -> int:
    rows = await query(
        database,
        "SELECT person_id FROM memberships WHERE body_id = ? AND role = 'clerk'",
        (body_id,),
    )
    return int(rows[0][0])


async def _send_and_interrupt(tmp_path: Path, how: str) -> dict[str, object]:
    database = tmp_path / "sejabot.sqlite3"
    [council] = await populate(database, 1, MEMBERS)
    async with FakeTelegram() as fake:
        bot = BotProcess(tmp_path, database, fake.url, fake.token)
        await convene(bot, database, [council], MOTIONS, cli_environment(fake.token))
        users = {
            person_id: fake.user(900_000 + index, f"Član{index}", "Preizkusni")
            for index, person_id in enumerate(council.member_ids)
        }
        clerk = fake.user(899_999, "Vesna", "Hribernik")
        for user in [*users.values(), clerk]:
            fake.state.started.add(user.id)  # each has written to the bot before
        clerk_id = await _clerk_of(database, council.body_id)
        await link_accounts(
            database,
            [(p, Platform.TELEGRAM, str(u.id)) for p, u in users.items()]
            + [(clerk_id, Platform.TELEGRAM, str(clerk.id))],
        )

        def delivered() -> int:
            return sum(len(fake.messages_in(user)) for user in users.values())

        began = time.monotonic()
        await bot.start()
        await fake.wait_until(lambda: delivered() >= STOP_AFTER_MESSAGES or None, 60)
        at_stop = delivered()
        if how == "SIGTERM":
            stopped_with = await bot.stop()
        else:
            await bot.kill()
            stopped_with = -9
        after_stop = delivered()
        await asyncio.sleep(1.0)  # nothing more arrives from a stopped bot
        assert delivered() == after_stop
        first_log = await restart(bot, generation=1)
        try:
            await fake.wait_until(
                lambda: all(len(fake.messages_in(u)) >= PER_MEMBER for u in users.values()) or None,
                120,
            )
            report = await fake.wait_until(
                lambda: next(
                    (
                        m
                        for m in fake.messages_in(clerk)
                        if f"poslano {MEMBERS} od {MEMBERS}" in m.text
                    ),
                    None,
                ),
                60,
            )
            tally = await fake.wait_until(
                lambda: next(
                    (
                        m
                        for m in fake.messages_in(clerk)
                        if f"Vabilo poslano: {MEMBERS} od {MEMBERS}" in m.text
                    ),
                    None,
                ),
                60,
            )
            await asyncio.sleep(2.0)  # anything repeated would have arrived by now
        finally:
            await bot.stop()
        received = {person: len(fake.messages_in(user)) for person, user in users.items()}
        kinds = {
            person: Counter(
                "invitation" if "Potrjujem prejem" in m.button_texts or "Vabilo na dopisno" in m.text
                else "ballot" if "ZA" in m.button_texts else "other"
                for m in fake.messages_in(user)
            )
            for person, user in users.items()
        }  # fmt: skip
        reports = [m for m in fake.messages_in(clerk) if "Vročanje vabila" in m.text]
        return {
            "received": received,
            "kinds": kinds,
            "at_stop": at_stop,
            "after_stop": after_stop,
            "stopped_with": stopped_with,
            "reports": reports,
            "report": report,
            "tally": tally,
            "first_log": first_log.read_text(errors="replace"),
            "log": bot.log.read_text(errors="replace"),
            "seconds": time.monotonic() - began,
        }


async def test_sigterm_while_invitations_go_out_repeats_nothing(tmp_path: Path) -> None:
    seen = await _send_and_interrupt(tmp_path, "SIGTERM")
    received = seen["received"]
    assert isinstance(received, dict)
    assert set(received.values()) == {PER_MEMBER}, received
    assert seen["stopped_with"] == 0
    assert "claimed before a stop will be sent again" not in str(seen["log"])
    reports = seen["reports"]
    assert isinstance(reports, list) and len(reports) == 1  # one report, edited in place
    print(
        f"\nSIGTERM during sending: {seen['at_stop']} messages out at the signal, "
        f"{seen['after_stop']} once stopped (in flight finished); per member after the restart: "
        f"{sorted(Counter(received.values()).items())} (messages, members); "
        f"{seen['seconds']:.0f} s"
    )


async def test_sigkill_while_invitations_go_out_repeats_at_most_one_message(tmp_path: Path) -> None:
    seen = await _send_and_interrupt(tmp_path, "SIGKILL")
    received, kinds = seen["received"], seen["kinds"]
    assert isinstance(received, dict) and isinstance(kinds, dict)
    assert all(PER_MEMBER <= n <= PER_MEMBER + 1 for n in received.values()), received
    for counts in kinds.values():  # everything arrived, at most one message came twice
        assert counts["invitation"] >= 1 and counts["ballot"] >= MOTIONS
        assert counts["invitation"] + counts["ballot"] <= PER_MEMBER + 1
    reports = seen["reports"]
    assert isinstance(reports, list) and len(reports) == 1
    repeated = sum(n - PER_MEMBER for n in received.values())
    print(
        f"\nSIGKILL during sending: {seen['at_stop']} messages out at the kill; per member after "
        f"the restart: {sorted(Counter(received.values()).items())} (messages, members); "
        f"{repeated} messages repeated in all; {seen['seconds']:.0f} s"
    )
