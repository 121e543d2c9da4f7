"""Storing questionnaires and finding who answers them: the shared ground of the survey services.

A survey belongs to the body whose secretariat sends it (the association, e.g. SOS). Its
respondents are organisations (municipalities); each has one or more contacts, the persons with
an active respondent seat in that body for that organisation. One answer per organisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.models import Membership, Platform, Role
from bot.domain.survey_definition import (
    ParseResult,
    Problem,
    SurveyDefinition,
    parse_definition,
    resolve_deadline,
)
from bot.i18n import N_
from bot.transport.events import IncomingEvent
from storage.records import Survey, SurveyStatus
from storage.repositories import Repositories
from storage.repositories.surveys.progress import SurveySource

MAX_DEFINITION_BYTES = 256 * 1024


class StoredDefinitionInvalid(RuntimeError):
    """A stored questionnaire no longer parses (it was validated when stored)."""


def definition_of(survey: Survey) -> SurveyDefinition:
    result = parse_definition(survey.definition)
    if result.definition is None:
        raise StoredDefinitionInvalid(f"survey {survey.id} has an invalid definition")
    return result.definition


@dataclass(frozen=True, slots=True)
class CheckedDefinition:
    """A questionnaire read and checked for sending at ``now``: the definition and its deadline,
    or the problems (each with its line)."""

    text: str
    definition: SurveyDefinition | None
    deadline: datetime | None
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return self.definition is not None and self.deadline is not None and not self.problems


def check_definition(
    text: str, now: datetime, deadline: datetime | None = None
) -> CheckedDefinition:
    """Parse and check; ``deadline`` overrides the file's (``sejabot survey create --deadline``)."""
    result: ParseResult = parse_definition(text)
    if result.definition is None:
        return CheckedDefinition(text, None, None, result.problems)
    if deadline is not None:
        if deadline <= now:
            return CheckedDefinition(text, result.definition, None, (_past_deadline_problem(),))
        return CheckedDefinition(text, result.definition, deadline, ())
    resolved = resolve_deadline(result.definition, now)
    if isinstance(resolved, Problem):
        return CheckedDefinition(text, result.definition, None, (resolved,))
    return CheckedDefinition(text, result.definition, resolved, ())


def _past_deadline_problem() -> Problem:
    return Problem(0, N_("The deadline given has already passed; set a later one."), {})


def decode_upload(content: bytes) -> str | None:
    """The uploaded file as text (UTF-8, a BOM tolerated); None when it is not text."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


async def store_survey(
    repos: Repositories,
    checked: CheckedDefinition,
    body_id: int,
    *,
    source: SurveySource,
    created_by: int | None,
    now: datetime,
    ready: bool,
) -> Survey:
    """Store a checked questionnaire as a draft; ``ready`` marks it for the running bot to send."""
    if not checked.ok or checked.definition is None:
        raise ValueError("only a checked definition without problems can be stored")
    survey = await repos.surveys.add(
        Survey(
            None,
            checked.definition.title,
            checked.text,
            deadline=checked.deadline,
            status=SurveyStatus.DRAFT,
            body_id=body_id,
            created_at=now,
        )
    )
    assert survey.id is not None
    await repos.survey_progress.add_run(survey.id, source, created_by, now if ready else None)
    return survey


# ---- who is who ---------------------------------------------------------------------------------


def secretariat_seats(memberships: Sequence[Membership]) -> list[Membership]:
    return [m for m in memberships if m.role is Role.SECRETARIAT and m.active]


async def secretariat_of(repos: Repositories, body_id: int) -> list[int]:
    """Persons with an active secretariat seat in the body: they get counts and reports."""
    return [
        seat.person_id
        for seat in await repos.memberships.list_for_body(body_id)
        if seat.role is Role.SECRETARIAT
    ]


async def respondent_seats(repos: Repositories, body_id: int) -> list[Membership]:
    return [
        seat
        for seat in await repos.memberships.list_for_body(body_id)
        if seat.role is Role.RESPONDENT and seat.organisation_id is not None
    ]


async def organisations_on_roster(repos: Repositories, body_id: int) -> list[int]:
    """Organisations with at least one active contact in the body: whom a survey goes to."""
    return sorted(
        {
            seat.organisation_id
            for seat in await respondent_seats(repos, body_id)
            if seat.organisation_id
        }
    )


async def contacts_of(repos: Repositories, body_id: int, organisation_id: int) -> list[int]:
    return [
        seat.person_id
        for seat in await respondent_seats(repos, body_id)
        if seat.organisation_id == organisation_id
    ]


async def organisation_for(repos: Repositories, person_id: int, body_id: int | None) -> int | None:
    """The organisation this person answers for in the survey's body, if they are a contact."""
    if body_id is None:
        return None
    seat = await repos.memberships.get(person_id, body_id)
    if seat is None or not seat.active or seat.role is not Role.RESPONDENT:
        return None
    return seat.organisation_id


async def surveys_of_body(repos: Repositories, body_id: int) -> list[Survey]:
    return [survey for survey in await repos.surveys.list() if survey.body_id == body_id]


def action_time(event: IncomingEvent, now: datetime) -> datetime:
    """When the person acted, for the deadline: the platform's own time where it gives one.

    A Telegram button press carries no date of its own, so the moment it reaches the bot stands
    in (the runtime's clock); Telegram messages and every Matrix event carry the platform's time.
    """
    if event.platform == Platform.TELEGRAM and event.choice is not None:
        return now
    return event.timestamp


def reminder_offsets(
    definition: SurveyDefinition, configured: Sequence[timedelta]
) -> tuple[timedelta, ...]:
    return definition.reminders if definition.reminders is not None else tuple(configured)
