"""Surveys: one standing response per organisation, answers as rows."""

from __future__ import annotations

import sqlite3

import pytest

from storage.database import Database
from storage.errors import NotFound
from storage.records import Survey, SurveyAnswer, SurveyResponse, SurveyStatus
from tests.storage.factories import T0, at

DEFINITION = """\
title: Seje na daljavo
questions:
  - key: held
    text: Ali ste že izvedli sejo na daljavo?
    options: [yes, soon, no]
  - key: tool
    text: Katero orodje?
"""


async def survey_and_municipalities(db: Database):
    async with db.transaction() as repos:
        survey = await repos.surveys.add(
            Survey(
                None,
                "Seje občinskih svetov na daljavo",
                DEFINITION,
                deadline=at(60 * 48),
                status=SurveyStatus.OPEN,
                created_at=T0,
            )
        )
        trzin = await repos.organisations.get_or_create("Občina Trzin")
        bohinj = await repos.organisations.get_or_create("Občina Bohinj")
    return survey, trzin, bohinj


async def test_survey_round_trip(db: Database) -> None:
    survey, _, _ = await survey_and_municipalities(db)
    assert survey.id is not None
    assert await db.read.surveys.get(survey.id) == survey
    assert survey.definition == DEFINITION
    async with db.transaction() as repos:
        draft = await repos.surveys.add(Survey(None, "Osnutek", "questions: []\n"))
        closed = await repos.surveys.set_status(survey.id, SurveyStatus.CLOSED)
        extended = await repos.surveys.set_deadline(survey.id, at(60 * 72))
        with pytest.raises(NotFound):
            await repos.surveys.set_status(9999, SurveyStatus.OPEN)
    assert draft.status is SurveyStatus.DRAFT and draft.created_at is not None
    assert closed.status is SurveyStatus.CLOSED and extended.deadline == at(60 * 72)
    assert await db.read.surveys.list(SurveyStatus.CLOSED) == [extended]
    assert [s.id for s in await db.read.surveys.list()] == [draft.id, survey.id]


async def test_latest_response_per_organisation_stands(db: Database) -> None:
    survey, trzin, bohinj = await survey_and_municipalities(db)
    first = [SurveyAnswer("held", "no")]
    latest = [
        SurveyAnswer("held", "yes"),
        SurveyAnswer("tool", "Zoom"),
        SurveyAnswer("tool", "MS Teams"),
    ]
    async with db.transaction() as repos:
        await repos.surveys.submit_response(survey.id, trzin.id, None, at(10), first)
        replaced = await repos.surveys.submit_response(survey.id, trzin.id, None, at(20), latest)
        # A delayed redelivery of an older submission changes nothing.
        kept = await repos.surveys.submit_response(survey.id, trzin.id, None, at(15), first)
        bohinjs = await repos.surveys.submit_response(
            survey.id, bohinj.id, None, at(12), [SurveyAnswer("held", "soon")]
        )
    assert replaced == kept
    assert replaced == SurveyResponse(replaced.id, survey.id, trzin.id, None, at(20), tuple(latest))
    assert replaced.values("tool") == ("Zoom", "MS Teams")
    assert replaced.value("held") == "yes" and replaced.value("comment") is None
    assert await db.read.surveys.count_responses(survey.id) == 2
    assert await db.read.surveys.list_responses(survey.id) == [bohinjs, replaced]
    assert await db.read.surveys.get_response(survey.id, trzin.id) == replaced
    assert await db.read.surveys.answers(replaced.id) == tuple(latest)
    assert await db.read.surveys.organisations_answered(survey.id) == sorted([trzin.id, bohinj.id])


async def test_second_response_row_is_impossible(db: Database, raw) -> None:
    survey, trzin, _ = await survey_and_municipalities(db)
    async with db.transaction() as repos:
        response = await repos.surveys.submit_response(
            survey.id, trzin.id, None, at(1), [SurveyAnswer("held", "no")]
        )
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        await raw.execute(
            "INSERT INTO survey_responses (survey_id, organisation_id, submitted_at) "
            "VALUES (?, ?, '2020-11-09T12:00:00.000000+00:00')",
            (survey.id, trzin.id),
        )
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        await raw.execute(
            "INSERT INTO survey_answers (response_id, position, question_key, value) "
            "VALUES (?, 0, 'held', 'yes')",
            (response.id,),
        )
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await raw.execute(
            "INSERT INTO survey_answers (response_id, position, question_key, value) "
            "VALUES (9999, 0, 'held', 'yes')"
        )
