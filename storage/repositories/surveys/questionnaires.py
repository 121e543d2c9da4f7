"""Association surveys, one response per organisation, answers as rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.audit_chain import SYSTEM_ACTOR, AuditKind, person_actor, survey_subject
from bot.domain.audit_facts import answers_digest
from storage.columns import now_utc, optional_parse_utc, optional_utc_text, parse_utc, utc_text
from storage.engine import Row
from storage.errors import NotFound
from storage.records import Survey, SurveyAnswer, SurveyResponse, SurveyStatus
from storage.repositories.audit import AuditRepository
from storage.repositories.base import Repository

SURVEY_COLUMNS = "id, body_id, title, definition, deadline, status, created_at"
RESPONSE_COLUMNS = "id, survey_id, organisation_id, person_id, submitted_at"


def _survey_from_row(row: Row) -> Survey:
    return Survey(
        id=row["id"],
        title=row["title"],
        definition=row["definition"],
        deadline=optional_parse_utc(row["deadline"]),
        status=SurveyStatus(row["status"]),
        body_id=row["body_id"],
        created_at=parse_utc(row["created_at"]),
    )


class SurveyRepository(Repository):
    __slots__ = ()

    async def add(self, survey: Survey) -> Survey:
        row = await self._one(
            "INSERT INTO surveys (body_id, title, definition, deadline, status, created_at) "
            f"VALUES (?, ?, ?, ?, ?, ?) RETURNING {SURVEY_COLUMNS}",
            (
                survey.body_id,
                survey.title,
                survey.definition,
                optional_utc_text(survey.deadline),
                survey.status.value,
                utc_text(survey.created_at or now_utc()),
            ),
        )
        assert row is not None
        return _survey_from_row(row)

    async def get(self, survey_id: int) -> Survey | None:
        row = await self._one(f"SELECT {SURVEY_COLUMNS} FROM surveys WHERE id = ?", (survey_id,))
        return None if row is None else _survey_from_row(row)

    async def set_status(self, survey_id: int, status: SurveyStatus) -> Survey:
        row = await self._one(
            f"UPDATE surveys SET status = ? WHERE id = ? RETURNING {SURVEY_COLUMNS}",
            (status.value, survey_id),
        )
        if row is None:
            raise NotFound("surveys", survey_id)
        return _survey_from_row(row)

    async def set_deadline(self, survey_id: int, deadline: datetime | None) -> Survey:
        row = await self._one(
            f"UPDATE surveys SET deadline = ? WHERE id = ? RETURNING {SURVEY_COLUMNS}",
            (optional_utc_text(deadline), survey_id),
        )
        if row is None:
            raise NotFound("surveys", survey_id)
        return _survey_from_row(row)

    async def submit_response(
        self,
        survey_id: int,
        organisation_id: int,
        person_id: int | None,
        submitted_at: datetime,
        answers: Sequence[SurveyAnswer],
    ) -> SurveyResponse:
        """Stores the organisation's answer; the latest submission stands.

        A submission older than the stored one (a delayed redelivery) changes nothing. Returns
        the response that stands afterwards. A submission that stands enters the audit trail
        with a digest of its answers (``survey_response_submitted``), not the answers.
        """
        stamp = utc_text(submitted_at)
        row = await self._one(
            "INSERT INTO survey_responses (survey_id, organisation_id, person_id, submitted_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (survey_id, organisation_id) DO UPDATE SET "
            "person_id = excluded.person_id, submitted_at = excluded.submitted_at "
            "WHERE excluded.submitted_at >= survey_responses.submitted_at "
            "RETURNING id",
            (survey_id, organisation_id, person_id, stamp),
        )
        if row is not None:
            response_id = row["id"]
            await self._run("DELETE FROM survey_answers WHERE response_id = ?", (response_id,))
            await self._run_many(
                "INSERT INTO survey_answers (response_id, position, question_key, value) "
                "VALUES (?, ?, ?, ?)",
                [
                    (response_id, position, answer.question_key, answer.value)
                    for position, answer in enumerate(answers)
                ],
            )
            await AuditRepository(self._connection, self._keys).append(
                AuditKind.SURVEY_RESPONSE_SUBMITTED,
                survey_subject(survey_id),
                SYSTEM_ACTOR if person_id is None else person_actor(person_id),
                {
                    "organisation": organisation_id,
                    "person": person_id,
                    "answers": len(answers),
                    "answers_digest": answers_digest(
                        [(answer.question_key, answer.value) for answer in answers]
                    ),
                },
                submitted_at,
            )
        standing = await self.get_response(survey_id, organisation_id)
        assert standing is not None
        return standing

    async def get_response(self, survey_id: int, organisation_id: int) -> SurveyResponse | None:
        row = await self._one(
            f"SELECT {RESPONSE_COLUMNS} FROM survey_responses "
            "WHERE survey_id = ? AND organisation_id = ?",
            (survey_id, organisation_id),
        )
        if row is None:
            return None
        return _response_from_row(row, await self.answers(row["id"]))

    async def list_responses(self, survey_id: int) -> list[SurveyResponse]:
        """Every organisation's standing response with its answers, in submission order."""
        rows = await self._all(
            f"SELECT {RESPONSE_COLUMNS} FROM survey_responses WHERE survey_id = ? "
            "ORDER BY submitted_at, id",
            (survey_id,),
        )
        answer_rows = await self._all(
            "SELECT a.response_id, a.question_key, a.value FROM survey_answers a "
            "JOIN survey_responses r ON r.id = a.response_id WHERE r.survey_id = ? "
            "ORDER BY a.response_id, a.position",
            (survey_id,),
        )
        answers: dict[int, list[SurveyAnswer]] = {}
        for answer in answer_rows:
            answers.setdefault(answer["response_id"], []).append(
                SurveyAnswer(answer["question_key"], answer["value"])
            )
        return [_response_from_row(row, tuple(answers.get(row["id"], ()))) for row in rows]

    async def answers(self, response_id: int) -> tuple[SurveyAnswer, ...]:
        rows = await self._all(
            "SELECT question_key, value FROM survey_answers WHERE response_id = ? "
            "ORDER BY position",
            (response_id,),
        )
        return tuple(SurveyAnswer(row["question_key"], row["value"]) for row in rows)

    async def count_responses(self, survey_id: int) -> int:
        row = await self._one(
            "SELECT COUNT(*) AS responses FROM survey_responses WHERE survey_id = ?", (survey_id,)
        )
        return 0 if row is None else int(row["responses"])

    async def organisations_answered(self, survey_id: int) -> list[int]:
        """Ids of organisations with a response, so reminders go to the others."""
        rows = await self._all(
            "SELECT organisation_id FROM survey_responses WHERE survey_id = ? "
            "ORDER BY organisation_id",
            (survey_id,),
        )
        return [row["organisation_id"] for row in rows]

    async def list(self, status: SurveyStatus | None = None) -> list[Survey]:
        """Newest first; all of them, or those with the given status."""
        if status is None:
            rows = await self._all(
                f"SELECT {SURVEY_COLUMNS} FROM surveys ORDER BY created_at DESC, id DESC"
            )
        else:
            rows = await self._all(
                f"SELECT {SURVEY_COLUMNS} FROM surveys WHERE status = ? "
                "ORDER BY created_at DESC, id DESC",
                (status.value,),
            )
        return [_survey_from_row(row) for row in rows]


def _response_from_row(row: Row, answers: tuple[SurveyAnswer, ...]) -> SurveyResponse:
    return SurveyResponse(
        id=row["id"],
        survey_id=row["survey_id"],
        organisation_id=row["organisation_id"],
        person_id=row["person_id"],
        submitted_at=parse_utc(row["submitted_at"]),
        answers=answers,
    )
