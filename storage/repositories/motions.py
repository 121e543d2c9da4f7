"""Motions: agenda items with the proposed resolution."""

from __future__ import annotations

from bot.domain.models import Motion, MotionCategory, VoteKind
from storage.engine import Row
from storage.repositories.base import Repository

COLUMNS = "id, session_id, position, title, resolution, category, vote_kind, majority"


def motion_from_row(row: Row) -> Motion:
    return Motion(
        id=row["id"],
        session_id=row["session_id"],
        position=row["position"],
        title=row["title"],
        resolution=row["resolution"],
        category=MotionCategory(row["category"]),
        vote_kind=VoteKind(row["vote_kind"]),
        majority=row["majority"],
    )


class MotionRepository(Repository):
    __slots__ = ()

    async def add(self, motion: Motion) -> Motion:
        row = await self._one(
            "INSERT INTO motions (session_id, position, title, resolution, category, "
            f"vote_kind, majority) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}",
            (
                motion.session_id,
                motion.position,
                motion.title,
                motion.resolution,
                motion.category.value,
                motion.vote_kind.value,
                motion.majority,
            ),
        )
        assert row is not None
        return motion_from_row(row)

    async def get(self, motion_id: int) -> Motion | None:
        return await self._get(
            f"SELECT {COLUMNS} FROM motions WHERE id = ?", (motion_id,), motion_from_row
        )

    async def list_for_session(self, session_id: int) -> list[Motion]:
        """In agenda order."""
        return await self._list(
            f"SELECT {COLUMNS} FROM motions WHERE session_id = ? ORDER BY position, id",
            (session_id,),
            motion_from_row,
        )
