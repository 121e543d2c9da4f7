"""Survey progress: runs claimed once, recipients, invitations once, drafts per organisation,
reminders once, the live-count messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.models import Body, BodyKind, Membership, Person, Platform, Role
from bot.surveys.store import (
    check_definition,
    organisation_for,
    organisations_on_roster,
    store_survey,
)
from storage.database import Database
from storage.errors import ForeignKeyViolation
from storage.records import SurveyStatus
from storage.repositories.surveys.progress import SurveySource
from tests.storage.factories import T0, at

SOS_2020 = (
    Path(__file__).resolve().parents[3] / "config" / "surveys" / "sos-2020-seje-na-daljavo.yaml"
)


async def association(db: Database) -> tuple[Body, dict[str, int], list[int]]:
    """SOS with a secretariat member and contacts of two municipalities (two for Škofja Loka)."""
    async with db.transaction() as repos:
        body = await repos.bodies.upsert(
            Body(None, "sos", "Skupnost občin Slovenije", BodyKind.PRESIDENCY, "gornji-grad-2016")
        )
        secretariat = await repos.persons.add(
            Person(None, "Irena", "Vodopivec", "irena@sos.example")
        )
        await repos.memberships.upsert(Membership(None, secretariat.id, body.id, Role.SECRETARIAT))
        organisations = {}
        people = []
        for name, contacts in (("Občina Škofja Loka", 2), ("Občina Trzin", 1)):
            organisation = await repos.organisations.get_or_create(name)
            organisations[name] = organisation.id
            for number in range(contacts):
                person = await repos.persons.add(
                    Person(
                        None,
                        f"Kontakt{number}",
                        name.split()[-1],
                        f"k{number}@{name.split()[-1]}.example",
                    )
                )
                await repos.memberships.upsert(
                    Membership(
                        None, person.id, body.id, Role.RESPONDENT, organisation_id=organisation.id
                    )
                )
                people.append(person.id)
    return body, organisations, people


async def stored_survey(db: Database, body: Body, ready: bool = True) -> int:
    checked = check_definition(SOS_2020.read_text(encoding="utf-8"), T0)
    assert checked.ok
    async with db.transaction() as repos:
        survey = await store_survey(repos, checked, body.id, source=SurveySource.CLI, created_by=None,
                                    now=T0, ready=ready)  # fmt: skip
    assert survey.id is not None
    return survey.id


async def test_a_run_is_opened_and_closed_once(db: Database) -> None:
    body, organisations, _ = await association(db)
    survey_id = await stored_survey(db, body)
    assert await db.read.survey_progress.ready_to_open() == [survey_id]
    async with db.transaction() as repos:
        assert await repos.survey_progress.mark_closed(survey_id, at(1)) is False  # not open yet
        assert await repos.survey_progress.mark_opened(survey_id, at(1)) is True
        assert await repos.survey_progress.mark_opened(survey_id, at(2)) is False
        await repos.survey_progress.add_recipients(
            survey_id, await organisations_on_roster(repos, body.id)
        )
        await repos.survey_progress.add_recipients(
            survey_id, organisations.values()
        )  # no duplicates
    assert await db.read.survey_progress.ready_to_open() == []
    assert [run.survey_id for run in await db.read.survey_progress.open_runs()] == [survey_id]
    assert await db.read.survey_progress.recipients(survey_id) == sorted(organisations.values())
    assert await db.read.survey_progress.open_surveys_for(organisations["Občina Trzin"]) == [
        survey_id
    ]
    async with db.transaction() as repos:
        assert await repos.survey_progress.mark_closed(survey_id, at(3)) is True
        assert await repos.survey_progress.mark_closed(survey_id, at(4)) is False
        assert await repos.survey_progress.mark_closing_reported(survey_id, at(5)) is True
        assert await repos.survey_progress.mark_closing_reported(survey_id, at(6)) is False
    run = await db.read.survey_progress.get_run(survey_id)
    assert run is not None and run.opened_at == at(1) and run.closed_at == at(3)
    assert await db.read.survey_progress.open_surveys_for(organisations["Občina Trzin"]) == []


async def test_an_unsent_upload_can_be_cancelled_but_not_a_sent_one(db: Database) -> None:
    body, _, _ = await association(db)
    draft = await stored_survey(db, body, ready=False)
    sent = await stored_survey(db, body, ready=True)
    async with db.transaction() as repos:
        assert await repos.survey_progress.delete_unsent(draft) is True
        assert await repos.survey_progress.delete_unsent(sent) is False
    assert await db.read.surveys.get(draft) is None
    assert (await db.read.surveys.get(sent)).status is SurveyStatus.DRAFT


async def test_an_invitation_is_claimed_once_per_contact(db: Database) -> None:
    body, organisations, people = await association(db)
    survey_id = await stored_survey(db, body)
    loka = organisations["Občina Škofja Loka"]
    async with db.transaction() as repos:
        await repos.survey_progress.mark_opened(survey_id, at(1))
        await repos.survey_progress.add_recipients(survey_id, [loka])
        assert await repos.survey_progress.claim_invitation(survey_id, loka, people[0], at(1))
        assert not await repos.survey_progress.claim_invitation(survey_id, loka, people[0], at(2))
        await repos.survey_progress.set_invitation_chats(survey_id, people[0], 2)
        with pytest.raises(ForeignKeyViolation):  # only to recipients
            await repos.survey_progress.claim_invitation(
                survey_id, organisations["Občina Trzin"], people[2], at(1)
            )
    assert await db.read.survey_progress.invited(survey_id) == {people[0]: 2}


async def test_a_draft_belongs_to_the_organisation_and_any_contact_continues_it(
    db: Database,
) -> None:
    body, organisations, people = await association(db)
    survey_id = await stored_survey(db, body)
    loka = organisations["Občina Škofja Loka"]
    async with db.transaction() as repos:
        await repos.survey_progress.mark_opened(survey_id, at(1))
        await repos.survey_progress.add_recipients(survey_id, [loka])
        await repos.survey_progress.save_draft(
            survey_id, loka, current_question="orodje", awaiting_other=False, person_id=people[0],
            at=at(2), rows=[("izvedba", "da")],
        )  # fmt: skip
        assert await organisation_for(repos, people[1], body.id) == loka
        # The second contact continues: the state moves to them, the answers stay.
        await repos.survey_progress.save_draft(
            survey_id, loka, current_question="izkusnje", awaiting_other=False, person_id=people[1],
            at=at(3), rows=[("izvedba", "da"), ("orodje", "drugo"), ("orodje.other", "miTeam")],
        )  # fmt: skip
    draft = await db.read.survey_progress.get_draft(survey_id, loka)
    assert draft is not None
    assert draft.started_at == at(2) and draft.updated_at == at(3) and draft.updated_by == people[1]
    assert draft.rows == (("izvedba", "da"), ("orodje", "drugo"), ("orodje.other", "miTeam"))
    assert await db.read.survey_progress.drafts_of_person(people[0]) == []
    assert [
        d.organisation_id for d in await db.read.survey_progress.drafts_of_person(people[1])
    ] == [loka]
    async with db.transaction() as repos:
        await repos.survey_progress.save_draft(
            survey_id,
            loka,
            current_question=None,
            awaiting_other=False,
            person_id=people[1],
            at=at(4),
        )
    assert (
        await db.read.survey_progress.get_draft(survey_id, loka)
    ).rows == draft.rows  # rows kept
    async with db.transaction() as repos:
        await repos.survey_progress.delete_draft(survey_id, loka)
    assert await db.read.survey_progress.get_draft(survey_id, loka) is None


async def test_a_reminder_is_claimed_once(db: Database) -> None:
    body, _, _ = await association(db)
    survey_id = await stored_survey(db, body)
    async with db.transaction() as repos:
        await repos.survey_progress.plan_reminders(survey_id, [at(60), at(120)])
        await repos.survey_progress.plan_reminders(survey_id, [at(60)])
        assert await repos.survey_progress.claim_reminder(survey_id, at(60), at(130), sent=False)
        assert await repos.survey_progress.claim_reminder(survey_id, at(120), at(130), sent=True)
        assert not await repos.survey_progress.claim_reminder(
            survey_id, at(120), at(131), sent=True
        )
        await repos.survey_progress.set_reminded_count(survey_id, at(120), 7)
    reminders = await db.read.survey_progress.reminders(survey_id)
    assert [(r.due_at, r.sent, r.organisations) for r in reminders] == [
        (at(60), False, 0),
        (at(120), True, 7),
    ]


async def test_one_live_count_message_per_chat(db: Database) -> None:
    body, _, _ = await association(db)
    survey_id = await stored_survey(db, body)
    irena = (await db.read.persons.get_by_email("irena@sos.example")).id
    async with db.transaction() as repos:
        await repos.survey_progress.set_count_message(
            survey_id, irena, Platform.TELEGRAM, "42", "7", at(1)
        )
        await repos.survey_progress.set_count_message(
            survey_id, irena, Platform.MATRIX, "!r:x", "$e", at(1)
        )
        await repos.survey_progress.set_count_message(
            survey_id, irena, Platform.TELEGRAM, "42", "9", at(2)
        )
    stored = await db.read.survey_progress.count_messages(survey_id)
    assert sorted((m.platform, m.message_id) for m in stored) == [
        (Platform.MATRIX, "$e"),
        (Platform.TELEGRAM, "9"),
    ]
