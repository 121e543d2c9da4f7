"""Sending a survey: opening it, inviting every contact once, and the secretariat's live count.

Opening lists the organisations on the roster at that moment (the base of the count and of the
list of those that did not answer) and plans the reminders. Invitations go to each linked contact
exactly once (issue 15): the claim of a contact's invitation adds them, in the same transaction,
to the survey's invitation batch (bot/send_ledger.py); one pass sends it, each message
recorded as the platform accepts it, and a stop or a crash leaves the contacts not yet served
to the next pass (nobody is invited twice, nobody is left out). A contact who links later
receives it on the next scan. The secretariat's live-count messages are edited
after every submission.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot import send_ledger
from bot.domain.survey_definition import reminder_times
from bot.i18n import Translator
from bot.surveys.store import (
    contacts_of,
    definition_of,
    organisations_on_roster,
    reminder_offsets,
    secretariat_of,
)
from bot.surveys.wording import CountView, Frame, count_message, invitation_message
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
        await send_ledger.plan(
            repos, INVITATION_KIND, str(survey_id),
            [(person_id, {"organisation": organisation_id}) for person_id, organisation_id, _l in pending],
            app.now(), {"survey": survey_id},
        )  # fmt: skip
    # Also with nobody new: contacts a stop or a crash kept from their invitation get it now.
    outcome = await send_ledger.run_planned(app, INVITATION_KIND, str(survey_id))
    chats = sum(outcome.reached.values()) if outcome is not None else 0
    return InvitationReport(contacts, len(pending), chats, unlinked)


async def _invite(recipient: send_ledger.Recipient) -> None:
    """One contact's invitation; the number of chats it reached is kept for the count."""
    app = recipient.app
    survey_id = int(recipient.batch.detail["survey"])
    survey = await app.db.read.surveys.get(survey_id)
    person = await app.db.read.persons.get(recipient.person_id)
    if survey is None or survey.body_id is None:
        return
    body = await app.db.read.bodies.get(survey.body_id)
    organisation = await _organisation_name(app.db.read, int(recipient.detail["organisation"]))
    frame = Frame(survey, definition_of(survey), organisation)
    language = person.language if person else "sl"
    message = invitation_message(frame, body.name if body else "", Translator(language))
    await recipient.send("invitation", message)
    async with app.db.transaction() as repos:
        await repos.survey_progress.set_invitation_chats(
            survey_id, recipient.person_id, len(recipient.reached)
        )


INVITATION_KIND = "survey_invitation"
send_ledger.register(INVITATION_KIND, _invite)


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
