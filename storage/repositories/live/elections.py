"""Elections on a live session's agenda: place, stages, ballot order and frozen presence."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.columns import optional_parse_utc, parse_utc
from storage.engine import Row
from storage.repositories.base import Repository
from storage.repositories.live.rounds import ClosedBy


@dataclass(frozen=True, slots=True)
class LiveElection:
    election_id: int
    position: int  # place on the agenda, among the motions' positions
    replaces_election_id: int | None = None  # a new nomination for its unfilled posts


@dataclass(frozen=True, slots=True)
class LiveElectionRound:
    election_id: int
    round: int
    session_id: int
    checkpoint: int
    stage: int  # 1: first round; 2: the second round between the two with most votes
    opened_at: datetime
    closes_at: datetime | None
    closed_at: datetime | None
    closed_by: ClosedBy | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


ROUND_COLUMNS = (
    "l.election_id, l.round, l.session_id, l.checkpoint, l.stage, l.closed_by, "
    "r.opened_at, r.closes_at, r.closed_at"
)
ROUND_FROM = (
    "FROM live_election_rounds l JOIN election_rounds r "
    "ON r.election_id = l.election_id AND r.round = l.round"
)


def _round(row: Row) -> LiveElectionRound:
    return LiveElectionRound(
        election_id=row["election_id"],
        round=row["round"],
        session_id=row["session_id"],
        checkpoint=row["checkpoint"],
        stage=row["stage"],
        opened_at=parse_utc(row["opened_at"]),
        closes_at=optional_parse_utc(row["closes_at"]),
        closed_at=optional_parse_utc(row["closed_at"]),
        closed_by=ClosedBy(row["closed_by"]) if row["closed_by"] else None,
    )


class LiveElectionRepository(Repository):
    __slots__ = ()

    async def add(
        self, election_id: int, position: int, replaces_election_id: int | None = None
    ) -> LiveElection:
        await self._run(
            "INSERT INTO live_elections (election_id, position, replaces_election_id) "
            "VALUES (?, ?, ?)",
            (election_id, position, replaces_election_id),
        )
        return LiveElection(election_id, position, replaces_election_id)

    async def get(self, election_id: int) -> LiveElection | None:
        row = await self._one(
            "SELECT election_id, position, replaces_election_id FROM live_elections "
            "WHERE election_id = ?",
            (election_id,),
        )
        return None if row is None else LiveElection(*row)

    async def for_session(self, session_id: int) -> list[LiveElection]:
        rows = await self._all(
            "SELECT l.election_id, l.position, l.replaces_election_id FROM live_elections l "
            "JOIN elections e ON e.id = l.election_id WHERE e.session_id = ? "
            "ORDER BY l.position, l.election_id",
            (session_id,),
        )
        return [LiveElection(*row) for row in rows]

    # --- rounds ------------------------------------------------------------------------------

    async def add_round(
        self,
        election_id: int,
        round: int,
        session_id: int,
        checkpoint: int,
        stage: int,
        ballot_order: Sequence[int],
    ) -> None:
        """Records a round already opened in ``election_rounds`` with its ballot's order."""
        await self._run(
            "INSERT INTO live_election_rounds (election_id, round, session_id, checkpoint, stage) "
            "VALUES (?, ?, ?, ?, ?)",
            (election_id, round, session_id, checkpoint, stage),
        )
        await self._run_many(
            "INSERT INTO live_election_ballot_order (election_id, round, position, candidate_id) "
            "VALUES (?, ?, ?, ?)",
            [
                (election_id, round, position, candidate_id)
                for position, candidate_id in enumerate(ballot_order, start=1)
            ],
        )

    async def get_round(self, election_id: int, round: int) -> LiveElectionRound | None:
        row = await self._one(
            f"SELECT {ROUND_COLUMNS} {ROUND_FROM} WHERE l.election_id = ? AND l.round = ?",
            (election_id, round),
        )
        return None if row is None else _round(row)

    async def rounds(self, election_id: int) -> list[LiveElectionRound]:
        rows = await self._all(
            f"SELECT {ROUND_COLUMNS} {ROUND_FROM} WHERE l.election_id = ? ORDER BY l.round",
            (election_id,),
        )
        return [_round(row) for row in rows]

    async def open_rounds(self, session_id: int | None = None) -> list[LiveElectionRound]:
        if session_id is None:
            rows = await self._all(f"SELECT {ROUND_COLUMNS} {ROUND_FROM} WHERE r.closed_at IS NULL")
        else:
            rows = await self._all(
                f"SELECT {ROUND_COLUMNS} {ROUND_FROM} WHERE r.closed_at IS NULL "
                "AND l.session_id = ?",
                (session_id,),
            )
        return [_round(row) for row in rows]

    async def ballot_order(self, election_id: int, round: int) -> list[int]:
        rows = await self._all(
            "SELECT candidate_id FROM live_election_ballot_order "
            "WHERE election_id = ? AND round = ? ORDER BY position",
            (election_id, round),
        )
        return [row["candidate_id"] for row in rows]

    async def set_closed_by(self, election_id: int, round: int, closed_by: ClosedBy) -> None:
        await self._run(
            "UPDATE live_election_rounds SET closed_by = ? WHERE election_id = ? AND round = ? "
            "AND closed_by IS NULL",
            (closed_by.value, election_id, round),
        )

    async def freeze_presence(
        self, election_id: int, round: int, person_ids: Iterable[int]
    ) -> None:
        await self._run_many(
            "INSERT INTO live_election_round_presence (election_id, round, person_id) "
            "VALUES (?, ?, ?) ON CONFLICT (election_id, round, person_id) DO NOTHING",
            [(election_id, round, person_id) for person_id in sorted(set(person_ids))],
        )

    async def frozen_presence(self, election_id: int, round: int) -> list[int]:
        rows = await self._all(
            "SELECT person_id FROM live_election_round_presence "
            "WHERE election_id = ? AND round = ? ORDER BY person_id",
            (election_id, round),
        )
        return [row["person_id"] for row in rows]

    async def receipts(self, election_id: int, round: int) -> list[tuple[str, bool, list[int]]]:
        """Every ballot of the round as (receipt, valid, candidate ids), in receipt order.

        For the list published after the round closes, so each voter can find their ballot.
        """
        rows = await self._all(
            "SELECT b.receipt, b.valid, m.candidate_id FROM election_ballots b "
            "LEFT JOIN election_ballot_marks m ON m.receipt = b.receipt "
            "WHERE b.election_id = ? AND b.round = ? ORDER BY b.receipt, m.candidate_id",
            (election_id, round),
        )
        grouped: dict[str, tuple[bool, list[int]]] = {}
        for row in rows:
            _, marks = grouped.setdefault(row["receipt"], (bool(row["valid"]), []))
            if row["candidate_id"] is not None:
                marks.append(row["candidate_id"])
        return [(receipt, valid, marks) for receipt, (valid, marks) in grouped.items()]
