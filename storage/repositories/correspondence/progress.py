"""How far each correspondence session has come, and to whom its invitation goes.

Every step (opening, reporting the sending, the quorum notice, closing, announcing the result)
is claimed with an ``UPDATE ... WHERE <column> IS NULL``: whoever changes the row does the step,
so a restart or a second caller never repeats it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from storage.columns import optional_parse_utc, parse_utc, utc_text
from storage.engine import Row
from storage.repositories.base import Repository


class Source(StrEnum):
    CHAT = "chat"  # the clerk's guided creation
    CLI = "cli"  # sejabot session create FILE


class Milestone(StrEnum):
    """Columns of ``correspondence_sessions`` that are claimed once."""

    OPENED = "opened_at"
    SENDING_REPORTED = "sending_reported_at"
    QUORUM_REPORTED = "quorum_reported_at"
    CLOSED = "closed_at"
    RESULTS_SENT = "results_sent_at"


@dataclass(frozen=True, slots=True)
class CorrespondenceProgress:
    session_id: int
    source: Source
    created_by: int | None
    ready_at: datetime
    opened_at: datetime | None = None
    sending_reported_at: datetime | None = None
    quorum_reported_at: datetime | None = None
    closed_at: datetime | None = None
    results_sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class InvitationRecord:
    session_id: int
    person_id: int
    listed_at: datetime
    claimed_at: datetime | None = None
    attempts: int = 0
    sent_at: datetime | None = None
    chats: int = 0
    refusal: str | None = None  # the platform refused it for good, in its own words
    failure: str | None = None  # the last failure that may pass

    @property
    def claimed(self) -> bool:
        return self.claimed_at is not None and self.sent_at is None


PROGRESS_COLUMNS = (
    "session_id, source, created_by, ready_at, opened_at, sending_reported_at, "
    "quorum_reported_at, closed_at, results_sent_at"
)
INVITATION_COLUMNS = (
    "session_id, person_id, listed_at, claimed_at, attempts, sent_at, chats, refusal, failure"
)


def progress_from_row(row: Row) -> CorrespondenceProgress:
    return CorrespondenceProgress(
        session_id=row["session_id"],
        source=Source(row["source"]),
        created_by=row["created_by"],
        ready_at=parse_utc(row["ready_at"]),
        opened_at=optional_parse_utc(row["opened_at"]),
        sending_reported_at=optional_parse_utc(row["sending_reported_at"]),
        quorum_reported_at=optional_parse_utc(row["quorum_reported_at"]),
        closed_at=optional_parse_utc(row["closed_at"]),
        results_sent_at=optional_parse_utc(row["results_sent_at"]),
    )


def linking_code_from_row(row: Row) -> InvitationRecord:
    return InvitationRecord(
        session_id=row["session_id"],
        person_id=row["person_id"],
        listed_at=parse_utc(row["listed_at"]),
        claimed_at=optional_parse_utc(row["claimed_at"]),
        attempts=row["attempts"],
        sent_at=optional_parse_utc(row["sent_at"]),
        chats=row["chats"],
        refusal=row["refusal"],
        failure=row["failure"],
    )


class CorrespondenceProgressRepository(Repository):
    __slots__ = ()

    async def add_ready(
        self, session_id: int, source: Source, created_by: int | None, ready_at: datetime
    ) -> CorrespondenceProgress:
        row = await self._one(
            "INSERT INTO correspondence_sessions (session_id, source, created_by, ready_at) "
            f"VALUES (?, ?, ?, ?) RETURNING {PROGRESS_COLUMNS}",
            (session_id, source.value, created_by, utc_text(ready_at)),
        )
        assert row is not None
        return progress_from_row(row)

    async def get(self, session_id: int) -> CorrespondenceProgress | None:
        return await self._get(
            f"SELECT {PROGRESS_COLUMNS} FROM correspondence_sessions WHERE session_id = ?",
            (session_id,),
            progress_from_row,
        )

    async def claim(self, session_id: int, milestone: Milestone, at: datetime) -> bool:
        """Record ``milestone`` unless it was recorded before; True when this call did it."""
        changed = await self._run(
            f"UPDATE correspondence_sessions SET {milestone.value} = ? "
            f"WHERE session_id = ? AND {milestone.value} IS NULL",
            (utc_text(at), session_id),
        )
        return changed == 1

    async def waiting_to_open(self) -> list[int]:
        """Sessions stored as ready whose members are not listed yet, oldest first."""
        rows = await self._all(
            "SELECT session_id FROM correspondence_sessions WHERE opened_at IS NULL "
            "ORDER BY ready_at, session_id"
        )
        return [row["session_id"] for row in rows]

    async def running(self) -> list[int]:
        """Opened and not yet closed, in the order they opened."""
        rows = await self._all(
            "SELECT session_id FROM correspondence_sessions "
            "WHERE opened_at IS NOT NULL AND closed_at IS NULL ORDER BY opened_at, session_id"
        )
        return [row["session_id"] for row in rows]

    async def results_unsent(self) -> list[int]:
        rows = await self._all(
            "SELECT session_id FROM correspondence_sessions "
            "WHERE closed_at IS NOT NULL AND results_sent_at IS NULL ORDER BY closed_at"
        )
        return [row["session_id"] for row in rows]

    async def all_ids(self) -> list[int]:
        """Every correspondence session beyond the draft, newest first."""
        rows = await self._all(
            "SELECT session_id FROM correspondence_sessions ORDER BY ready_at DESC, session_id DESC"
        )
        return [row["session_id"] for row in rows]

    # --- the members invited ------------------------------------------------------------

    async def list_members(self, session_id: int, person_ids: Iterable[int], at: datetime) -> None:
        """Put the members on the session's list (once; listing again changes nothing)."""
        await self._run_many(
            "INSERT INTO correspondence_invitations (session_id, person_id, listed_at) "
            "VALUES (?, ?, ?) ON CONFLICT (session_id, person_id) DO NOTHING",
            [(session_id, person_id, utc_text(at)) for person_id in person_ids],
        )

    async def invitations(self, session_id: int) -> list[InvitationRecord]:
        return await self._list(
            f"SELECT {INVITATION_COLUMNS} FROM correspondence_invitations WHERE session_id = ? "
            "ORDER BY person_id",
            (session_id,),
            linking_code_from_row,
        )

    async def invitation(self, session_id: int, person_id: int) -> InvitationRecord | None:
        return await self._get(
            f"SELECT {INVITATION_COLUMNS} FROM correspondence_invitations "
            "WHERE session_id = ? AND person_id = ?",
            (session_id, person_id),
            linking_code_from_row,
        )

    async def unsent(self, session_id: int, max_attempts: int) -> list[InvitationRecord]:
        return await self._list(
            f"SELECT {INVITATION_COLUMNS} FROM correspondence_invitations "
            "WHERE session_id = ? AND sent_at IS NULL AND refusal IS NULL AND attempts < ? "
            "ORDER BY person_id",
            (session_id, max_attempts),
            linking_code_from_row,
        )

    async def claim_invitation(
        self, session_id: int, person_id: int, at: datetime, stale_before: datetime
    ) -> bool:
        """Take the unsent invitation for sending; a claim older than ``stale_before`` lapses."""
        changed = await self._run(
            "UPDATE correspondence_invitations SET claimed_at = ? "
            "WHERE session_id = ? AND person_id = ? AND sent_at IS NULL "
            "AND (claimed_at IS NULL OR claimed_at < ?)",
            (utc_text(at), session_id, person_id, utc_text(stale_before)),
        )
        return changed == 1

    async def mark_sent(self, session_id: int, person_id: int, at: datetime, chats: int) -> None:
        await self._run(
            "UPDATE correspondence_invitations SET sent_at = ?, chats = ?, claimed_at = NULL, "
            "attempts = attempts + 1, refusal = NULL, failure = NULL "
            "WHERE session_id = ? AND person_id = ? AND sent_at IS NULL",
            (utc_text(at), chats, session_id, person_id),
        )

    async def mark_failed(
        self,
        session_id: int,
        person_id: int,
        *,
        counts: bool,
        refusal: str | None = None,
        failure: str | None = None,
    ) -> None:
        """Release the claim; ``counts`` says whether this was a real failed attempt (a member
        with no linked chat yet is simply waiting, not failing). A ``refusal`` (the platform
        will never accept the message) ends the attempts; ``failure`` is kept for the report."""
        await self._run(
            "UPDATE correspondence_invitations SET claimed_at = NULL, "
            "attempts = attempts + ?, refusal = ?, failure = ? "
            "WHERE session_id = ? AND person_id = ? AND sent_at IS NULL",
            (1 if counts else 0, refusal, failure, session_id, person_id),
        )

    async def release_claims(self) -> int:
        """At start: claims of a process that stopped mid-sending are void (a member's
        messages recorded before the stop are not sent again, see correspondence_outbox)."""
        await self._run(
            "UPDATE correspondence_sessions SET sending_owner = NULL, sending_claimed_at = NULL "
            "WHERE sending_owner IS NOT NULL"
        )
        return await self._run(
            "UPDATE correspondence_invitations SET claimed_at = NULL "
            "WHERE sent_at IS NULL AND claimed_at IS NOT NULL"
        )

    # --- one sender per session ---------------------------------------------------------

    async def claim_sending(
        self, session_id: int, owner: str, at: datetime, stale_before: datetime
    ) -> bool:
        """Become the session's only sender, unless another one holds a claim younger than
        ``stale_before``; a sender may renew its own claim. True when this call holds it."""
        changed = await self._run(
            "UPDATE correspondence_sessions SET sending_owner = ?, sending_claimed_at = ? "
            "WHERE session_id = ? AND (sending_owner IS NULL OR sending_owner = ? "
            "OR sending_claimed_at < ?)",
            (owner, utc_text(at), session_id, owner, utc_text(stale_before)),
        )
        return changed == 1

    async def release_sending(self, session_id: int, owner: str) -> None:
        await self._run(
            "UPDATE correspondence_sessions SET sending_owner = NULL, sending_claimed_at = NULL "
            "WHERE session_id = ? AND sending_owner = ?",
            (session_id, owner),
        )

    async def sending_owner(self, session_id: int) -> str | None:
        row = await self._one(
            "SELECT sending_owner FROM correspondence_sessions WHERE session_id = ?", (session_id,)
        )
        return None if row is None else row["sending_owner"]
