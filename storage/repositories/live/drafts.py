"""A clerk's session convened step by step in the chat: which draft, and what comes next."""

from __future__ import annotations

from dataclasses import dataclass

from storage.repositories.base import Repository


@dataclass(frozen=True, slots=True)
class LiveDraft:
    person_id: int
    session_id: int
    step: str
    motion_id: int | None = None  # the agenda item being written
    pending_title: str = ""  # an election's title until its candidates are given
    pending_posts: int = 1


COLUMNS = "person_id, session_id, step, motion_id, pending_title, pending_posts"


class LiveDraftRepository(Repository):
    __slots__ = ()

    async def get(self, person_id: int) -> LiveDraft | None:
        row = await self._one(
            f"SELECT {COLUMNS} FROM live_drafts WHERE person_id = ?", (person_id,)
        )
        return None if row is None else LiveDraft(*row)

    async def save(self, draft: LiveDraft) -> LiveDraft:
        """One draft per clerk: saving replaces the step and its pending values."""
        await self._run(
            f"INSERT INTO live_drafts ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (person_id) DO UPDATE SET session_id = excluded.session_id, "
            "step = excluded.step, motion_id = excluded.motion_id, "
            "pending_title = excluded.pending_title, pending_posts = excluded.pending_posts",
            (
                draft.person_id,
                draft.session_id,
                draft.step,
                draft.motion_id,
                draft.pending_title,
                draft.pending_posts,
            ),
        )
        return draft

    async def delete(self, person_id: int) -> None:
        await self._run("DELETE FROM live_drafts WHERE person_id = ?", (person_id,))
