"""Many members voting at once in correspondence sessions, for crash and fault tests.

A generated roster (``benchmarks.population``) gives councils of members; sessions are created
with the real ``sejabot session create FILE`` command; the real bot runs as its own process
(:class:`tests.support.bot_process.BotProcess`). :class:`TelegramCrowd` plays every member at
once on the fake Telegram server, as people do: press the choice under the proposed resolution,
wait for the bot's "are you sure?", press "Da, glasujem ...", wait for the confirmation, go on
with the next resolution. A member who hears nothing for a while after the bot came back asks
again, as a person would; what each member was told is kept per resolution for the checks.

What the database holds is read with plain read-only SQL, so the checks do not go through the
code under test.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

from benchmarks.population import roster_csv
from bot.domain.models import Platform
from bot.domain.roster_csv import parse_roster
from bot.i18n import Translator
from bot.linking.roster_import import import_roster
from bot.timeutil import utc_now
from handlers.input_guard import FAILED
from storage.database import Database
from tests.support.bot_process import BotProcess
from tests.support.fake_telegram import FakeMessage, FakeTelegram, FakeUser
from tests.support.keys import TEST_KEYS

RULE_SET = "gornji-grad-2016"
RECORDED = "Zabeleženo"  # "Recorded: you voted ..."
ALREADY = "že glasovali"  # "You have already voted on ..."
APOLOGY = Translator("sl")(FAILED)[:40]  # "Sorry, something went wrong ... try again"
DUPLICATE_LINE = re.compile(r"duplicate (telegram|matrix) event (\S+) ignored")


# ---- the roster and the sessions ---------------------------------------------------------


@dataclass(frozen=True)
class Motion:
    id: int
    session_id: int
    title: str


@dataclass
class Council:
    body_id: int
    slug: str
    member_ids: list[int]  # voting members (svetniki), in roster order
    motions: list[Motion] = field(default_factory=list)


async def populate(database: Path, councils: int, members_per_council: int) -> list[Council]:
    """Import a generated roster of ``councils`` councils; their clerks are not linked, so the
    bot sends them nothing (no live tally to edit after every vote)."""
    db = await Database.open(database, TEST_KEYS)
    try:
        parsed = parse_roster(roster_csv(councils, members_per_council, organisations=0))
        assert parsed.ok, parsed.problems[:3]
        await import_roster(db, parsed.rows, RULE_SET)
        found = []
        for body in await db.read.bodies.list():
            if not body.slug.startswith("obcinski-svet"):
                continue
            assert body.id is not None
            memberships = await db.read.memberships.list_for_body(body.id, active_only=True)
            voters = sorted(m.person_id for m in memberships if m.role.votes)
            found.append(Council(body.id, body.slug, voters))
        return sorted(found, key=lambda council: council.slug)
    finally:
        await db.close()


async def link_accounts(database: Path, links: Iterable[tuple[int, Platform, str]]) -> None:
    """Link chat accounts to persons directly (linking itself is tested elsewhere)."""
    db = await Database.open(database, TEST_KEYS)
    try:
        async with db.transaction() as repos:
            for person_id, platform, external_id in links:
                await repos.accounts.link(person_id, platform, external_id, utc_now())
    finally:
        await db.close()


def session_file(
    path: Path, council: Council, title: str, motions: int, deadline: datetime
) -> Path:
    lines = [
        f'body = "{council.slug}"',
        f'title = "{title}"',
        f"deadline = {deadline.strftime('%Y-%m-%dT%H:%M:%SZ')}",
    ]
    for number in range(1, motions + 1):
        lines += [
            "",
            "[[motions]]",
            f'title = "Informacija {title} št. {number}"',
            f'resolution = "Občinski svet se seznani z informacijo št. {number}."',
            'category = "general"',
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli_environment(telegram_token: str, matrix_password: str = "") -> dict[str, str]:
    return {
        **os.environ,
        "SEJABOT_TELEGRAM_TOKEN": telegram_token,
        "SEJABOT_MATRIX_PASSWORD": matrix_password,
    }


async def create_session(config: Path, file: Path, environment: dict[str, str]) -> str:
    """``sejabot session create FILE``, as a clerk runs it; returns what it printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), "session", "create", str(file),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=environment,
    )  # fmt: skip
    output, _ = await process.communicate()
    text = output.decode(errors="replace")
    if process.returncode != 0:
        raise AssertionError(f"sejabot session create {file.name} failed:\n{text}")
    return text


async def convene(
    bot: BotProcess,
    database: Path,
    councils: list[Council],
    motions_each: int,
    environment: dict[str, str],
) -> None:
    """One session per council through the CLI, running for three days; fills in each
    council's motions."""
    deadline = utc_now() + timedelta(days=3)
    for number, council in enumerate(councils, start=1):
        title = f"Dopisna seja {number}"
        file = session_file(
            bot.work_dir / f"seja-{number}.toml", council, title, motions_each, deadline
        )
        await create_session(bot.config, file, environment)
    rows = await query(
        database,
        "SELECT m.id, m.session_id, m.title, s.body_id FROM motions m "
        "JOIN sessions s ON s.id = m.session_id ORDER BY m.session_id, m.position",
    )
    by_body = {council.body_id: council for council in councils}
    for motion_id, session_id, title, body_id in rows:
        by_body[body_id].motions.append(Motion(motion_id, session_id, title))


# ---- reading the database and the log ----------------------------------------------------


def _query(database: Path, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


async def query(database: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    return await asyncio.to_thread(_query, database, sql, params)


async def stored_votes(database: Path) -> list[tuple[int, int, str, str]]:
    """Every vote row: (person, motion, choice, platform)."""
    rows = await query(database, "SELECT person_id, motion_id, choice, platform FROM votes")
    return [(int(p), int(m), str(c), str(pl)) for p, m, c, pl in rows]


async def processed_keys(database: Path, platform: Platform) -> set[str]:
    rows = await query(
        database, "SELECT update_key FROM processed_updates WHERE platform = ?", (platform.value,)
    )
    return {str(row[0]) for row in rows}


def duplicates_logged(log: Path, platform: Platform) -> list[str]:
    """The event keys the dispatcher logged as recognised duplicates, in order."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return [key for kind, key in DUPLICATE_LINE.findall(text) if kind == platform.value]


async def restart(bot: BotProcess, generation: int) -> Path:
    """Start the killed bot again on the same database and stores. Its log so far is kept
    aside (returned), so the new start is recognised by its own "transport running" lines."""
    kept = bot.work_dir / f"bot.{generation}.log"
    bot.log.rename(kept)
    await bot.start()
    return kept


# ---- members on Telegram -----------------------------------------------------------------


class Phase(Enum):
    TO_PRESS = "to press"  # press the choice under the resolution
    ASKED = "asked"  # pressed it; waits for "are you sure?"
    CONFIRMING = "confirming"  # pressed "Da, glasujem ..."; waits for the confirmation
    DONE = "done"


@dataclass
class TelegramVoter:
    user: FakeUser
    person_id: int
    plan: list[tuple[Motion, str]]  # (resolution, "za" or "proti"), in the order voted
    position: int = 0
    phase: Phase = Phase.TO_PRESS
    read: int = 0  # messages of the chat already looked at
    waiting_since: float = 0.0
    told: dict[int, list[str]] = field(default_factory=dict)  # motion id -> what the bot said

    @property
    def current(self) -> tuple[Motion, str]:
        return self.plan[self.position]


class TelegramCrowd:
    """Every member at once, reacting to what the bot shows them; see the module docstring."""

    def __init__(
        self, fake: FakeTelegram, voters: list[TelegramVoter], *, silence: float = 20.0
    ) -> None:
        self.fake = fake
        self.voters = voters
        self.silence = silence
        self.bot_up_since: float | None = None  # None while the bot is down
        self.asked_again = 0  # presses repeated after hearing nothing
        self.confirmations = 0  # "recorded" messages members received
        self._task: asyncio.Task[None] | None = None

    # ---- lifecycle

    def start(self) -> None:
        self.bot_up_since = self._now()
        self._task = asyncio.create_task(self._run(), name="telegram-crowd")

    def bot_down(self) -> None:
        self.bot_up_since = None

    def bot_up(self) -> None:
        self.bot_up_since = self._now()

    async def finished(self, timeout: float) -> None:
        assert self._task is not None
        await asyncio.wait_for(asyncio.shield(self._task), timeout)

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def until_recorded(self, count: int, timeout: float) -> None:
        """Wait until ``count`` votes have been confirmed to members."""
        await self.fake.wait_until(lambda: self.confirmations >= count or self._failed(), timeout)
        self._failed()

    def _failed(self) -> bool:
        if self._task is not None and self._task.done():
            self._task.result()  # raises what went wrong
            return True
        return False

    # ---- what members were told

    def told(self, kind: str) -> Counter[tuple[int, int]]:
        """(person, motion) -> how often the member was told ``kind``: "recorded", "already"
        (voted before), "apology" (nothing stored, try again) or "shown" (no answer came, but
        the resolution's message, edited, shows the vote)."""
        counts: Counter[tuple[int, int]] = Counter()
        for voter in self.voters:
            for motion_id, said in voter.told.items():
                counts[(voter.person_id, motion_id)] += said.count(kind)
        return counts

    # ---- the members' side

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    async def _run(self) -> None:
        while not all(voter.phase is Phase.DONE for voter in self.voters):
            for voter in self.voters:
                if voter.phase is not Phase.DONE:
                    await self._step(voter)
            try:
                await self.fake.wait_until(self._anything_new, timeout=1.0)
            except TimeoutError:
                pass  # look again: someone may have waited long enough to ask again

    def _anything_new(self) -> bool:
        return any(
            len(self.fake.state.messages.get(voter.user.id, ())) > voter.read
            for voter in self.voters
            if voter.phase is not Phase.DONE
        )

    async def _step(self, voter: TelegramVoter) -> None:
        history = self.fake.state.messages.get(voter.user.id, [])
        new, voter.read = history[voter.read :], len(history)
        for message in new:
            if message.from_bot and voter.phase is not Phase.DONE:
                await self._read(voter, message)
        if voter.phase is Phase.TO_PRESS:
            await self._press_choice(voter)
        elif voter.phase in (Phase.ASKED, Phase.CONFIRMING) and self._silent_too_long(voter):
            self.asked_again += 1
            voter.phase = Phase.TO_PRESS
            await self._press_choice(voter)

    def _silent_too_long(self, voter: TelegramVoter) -> bool:
        if self.bot_up_since is None:
            return False
        return self._now() - max(voter.waiting_since, self.bot_up_since) > self.silence

    async def _read(self, voter: TelegramVoter, message: FakeMessage) -> None:
        motion, choice = voter.current
        text = message.visible_text
        sure = f"cs:s:{motion.id}:{choice}"
        if voter.phase is Phase.ASKED and sure in message.callback_data:
            await self.fake.user_presses_button(voter.user, message.message_id, sure)
            voter.phase, voter.waiting_since = Phase.CONFIRMING, self._now()
            return
        about = next((m for m, _ in voter.plan if f"»{m.title}«" in text), None)
        if about is None:
            if text.startswith(APOLOGY) and voter.phase in (Phase.ASKED, Phase.CONFIRMING):
                voter.told.setdefault(motion.id, []).append("apology")
                voter.phase = Phase.TO_PRESS  # "please try again"
            return
        kind = "recorded" if text.startswith(RECORDED) else "already" if ALREADY in text else None
        if kind is None:
            return  # the resolution's own texts: the ballot, the question
        voter.told.setdefault(about.id, []).append(kind)
        if kind == "recorded":
            self.confirmations += 1
        if about.id == motion.id:
            self._next(voter)

    def _next(self, voter: TelegramVoter) -> None:
        voter.position += 1
        voter.phase = Phase.DONE if voter.position == len(voter.plan) else Phase.TO_PRESS

    async def _press_choice(self, voter: TelegramVoter) -> None:
        motion, choice = voter.current
        payload = f"cs:v:{motion.id}:{choice}"
        ballot = next(
            (
                message
                for message in reversed(self.fake.messages_in(voter.user))
                if payload in message.callback_data
            ),
            None,
        )
        if ballot is None:
            if self._ballot_shows_vote(voter, motion):
                voter.told.setdefault(motion.id, []).append("shown")
                self._next(voter)
            return  # otherwise the invitation has not arrived yet
        await self.fake.user_presses_button(voter.user, ballot.message_id, payload)
        voter.phase, voter.waiting_since = Phase.ASKED, self._now()

    def _ballot_shows_vote(self, voter: TelegramVoter, motion: Motion) -> bool:
        """The resolution's message, edited after the vote, says what was recorded."""
        return any(
            f"»{motion.title}«" in message.visible_text and "Vaš glas" in message.visible_text
            for message in self.fake.messages_in(voter.user)
        )


def telegram_voters(
    fake: FakeTelegram, councils: list[Council], first_user_id: int
) -> list[TelegramVoter]:
    """A simulated Telegram user per member (who opened the chat with the bot before), voting
    on every resolution of their council: mostly ZA, some PROTI."""
    voters = []
    for council in councils:
        for person_id in council.member_ids:
            user = fake.user(first_user_id + person_id, "Član", f"{person_id}")
            fake.state.started.add(user.id)  # the member has written to the bot before
            voters.append(TelegramVoter(user, person_id, plan_for(person_id, council.motions)))
    return voters


def plan_for(person_id: int, motions: list[Motion]) -> list[tuple[Motion, str]]:
    """How a member votes on the resolutions, in order: mostly ZA, now and then PROTI."""
    return [
        (motion, "proti" if (person_id + index) % 7 == 0 else "za")
        for index, motion in enumerate(motions)
    ]
