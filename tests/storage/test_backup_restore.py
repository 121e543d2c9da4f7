"""`sejabot backup` and `sejabot restore` after a database that every feature has written to:
correspondence (deliveries, a public vote), attendance, a roll-call vote, a secret vote, a
secret election with a runoff, a survey response."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest

from bot.domain.models import Candidate, Election, Platform, Vote, VoteChoice, VoteKind
from storage.database import Database
from storage.sqlite import backup_file
from tests.storage.factories import at, motion
from tests.storage.test_tamper import Flows, flows, sejabot
from tests.support.keys import TEST_KEYS


async def roll_call_and_runoff(flows: Flows) -> None:
    async with await Database.open(flows.path, TEST_KEYS) as db, db.transaction() as repos:
        session = await repos.sessions.get(flows.session)
        assert session is not None
        named = await motion(repos, session, VoteKind.ROLL_CALL, position=3)
        await repos.rounds.open(named.id, VoteKind.ROLL_CALL, at(40))
        for person in flows.people:
            await repos.votes.cast(Vote(named.id, 1, person, VoteChoice.ZA, at(41), Platform.HALL))
        await repos.rounds.close(named.id, 1, at(42))
        election = await repos.elections.add(
            Election(
                None,
                flows.session,
                "Predsednik odbora",
                candidates=(
                    Candidate(None, 0, "Ana", "Kos"),
                    Candidate(None, 0, "Bor", "Zupan"),
                    Candidate(None, 0, "Cene", "Hrast"),
                ),
            )
        )
        a, b, c = (candidate.id for candidate in election.candidates)
        for round_, votes in ((1, ([a], [b], [c], [a])), (2, ([a], [b], [a], [a]))):
            await repos.elections.open_round(election.id, at(43 + round_))
            for person, marks in zip(flows.people, votes, strict=True):
                await repos.elections.cast(
                    election.id, round_, person, marks, f"RUN{round_}-{person}", at=at(44)
                )
            await repos.elections.close_round(election.id, round_, at(45 + round_))


COUNTED_TABLES = (
    "votes",
    "secret_ballots",
    "election_ballots",
    "election_ballot_marks",
    "survey_answers",
    "attendance",
    "delivery_confirmations",
    "audit_log",
)


async def counts(path: Path) -> dict[str, int]:
    async with await Database.open(path, TEST_KEYS) as db:
        table_counts = {}
        for table in COUNTED_TABLES:
            rows = await db.read.audit._all(f"SELECT COUNT(*) AS n FROM {table}")
            table_counts[table] = int(rows[0]["n"])
        return table_counts


def test_backup_and_restore_after_every_feature(flows: Flows, tmp_path: Path) -> None:
    asyncio.run(roll_call_and_runoff(flows))
    before = asyncio.run(counts(flows.path))
    assert before["election_ballot_marks"] >= 11 and before["secret_ballots"] == 3
    backup = tmp_path / "backups" / "sejabot-2026-12-07.sqlite3"

    made = sejabot("backup", str(backup))
    assert made.exit_code == 0, made.output
    assert not list(backup.parent.glob("*.partial"))

    # Work after the backup, which the restore takes back.
    async def later_vote() -> None:
        async with await Database.open(flows.path, TEST_KEYS) as db, db.transaction() as repos:
            await repos.votes.cast(
                Vote(flows.public, 1, flows.people[3], VoteChoice.PROTI, at(50), Platform.CLI)
            )

    asyncio.run(later_vote())
    assert asyncio.run(counts(flows.path))["votes"] == before["votes"] + 1

    # Refused while anyone has the database open (a running bot holds connections).
    with contextlib.closing(sqlite3.connect(flows.path)) as running:
        running.execute("SELECT COUNT(*) FROM votes").fetchone()
        busy = sejabot("restore", str(backup))
    assert busy.exit_code == 1
    assert "is in use" in busy.output and "Stop the bot first" in busy.output
    assert asyncio.run(counts(flows.path))["votes"] == before["votes"] + 1

    restored = sejabot("restore", str(backup), language="sl")
    assert restored.exit_code == 0, restored.output
    kept = list(flows.path.parent.glob("sejabot.sqlite3.before-restore-*"))
    assert len(kept) == 1 and str(kept[0]) in restored.output
    assert asyncio.run(counts(flows.path)) == before
    assert asyncio.run(counts(kept[0]))["votes"] == before["votes"] + 1  # nothing was lost
    verified = sejabot("audit", "verify")
    assert verified.exit_code == 0, verified.output


def test_what_is_not_a_backup_is_refused_and_changes_nothing(flows: Flows, tmp_path: Path) -> None:
    before = asyncio.run(counts(flows.path))
    junk = tmp_path / "notes.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    refused = sejabot("restore", str(junk))
    assert refused.exit_code == 1 and "is not a Sejabot database" in refused.output
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).close()
    assert sejabot("restore", str(empty)).exit_code == 1
    assert asyncio.run(counts(flows.path)) == before
    assert not list(flows.path.parent.glob("*.restoring"))


async def test_a_failed_backup_leaves_no_partial_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 500)
    target = tmp_path / "backups" / "copy.sqlite3"
    with pytest.raises(sqlite3.DatabaseError):
        await backup_file(junk, target)
    assert list(target.parent.iterdir()) == []
