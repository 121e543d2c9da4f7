"""Exactly-once delivery of invitations over Matrix (issue 15), against the real bot
(``sejabot run``, its own process) on a real Synapse: the bot is stopped with SIGTERM, or killed
with SIGKILL, while the invitations of a council of 12 go out, and started again. Each member's
own client syncs and counts every event the bot sent into their room (texts, polls, and events
it could not decrypt), by event id.

* SIGTERM: the stop lets the members in flight finish and be recorded: exactly once.
* SIGKILL: a message the homeserver accepted just before the kill and the bot had not recorded
  is sent again with the same transaction id (its idempotency key), and Synapse answers with the
  first event: at most one repeat per member is allowed, none is expected.

One member's room does not let the bot post (power levels): Synapse refuses with M_FORBIDDEN,
and the clerk's delivery report (on Telegram) names that member with the server's reason.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import nio
import pytest
from nio import RoomCreateResponse, UnknownEvent

from bot.domain.models import Platform
from tests.e2e.conftest import DEFAULT_PASSWORD, MatrixUsers
from tests.e2e.matrix_kit import ENCRYPTION_STATE
from tests.support.fake_telegram import FakeTelegram
from tests.support.matrix_crowd import MatrixVoter, matrix_voting
from tests.support.synapse import SynapseServer
from tests.support.voting_crowd import link_accounts, query, restart

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

MEMBERS, MOTIONS = 12, 3  # 11 reachable members and one whose room refuses the bot
PER_MEMBER = 2 * (1 + MOTIONS)  # the invitation and each ballot: a text and a poll
STOP_AFTER_EVENTS = 16
POLL_START = "org.matrix.msc3381.poll.start"
FINISHED = "Pošiljanje je zaključeno za vse člane"


class Counted:
    """The bot's events one member's client received, by event id."""

    def __init__(self, voter: MatrixVoter) -> None:
        self.kinds: dict[str, str] = {}
        bot = voter.bot_user_id

        def seen(room: nio.MatrixRoom, event: nio.Event) -> None:
            if event.sender != bot:
                return
            if isinstance(event, nio.RoomMessageText):
                relates = event.source.get("content", {}).get("m.relates_to", {})
                if relates.get("rel_type") == "m.replace":
                    return  # an edit of an earlier message, not a message
                self.kinds[event.event_id] = "text:" + event.body[:60]
            elif isinstance(event, UnknownEvent) and event.type == POLL_START:
                self.kinds[event.event_id] = (
                    "poll:" + str(event.source["content"].get("body", ""))[:60]
                )
            elif isinstance(event, nio.MegolmEvent):
                self.kinds.setdefault(event.event_id, "undecrypted")

        voter.client.add_event_callback(seen, (nio.RoomMessageText, UnknownEvent, nio.MegolmEvent))

    @property
    def count(self) -> int:
        return len(self.kinds)

    def repeated(self) -> int:
        """Messages shown twice: the same kind and beginning under two event ids."""
        return sum(n - 1 for n in Counter(self.kinds.values()).values() if n > 1)


async def _refusing_room(voter: MatrixVoter) -> str:
    """The member's own direct room with the bot, where the bot (power level 0) may not post."""
    created = await voter.client.room_create(
        is_direct=True,
        invite=[voter.bot_user_id],
        initial_state=[ENCRYPTION_STATE],
        power_level_override={"events_default": 50},
    )
    assert isinstance(created, RoomCreateResponse), created
    return created.room_id


async def _send_and_interrupt(
    tmp_path: Path, synapse: SynapseServer, matrix_users: MatrixUsers, how: str
) -> dict[str, object]:
    began = time.monotonic()
    async with FakeTelegram() as fake:
        voting = await matrix_voting(
            tmp_path, synapse.base_url, matrix_users, (fake.url, fake.token),
            members=MEMBERS, motions=MOTIONS, bot_prefix=f"once{how.lower()}",
            password=DEFAULT_PASSWORD,
        )  # fmt: skip
        database, bot, voters = voting.database, voting.bot, voting.voters
        refusing, reachable = voters[-1], voters[:-1]
        refusing_room = await _refusing_room(refusing)
        clerk = fake.user(899_999, "Vesna", "Hribernik")
        fake.state.started.add(clerk.id)
        rows = await query(database, "SELECT person_id FROM memberships WHERE role = 'clerk'")
        await link_accounts(database, [(int(rows[0][0]), Platform.TELEGRAM, str(clerk.id))])
        counted = {voter.person_id: Counted(voter) for voter in reachable}
        for voter in voters:
            voter.start()

        def delivered() -> int:
            return sum(c.count for c in counted.values())

        async def until(condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
            deadline = time.monotonic() + timeout
            while not condition():
                assert time.monotonic() < deadline, f"stalled: {delivered()} events delivered"
                await asyncio.sleep(0.1)

        try:
            await bot.start()
            await until(lambda: delivered() >= STOP_AFTER_EVENTS, 180)
            at_stop = delivered()
            if how == "SIGTERM":
                stopped_with = await bot.stop()
            else:
                await bot.kill()
                stopped_with = -9
            await asyncio.sleep(3.0)  # the members' clients catch up with what was sent
            after_stop = delivered()
            first_log = await restart(bot, generation=1)
            await until(lambda: all(c.count >= PER_MEMBER for c in counted.values()), 240)
            report = await fake.wait_until(
                lambda: next(
                    (m for m in fake.messages_in(clerk)
                     if "Vročanje vabila" in m.text and "M_FORBIDDEN" in m.text
                     and FINISHED in m.text),
                    None,
                ),
                120,
            )  # fmt: skip
            await asyncio.sleep(5.0)  # anything repeated would have arrived by now
        finally:
            for voter in voters:
                await voter.stop()
            await bot.stop()
        refused_rows = await query(
            database,
            "SELECT refusal FROM correspondence_invitations WHERE person_id = ?",
            (refusing.person_id,),
        )
        return {
            "counts": {p: c.count for p, c in counted.items()},
            "repeated": {p: c.repeated() for p, c in counted.items()},
            "kinds": {
                p: Counter(k.split(":", 1)[0] for k in c.kinds.values()) for p, c in counted.items()
            },
            "at_stop": at_stop,
            "after_stop": after_stop,
            "stopped_with": stopped_with,
            "report": report.text,
            "reports": [m for m in fake.messages_in(clerk) if "Vročanje vabila" in m.text],
            "refusal": refused_rows[0][0] if refused_rows else None,
            "refusing_room": refusing_room,
            "first_log": first_log.read_text(errors="replace"),
            "log": bot.log.read_text(errors="replace"),
            "seconds": time.monotonic() - began,
        }


def _check_refusal(seen: dict[str, object]) -> None:
    refusal = str(seen["refusal"])
    assert refusal.startswith("M_FORBIDDEN (HTTP 403)"), refusal
    assert refusal in str(seen["report"]) or "M_FORBIDDEN" in str(seen["report"])
    assert "Platforma za klepet je sporočilo zavrnila (1)" in str(seen["report"]), seen["report"]
    reports = seen["reports"]
    assert isinstance(reports, list) and len(reports) == 1  # one report, edited in place


async def test_sigterm_while_matrix_invitations_go_out_repeats_nothing(
    tmp_path: Path, synapse: SynapseServer, matrix_users: MatrixUsers
) -> None:
    seen = await _send_and_interrupt(tmp_path, synapse, matrix_users, "SIGTERM")
    counts = seen["counts"]
    assert isinstance(counts, dict)
    assert set(counts.values()) == {PER_MEMBER}, counts
    assert seen["stopped_with"] == 0
    _check_refusal(seen)
    print(
        f"\nMatrix SIGTERM during sending: {seen['at_stop']} events out at the signal, "
        f"{seen['after_stop']} once stopped; per member after the restart: "
        f"{sorted(Counter(counts.values()).items())} (events, members; {PER_MEMBER} expected); "
        f"refusal reported: {seen['refusal']}; {seen['seconds']:.0f} s"
    )


async def test_sigkill_while_matrix_invitations_go_out_repeats_at_most_one_message(
    tmp_path: Path, synapse: SynapseServer, matrix_users: MatrixUsers
) -> None:
    seen = await _send_and_interrupt(tmp_path, synapse, matrix_users, "SIGKILL")
    counts, repeated = seen["counts"], seen["repeated"]
    assert isinstance(counts, dict) and isinstance(repeated, dict)
    assert all(PER_MEMBER <= n <= PER_MEMBER + 1 for n in counts.values()), counts
    assert all(n <= 1 for n in repeated.values()), repeated
    _check_refusal(seen)
    print(
        f"\nMatrix SIGKILL during sending: {seen['at_stop']} events out at the kill, "
        f"{seen['after_stop']} seen after it; per member after the restart: "
        f"{sorted(Counter(counts.values()).items())} (events, members; {PER_MEMBER} expected); "
        f"{sum(repeated.values())} repeated in all; refusal reported: {seen['refusal']}; "
        f"{seen['seconds']:.0f} s"
    )
