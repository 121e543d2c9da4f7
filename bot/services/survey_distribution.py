"""Sending a survey: opening it, inviting every contact once, and the secretariat's live count.

Opening lists the organisations on the roster at that moment (the base of the count and of the
list of those that did not answer) and plans the reminders. Invitations go to each linked contact
once: the claim is stored before the message is sent, so a restart never repeats one; a contact
who links later receives it on the next scan. The secretariat's live-count messages are edited
after every submission.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.domain.survey_definition import reminder_times
from bot.i18n import Translator
from bot.services.survey_messages import CountView, Frame, count_message, invitation_message
from bot.services.survey_store import (
    contacts_of,
    definition_of,
    organisations_on_roster,
    reminder_offsets,
    secretariat_of,
)
from bot.transport.events import ChatRef, MessageRef, OutgoingMessage
from storage.records import Survey, SurveyStatus
from storage.repositories import Repositories

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

# Builds a message in the language of the translator it is given.
MessageComposer = Callable[[Translator], OutgoingMessage]


@dataclass(frozen=True, slots=True)
class OpenedSurvey:
    survey_id: int
    organisations: int
    expired: bool = False  # its deadline had passed before it could be sent: closed at once


async def open_survey(
    repos: Repositories, survey_id: int, now: datetime, configured_reminders: tuple[timedelta, ...]
) -> OpenedSurvey | None:
    """Open a survey made ready, once; None if it is not ready or already open."""
    survey = await repos.surveys.get(survey_id)
    run = await repos.survey_progress.get_run(survey_id)
    if survey is None or run is None or run.opened_at is not None or survey.body_id is None:
        return None
    await repos.survey_progress.mark_ready(survey_id, now)
    if not await repos.survey_progress.mark_opened(survey_id, now):
        return None
    organisations = await organisations_on_roster(repos, survey.body_id)
    await repos.survey_progress.add_recipients(survey_id, organisations)
    if survey.deadline is None or survey.deadline <= now:
        # Made ready (e.g. from the command line) but its deadline passed before the bot could
        # send it: nobody is invited; the secretariat is told at the close.
        await repos.survey_progress.mark_closed(survey_id, now)
        await repos.surveys.set_status(survey_id, SurveyStatus.CLOSED)
        return OpenedSurvey(survey_id, len(organisations), expired=True)
    await repos.surveys.set_status(survey_id, SurveyStatus.OPEN)
    offsets = reminder_offsets(definition_of(survey), configured_reminders)
    await repos.survey_progress.plan_reminders(
        survey_id, reminder_times(survey.deadline, offsets, now)
    )
    return OpenedSurvey(survey_id, len(organisations))


@dataclass(frozen=True, slots=True)
class InvitationReport:
    contacts: int  # contacts of the recipient organisations
    sent: int  # contacts invited in this pass
    chats: int  # chats those invitations reached
    unlinked: int  # contacts without a linked account: invited once they link


async def deliver_invitations(app: App, survey_id: int) -> InvitationReport:
    """Invite every linked contact not invited yet; safe to call at any time, any number of times."""
    pending: list[tuple[int, int, str]] = []  # (person, organisation, language)
    contacts = unlinked = 0
    async with app.db.transaction() as repos:
        survey = await repos.surveys.get(survey_id)
        if survey is None or survey.status is not SurveyStatus.OPEN or survey.body_id is None:
            return InvitationReport(0, 0, 0, 0)
        invited = await repos.survey_progress.invited(survey_id)
        for organisation_id in await repos.survey_progress.recipients(survey_id):
            for person_id in await contacts_of(repos, survey.body_id, organisation_id):
                contacts += 1
                if person_id in invited:
                    continue
                if not await repos.accounts.list_for_person(person_id):
                    unlinked += 1
                    continue
                if await repos.survey_progress.claim_invitation(
                    survey_id, organisation_id, person_id, app.now()
                ):
                    person = await repos.persons.get(person_id)
                    pending.append(
                        (person_id, organisation_id, person.language if person else "sl")
                    )
        body = await repos.bodies.get(survey.body_id)
        names = {o: await _organisation_name(repos, o) for o in {p[1] for p in pending}}
    if not pending:
        return InvitationReport(contacts, 0, 0, unlinked)
    definition = definition_of(survey)
    reached: dict[int, int] = {}
    for person_id, organisation_id, language in pending:
        frame = Frame(survey, definition, names[organisation_id])
        message = invitation_message(frame, body.name if body else "", Translator(language))
        reached[person_id] = len(await app.messenger.send_to_person(person_id, message))
    async with app.db.transaction() as repos:
        for person_id, chats in reached.items():
            await repos.survey_progress.set_invitation_chats(survey_id, person_id, chats)
    return InvitationReport(contacts, len(pending), sum(reached.values()), unlinked)


async def _organisation_name(repos: Repositories, organisation_id: int) -> str:
    organisation = await repos.organisations.get(organisation_id)
    return organisation.name if organisation else str(organisation_id)


# ---- the live count ------------------------------------------------------------------------------


async def count_view(repos: Repositories, survey: Survey) -> CountView:
    assert survey.id is not None
    recipients = set(await repos.survey_progress.recipients(survey.id))
    responses = [
        r for r in await repos.surveys.list_responses(survey.id) if r.organisation_id in recipients
    ]
    run = await repos.survey_progress.get_run(survey.id)
    last = max(responses, key=lambda r: r.submitted_at, default=None)
    return CountView(
        survey=survey,
        answered=len(responses),
        total=len(recipients),
        last_organisation=await _organisation_name(repos, last.organisation_id) if last else "",
        last_at=last.submitted_at if last else None,
        closed=run is not None and run.closed_at is not None,
    )


async def post_count_message(app: App, survey_id: int, person_id: int) -> None:
    """A fresh live-count message for a secretariat member; it is edited on every answer."""
    survey = await app.db.read.surveys.get(survey_id)
    person = await app.db.read.persons.get(person_id)
    if survey is None or person is None:
        return
    view = await count_view(app.db.read, survey)
    refs = await app.messenger.send_to_person(
        person_id, count_message(view, Translator(person.language))
    )
    async with app.db.transaction() as repos:
        for ref in refs:
            await repos.survey_progress.set_count_message(
                survey_id, person_id, ref.chat.platform, ref.chat.chat_id, ref.message_id, app.now()
            )


async def refresh_counts(app: App, survey_id: int) -> None:
    """Edit every live-count message of the survey to the current numbers."""
    survey = await app.db.read.surveys.get(survey_id)
    if survey is None:
        return
    view = await count_view(app.db.read, survey)
    translations: dict[int, OutgoingMessage] = {}
    for stored in await app.db.read.survey_progress.count_messages(survey_id):
        if stored.person_id not in translations:
            person = await app.db.read.persons.get(stored.person_id)
            translations[stored.person_id] = count_message(
                view, Translator(person.language if person else "sl")
            )
        ref = MessageRef(ChatRef(stored.platform, stored.chat_id), stored.message_id)
        await app.messenger.edit(ref, translations[stored.person_id])


async def tell_secretariat(app: App, survey: Survey, compose: MessageComposer) -> None:
    """Send each secretariat member of the survey's body a message in their own language."""
    if survey.body_id is None:
        return
    for person_id in await secretariat_of(app.db.read, survey.body_id):
        person = await app.db.read.persons.get(person_id)
        if person is None:
            continue
        await app.messenger.send_to_person(person_id, compose(Translator(person.language)))
