"""Secret elections: candidates, rounds, participation apart from ballot marks."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import pytest

from bot.domain.models import Candidate, Election, ElectionBallot, VoteKind
from storage.database import Database
from storage.errors import CheckViolation, DuplicateVote, UnknownCandidate, UnknownVoteRound
from storage.repositories.secret_ballots import new_receipt
from tests.storage.factories import at, correspondence_session, council


def nominated(session_id: int, title: str, *surnames: str, posts: int = 1) -> Election:
    return Election(
        None,
        session_id,
        title,
        posts=posts,
        candidates=tuple(Candidate(None, 0, "Ime", surname) for surname in surnames),
    )


async def test_election_round_trip_with_candidates(db: Database) -> None:
    async with db.transaction() as repos:
        body, _ = await council(repos, members=1)
        session = await correspondence_session(repos, body)
        election = await repos.elections.add(
            nominated(session.id, "Podžupan", "Zupan", "Ambrož", "Čeh")
        )
        await repos.elections.set_lot_seed(election.id, "seed-2020-11-09")
    assert [c.surname for c in election.candidates] == ["Zupan", "Ambrož", "Čeh"]
    assert all(c.election_id == election.id and c.id is not None for c in election.candidates)
    stored = await db.read.elections.get(election.id)
    assert stored is not None and stored.lot_seed == "seed-2020-11-09"
    assert stored.candidates == election.candidates
    assert stored.vote_kind is VoteKind.SECRET
    assert await db.read.elections.list_for_session(session.id) == [stored]
    assert await db.read.elections.get(9999) is None


async def test_only_secret_elections_are_stored(db: Database) -> None:
    async with db.transaction() as repos:
        body, _ = await council(repos, members=1)
        session = await correspondence_session(repos, body)
        with pytest.raises(CheckViolation):
            await repos.elections.add(
                Election(None, session.id, "Javne volitve", vote_kind=VoteKind.PUBLIC)
            )


async def test_ballots_and_runoff_round(db: Database, raw) -> None:
    async with db.transaction() as repos:
        body, people = await council(repos, members=5)
        session = await correspondence_session(repos, body)
        election = await repos.elections.add(
            nominated(session.id, "Člani nadzornega odbora", "A", "B", "C", posts=2)
        )
        a, b, c = (candidate.id for candidate in election.candidates)
        first = await repos.elections.open_round(election.id, at(0), closes_at=at(30))
        await repos.elections.cast(election.id, 1, people[0].id, [a, b], new_receipt())
        await repos.elections.cast(election.id, 1, people[1].id, {a}, new_receipt())
        await repos.elections.cast(election.id, 1, people[2].id, [], new_receipt())
        await repos.elections.cast(
            election.id, 1, people[3].id, [a, b, c], new_receipt(), valid=False
        )
        with pytest.raises(DuplicateVote):
            await repos.elections.cast(election.id, 1, people[0].id, [c], new_receipt())
        with pytest.raises(UnknownVoteRound):
            await repos.elections.cast(election.id, 2, people[0].id, [c], new_receipt())
        closed = await repos.elections.close_round(election.id, 1, at(30))
        runoff = await repos.elections.open_round(election.id, at(40))
        receipt = new_receipt()
        await repos.elections.cast(election.id, 2, people[0].id, [b], receipt)
    assert await db.read.elections.ballots(election.id, 2) == []  # sealed while open
    async with db.transaction() as repos:
        await repos.elections.close_round(election.id, 2, at(50))
    assert first.round == 1 and runoff.round == 2
    assert closed.closed_at == at(30) and not closed.is_open
    assert await db.read.elections.participants(election.id, 1) == sorted(p.id for p in people[:4])
    ballots = await db.read.elections.ballots(election.id, 1)
    assert sorted(ballots, key=lambda x: (x.valid, len(x.candidate_ids))) == [
        ElectionBallot(frozenset({a, b, c}), valid=False),
        ElectionBallot(frozenset()),
        ElectionBallot(frozenset({a})),
        ElectionBallot(frozenset({a, b})),
    ]
    assert await db.read.elections.ballots(election.id, 2) == [ElectionBallot(frozenset({b}))]
    assert await db.read.elections.find_ballot(receipt) == ElectionBallot(frozenset({b}))
    assert await db.read.elections.find_ballot("none") is None
    assert (await db.read.elections.get_round(election.id, 2)) == replace(runoff, closed_at=at(50))

    # A ballot can mark only candidates of its own election.
    async with db.transaction() as repos:
        other = await repos.elections.add(nominated(session.id, "Drugo", "D"))
        stranger = other.candidates[0].id
        third = await repos.elections.open_round(election.id, at(60))
    with pytest.raises(UnknownCandidate):
        async with db.transaction() as repos:
            await repos.elections.cast(election.id, 3, people[1].id, [stranger], new_receipt())
    # That failed attempt left no participation behind.
    assert await db.read.elections.participants(election.id, 3) == []
    assert third.round == 3
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        await raw.execute(
            "INSERT INTO election_participation (election_id, round, person_id) VALUES (?, 2, ?)",
            (election.id, people[0].id),
        )
