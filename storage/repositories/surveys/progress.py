"""How far each survey has come: recipients, invitations, answers in progress, reminders.

Every once-only step (opening, closing, reporting the close, a reminder, an invitation) is
claimed with an ``UPDATE ... WHERE <column> IS NULL`` or an ``INSERT ... ON CONFLICT DO
NOTHING``: whoever changes the row does the step, so a restart or a second caller never repeats
it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.domain.models import Platform
from storage.columns import optional_parse_utc, parse_utc, utc_text
from storage.engine import Row
from storage.repositories.base import Repository


class SurveySource(StrEnum):
    CHAT = "chat"  # uploaded in the chat by a secretariat member
    CLI = "cli"  # sejabot survey create FILE


@dataclass(frozen=True, slots=True)
class SurveyRun:
    survey_id: int
    source: SurveySource
    created_by: int | None
    ready_at: datetime | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    closing_reported_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SurveyDraft:
    """An organisation's answers in progress, as (question key, value) rows."""

    survey_id: int
    organisation_id: int
    current_question: str | None
    awaiting_other: bool
    active_person_id: int | None
    started_at: datetime
    updated_at: datetime
    updated_by: int | None
    rows: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True, slots=True)
class SurveyReminder:
    survey_id: int
    due_at: datetime
    done_at: datetime | None = None
    sent: bool = False
    organisations: int = 0


@dataclass(frozen=True, slots=True)
class CountMessage:
    survey_id: int
    person_id: int
    platform: Platform
    chat_id: str
    message_id: str


RUN_COLUMNS = "survey_id, source, created_by, ready_at, opened_at, closed_at, closing_reported_at"
DRAFT_COLUMNS = (
    "survey_id, organisation_id, current_question, awaiting_other, active_person_id, "
    "started_at, updated_at, updated_by"
)


def _run_from_row(row: Row) -> SurveyRun:
    return SurveyRun(
        survey_id=row["survey_id"],
        source=SurveySource(row["source"]),
        created_by=row["created_by"],
        ready_at=optional_parse_utc(row["ready_at"]),
        opened_at=optional_parse_utc(row["opened_at"]),
        closed_at=optional_parse_utc(row["closed_at"]),
        closing_reported_at=optional_parse_utc(row["closing_reported_at"]),
    )


def _draft_from_row(row: Row, rows: tuple[tuple[str, str], ...]) -> SurveyDraft:
    return SurveyDraft(
        survey_id=row["survey_id"],
        organisation_id=row["organisation_id"],
        current_question=row["current_question"],
        awaiting_other=bool(row["awaiting_other"]),
        active_person_id=row["active_person_id"],
        started_at=parse_utc(row["started_at"]),
        updated_at=parse_utc(row["updated_at"]),
        updated_by=row["updated_by"],
        rows=rows,
    )


class SurveyProgressRepository(Repository):
    __slots__ = ()

    # ---- the run --------------------------------------------------------------------------

    async def add_run(
        self,
        survey_id: int,
        source: SurveySource,
        created_by: int | None,
        ready_at: datetime | None = None,
    ) -> SurveyRun:
        row = await self._one(
            "INSERT INTO survey_runs (survey_id, source, created_by, ready_at) "
            f"VALUES (?, ?, ?, ?) RETURNING {RUN_COLUMNS}",
            (survey_id, source.value, created_by, None if ready_at is None else utc_text(ready_at)),
        )
        assert row is not None
        return _run_from_row(row)

    async def get_run(self, survey_id: int) -> SurveyRun | None:
        row = await self._one(
            f"SELECT {RUN_COLUMNS} FROM survey_runs WHERE survey_id = ?", (survey_id,)
        )
        return None if row is None else _run_from_row(row)

    async def mark_ready(self, survey_id: int, at: datetime) -> bool:
        return await self._claim(survey_id, "ready_at", at)

    async def mark_opened(self, survey_id: int, at: datetime) -> bool:
        return await self._claim(survey_id, "opened_at", at, "ready_at IS NOT NULL")

    async def mark_closed(self, survey_id: int, at: datetime) -> bool:
        return await self._claim(survey_id, "closed_at", at, "opened_at IS NOT NULL")

    async def mark_closing_reported(self, survey_id: int, at: datetime) -> bool:
        return await self._claim(survey_id, "closing_reported_at", at, "closed_at IS NOT NULL")

    async def _claim(
        self, survey_id: int, column: str, at: datetime, condition: str = "TRUE"
    ) -> bool:
        changed = await self._run(
            f"UPDATE survey_runs SET {column} = ? "
            f"WHERE survey_id = ? AND {column} IS NULL AND {condition}",
            (utc_text(at), survey_id),
        )
        return changed == 1

    async def ready_to_open(self) -> list[int]:
        """Surveys stored as ready to send that the bot has not opened yet, oldest first."""
        rows = await self._all(
            "SELECT survey_id FROM survey_runs WHERE ready_at IS NOT NULL AND opened_at IS NULL "
            "ORDER BY ready_at, survey_id"
        )
        return [row["survey_id"] for row in rows]

    async def open_runs(self) -> list[SurveyRun]:
        rows = await self._all(
            f"SELECT {RUN_COLUMNS} FROM survey_runs WHERE opened_at IS NOT NULL "
            "AND closed_at IS NULL ORDER BY survey_id"
        )
        return [_run_from_row(row) for row in rows]

    async def closed_unreported(self) -> list[SurveyRun]:
        rows = await self._all(
            f"SELECT {RUN_COLUMNS} FROM survey_runs WHERE closed_at IS NOT NULL "
            "AND closing_reported_at IS NULL ORDER BY survey_id"
        )
        return [_run_from_row(row) for row in rows]

    async def delete_unsent(self, survey_id: int) -> bool:
        """Forget a survey that was uploaded but never made ready (the secretariat cancelled)."""
        changed = await self._run(
            "DELETE FROM survey_runs WHERE survey_id = ? AND ready_at IS NULL", (survey_id,)
        )
        if changed != 1:
            return False
        await self._run("DELETE FROM surveys WHERE id = ? AND status = 'draft'", (survey_id,))
        return True

    # ---- recipients ------------------------------------------------------------------------

    async def add_recipients(self, survey_id: int, organisation_ids: Iterable[int]) -> None:
        await self._run_many(
            "INSERT INTO survey_recipients (survey_id, organisation_id) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING",
            [(survey_id, organisation_id) for organisation_id in organisation_ids],
        )

    async def recipients(self, survey_id: int) -> list[int]:
        rows = await self._all(
            "SELECT organisation_id FROM survey_recipients WHERE survey_id = ? "
            "ORDER BY organisation_id",
            (survey_id,),
        )
        return [row["organisation_id"] for row in rows]

    async def is_recipient(self, survey_id: int, organisation_id: int) -> bool:
        row = await self._one(
            "SELECT 1 FROM survey_recipients WHERE survey_id = ? AND organisation_id = ?",
            (survey_id, organisation_id),
        )
        return row is not None

    async def open_surveys_for(self, organisation_id: int) -> list[int]:
        """Open surveys addressed to the organisation, newest first."""
        rows = await self._all(
            "SELECT r.survey_id FROM survey_recipients r "
            "JOIN survey_runs u ON u.survey_id = r.survey_id "
            "WHERE r.organisation_id = ? AND u.opened_at IS NOT NULL AND u.closed_at IS NULL "
            "ORDER BY u.opened_at DESC, r.survey_id DESC",
            (organisation_id,),
        )
        return [row["survey_id"] for row in rows]

    # ---- invitations -----------------------------------------------------------------------

    async def claim_invitation(
        self, survey_id: int, organisation_id: int, person_id: int, at: datetime
    ) -> bool:
        """True for the one caller that sends this contact's invitation."""
        changed = await self._run(
            "INSERT INTO survey_invitations (survey_id, organisation_id, person_id, sent_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (survey_id, organisation_id, person_id, utc_text(at)),
        )
        return changed == 1

    async def set_invitation_chats(self, survey_id: int, person_id: int, chats: int) -> None:
        await self._run(
            "UPDATE survey_invitations SET chats = ? WHERE survey_id = ? AND person_id = ?",
            (chats, survey_id, person_id),
        )

    async def invited(self, survey_id: int) -> dict[int, int]:
        """Person id -> number of chats that received the invitation."""
        rows = await self._all(
            "SELECT person_id, chats FROM survey_invitations WHERE survey_id = ?", (survey_id,)
        )
        return {row["person_id"]: row["chats"] for row in rows}

    # ---- drafts ----------------------------------------------------------------------------

    async def get_draft(self, survey_id: int, organisation_id: int) -> SurveyDraft | None:
        row = await self._one(
            f"SELECT {DRAFT_COLUMNS} FROM survey_drafts WHERE survey_id = ? AND organisation_id = ?",
            (survey_id, organisation_id),
        )
        if row is None:
            return None
        return _draft_from_row(row, await self._draft_rows(survey_id, organisation_id))

    async def _draft_rows(
        self, survey_id: int, organisation_id: int
    ) -> tuple[tuple[str, str], ...]:
        rows = await self._all(
            "SELECT question_key, value FROM survey_draft_answers "
            "WHERE survey_id = ? AND organisation_id = ? ORDER BY position",
            (survey_id, organisation_id),
        )
        return tuple((row["question_key"], row["value"]) for row in rows)

    async def save_draft(
        self,
        survey_id: int,
        organisation_id: int,
        *,
        current_question: str | None,
        awaiting_other: bool,
        person_id: int,
        at: datetime,
        rows: Sequence[tuple[str, str]] | None = None,
    ) -> None:
        """Create or update the draft's state; with ``rows``, replace all its answers too."""
        stamp = utc_text(at)
        await self._run(
            "INSERT INTO survey_drafts (survey_id, organisation_id, current_question, "
            "awaiting_other, active_person_id, started_at, updated_at, updated_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (survey_id, organisation_id) DO UPDATE SET "
            "current_question = excluded.current_question, "
            "awaiting_other = excluded.awaiting_other, "
            "active_person_id = excluded.active_person_id, "
            "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            (survey_id, organisation_id, current_question, awaiting_other, person_id, stamp, stamp,
             person_id),
        )  # fmt: skip
        if rows is None:
            return
        await self._run(
            "DELETE FROM survey_draft_answers WHERE survey_id = ? AND organisation_id = ?",
            (survey_id, organisation_id),
        )
        await self._run_many(
            "INSERT INTO survey_draft_answers (survey_id, organisation_id, position, question_key, "
            "value) VALUES (?, ?, ?, ?, ?)",
            [
                (survey_id, organisation_id, position, key, value)
                for position, (key, value) in enumerate(rows)
            ],
        )

    async def delete_draft(self, survey_id: int, organisation_id: int) -> None:
        await self._run(
            "DELETE FROM survey_draft_answers WHERE survey_id = ? AND organisation_id = ?",
            (survey_id, organisation_id),
        )
        await self._run(
            "DELETE FROM survey_drafts WHERE survey_id = ? AND organisation_id = ?",
            (survey_id, organisation_id),
        )

    async def drafts_of_person(self, person_id: int) -> list[SurveyDraft]:
        """Drafts this person is answering now, most recently touched first (open surveys only)."""
        rows = await self._all(
            f"SELECT {', '.join('d.' + c.strip() for c in DRAFT_COLUMNS.split(','))} "
            "FROM survey_drafts d JOIN survey_runs u ON u.survey_id = d.survey_id "
            "WHERE d.active_person_id = ? AND u.closed_at IS NULL "
            "ORDER BY d.updated_at DESC, d.survey_id DESC",
            (person_id,),
        )
        return [
            _draft_from_row(row, await self._draft_rows(row["survey_id"], row["organisation_id"]))
            for row in rows
        ]

    async def organisations_with_draft(self, survey_id: int) -> list[int]:
        rows = await self._all(
            "SELECT organisation_id FROM survey_drafts WHERE survey_id = ? ORDER BY organisation_id",
            (survey_id,),
        )
        return [row["organisation_id"] for row in rows]

    # ---- reminders -------------------------------------------------------------------------

    async def plan_reminders(self, survey_id: int, times: Iterable[datetime]) -> None:
        await self._run_many(
            "INSERT INTO survey_reminders (survey_id, due_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(survey_id, utc_text(moment)) for moment in times],
        )

    async def reminders(self, survey_id: int) -> list[SurveyReminder]:
        rows = await self._all(
            "SELECT survey_id, due_at, done_at, sent, organisations FROM survey_reminders "
            "WHERE survey_id = ? ORDER BY due_at",
            (survey_id,),
        )
        return [
            SurveyReminder(
                survey_id=row["survey_id"],
                due_at=parse_utc(row["due_at"]),
                done_at=optional_parse_utc(row["done_at"]),
                sent=bool(row["sent"]),
                organisations=row["organisations"],
            )
            for row in rows
        ]

    async def claim_reminder(
        self, survey_id: int, due_at: datetime, at: datetime, sent: bool
    ) -> bool:
        changed = await self._run(
            "UPDATE survey_reminders SET done_at = ?, sent = ? "
            "WHERE survey_id = ? AND due_at = ? AND done_at IS NULL",
            (utc_text(at), sent, survey_id, utc_text(due_at)),
        )
        return changed == 1

    async def set_reminded_count(
        self, survey_id: int, due_at: datetime, organisations: int
    ) -> None:
        await self._run(
            "UPDATE survey_reminders SET organisations = ? WHERE survey_id = ? AND due_at = ?",
            (organisations, survey_id, utc_text(due_at)),
        )

    # ---- the secretariat's live count --------------------------------------------------------

    async def set_count_message(
        self, survey_id: int, person_id: int, platform: Platform, chat_id: str, message_id: str,
        at: datetime,
    ) -> None:  # fmt: skip
        """The chat's live-count message; an older one of the same chat is no longer edited."""
        await self._run(
            "DELETE FROM survey_count_messages WHERE survey_id = ? AND platform = ? AND chat_id = ?",
            (survey_id, platform.value, chat_id),
        )
        await self._run(
            "INSERT INTO survey_count_messages (survey_id, person_id, platform, chat_id, "
            "message_id, sent_at) VALUES (?, ?, ?, ?, ?, ?)",
            (survey_id, person_id, platform.value, chat_id, message_id, utc_text(at)),
        )

    async def count_messages(self, survey_id: int) -> list[CountMessage]:
        rows = await self._all(
            "SELECT survey_id, person_id, platform, chat_id, message_id FROM survey_count_messages "
            "WHERE survey_id = ? ORDER BY sent_at",
            (survey_id,),
        )
        return [
            CountMessage(
                row["survey_id"],
                row["person_id"],
                Platform(row["platform"]),
                row["chat_id"],
                row["message_id"],
            )
            for row in rows
        ]
