"""Secret votes: participation and ballots stored apart, with nothing linking them."""

from __future__ import annotations

import asyncio
import re
import sqlite3

import pytest

from bot.domain.models import VoteChoice, VoteKind
from bot.server_keys import ServerKeys, new_secret_key
from storage.database import Database
from storage.errors import (
    DuplicateReceipt,
    DuplicateVote,
    UnknownVoteRound,
    VoteKindMismatch,
    VoteRoundClosed,
)
from storage.keyring import SealedBallotUnreadable, ServerKeysMissing
from storage.records import SecretBallot
from storage.repositories.secret_ballots import new_receipt
from tests.storage.factories import at, correspondence_session, council, motion
from tests.support.keys import TEST_KEYS


async def secret_round(db: Database, members: int):
    async with db.transaction() as repos:
        body, people = await council(repos, members=members)
        item = await motion(repos, await correspondence_session(repos, body), VoteKind.SECRET)
        await repos.rounds.open(item.id, VoteKind.SECRET, at(0))
    return item, people


async def close(db: Database, motion_id: int, round: int = 1) -> None:
    async with db.transaction() as repos:
        await repos.rounds.close(motion_id, round, at(30))


async def columns(raw, table: str) -> list[str]:
    return [row[1] for row in await raw.execute_fetchall(f"PRAGMA table_info({table})")]


async def test_ballot_tables_cannot_link_a_voter_to_a_choice(db: Database, raw) -> None:
    assert await columns(raw, "secret_participation") == ["motion_id", "round", "person_id"]
    assert await columns(raw, "secret_ballots") == ["receipt", "motion_id", "round", "choice"]
    assert await columns(raw, "election_ballots") == ["receipt", "election_id", "round", "valid"]
    assert await columns(raw, "election_ballot_marks") == ["receipt", "candidate_id", "election_id"]
    # While a round is open its ballots exist only sealed: no person, no time, no clear text.
    assert await columns(raw, "sealed_ballots") == ["vote", "target_id", "round", "sealed"]
    for table in (
        "secret_participation",
        "secret_ballots",
        "election_participation",
        "election_ballots",
        "election_ballot_marks",
    ):
        # WITHOUT ROWID: not even the hidden rowid records the order of insertion.
        with pytest.raises(sqlite3.OperationalError, match="rowid"):
            await raw.execute(f"SELECT rowid FROM {table}")


async def test_cast_stores_participation_and_ballot_separately(db: Database) -> None:
    item, people = await secret_round(db, members=5)
    choices = [VoteChoice.ZA, VoteChoice.ZA, VoteChoice.PROTI, VoteChoice.VZDRZAN]
    receipts = [new_receipt() for _ in choices]
    async with db.transaction() as repos:
        for person, choice, receipt in zip(people, choices, receipts, strict=False):
            stored = await repos.secret_ballots.cast(item.id, 1, person.id, choice, receipt)
            assert stored == SecretBallot(item.id, 1, receipt, choice)
    assert await db.read.secret_ballots.participants(item.id, 1) == sorted(p.id for p in people[:4])
    assert await db.read.secret_ballots.ballots(item.id, 1) == []  # sealed until the close
    assert await db.read.secret_ballots.find_ballot(receipts[2]) is None
    await close(db, item.id)
    ballots = await db.read.secret_ballots.ballots(item.id, 1)
    assert [b.receipt for b in ballots] == sorted(receipts)  # receipt order, not voting order
    assert sorted(b.choice for b in ballots) == sorted(choices)
    assert await db.read.secret_ballots.find_ballot(receipts[2]) == SecretBallot(
        item.id, 1, receipts[2], VoteChoice.PROTI
    )
    assert await db.read.secret_ballots.find_ballot("NONE") is None
    assert await db.read.secret_ballots.has_participated(item.id, 1, people[0].id)
    assert not await db.read.secret_ballots.has_participated(item.id, 1, people[4].id)
    # Nothing reached the table that names voters.
    assert await db.read.votes.list_for_motion(item.id, 1) == []


async def test_second_participation_is_refused_and_leaves_no_ballot(db: Database, raw) -> None:
    item, (ana,) = await secret_round(db, members=1)
    async with db.transaction() as repos:
        await repos.secret_ballots.cast(item.id, 1, ana.id, VoteChoice.ZA, "R-1")
        with pytest.raises(DuplicateVote):
            await repos.secret_ballots.cast(item.id, 1, ana.id, VoteChoice.PROTI, "R-2")
    await close(db, item.id)
    assert [b.receipt for b in await db.read.secret_ballots.ballots(item.id, 1)] == ["R-1"]
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        await raw.execute(
            "INSERT INTO secret_participation (motion_id, round, person_id) VALUES (?, 1, ?)",
            (item.id, ana.id),
        )


async def test_receipt_collision_rolls_back_the_participation_too(db: Database) -> None:
    item, (ana, bor) = await secret_round(db, members=2)
    async with db.transaction() as repos:
        await repos.secret_ballots.cast(item.id, 1, ana.id, VoteChoice.ZA, "SAME")
        with pytest.raises(DuplicateReceipt):
            await repos.secret_ballots.cast(item.id, 1, bor.id, VoteChoice.PROTI, "SAME")
        # With a fresh receipt the same member can vote: the failed attempt left nothing.
        await repos.secret_ballots.cast(item.id, 1, bor.id, VoteChoice.PROTI, "OTHER")
    assert await db.read.secret_ballots.participants(item.id, 1) == sorted([ana.id, bor.id])
    await close(db, item.id)
    assert len(await db.read.secret_ballots.ballots(item.id, 1)) == 2


async def test_secret_ballot_needs_an_opened_secret_round(db: Database) -> None:
    async with db.transaction() as repos:
        body, (ana,) = await council(repos, members=1)
        item = await motion(repos, await correspondence_session(repos, body))
        with pytest.raises(UnknownVoteRound):
            await repos.secret_ballots.cast(item.id, 1, ana.id, VoteChoice.ZA, new_receipt())
        await repos.rounds.open(item.id, VoteKind.PUBLIC, at(0))
        with pytest.raises(VoteKindMismatch):
            await repos.secret_ballots.cast(item.id, 1, ana.id, VoteChoice.ZA, new_receipt())


async def test_transaction_rollback_removes_both_halves(db: Database) -> None:
    item, (ana,) = await secret_round(db, members=1)
    with pytest.raises(RuntimeError):
        async with db.transaction() as repos:
            await repos.secret_ballots.cast(item.id, 1, ana.id, VoteChoice.ZA, new_receipt())
            raise RuntimeError("delivery of the confirmation failed")
    assert await db.read.secret_ballots.participants(item.id, 1) == []
    assert await db.read.secret_ballots.ballots(item.id, 1) == []


async def test_concurrent_secret_votes(db: Database) -> None:
    item, people = await secret_round(db, members=120)

    async def vote(person_id: int) -> None:
        async with db.transaction() as repos:
            await repos.secret_ballots.cast(item.id, 1, person_id, VoteChoice.ZA, new_receipt())

    await asyncio.gather(*(vote(p.id) for p in people))
    assert len(await db.read.secret_ballots.participants(item.id, 1)) == 120
    await close(db, item.id)
    assert len(await db.read.secret_ballots.ballots(item.id, 1)) == 120


def test_receipts_are_random_and_readable() -> None:
    receipts = {new_receipt() for _ in range(1000)}
    assert len(receipts) == 1000
    assert all(
        re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", r) for r in receipts
    )


async def test_a_sealed_ballot_survives_a_kill_and_is_counted_at_the_close(
    db: Database, tmp_path
) -> None:
    item, (ana, _bor) = await secret_round(db, members=2)
    async with db.transaction() as repos:
        ballot = await repos.secret_ballots.cast(item.id, 1, ana.id, VoteChoice.PROTI, "R-ANA")
    # The files exactly as a SIGKILL would leave them: committed, never closed or checkpointed.
    killed = tmp_path / "killed"
    killed.mkdir()
    for suffix in ("", "-wal"):
        source = db.path.with_name(db.path.name + suffix)
        (killed / (db.path.name + suffix)).write_bytes(source.read_bytes())
    async with await Database.open(killed / db.path.name, TEST_KEYS) as restarted:
        assert await restarted.read.secret_ballots.participants(item.id, 1) == [ana.id]
        async with restarted.transaction() as repos:
            await repos.rounds.close(item.id, 1, at(30))
        assert await restarted.read.secret_ballots.ballots(item.id, 1) == [ballot]


async def test_sealed_ballots_need_the_key_they_were_sealed_with(db: Database, tmp_path) -> None:
    item, (ana,) = await secret_round(db, members=1)
    async with db.transaction() as repos:
        await repos.secret_ballots.cast(item.id, 1, ana.id, VoteChoice.ZA, "R-1")
    await db.close()
    async with await Database.open(db.path) as keyless, keyless.transaction() as repos:
        with pytest.raises(ServerKeysMissing):
            await repos.secret_ballots.cast(item.id, 1, ana.id + 1, VoteChoice.ZA, "R-2")
    other = ServerKeys.from_secret(new_secret_key())
    async with await Database.open(db.path, other) as wrong:
        with pytest.raises(SealedBallotUnreadable) as refused:
            async with wrong.transaction() as repos:
                await repos.rounds.close(item.id, 1, at(30))
        assert "SEJABOT_SECRET_KEY" in refused.value.message("en")
        assert "ključem" in refused.value.message("sl")
        # Nothing was counted or erased: with the right key the close still works.
        assert await wrong.read.secret_ballots.ballots(item.id, 1) == []
    async with await Database.open(db.path, TEST_KEYS) as right:
        async with right.transaction() as repos:
            await repos.rounds.close(item.id, 1, at(30))
        assert [b.receipt for b in await right.read.secret_ballots.ballots(item.id, 1)] == ["R-1"]


async def test_a_closed_round_takes_no_more_ballots(db: Database) -> None:
    item, (ana,) = await secret_round(db, members=1)
    await close(db, item.id)
    async with db.transaction() as repos:
        with pytest.raises(VoteRoundClosed):
            await repos.secret_ballots.cast(item.id, 1, ana.id, VoteChoice.ZA, new_receipt())
