"""A council of 17 members for the live-session end-to-end tests, and a convening file for it.

The example roster's Gornji Grad council has 11 members; six more are added so that the tests
run with a council of the size the issue asks for (at least 15), names with č, š and ž
included so the alphabetical order of roll-call records is really tested.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.i18n import Translator
from bot.live.convening import ConveningSpec, convene
from bot.live.convening_file import parse_convening
from bot.live.schedule import sweep
from bot.runtime import Runtime
from bot.timeutil import LJUBLJANA
from bot.transport.telegram import TelegramTransport
from tests.support.fake_telegram import FakeTelegram
from tests.support.harness import ManualClock, TelegramMember
from tests.support.world import EXAMPLE_ROSTER, RosterWorld, roster_world

COUNCIL = "Občinski svet Občine Gornji Grad"
CONVENED_AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
STARTS_AT = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)  # 17.00 in Ljubljana
CHAIR = "zupan@gornji-grad.example"
CLERK = "vesna.hribernik@gornji-grad.example"

EXTRA_MEMBERS = (
    ("Ana", "Čeh"),
    ("Peter", "Cerar"),
    ("Špela", "Robnik"),
    ("Zoran", "Šinkovec"),
    ("Irena", "Zidar"),
    ("Boris", "Ažman"),
)


def extra_email(name: str, surname: str) -> str:
    fold = str.maketrans("čšžČŠŽ", "cszCSZ")
    return f"{name}.{surname}".lower().translate(fold) + "@gornji-grad.example"


def write_council_roster(folder: Path) -> Path:
    """The example roster plus six members of the council: 17 members, a chair and a clerk."""
    lines = EXAMPLE_ROSTER.read_text(encoding="utf-8").rstrip("\n").split("\n")
    for number, (name, surname) in enumerate(EXTRA_MEMBERS, start=1):
        lines.append(
            f"{name};{surname};svetnik;{COUNCIL};{extra_email(name, surname)};"
            f"041 555 2{number:02d};;;"
        )
    path = folder / "roster-17.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def council_member_emails() -> list[str]:
    """The 17 members of the council (not the chair, not the clerk), in roster order."""
    emails = []
    for line in EXAMPLE_ROSTER.read_text(encoding="utf-8").splitlines()[1:]:
        fields = line.split(";")
        if fields[3] == COUNCIL and fields[2] in ("svetnik", "svetnica"):
            emails.append(fields[4])
    emails.extend(extra_email(name, surname) for name, surname in EXTRA_MEMBERS)
    return emails


def local_text(moment: datetime) -> str:
    local = moment.astimezone(LJUBLJANA)
    return f"{local.day}. {local.month}. {local.year} ob {local.hour}.{local.minute:02d}"


def convening_toml(starts_at: datetime, *, kind: str = "regular", extra: str = "") -> str:
    """A hybrid session with the items the tests vote on, starting at ``starts_at``."""
    return f"""
body = "{COUNCIL}"
kind = "{kind}"
mode = "hybrid"
title = "12. redna seja"
starts = "{local_text(starts_at)}"
ends = "{local_text(starts_at + timedelta(hours=3))}"
hall = "Sejna soba Občine Gornji Grad"
video_link = "https://zoom.us/j/81234567890"
reminders = ["72h", "24h"]
{extra}

[[item]]
title = "Spremembe Poslovnika"
resolution = "Občinski svet sprejme Spremembe Poslovnika."
majority = "members_present_two_thirds"
vote = "public"

[[item]]
title = "Potrditev zapisnika 11. redne seje"
resolution = "Občinski svet potrdi zapisnik 11. redne seje."
vote = "roll_call"

[[item]]
title = "Soglasje k imenovanju direktorja zavoda"
resolution = "Občinski svet daje soglasje k imenovanju direktorja zavoda."
vote = "secret"

[[item]]
title = "Volitve predsednika Nadzornega odbora"
posts = 1
candidates = ["Novak, Ana", "Kos, Peter", "Zorko, Maja"]
"""


def assert_no_link_between_members_and_choices(
    db_path: Path, receipts: dict[str, str], records: list[logging.LogRecord]
) -> None:
    """The whole database (``iterdump``) and every log line: nothing ties a member to a secret
    choice. ``receipts`` maps each voter's e-mail to the receipt they were told."""
    connection = sqlite3.connect(db_path)
    try:
        dump = list(connection.iterdump())
        people = connection.execute("SELECT name, surname, email FROM persons").fetchall()
        accounts = connection.execute("SELECT external_id FROM linked_accounts").fetchall()
    finally:
        connection.close()
    names = {row[2] for row in people} | {f"{row[0]} {row[1]}" for row in people}
    names |= {row[0] for row in accounts}
    for receipt in receipts.values():
        rows = [line for line in dump if receipt in line]
        # The ballot itself, and its entry as counted at the close (naming nobody): nowhere else.
        assert len(rows) == 2, rows
        (_ballot,) = [row for row in rows if row.startswith('INSERT INTO "secret_ballots"')]
        (counted,) = [row for row in rows if row.startswith('INSERT INTO "audit_log"')]
        assert "'secret_ballot_counted'" in counted and "'system'" in counted, counted
    assert not [line for line in dump if line.startswith('INSERT INTO "sealed_ballots"')]
    ballots = [line for line in dump if line.startswith('INSERT INTO "secret_ballots"')]
    participation = [line for line in dump if line.startswith('INSERT INTO "secret_participation"')]
    assert len(ballots) == len(participation) == len(receipts)
    for line in ballots:
        # receipt, motion, round, choice: no person, no time, no sequence number
        assert len(line.split("VALUES(", 1)[1].rstrip(");").split(",")) == 4, line
        assert not any(name in line for name in names), line
    for line in participation:
        assert not any(receipt in line for receipt in receipts.values()), line
        assert not re.search(r"'(za|proti|vzdrzan)'", line), line
    # The buttons the bot offered each chat are kept, but for a secret ballot only their
    # stems: no payload of a confirmation, an election's marks or its cast ballot says what.
    offered = [line for line in dump if line.startswith('INSERT INTO "sent_message_choices"')]
    secret_payloads = [re.search(r"'(l(?:vc|ex|es|ec):[^']*)'", line) for line in offered]
    for found in secret_payloads:
        if found is not None and found.group(1).startswith(("lex:", "les:", "lec:")):
            assert found.group(1).endswith(":*"), found.group(1)
    confirmations = [f.group(1) for f in secret_payloads if f and f.group(1).startswith("lvc:")]
    assert any(payload.endswith(":*") for payload in confirmations), confirmations
    # The audit trail records that a member voted secretly, never what or with which receipt.
    audited = [line for line in dump if "secret_participation" in line and "audit_log" in line]
    assert len(audited) == len(receipts)
    for line in audited:
        assert "choice" not in line and "'{}'" in line, line
    # Ballots lie in receipt order, which is random, not in the order the members voted.
    stored = [re.search(r"'([0-9A-Z-]{19})'", line).group(1) for line in ballots]  # type: ignore[union-attr]
    assert stored == sorted(stored)
    for record in records:
        text = record.getMessage()
        assert not any(receipt in text for receipt in receipts.values()), text
        if re.search(r"\b(ZA|PROTI|za|proti)\b", text):
            assert not any(name in text for name in names if len(name) > 3), text


class LiveBot:
    """The runtime on the fake Telegram server with a council of 17 members, all linked."""

    def __init__(self, fake: FakeTelegram, world: RosterWorld) -> None:
        self.fake = fake
        self.world = world
        self.clock = ManualClock()
        self.runtime: Runtime | None = None
        self.people: dict[str, TelegramMember] = {}

    async def start(self) -> None:
        transport = TelegramTransport(
            self.fake.token,
            base_url=self.fake.base_url,
            base_file_url=self.fake.base_file_url,
            poll_timeout=1,
            retry_delay=0.05,
        )
        self.runtime = Runtime(self.world.db, [transport], clock=self.clock)
        await self.runtime.start()

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None

    def at(self, moment: datetime) -> None:
        """Both clocks: the bot's and the platform's (which stamps messages)."""
        self.clock.freeze(moment)
        self.fake.set_time(moment)

    def later(self, delta: timedelta) -> None:
        self.at(self.clock() + delta)

    async def link(self, emails: list[str]) -> None:
        for number, email in enumerate(emails, start=1):
            person_id = self.world.person_ids[email]
            person = await self.world.db.read.persons.get(person_id)
            assert person is not None
            user_id = 70_000 + number
            self.fake.user(user_id, person.name, person.surname)
            member = TelegramMember(self.fake, user_id, email, person_id)
            await member.say(self.world.code_of(email))
            await member.expect("pomoc")
            self.people[email] = member

    async def sweep(self) -> None:
        assert self.runtime is not None
        await sweep(self.runtime.app)

    def member(self, email: str) -> TelegramMember:
        return self.people[email]


@contextlib.asynccontextmanager
async def council_world(folder: Path) -> AsyncIterator[RosterWorld]:
    """The database with the 17-member council, in ``folder``."""
    world = await roster_world(folder / "sejabot.sqlite3", write_council_roster(folder))
    try:
        yield world
    finally:
        await world.db.close()


@contextlib.asynccontextmanager
async def running_bot(world: RosterWorld, emails: list[str]) -> AsyncIterator[LiveBot]:
    """The bot running on a fake Telegram server from ``CONVENED_AT``, these people linked."""
    async with FakeTelegram() as fake:
        live = LiveBot(fake, world)
        live.at(CONVENED_AT)
        await live.start()
        try:
            await live.link(emails)
            yield live
        finally:
            await live.stop()


async def convene_session(bot: LiveBot, extra: str = "") -> int:
    assert bot.runtime is not None
    app = bot.runtime.app
    parsed = parse_convening(convening_toml(STARTS_AT, extra=extra), None, bot.clock())
    assert parsed.ok, [p.render(Translator("en")) for p in parsed.problems]
    body = next(b for b in await bot.world.db.read.bodies.list() if b.name == parsed.body)
    spec = ConveningSpec(
        body_id=body.id or 0,
        kind=parsed.kind,
        mode=parsed.mode,
        title=parsed.title,
        starts_at=parsed.starts_at or STARTS_AT,
        ends_at=parsed.ends_at,
        location=parsed.location,
        video_link=parsed.video_link,
        agenda=tuple(parsed.agenda),
        reminders=parsed.reminders,
    )
    async with bot.world.db.transaction() as repos:
        result = await convene(repos, spec, app.rule_set(body.rule_set), bot.clock())
    assert result.ok and result.session is not None
    return result.session.id or 0
