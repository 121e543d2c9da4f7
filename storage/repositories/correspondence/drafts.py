"""A clerk's guided creation of a correspondence session, step by step.

The session being built is a draft row of ``sessions`` with its motions and materials; the
draft row here records the chat the conversation runs in and the step that comes next.
Discarding a draft removes the draft session with everything attached to it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bot.domain.models import Platform
from storage.columns import parse_utc, utc_text
from storage.engine import Row
from storage.repositories.base import Repository


class DraftStep(StrEnum):
    BODY = "body"  # which body (a clerk may serve several)
    TITLE = "title"
    RESOLUTION = "resolution"  # the text of the next proposed resolution
    CATEGORY = "category"  # what that resolution decides
    MORE = "more"  # another resolution, or on to the materials
    MATERIALS = "materials"  # files, then done
    DEADLINE = "deadline"  # date and hour
    CONFIRM = "confirm"  # summary: send or cancel


@dataclass(frozen=True, slots=True)
class DraftState:
    person_id: int
    platform: Platform
    chat_id: str
    step: DraftStep
    started_at: datetime
    updated_at: datetime
    body_id: int | None = None
    session_id: int | None = None
    pending_resolution: str = ""

    def at(self, step: DraftStep, now: datetime, **changes: object) -> DraftState:
        """This draft moved on to ``step``."""
        return replace(self, step=step, updated_at=now, **changes)  # type: ignore[arg-type]


COLUMNS = (
    "person_id, platform, chat_id, step, body_id, session_id, pending_resolution, "
    "started_at, updated_at"
)


def draft_from_row(row: Row) -> DraftState:
    return DraftState(
        person_id=row["person_id"],
        platform=Platform(row["platform"]),
        chat_id=row["chat_id"],
        step=DraftStep(row["step"]),
        body_id=row["body_id"],
        session_id=row["session_id"],
        pending_resolution=row["pending_resolution"],
        started_at=parse_utc(row["started_at"]),
        updated_at=parse_utc(row["updated_at"]),
    )


class CorrespondenceDraftRepository(Repository):
    __slots__ = ()

    async def get(self, person_id: int) -> DraftState | None:
        row = await self._one(
            f"SELECT {COLUMNS} FROM correspondence_drafts WHERE person_id = ?", (person_id,)
        )
        return None if row is None else draft_from_row(row)

    async def save(self, draft: DraftState) -> DraftState:
        """Insert or replace the clerk's draft state."""
        row = await self._one(
            f"INSERT INTO correspondence_drafts ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (person_id) DO UPDATE SET platform = excluded.platform, "
            "chat_id = excluded.chat_id, step = excluded.step, body_id = excluded.body_id, "
            "session_id = excluded.session_id, pending_resolution = excluded.pending_resolution, "
            f"updated_at = excluded.updated_at RETURNING {COLUMNS}",
            (
                draft.person_id,
                draft.platform.value,
                draft.chat_id,
                draft.step.value,
                draft.body_id,
                draft.session_id,
                draft.pending_resolution,
                utc_text(draft.started_at),
                utc_text(draft.updated_at),
            ),
        )
        assert row is not None
        return draft_from_row(row)

    async def finish(self, person_id: int) -> None:
        """The draft became a real session: forget the conversation, keep the session."""
        await self._run("DELETE FROM correspondence_drafts WHERE person_id = ?", (person_id,))

    async def discard(self, person_id: int) -> bool:
        """Forget the conversation and delete its draft session; True if there was one."""
        draft = await self.get(person_id)
        if draft is None:
            return False
        await self.finish(person_id)
        if draft.session_id is not None:
            await self._delete_draft_session(draft.session_id)
        return True

    async def _delete_draft_session(self, session_id: int) -> None:
        # Only a session still in draft: nothing sent or voted can be deleted this way.
        status = await self._one("SELECT status FROM sessions WHERE id = ?", (session_id,))
        if status is None or status["status"] != "draft":
            return
        await self._run("DELETE FROM materials WHERE session_id = ?", (session_id,))
        await self._run("DELETE FROM motions WHERE session_id = ?", (session_id,))
        await self._run("DELETE FROM sessions WHERE id = ?", (session_id,))
