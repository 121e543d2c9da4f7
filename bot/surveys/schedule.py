"""Surveys over time: sending those made ready, reminders, closing at the deadline.

The database is the source of truth. ``run_due`` does whatever has come due by the runtime's
clock: it opens surveys stored as ready to send (``sejabot survey create`` from another process
never talks to the bot's chat accounts itself), invites contacts linked since, sends the one
reminder due (one missed during downtime is passed over when a later one is due too), closes
surveys whose deadline passed, also long after it passed while the bot was down, and sends the
secretariat the final count and the report, once. Scheduler jobs only wake it: one per deadline
and reminder, and a scan at a fixed interval of real time for surveys made ready elsewhere.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import TYPE_CHECKING

from bot import send_ledger
from bot.i18n import Translator
from bot.surveys.distribution import (
    INVITATION_KIND,
    InvitationReport,
    deliver_invitations,
    open_survey,
    post_count_message,
    refresh_counts,
    tell_secretariat,
)
from bot.surveys.reports import load_report_data, render_survey_report
from bot.surveys.store import contacts_of, definition_of, secretariat_of
from bot.surveys.wording import Frame, deadline, percent, reminder_message
from bot.timeutil import utc_now
from bot.transport.events import OutgoingFile, OutgoingMessage
from storage.records import Survey, SurveyStatus

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

SCAN_JOB = "survey:scan"
JOB_PREFIX = "survey:"
CLOSING_FORMATS = ("docx", "xlsx")  # sent to the secretariat at the close


async def open_and_announce(app: App, survey_id: int) -> bool:
    """Open a survey made ready, invite its contacts, tell the secretariat; False if not opened."""
    async with app.db.transaction() as repos:
        opened = await open_survey(repos, survey_id, app.now(), app.settings.reminders.survey)
    if opened is None:
        return False
    survey = await app.db.read.surveys.get(survey_id)
    assert survey is not None
    if opened.expired:
        log.warning(
            "survey %s was made ready after its deadline; closed without sending", survey_id
        )
        await report_closing(app, survey_id)
        return True
    report = await deliver_invitations(app, survey_id)
    await announce_opened(app, survey, opened.organisations, report)
    schedule_survey(app, survey_id)
    return True


async def announce_opened(
    app: App, survey: Survey, organisations: int, report: InvitationReport
) -> None:
    assert survey.id is not None

    def compose(_: Translator) -> OutgoingMessage:
        lines = [
            _("The survey “{title}” was sent to {count} organisations.", title=escape(survey.title),
              count=organisations),
            _("{sent} contacts received the invitation in {chats} chats.", sent=report.sent,
              chats=report.chats),
        ]  # fmt: skip
        if report.unlinked:
            lines.append(
                _("{count} contacts have not linked an account yet; they receive the invitation "
                  "once they do.", count=report.unlinked)
            )  # fmt: skip
        lines.append(_("The count below is kept up to date with every answer."))
        return OutgoingMessage(html="\n".join(lines))

    await tell_secretariat(app, survey, compose)
    if survey.body_id is not None:
        for person_id in await secretariat_of(app.db.read, survey.body_id):
            await post_count_message(app, survey.id, person_id)


# ---- what has come due ------------------------------------------------------------------------


async def run_due(app: App) -> None:
    """Do everything that has come due by the runtime's clock; safe to call at any time."""
    # What a stop or a crash interrupted goes on first (bot/send_ledger.py).
    await send_ledger.resume(app, (INVITATION_KIND, REMINDER_KIND))
    for survey_id in await app.db.read.survey_progress.ready_to_open():
        await open_and_announce(app, survey_id)
    for run in await app.db.read.survey_progress.open_runs():
        survey = await app.db.read.surveys.get(run.survey_id)
        if survey is None or survey.deadline is None:
            continue
        if survey.deadline <= app.now():
            await close_survey(app, run.survey_id)
            continue
        await deliver_invitations(app, run.survey_id)
        await send_due_reminder(app, survey)
    for run in await app.db.read.survey_progress.closed_unreported():
        await report_closing(app, run.survey_id)


@dataclass(frozen=True, slots=True)
class ReminderTarget:
    organisation_id: int
    organisation: str
    started: bool
    contacts: tuple[int, ...]


async def send_due_reminder(app: App, survey: Survey) -> int:
    """Send the reminder that is due, at most once; returns how many organisations it went to."""
    assert survey.id is not None and survey.body_id is not None
    now = app.now()
    targets: list[ReminderTarget] = []
    async with app.db.transaction() as repos:
        due = [
            r
            for r in await repos.survey_progress.reminders(survey.id)
            if r.done_at is None and r.due_at <= now
        ]
        if not due:
            return 0
        for passed in due[:-1]:  # missed while the bot was down: the latest due one stands for all
            await repos.survey_progress.claim_reminder(survey.id, passed.due_at, now, sent=False)
        latest = due[-1]
        if not await repos.survey_progress.claim_reminder(survey.id, latest.due_at, now, sent=True):
            return 0
        answered = set(await repos.surveys.organisations_answered(survey.id))
        started = set(await repos.survey_progress.organisations_with_draft(survey.id))
        for organisation_id in await repos.survey_progress.recipients(survey.id):
            if organisation_id in answered:
                continue
            organisation = await repos.organisations.get(organisation_id)
            targets.append(
                ReminderTarget(
                    organisation_id,
                    organisation.name if organisation else str(organisation_id),
                    organisation_id in started,
                    tuple(await contacts_of(repos, survey.body_id, organisation_id)),
                )
            )
        await repos.survey_progress.set_reminded_count(survey.id, latest.due_at, len(targets))
        # Who is reminded is decided here, with the claim; the batch sends it exactly once.
        recipients: dict[int, dict[str, object]] = {}
        for target in targets:
            for person_id in target.contacts:
                recipients.setdefault(person_id, {"organisation": target.organisation,
                                                  "started": target.started})  # fmt: skip
        scope = f"{survey.id}:{latest.due_at.isoformat()}"
        await send_ledger.plan(repos, REMINDER_KIND, scope, recipients.items(), now,
                               {"survey": survey.id, "at": now.isoformat()})  # fmt: skip
    await send_ledger.run_planned(app, REMINDER_KIND, scope)
    log.info("survey %s: reminder sent to %d organisations", survey.id, len(targets))
    return len(targets)


async def _remind_contact(recipient: send_ledger.Recipient) -> None:
    app = recipient.app
    survey = await app.db.read.surveys.get(int(recipient.batch.detail["survey"]))
    if survey is None:
        return
    if survey.deadline is not None and survey.deadline <= app.now():
        recipient.skipped = True  # closed meanwhile: a reminder would only confuse
        return
    person = await app.db.read.persons.get(recipient.person_id)
    language = person.language if person else "sl"
    frame = Frame(survey, definition_of(survey), str(recipient.detail["organisation"]))
    at = datetime.fromisoformat(str(recipient.batch.detail["at"]))
    message = reminder_message(frame, bool(recipient.detail["started"]), at, Translator(language))
    await recipient.send("reminder", message)


REMINDER_KIND = "survey_reminder"
send_ledger.register(REMINDER_KIND, _remind_contact)


async def close_survey(app: App, survey_id: int) -> bool:
    """Close at the deadline (also long after it, after downtime); once."""
    async with app.db.transaction() as repos:
        if not await repos.survey_progress.mark_closed(survey_id, app.now()):
            return False
        await repos.surveys.set_status(survey_id, SurveyStatus.CLOSED)
        for reminder in await repos.survey_progress.reminders(survey_id):
            if reminder.done_at is None:  # missed while the bot was down: too late now
                await repos.survey_progress.claim_reminder(
                    survey_id, reminder.due_at, app.now(), sent=False
                )
    app.scheduler.cancel_prefix(f"{JOB_PREFIX}{survey_id}:")
    await report_closing(app, survey_id)
    return True


async def report_closing(app: App, survey_id: int) -> None:
    """The final count and the report to the secretariat, once."""
    async with app.db.transaction() as repos:
        if not await repos.survey_progress.mark_closing_reported(survey_id, app.now()):
            return
    await refresh_counts(app, survey_id)
    survey = await app.db.read.surveys.get(survey_id)
    data = await load_report_data(app.db.read, survey_id, app.now())
    if survey is None or data is None or survey.body_id is None:
        return
    answered, total = len(data.responses), len(data.recipients)
    for person_id in await secretariat_of(app.db.read, survey.body_id):
        person = await app.db.read.persons.get(person_id)
        _ = Translator(person.language if person else "sl")
        files = []
        for fmt in CLOSING_FORMATS:
            try:
                rendered = await render_survey_report(data, survey_id, fmt, _)
            except Exception:  # the notice matters more than one attachment
                log.exception("survey %s: the %s report failed", survey_id, fmt)
                continue
            files.append(OutgoingFile(rendered.filename, rendered.media_type, rendered.content))
        text = "\n".join(
            [
                _("The survey “{title}” closed at the deadline {deadline}.",
                  title=escape(survey.title), deadline=deadline(survey.deadline, _)),
                _("{count} of {total} organisations answered ({percent}).", count=answered,
                  total=total, percent=percent(answered, total)),
                _("The report is attached; send {command} for other formats.",
                  command=f"/porocilo_ankete {survey_id}"),
            ]
        )  # fmt: skip
        await app.messenger.send_to_person(
            person_id, OutgoingMessage(html=text, files=tuple(files))
        )


# ---- waking up ----------------------------------------------------------------------------------


def schedule_survey(app: App, survey_id: int) -> None:
    """Jobs at the survey's deadline and reminders; each only wakes ``run_due``."""

    async def wake() -> None:
        await run_due(app)

    async def plan() -> None:
        survey = await app.db.read.surveys.get(survey_id)
        if survey is None or survey.deadline is None or survey.status is not SurveyStatus.OPEN:
            return
        app.scheduler.at(survey.deadline, f"{JOB_PREFIX}{survey_id}:close", wake)
        for reminder in await app.db.read.survey_progress.reminders(survey_id):
            if reminder.done_at is None:
                app.scheduler.at(
                    reminder.due_at,
                    f"{JOB_PREFIX}{survey_id}:remind:{reminder.due_at.isoformat()}",
                    wake,
                )

    app.scheduler.at(utc_now(), f"{JOB_PREFIX}{survey_id}:plan", plan)


class SurveyTimers:
    """The surveys feature's start hook (handlers/surveys/feature.py): catches up, then keeps
    scanning."""

    def __init__(self, scan_interval: timedelta = timedelta(seconds=60)) -> None:
        self.scan_interval = scan_interval

    async def on_start(self, app: App) -> None:
        await run_due(app)
        for run in await app.db.read.survey_progress.open_runs():
            schedule_survey(app, run.survey_id)
        self._schedule_scan(app)

    def _schedule_scan(self, app: App) -> None:
        async def scan() -> None:
            try:
                await run_due(app)
            finally:
                self._schedule_scan(app)

        # Real time, not the runtime's clock: this is how often to look, not a deadline.
        app.scheduler.at(utc_now() + self.scan_interval, SCAN_JOB, scan)
