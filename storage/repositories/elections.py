"""Elections and appointments with candidates (art. 88-90), held by secret ballot.

As for secret votes on motions (storage/repositories/secret_ballots.py), participation and
ballots are kept apart: a ballot is sealed while its round is open and written, shuffled, to
``election_ballots`` and ``election_ballot_marks`` when the round closes. A ballot's marks
name candidates, never the voter.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from datetime import datetime

from bot.domain.audit_chain import (
    SYSTEM_ACTOR,
    AuditKind,
    election_round_subject,
    person_actor,
)
from bot.domain.models import Candidate, Election, ElectionBallot, VoteKind
from storage.columns import (
    now_utc,
    optional_parse_utc,
    optional_utc_text,
    parse_utc,
    utc_text,
)
from storage.engine import Row
from storage.errors import (
    DuplicateReceipt,
    DuplicateVote,
    UniqueViolation,
    UnknownCandidate,
    UnknownVoteRound,
    VoteRoundClosed,
)
from storage.records import ElectionRound
from storage.repositories.audit import AuditRepository
from storage.repositories.base import Repository
from storage.repositories.sealed_ballots import SealedBallotRepository

ELECTION_COLUMNS = "id, session_id, title, posts, vote_kind, lot_seed"
VOTE = "election"


def sealed_size(candidates: int) -> int:
    """One size for every sealed ballot of an election: the receipt, validity and room for
    every candidate's id, whichever and however many are marked."""
    return 40 + 21 * candidates


def _sealed_text(receipt: str, valid: bool, marks: list[int]) -> bytes:
    return f"{receipt}|{int(valid)}|{','.join(map(str, marks))}".encode()


def _from_sealed_text(text: bytes) -> tuple[str, bool, list[int]]:
    receipt, valid, marks = text.decode().split("|")
    return receipt, valid == "1", [int(mark) for mark in marks.split(",") if mark]


ROUND_COLUMNS = "election_id, round, opened_at, closes_at, closed_at"


def _candidate_from_row(row: Row) -> Candidate:
    return Candidate(
        id=row["id"], election_id=row["election_id"], name=row["name"], surname=row["surname"]
    )


def _round_from_row(row: Row) -> ElectionRound:
    return ElectionRound(
        election_id=row["election_id"],
        round=row["round"],
        opened_at=parse_utc(row["opened_at"]),
        closes_at=optional_parse_utc(row["closes_at"]),
        closed_at=optional_parse_utc(row["closed_at"]),
    )


class ElectionRepository(Repository):
    __slots__ = ()

    async def add(self, election: Election) -> Election:
        """Stores the election with its candidates; returns both with their ids."""
        row = await self._one(
            "INSERT INTO elections (session_id, title, posts, vote_kind, lot_seed) "
            f"VALUES (?, ?, ?, ?, ?) RETURNING {ELECTION_COLUMNS}",
            (
                election.session_id,
                election.title,
                election.posts,
                election.vote_kind.value,
                election.lot_seed,
            ),
        )
        assert row is not None
        for candidate in election.candidates:
            await self._run(
                "INSERT INTO candidates (election_id, name, surname) VALUES (?, ?, ?)",
                (row["id"], candidate.name, candidate.surname),
            )
        return await self._with_candidates(row)

    async def get(self, election_id: int) -> Election | None:
        row = await self._one(
            f"SELECT {ELECTION_COLUMNS} FROM elections WHERE id = ?", (election_id,)
        )
        return None if row is None else await self._with_candidates(row)

    async def list_for_session(self, session_id: int) -> list[Election]:
        rows = await self._all(
            f"SELECT {ELECTION_COLUMNS} FROM elections WHERE session_id = ? ORDER BY id",
            (session_id,),
        )
        return [await self._with_candidates(row) for row in rows]

    async def set_lot_seed(self, election_id: int, lot_seed: str) -> None:
        await self._run("UPDATE elections SET lot_seed = ? WHERE id = ?", (lot_seed, election_id))

    async def _with_candidates(self, row: Row) -> Election:
        candidates = await self._all(
            "SELECT id, election_id, name, surname FROM candidates WHERE election_id = ? "
            "ORDER BY id",
            (row["id"],),
        )
        return Election(
            id=row["id"],
            session_id=row["session_id"],
            title=row["title"],
            posts=row["posts"],
            vote_kind=VoteKind(row["vote_kind"]),
            lot_seed=row["lot_seed"],
            candidates=tuple(_candidate_from_row(c) for c in candidates),
        )

    async def open_round(
        self,
        election_id: int,
        opened_at: datetime,
        closes_at: datetime | None = None,
        *,
        actor: str = SYSTEM_ACTOR,
    ) -> ElectionRound:
        """Opens the next round (1 first; a run-off is round 2) and records it in the audit trail;
        ``actor`` is who opened it (``person:7``), ``system`` by default."""
        row = await self._one(
            "INSERT INTO election_rounds (election_id, round, opened_at, closes_at) "
            "SELECT ?, COALESCE(MAX(round), 0) + 1, ?, ? FROM election_rounds "
            f"WHERE election_id = ? RETURNING {ROUND_COLUMNS}",
            (election_id, utc_text(opened_at), optional_utc_text(closes_at), election_id),
        )
        assert row is not None
        opened = _round_from_row(row)
        await AuditRepository(self._connection, self._keys).append(
            AuditKind.ELECTION_ROUND_OPENED,
            election_round_subject(election_id, opened.round),
            actor,
            {"closes_at": optional_utc_text(closes_at)},
            opened_at,
        )
        return opened

    async def get_round(self, election_id: int, round: int) -> ElectionRound | None:
        row = await self._one(
            f"SELECT {ROUND_COLUMNS} FROM election_rounds WHERE election_id = ? AND round = ?",
            (election_id, round),
        )
        return None if row is None else _round_from_row(row)

    async def close_round(
        self, election_id: int, round: int, closed_at: datetime, *, actor: str = SYSTEM_ACTOR
    ) -> ElectionRound:
        """Closes the round; closing it again keeps the first closing (and its one audit entry).
        The round's sealed ballots are opened and counted here."""
        changed = await self._run(
            "UPDATE election_rounds SET closed_at = ? "
            "WHERE election_id = ? AND round = ? AND closed_at IS NULL",
            (utc_text(closed_at), election_id, round),
        )
        closed = await self.get_round(election_id, round)
        if closed is None:
            raise UnknownVoteRound("election", election_id, round)
        if changed:
            await AuditRepository(self._connection, self._keys).append(
                AuditKind.ELECTION_ROUND_CLOSED,
                election_round_subject(election_id, round),
                actor,
                {},
                closed_at,
            )
            await self.unseal_round(election_id, round, closed_at)
        return closed

    async def cast(
        self,
        election_id: int,
        round: int,
        person_id: int,
        candidate_ids: Collection[int],
        receipt: str,
        valid: bool = True,
        *,
        at: datetime | None = None,
    ) -> ElectionBallot:
        """Records participation and the sealed ballot in the caller's transaction; the ballot
        is counted (``ballots``) once the round is closed.

        The audit trail gets a participation entry at ``at`` (default now): nothing of the
        ballot, neither marks nor validity nor receipt.

        Raises ``DuplicateVote`` on a second participation in the round, ``DuplicateReceipt``
        if the receipt is taken, ``UnknownVoteRound`` or ``VoteRoundClosed`` for a round never
        opened or already closed, ``UnknownCandidate`` for a mark of someone who is not a
        candidate of this election, ``ServerKeysMissing`` without the server's keys.
        """
        election_round = await self.get_round(election_id, round)
        if election_round is None:
            raise UnknownVoteRound("election", election_id, round)
        if election_round.closed_at is not None:
            raise VoteRoundClosed("election", election_id, round)
        candidates = await self._candidate_ids(election_id)
        marks = sorted(set(candidate_ids))
        if not set(marks) <= set(candidates):
            raise UnknownCandidate(election_id, sorted(set(marks) - set(candidates)))
        if await self._receipt_taken(election_id, round, receipt):
            raise DuplicateReceipt(f"receipt already used in election {election_id}")
        await self._run("SAVEPOINT election_ballot")
        try:
            try:
                await self._run(
                    "INSERT INTO election_participation (election_id, round, person_id) "
                    "VALUES (?, ?, ?)",
                    (election_id, round, person_id),
                )
            except UniqueViolation as error:
                raise DuplicateVote("election", election_id, round, person_id) from error
            await self._sealed().add(
                VOTE,
                election_id,
                round,
                _sealed_text(receipt, valid, marks),
                sealed_size(len(candidates)),
            )
            await AuditRepository(self._connection, self._keys).append(
                AuditKind.ELECTION_PARTICIPATION,
                election_round_subject(election_id, round),
                person_actor(person_id),
                {},
                at or now_utc(),
            )
        except BaseException:
            await self._run("ROLLBACK TO SAVEPOINT election_ballot")
            await self._run("RELEASE SAVEPOINT election_ballot")
            raise
        await self._run("RELEASE SAVEPOINT election_ballot")
        return ElectionBallot(frozenset(marks), valid)

    def _sealed(self) -> SealedBallotRepository:
        return SealedBallotRepository(self._connection, self._keys)

    async def _candidate_ids(self, election_id: int) -> list[int]:
        rows = await self._all("SELECT id FROM candidates WHERE election_id = ?", (election_id,))
        return [row["id"] for row in rows]

    async def _receipt_taken(self, election_id: int, round: int, receipt: str) -> bool:
        if await self.find_ballot(receipt) is not None:
            return True
        sealed = await self._sealed().open_all(VOTE, election_id, round)
        return any(_from_sealed_text(text)[0] == receipt for text in sealed)

    async def unseal_round(self, election_id: int, round: int, closed_at: datetime) -> int:
        """Opens the sealed ballots of a round that has just closed, writes them and their
        marks in random order and erases the sealed copies; each ballot is entered in the
        audit trail as counted, in receipt order, at ``closed_at``. Returns the count."""
        sealed = self._sealed()
        ballots = [
            _from_sealed_text(text) for text in await sealed.open_all(VOTE, election_id, round)
        ]
        if not ballots:
            return 0
        shuffle = secrets.SystemRandom().shuffle
        shuffle(ballots)
        await self._run_many(
            "INSERT INTO election_ballots (receipt, election_id, round, valid) VALUES (?, ?, ?, ?)",
            [(receipt, election_id, round, valid) for receipt, valid, _ in ballots],
        )
        marks = [(receipt, mark, election_id) for receipt, _, chosen in ballots for mark in chosen]
        shuffle(marks)
        await self._run_many(
            "INSERT INTO election_ballot_marks (receipt, candidate_id, election_id) "
            "VALUES (?, ?, ?)",
            marks,
        )
        await sealed.erase(VOTE, election_id, round)
        audit = AuditRepository(self._connection, self._keys)
        for receipt, valid, chosen in sorted(ballots):
            await audit.append(
                AuditKind.ELECTION_BALLOT_COUNTED,
                election_round_subject(election_id, round),
                SYSTEM_ACTOR,
                {"receipt": receipt, "valid": valid, "marks": ",".join(map(str, chosen))},
                closed_at,
            )
        return len(ballots)

    async def participants(self, election_id: int, round: int) -> list[int]:
        rows = await self._all(
            "SELECT person_id FROM election_participation WHERE election_id = ? AND round = ? "
            "ORDER BY person_id",
            (election_id, round),
        )
        return [row["person_id"] for row in rows]

    async def ballots(self, election_id: int, round: int) -> list[ElectionBallot]:
        """Ballots in receipt order (random), each with the candidates it marks."""
        rows = await self._all(
            "SELECT b.receipt, b.valid, m.candidate_id FROM election_ballots b "
            "LEFT JOIN election_ballot_marks m ON m.receipt = b.receipt "
            "WHERE b.election_id = ? AND b.round = ? ORDER BY b.receipt, m.candidate_id",
            (election_id, round),
        )
        grouped: dict[str, tuple[bool, set[int]]] = {}
        for row in rows:
            _, marks = grouped.setdefault(row["receipt"], (bool(row["valid"]), set()))
            if row["candidate_id"] is not None:
                marks.add(row["candidate_id"])
        return [ElectionBallot(frozenset(marks), valid) for valid, marks in grouped.values()]

    async def find_ballot(self, receipt: str) -> ElectionBallot | None:
        rows = await self._all(
            "SELECT b.valid, m.candidate_id FROM election_ballots b "
            "LEFT JOIN election_ballot_marks m ON m.receipt = b.receipt WHERE b.receipt = ?",
            (receipt,),
        )
        if not rows:
            return None
        marks = frozenset(r["candidate_id"] for r in rows if r["candidate_id"] is not None)
        return ElectionBallot(marks, bool(rows[0]["valid"]))
