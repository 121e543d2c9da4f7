"""Vote rounds of live sessions: their presence check, repetitions, closing, frozen presence."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.models import Motion, MotionCategory, VoteKind
from storage.columns import optional_parse_utc, parse_utc
from storage.engine import Row
from storage.repositories.base import Repository


class ClosedBy(StrEnum):
    CHAIR = "chair"
    TIMER = "timer"  # the set time ran out


@dataclass(frozen=True, slots=True)
class LiveRound:
    """One vote on a motion at a live session, joined with its row of ``vote_rounds``."""

    motion_id: int
    round: int
    session_id: int
    checkpoint: int | None  # None: a practice round, open to the whole roll
    vote_kind: VoteKind
    opened_at: datetime
    closes_at: datetime | None
    closed_at: datetime | None
    repeat_reason: str = ""
    closed_by: ClosedBy | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


COLUMNS = (
    "l.motion_id, l.round, l.session_id, l.checkpoint, l.repeat_reason, l.closed_by, "
    "v.vote_kind, v.opened_at, v.closes_at, v.closed_at"
)
FROM = "FROM live_rounds l JOIN vote_rounds v ON v.motion_id = l.motion_id AND v.round = l.round"


def _round(row: Row) -> LiveRound:
    return LiveRound(
        motion_id=row["motion_id"],
        round=row["round"],
        session_id=row["session_id"],
        checkpoint=row["checkpoint"],
        vote_kind=VoteKind(row["vote_kind"]),
        opened_at=parse_utc(row["opened_at"]),
        closes_at=optional_parse_utc(row["closes_at"]),
        closed_at=optional_parse_utc(row["closed_at"]),
        repeat_reason=row["repeat_reason"],
        closed_by=ClosedBy(row["closed_by"]) if row["closed_by"] else None,
    )


class LiveRoundRepository(Repository):
    __slots__ = ()

    async def add(
        self,
        motion_id: int,
        round: int,
        session_id: int,
        checkpoint: int | None,
        repeat_reason: str = "",
    ) -> None:
        """Records the live details of a round already opened in ``vote_rounds``."""
        await self._run(
            "INSERT INTO live_rounds (motion_id, round, session_id, checkpoint, repeat_reason) "
            "VALUES (?, ?, ?, ?, ?)",
            (motion_id, round, session_id, checkpoint, repeat_reason),
        )

    async def get(self, motion_id: int, round: int) -> LiveRound | None:
        row = await self._one(
            f"SELECT {COLUMNS} {FROM} WHERE l.motion_id = ? AND l.round = ?", (motion_id, round)
        )
        return None if row is None else _round(row)

    async def for_motion(self, motion_id: int) -> list[LiveRound]:
        rows = await self._all(
            f"SELECT {COLUMNS} {FROM} WHERE l.motion_id = ? ORDER BY l.round", (motion_id,)
        )
        return [_round(row) for row in rows]

    async def for_session(self, session_id: int) -> list[LiveRound]:
        """Every round of the session in the order the votes were opened."""
        rows = await self._all(
            f"SELECT {COLUMNS} {FROM} WHERE l.session_id = ? ORDER BY v.opened_at, l.motion_id, "
            "l.round",
            (session_id,),
        )
        return [_round(row) for row in rows]

    async def open_rounds(self, session_id: int | None = None) -> list[LiveRound]:
        """Rounds not yet closed, of one session or of all."""
        if session_id is None:
            rows = await self._all(f"SELECT {COLUMNS} {FROM} WHERE v.closed_at IS NULL")
        else:
            rows = await self._all(
                f"SELECT {COLUMNS} {FROM} WHERE v.closed_at IS NULL AND l.session_id = ?",
                (session_id,),
            )
        return [_round(row) for row in rows]

    async def set_closed_by(self, motion_id: int, round: int, closed_by: ClosedBy) -> None:
        await self._run(
            "UPDATE live_rounds SET closed_by = ? WHERE motion_id = ? AND round = ? "
            "AND closed_by IS NULL",
            (closed_by.value, motion_id, round),
        )

    async def freeze_presence(self, motion_id: int, round: int, person_ids: Iterable[int]) -> None:
        await self._run_many(
            "INSERT INTO live_round_presence (motion_id, round, person_id) VALUES (?, ?, ?) "
            "ON CONFLICT (motion_id, round, person_id) DO NOTHING",
            [(motion_id, round, person_id) for person_id in sorted(set(person_ids))],
        )

    async def frozen_presence(self, motion_id: int, round: int) -> list[int]:
        rows = await self._all(
            "SELECT person_id FROM live_round_presence WHERE motion_id = ? AND round = ? "
            "ORDER BY person_id",
            (motion_id, round),
        )
        return [row["person_id"] for row in rows]

    # --- practice votes ----------------------------------------------------------------------

    async def mark_practice(self, motion_id: int) -> None:
        await self._run(
            "INSERT INTO live_practice_motions (motion_id) VALUES (?) "
            "ON CONFLICT (motion_id) DO NOTHING",
            (motion_id,),
        )

    async def practice_ids(self, session_id: int) -> set[int]:
        rows = await self._all(
            "SELECT p.motion_id FROM live_practice_motions p JOIN motions m ON m.id = p.motion_id "
            "WHERE m.session_id = ?",
            (session_id,),
        )
        return {row["motion_id"] for row in rows}

    async def is_practice(self, motion_id: int) -> bool:
        row = await self._one(
            "SELECT 1 FROM live_practice_motions WHERE motion_id = ?", (motion_id,)
        )
        return row is not None

    # --- agenda items written step by step in the chat ---------------------------------------

    async def update_motion(self, motion: Motion) -> None:
        """Rewrites an agenda item's text, category, vote kind and majority."""
        await self._run(
            "UPDATE motions SET position = ?, title = ?, resolution = ?, category = ?, "
            "vote_kind = ?, majority = ? WHERE id = ?",
            (
                motion.position,
                motion.title,
                motion.resolution,
                MotionCategory(motion.category).value,
                VoteKind(motion.vote_kind).value,
                motion.majority,
                motion.id,
            ),
        )
