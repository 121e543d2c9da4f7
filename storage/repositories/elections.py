"""Elections and appointments with candidates (art. 88-90), held by secret ballot.

As for secret votes on motions, participation and ballots are kept in separate tables; a
ballot's marks name candidates, never the voter.
"""

from __future__ import annotations

import sqlite3
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
from storage.errors import DuplicateReceipt, DuplicateVote, UnknownVoteRound, is_unique_violation
from storage.records import ElectionRound
from storage.repositories.audit import AuditRepository
from storage.repositories.base import Repository

ELECTION_COLUMNS = "id, session_id, title, posts, vote_kind, lot_seed"
ROUND_COLUMNS = "election_id, round, opened_at, closes_at, closed_at"


def _candidate_from_row(row: sqlite3.Row) -> Candidate:
    return Candidate(
        id=row["id"], election_id=row["election_id"], name=row["name"], surname=row["surname"]
    )


def _round_from_row(row: sqlite3.Row) -> ElectionRound:
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

    async def _with_candidates(self, row: sqlite3.Row) -> Election:
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
        """Closes the round; closing it again keeps the first closing (and its one audit entry)."""
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
        """Records participation and an anonymous ballot in the caller's transaction.

        The audit trail gets a participation entry at ``at`` (default now): nothing of the
        ballot, neither marks nor validity nor receipt.

        Raises ``DuplicateVote`` on a second participation in the round, ``DuplicateReceipt``
        if the receipt is taken, ``UnknownVoteRound`` if the round was never opened. A
        candidate of another election is refused by a foreign key.
        """
        if await self.get_round(election_id, round) is None:
            raise UnknownVoteRound("election", election_id, round)
        marks = sorted(set(candidate_ids))
        await self._run("SAVEPOINT election_ballot")
        try:
            try:
                await self._run(
                    "INSERT INTO election_participation (election_id, round, person_id) "
                    "VALUES (?, ?, ?)",
                    (election_id, round, person_id),
                )
            except sqlite3.IntegrityError as error:
                if is_unique_violation(error):
                    raise DuplicateVote("election", election_id, round, person_id) from error
                raise
            try:
                await self._run(
                    "INSERT INTO election_ballots (receipt, election_id, round, valid) "
                    "VALUES (?, ?, ?, ?)",
                    (receipt, election_id, round, valid),
                )
            except sqlite3.IntegrityError as error:
                if is_unique_violation(error):
                    raise DuplicateReceipt(
                        f"receipt already used in election {election_id}"
                    ) from error
                raise
            await self._run_many(
                "INSERT INTO election_ballot_marks (receipt, election_id, candidate_id) "
                "VALUES (?, ?, ?)",
                [(receipt, election_id, candidate_id) for candidate_id in marks],
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
