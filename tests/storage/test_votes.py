"""Vote rounds and public votes: one vote per member and round, even under concurrency."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot.domain.models import Platform, Vote, VoteChoice, VoteKind
from storage.database import Database
from storage.errors import DuplicateVote, UnknownVoteRound, VoteKindMismatch
from storage.records import VoteRound
from tests.storage.factories import at, correspondence_session, council, motion


async def test_rounds_are_numbered_per_motion(db: Database) -> None:
    async with db.transaction() as repos:
        body, _ = await council(repos, members=1)
        session = await correspondence_session(repos, body)
        item, other = await motion(repos, session), await motion(repos, session, position=2)
        first = await repos.rounds.open(item.id, VoteKind.PUBLIC, at(0), closes_at=at(60))
        elsewhere = await repos.rounds.open(other.id, VoteKind.SECRET, at(1))
        closed = await repos.rounds.close(item.id, 1, at(30))
        closed_again = await repos.rounds.close(item.id, 1, at(45))
        repeated = await repos.rounds.open(item.id, VoteKind.PUBLIC, at(50))
        with pytest.raises(UnknownVoteRound):
            await repos.rounds.close(item.id, 7, at(51))
    assert first == VoteRound(item.id, 1, VoteKind.PUBLIC, at(0), at(60), None)
    assert first.is_open and not closed.is_open
    assert elsewhere.round == 1
    assert closed.closed_at == closed_again.closed_at == at(30)
    assert repeated.round == 2
    assert await db.read.rounds.get(item.id, 2) == repeated
    assert await db.read.rounds.latest(item.id) == repeated
    assert await db.read.rounds.list_for_motion(item.id) == [closed, repeated]
    assert await db.read.rounds.list_open() == [repeated, elsewhere]


async def test_vote_round_trip_and_double_vote_refused(db: Database, raw) -> None:
    async with db.transaction() as repos:
        body, (ana, bor) = await council(repos, members=2)
        session = await correspondence_session(repos, body)
        item = await motion(repos, session)
        await repos.rounds.open(item.id, VoteKind.PUBLIC, at(0))
        ana_vote = await repos.votes.cast(
            Vote(item.id, 1, ana.id, VoteChoice.ZA, at(2), Platform.TELEGRAM)
        )
        bor_vote = await repos.votes.cast(
            Vote(item.id, 1, bor.id, VoteChoice.PROTI, at(1), Platform.MATRIX)
        )
        with pytest.raises(DuplicateVote) as caught:
            await repos.votes.cast(Vote(item.id, 1, ana.id, VoteChoice.PROTI, at(3), Platform.CLI))
        # The transaction survives a refused vote; what was stored before stays.
    assert (caught.value.subject_id, caught.value.round, caught.value.person_id) == (
        item.id,
        1,
        ana.id,
    )
    assert await db.read.votes.list_for_motion(item.id, 1) == [bor_vote, ana_vote]
    assert await db.read.votes.get(item.id, 1, ana.id) == ana_vote
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        await raw.execute(
            "INSERT INTO votes (motion_id, round, person_id, choice, cast_at, platform) "
            "VALUES (?, 1, ?, 'proti', '2020-11-09T11:00:00.000000+00:00', 'cli')",
            (item.id, ana.id),
        )
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        await raw.execute(
            "INSERT INTO votes (motion_id, round, person_id, choice, cast_at, platform) "
            "VALUES (?, 1, ?, 'maybe', '2020-11-09T11:00:00.000000+00:00', 'cli')",
            (item.id, 999),
        )


async def test_a_new_round_accepts_a_new_vote(db: Database) -> None:
    async with db.transaction() as repos:
        body, (ana,) = await council(repos, members=1)
        item = await motion(repos, await correspondence_session(repos, body))
        await repos.rounds.open(item.id, VoteKind.PUBLIC, at(0))
        await repos.rounds.open(item.id, VoteKind.PUBLIC, at(10))
        await repos.votes.cast(Vote(item.id, 1, ana.id, VoteChoice.PROTI, at(1), Platform.CLI))
        await repos.votes.cast(Vote(item.id, 2, ana.id, VoteChoice.ZA, at(11), Platform.CLI))
    assert [v.choice for v in await db.read.votes.list_for_motion(item.id, 2)] == [VoteChoice.ZA]


async def test_vote_needs_an_opened_public_round(db: Database, raw) -> None:
    async with db.transaction() as repos:
        body, (ana,) = await council(repos, members=1)
        item = await motion(repos, await correspondence_session(repos, body))
        with pytest.raises(UnknownVoteRound):
            await repos.votes.cast(Vote(item.id, 1, ana.id, VoteChoice.ZA, at(1), Platform.CLI))
        await repos.rounds.open(item.id, VoteKind.SECRET, at(0))
        with pytest.raises(VoteKindMismatch) as caught:
            await repos.votes.cast(Vote(item.id, 1, ana.id, VoteChoice.ZA, at(1), Platform.CLI))
    assert caught.value.round_kind is VoteKind.SECRET
    rows = await raw.execute_fetchall("SELECT COUNT(*) FROM votes")
    assert rows[0][0] == 0
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await raw.execute(
            "INSERT INTO votes (motion_id, round, person_id, choice, cast_at, platform) "
            "VALUES (?, 5, ?, 'za', '2020-11-09T11:00:00.000000+00:00', 'cli')",
            (item.id, ana.id),
        )


async def test_200_concurrent_voters_are_all_stored(db: Database) -> None:
    async with db.transaction() as repos:
        body, people = await council(repos, members=200)
        item = await motion(repos, await correspondence_session(repos, body))
        await repos.rounds.open(item.id, VoteKind.PUBLIC, at(0))

    async def vote(index: int) -> None:
        choice = (VoteChoice.ZA, VoteChoice.PROTI, VoteChoice.VZDRZAN)[index % 3]
        async with db.transaction() as repos:
            await asyncio.sleep(0)  # yield inside the transaction so the others pile up
            await repos.votes.cast(
                Vote(item.id, 1, people[index].id, choice, at(1 + index / 100), Platform.TELEGRAM)
            )

    await asyncio.gather(*(vote(index) for index in range(200)))
    votes = await db.read.votes.list_for_motion(item.id, 1)
    assert len(votes) == 200
    assert {v.person_id for v in votes} == {p.id for p in people}
    assert sum(v.choice is VoteChoice.ZA for v in votes) == 67


async def test_each_member_votes_once_when_every_vote_arrives_twice_at_once(db: Database) -> None:
    async with db.transaction() as repos:
        body, people = await council(repos, members=100)
        item = await motion(repos, await correspondence_session(repos, body))
        await repos.rounds.open(item.id, VoteKind.PUBLIC, at(0))

    async def vote(person_id: int, choice: VoteChoice) -> str:
        try:
            async with db.transaction() as repos:
                await repos.votes.cast(Vote(item.id, 1, person_id, choice, at(1), Platform.MATRIX))
        except DuplicateVote:
            return "duplicate"
        return "stored"

    attempts = [vote(p.id, c) for p in people for c in (VoteChoice.ZA, VoteChoice.PROTI)]
    results = await asyncio.gather(*attempts)
    assert results.count("stored") == 100 and results.count("duplicate") == 100
    votes = await db.read.votes.list_for_motion(item.id, 1)
    assert sorted(v.person_id for v in votes) == sorted(p.id for p in people)
