"""Materials (gradivo): files attached to a session or to one of its motions."""

from __future__ import annotations

import asyncio
import hashlib

from bot.domain.models import Material
from storage.engine import Row
from storage.repositories.base import Repository

COLUMNS = "id, session_id, motion_id, filename, media_type, sha256, size"


def material_from_row(row: Row) -> Material:
    return Material(
        id=row["id"],
        session_id=row["session_id"],
        motion_id=row["motion_id"],
        filename=row["filename"],
        media_type=row["media_type"],
        sha256=row["sha256"],
        size=row["size"],
    )


class MaterialRepository(Repository):
    __slots__ = ()

    async def add(
        self,
        session_id: int,
        filename: str,
        media_type: str,
        content: bytes,
        motion_id: int | None = None,
    ) -> Material:
        """Stores the file; its digest and size are computed here, never taken on trust."""
        # Hashing a large file takes milliseconds; keep it off the event loop.
        digest = await asyncio.to_thread(_sha256_hex, content)
        row = await self._one(
            "INSERT INTO materials (session_id, motion_id, filename, media_type, sha256, size, "
            f"content) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}",
            (session_id, motion_id, filename, media_type, digest, len(content), content),
        )
        assert row is not None
        return material_from_row(row)

    async def get(self, material_id: int) -> Material | None:
        row = await self._one(f"SELECT {COLUMNS} FROM materials WHERE id = ?", (material_id,))
        return None if row is None else material_from_row(row)

    async def get_content(self, material_id: int) -> bytes | None:
        row = await self._one("SELECT content FROM materials WHERE id = ?", (material_id,))
        return None if row is None else bytes(row["content"])

    async def list_for_session(self, session_id: int) -> list[Material]:
        """Metadata only, in upload order; fetch a file's bytes with ``get_content``."""
        rows = await self._all(
            f"SELECT {COLUMNS} FROM materials WHERE session_id = ? ORDER BY id", (session_id,)
        )
        return [material_from_row(row) for row in rows]


def _sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
