"""Loading a survey's answers for its report, and rendering the report off the event loop."""

from __future__ import annotations

import asyncio
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from bot.domain.survey_definition import answers_from_rows
from bot.i18n import Translator
from bot.surveys.report_document import (
    OrganisationAnswer,
    SurveyReportData,
    render_report,
)
from bot.surveys.store import definition_of
from storage.repositories import Repositories


@dataclass(frozen=True, slots=True)
class RenderedReport:
    content: bytes
    media_type: str
    filename: str


async def load_report_data(
    repos: Repositories, survey_id: int, now: datetime
) -> SurveyReportData | None:
    """A snapshot of the survey and every standing answer of the organisations it went to."""
    survey = await repos.surveys.get(survey_id)
    if survey is None:
        return None
    definition = definition_of(survey)
    run = await repos.survey_progress.get_run(survey_id)
    body = await repos.bodies.get(survey.body_id) if survey.body_id is not None else None
    names: dict[int, str] = {}

    async def name_of(organisation_id: int) -> str:
        if organisation_id not in names:
            organisation = await repos.organisations.get(organisation_id)
            names[organisation_id] = organisation.name if organisation else str(organisation_id)
        return names[organisation_id]

    recipients = await repos.survey_progress.recipients(survey_id)
    responses = []
    for response in await repos.surveys.list_responses(survey_id):
        person = await repos.persons.get(response.person_id) if response.person_id else None
        rows = ((answer.question_key, answer.value) for answer in response.answers)
        responses.append(
            OrganisationAnswer(
                organisation=await name_of(response.organisation_id),
                answers=answers_from_rows(definition, rows),
                submitted_at=response.submitted_at,
                submitted_by=person.full_name if person else "",
            )
        )
    return SurveyReportData(
        title=survey.title,
        definition=definition,
        sender=body.name if body else "",
        recipients=tuple([await name_of(o) for o in recipients]),
        responses=tuple(responses),
        generated_at=now,
        deadline=survey.deadline,
        opened_at=run.opened_at if run else None,
        closed_at=run.closed_at if run else None,
    )


async def render_survey_report(
    data: SurveyReportData, survey_id: int, fmt: str, _: Translator, group_by: str | None = None
) -> RenderedReport:
    """Charts, DOCX and PDF are CPU work: rendered in a worker thread."""
    content, media_type, extension = await asyncio.to_thread(render_report, data, fmt, _, group_by)
    return RenderedReport(content, media_type, report_filename(survey_id, data.title, extension))


def report_filename(survey_id: int, title: str, extension: str) -> str:
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:40].strip("-") or "anketa"
    return f"anketa-{survey_id}-{slug}.{extension}"
