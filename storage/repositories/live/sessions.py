"""Live sessions beyond their row in ``sessions``: urgency, milestones, invitations, reminders."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from storage.columns import optional_parse_utc, optional_utc_text, parse_utc, utc_text
from storage.engine import Row
from storage.repositories.base import Repository


class InvitedAs(StrEnum):
    MEMBER = "member"  # answers whether they attend; the members' rows are the roll
    CHAIR = "chair"  # gets a copy
    CLERK = "clerk"  # gets a copy


class AttendanceAnswer(StrEnum):
    ATTEND = "attend"  # "Udeležil se bom"
    DECLINE = "decline"  # "Ne morem priti", with a reason (art. 16(2))


@dataclass(frozen=True, slots=True)
class LiveSessionInfo:
    session_id: int
    ends_at: datetime | None = None
    urgent: bool = False
    urgency_reason: str = ""
    convened_by: int | None = None
    convened_at: datetime | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LiveInvitation:
    session_id: int
    person_id: int
    role: InvitedAs
    sent_at: datetime | None = None
    answer: AttendanceAnswer | None = None
    reason: str = ""
    answered_at: datetime | None = None
    awaiting_reason: bool = False
    reminded_for: datetime | None = None


INFO_COLUMNS = (
    "session_id, ends_at, urgent, urgency_reason, convened_by, convened_at, opened_at, closed_at"
)
INVITATION_COLUMNS = (
    "session_id, person_id, role, sent_at, answer, reason, answered_at, awaiting_reason, "
    "reminded_for"
)


def _info(row: Row) -> LiveSessionInfo:
    return LiveSessionInfo(
        session_id=row["session_id"],
        ends_at=optional_parse_utc(row["ends_at"]),
        urgent=bool(row["urgent"]),
        urgency_reason=row["urgency_reason"],
        convened_by=row["convened_by"],
        convened_at=optional_parse_utc(row["convened_at"]),
        opened_at=optional_parse_utc(row["opened_at"]),
        closed_at=optional_parse_utc(row["closed_at"]),
    )


def _invitation(row: Row) -> LiveInvitation:
    return LiveInvitation(
        session_id=row["session_id"],
        person_id=row["person_id"],
        role=InvitedAs(row["role"]),
        sent_at=optional_parse_utc(row["sent_at"]),
        answer=AttendanceAnswer(row["answer"]) if row["answer"] else None,
        reason=row["reason"],
        answered_at=optional_parse_utc(row["answered_at"]),
        awaiting_reason=bool(row["awaiting_reason"]),
        reminded_for=optional_parse_utc(row["reminded_for"]),
    )


class LiveSessionRepository(Repository):
    __slots__ = ()

    # --- the session's own row ---------------------------------------------------------------

    async def add_info(self, info: LiveSessionInfo) -> LiveSessionInfo:
        row = await self._one(
            "INSERT INTO live_sessions (session_id, ends_at, urgent, urgency_reason, "
            "convened_by, convened_at, opened_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            f"RETURNING {INFO_COLUMNS}",
            (
                info.session_id,
                optional_utc_text(info.ends_at),
                info.urgent,
                info.urgency_reason,
                info.convened_by,
                optional_utc_text(info.convened_at),
                optional_utc_text(info.opened_at),
                optional_utc_text(info.closed_at),
            ),
        )
        assert row is not None
        return _info(row)

    async def info(self, session_id: int) -> LiveSessionInfo | None:
        row = await self._one(
            f"SELECT {INFO_COLUMNS} FROM live_sessions WHERE session_id = ?", (session_id,)
        )
        return None if row is None else _info(row)

    async def update_info(self, info: LiveSessionInfo) -> LiveSessionInfo:
        row = await self._one(
            "UPDATE live_sessions SET ends_at = ?, urgent = ?, urgency_reason = ?, "
            "convened_by = ?, convened_at = ?, opened_at = ?, closed_at = ? "
            f"WHERE session_id = ? RETURNING {INFO_COLUMNS}",
            (
                optional_utc_text(info.ends_at),
                info.urgent,
                info.urgency_reason,
                info.convened_by,
                optional_utc_text(info.convened_at),
                optional_utc_text(info.opened_at),
                optional_utc_text(info.closed_at),
                info.session_id,
            ),
        )
        if row is None:
            raise LookupError(f"live session {info.session_id} is not stored")
        return _info(row)

    async def session_ids(self) -> list[int]:
        """Every live session, newest first."""
        rows = await self._all("SELECT session_id FROM live_sessions ORDER BY session_id DESC")
        return [row["session_id"] for row in rows]

    # --- invitations: the outbox and the answers ---------------------------------------------

    async def invite(self, session_id: int, person_id: int, role: InvitedAs) -> None:
        """Adds a person to the invitation list; inviting someone twice changes nothing."""
        await self._run(
            "INSERT INTO live_invitations (session_id, person_id, role) VALUES (?, ?, ?) "
            "ON CONFLICT (session_id, person_id) DO NOTHING",
            (session_id, person_id, role.value),
        )

    async def invitations(self, session_id: int) -> list[LiveInvitation]:
        rows = await self._all(
            f"SELECT {INVITATION_COLUMNS} FROM live_invitations WHERE session_id = ? "
            "ORDER BY person_id",
            (session_id,),
        )
        return [_invitation(row) for row in rows]

    async def invitation(self, session_id: int, person_id: int) -> LiveInvitation | None:
        row = await self._one(
            f"SELECT {INVITATION_COLUMNS} FROM live_invitations "
            "WHERE session_id = ? AND person_id = ?",
            (session_id, person_id),
        )
        return None if row is None else _invitation(row)

    async def roll(self, session_id: int) -> list[int]:
        """The members of the session (those invited as members), by person id."""
        rows = await self._all(
            "SELECT person_id FROM live_invitations WHERE session_id = ? AND role = 'member' "
            "ORDER BY person_id",
            (session_id,),
        )
        return [row["person_id"] for row in rows]

    async def unsent(self, session_id: int) -> list[LiveInvitation]:
        rows = await self._all(
            f"SELECT {INVITATION_COLUMNS} FROM live_invitations "
            "WHERE session_id = ? AND sent_at IS NULL ORDER BY person_id",
            (session_id,),
        )
        return [_invitation(row) for row in rows]

    async def claim(
        self,
        session_id: int,
        person_id: int,
        now: datetime,
        lease_expired_before: datetime,
        process: str | None = None,
    ) -> bool:
        """Takes the right to send this person's invitation; False if it is sent or taken.
        With ``process`` (this bot process), a claim of another process (stopped or crashed)
        lapses at once; a claim of this process lapses with its lease."""
        if process is None:
            changed = await self._run(
                "UPDATE live_invitations SET claimed_at = ?, claimed_by = NULL "
                "WHERE session_id = ? AND person_id = ? "
                "AND sent_at IS NULL AND (claimed_at IS NULL OR claimed_at < ?)",
                (utc_text(now), session_id, person_id, utc_text(lease_expired_before)),
            )
            return changed == 1
        changed = await self._run(
            "UPDATE live_invitations SET claimed_at = ?, claimed_by = ? "
            "WHERE session_id = ? AND person_id = ? AND sent_at IS NULL AND (claimed_at IS NULL "
            "OR claimed_at < ? OR claimed_by IS NULL OR claimed_by <> ?)",
            (utc_text(now), process, session_id, person_id, utc_text(lease_expired_before),
             process),
        )  # fmt: skip
        return changed == 1

    async def mark_sent(self, session_id: int, person_id: int, sent_at: datetime) -> None:
        await self._run(
            "UPDATE live_invitations SET sent_at = ? "
            "WHERE session_id = ? AND person_id = ? AND sent_at IS NULL",
            (utc_text(sent_at), session_id, person_id),
        )

    async def answer(
        self,
        session_id: int,
        person_id: int,
        answer: AttendanceAnswer,
        answered_at: datetime,
        *,
        reason: str = "",
        awaiting_reason: bool = False,
    ) -> LiveInvitation | None:
        """Records (or changes) a member's answer; None if the person is not on the roll."""
        row = await self._one(
            "UPDATE live_invitations SET answer = ?, reason = ?, answered_at = ?, "
            "awaiting_reason = ? WHERE session_id = ? AND person_id = ? AND role = 'member' "
            f"RETURNING {INVITATION_COLUMNS}",
            (
                answer.value,
                reason,
                utc_text(answered_at),
                awaiting_reason,
                session_id,
                person_id,
            ),
        )
        return None if row is None else _invitation(row)

    async def awaiting_reason(self, person_id: int) -> list[LiveInvitation]:
        """Declines of this person still waiting for the reason, newest session first."""
        rows = await self._all(
            f"SELECT {INVITATION_COLUMNS} FROM live_invitations "
            "WHERE person_id = ? AND awaiting_reason = TRUE ORDER BY session_id DESC",
            (person_id,),
        )
        return [_invitation(row) for row in rows]

    async def claim_reminder(self, session_id: int, person_id: int, due_at: datetime) -> bool:
        """Records the reminder due at ``due_at`` as this person's latest; False if it already
        was, so each reminder goes out at most once whoever sends it."""
        changed = await self._run(
            "UPDATE live_invitations SET reminded_for = ? WHERE session_id = ? AND person_id = ? "
            "AND (reminded_for IS NULL OR reminded_for < ?)",
            (utc_text(due_at), session_id, person_id, utc_text(due_at)),
        )
        return changed == 1

    # --- reminders ---------------------------------------------------------------------------

    async def set_reminders(self, session_id: int, due: Iterable[datetime]) -> None:
        await self._run("DELETE FROM live_reminders WHERE session_id = ?", (session_id,))
        await self._run_many(
            "INSERT INTO live_reminders (session_id, due_at) VALUES (?, ?) "
            "ON CONFLICT (session_id, due_at) DO NOTHING",
            [(session_id, utc_text(moment)) for moment in due],
        )

    async def reminders(self, session_id: int) -> list[datetime]:
        rows = await self._all(
            "SELECT due_at FROM live_reminders WHERE session_id = ? ORDER BY due_at",
            (session_id,),
        )
        return [parse_utc(row["due_at"]) for row in rows]
