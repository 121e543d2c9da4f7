"""The secretariat's side of surveys: upload a questionnaire, preview it, send it; the live count
and the report in the chat.

A YAML file sent by a secretariat member is read as a questionnaire: problems come back with
their lines; a valid one is stored as a draft and shown as a preview with "Send" and "Cancel".
Sending opens it at once (this process owns the chat accounts); the command line instead stores
it as ready and the running bot sends it.
"""

from __future__ import annotations

import asyncio
from html import escape

from bot.domain.survey_definition import reminder_times
from bot.i18n import Translator
from bot.outgoing import Outgoing, ToChat
from bot.surveys.distribution import (
    count_view,
    deliver_invitations,
    open_survey,
    post_count_message,
)
from bot.surveys.report_document import (
    REPORT_FORMATS,
    ReportProblem,
    SurveyReportData,
    share_text,
    tallies,
)
from bot.surveys.reports import load_report_data, render_survey_report
from bot.surveys.schedule import announce_opened, schedule_survey
from bot.surveys.store import (
    MAX_DEFINITION_BYTES,
    check_definition,
    decode_upload,
    organisations_on_roster,
    reminder_offsets,
    respondent_seats,
    secretariat_seats,
    store_survey,
    surveys_of_body,
)
from bot.surveys.wording import (
    CANCEL,
    SEND,
    Audience,
    ParsedPayload,
    local,
    percent,
    preview_message,
)
from bot.transport.events import OutgoingFile, OutgoingMessage
from config.settings import EXAMPLE_SURVEY_PATH
from handlers.context import HandlerContext
from handlers.help import command_prefix
from handlers.routes import Routes
from storage.records import Survey, SurveyStatus
from storage.repositories.surveys.progress import SurveySource

ACTIONS = frozenset({SEND, CANCEL})
YAML_SUFFIXES = (".yaml", ".yml")
EXAMPLE_DEFINITION = EXAMPLE_SURVEY_PATH
MAX_PROBLEMS_SHOWN = 25
CHAT_REPORT_FORMATS = ("docx", "xlsx")  # what /porocilo_ankete sends without a format


def _secretariat_bodies(ctx: HandlerContext) -> list[int]:
    return [seat.body_id for seat in secretariat_seats(ctx.memberships)]


def _refuse_non_secretariat(ctx: HandlerContext) -> bool:
    if _secretariat_bodies(ctx):
        return False
    ctx.reply_text(ctx._("This command is for the association's secretariat."))
    return True


async def new_survey(ctx: HandlerContext) -> None:
    """/nova_anketa: how to send a questionnaire, with the 2020 questionnaire as a template."""
    if _refuse_non_secretariat(ctx):
        return
    _ = ctx._
    example = await asyncio.to_thread(EXAMPLE_DEFINITION.read_bytes)
    ctx.reply(
        OutgoingMessage(
            html="\n".join([
                "<b>" + _("A new survey") + "</b>",
                _("Send the questionnaire as a YAML file (ending in .yaml). Attached is the SOS "
                  "questionnaire of 2020 as a template: change the title, the deadline and the "
                  "questions, and send it back."),
                _("You will see a preview first; nothing goes out until you press Send."),
            ]),
            files=(OutgoingFile("primer-ankete.yaml", "application/yaml", example),),
        )
    )  # fmt: skip


def _is_yaml(ctx: HandlerContext) -> bool:
    file = ctx.event.file
    if file is None:
        return False
    return file.filename.lower().endswith(YAML_SUFFIXES) or "yaml" in file.media_type.lower()


async def upload(ctx: HandlerContext) -> bool:
    """A questionnaire file from a secretariat member: check it, store it, show the preview.

    Any other file from a secretariat member that no flow took is answered here too: it is
    most likely a questionnaire saved in the wrong format (a Word document, a PDF).
    """
    file = ctx.event.file
    if file is None or ctx.person is None or ctx.person.id is None:
        return False
    bodies = _secretariat_bodies(ctx)
    if not bodies:
        return False
    _ = ctx._
    if not _is_yaml(ctx):
        ctx.reply_text(_("The file {name} is not a questionnaire, so it was not stored. A "
                         "questionnaire is a YAML text file whose name ends in .yaml; send "
                         "{command} for a template.", name=escape(file.filename),
                         command=f"{command_prefix(ctx)}nova_anketa"))  # fmt: skip
        return True
    if file.size > MAX_DEFINITION_BYTES:
        ctx.reply_text(_("The file is too large for a questionnaire (at most {limit} kB).",
                         limit=MAX_DEFINITION_BYTES // 1024))  # fmt: skip
        return True
    content = await file.fetch()
    text = decode_upload(content) if len(content) <= MAX_DEFINITION_BYTES else None
    if text is None:
        ctx.reply_text(_("The file {name} is not a text file in UTF-8; save it as UTF-8 and send it again.",
                         name=escape(file.filename)))  # fmt: skip
        return True
    checked = check_definition(text, ctx.now)
    if not checked.ok:
        ctx.reply_text(problems_html(file.filename, [p.render(_) for p in checked.problems], _))
        return True
    body_id = bodies[0]
    survey = await store_survey(
        ctx.repos, checked, body_id, source=SurveySource.CHAT, created_by=ctx.person.id,
        now=ctx.now, ready=False,
    )  # fmt: skip
    assert checked.definition is not None and checked.deadline is not None
    offsets = reminder_offsets(checked.definition, ctx.app.settings.reminders.survey)
    ctx.reply(
        preview_message(
            survey,
            checked.definition,
            reminder_times(checked.deadline, offsets, ctx.now),
            await _audience(ctx, body_id),
            _,
        )
    )
    return True


def problems_html(filename: str, problems: list[str], _: Translator) -> str:
    shown = problems[:MAX_PROBLEMS_SHOWN]
    lines = [
        _.plural(
            "The questionnaire {name} has {count} problem; nothing was stored:",
            "The questionnaire {name} has {count} problems; nothing was stored:",
            len(problems),
            name=escape(filename),
        ),
        *("• " + escape(problem) for problem in shown),
    ]
    if len(problems) > len(shown):
        lines.append(_("… and {count} more.", count=len(problems) - len(shown)))
    lines.append(_("Correct the file and send it again."))
    return "\n".join(lines)


async def _audience(ctx: HandlerContext, body_id: int) -> Audience:
    seats = await respondent_seats(ctx.repos, body_id)
    linked = 0
    for seat in seats:
        if await ctx.repos.accounts.list_for_person(seat.person_id):
            linked += 1
    organisations = await organisations_on_roster(ctx.repos, body_id)
    return Audience(len(organisations), len(seats), linked)


async def on_button(ctx: HandlerContext, parsed: ParsedPayload) -> None:
    """ "Send" or "Cancel" under a preview; only a secretariat member of the survey's body."""
    _ = ctx._
    survey = await ctx.repos.surveys.get(parsed.survey_id)
    run = await ctx.repos.survey_progress.get_run(parsed.survey_id)
    if (
        survey is None
        or run is None
        or parsed.numbers
        or survey.body_id not in _secretariat_bodies(ctx)
    ):
        ctx.reply_text(_("This button is no longer valid."))
        return
    pressed = ctx.event.choice.message if ctx.event.choice else None
    if run.ready_at is not None:
        ctx.reply_text(_("This survey has already been sent."))
        return
    if parsed.action == CANCEL:
        await ctx.repos.survey_progress.delete_unsent(parsed.survey_id)
        if pressed is not None:
            ctx.edit(pressed, OutgoingMessage(html=_("Cancelled; nothing was sent.")))
        else:
            ctx.reply_text(_("Cancelled; nothing was sent."))
        return
    if survey.deadline is None or survey.deadline <= ctx.now:
        ctx.reply_text(
            _(
                "The deadline of this survey has passed; correct it in the file and send the file again."
            )
        )
        return
    opened = await open_survey(
        ctx.repos, parsed.survey_id, ctx.now, ctx.app.settings.reminders.survey
    )
    if opened is None:
        ctx.reply_text(_("This survey has already been sent."))
        return
    if pressed is not None:
        ctx.edit(
            pressed,
            OutgoingMessage(html=_("“{title}” was sent on {time}.", title=escape(survey.title),
                                   time=local(ctx.now, _))),
        )  # fmt: skip
    app, survey_id, organisations = ctx.app, parsed.survey_id, opened.organisations

    async def distribute() -> None:
        report = await deliver_invitations(app, survey_id)
        stored = await app.db.read.surveys.get(survey_id)
        if stored is not None:
            await announce_opened(app, stored, organisations, report)
        schedule_survey(app, survey_id)

    ctx.after_commit.append(distribute)


async def survey_status(ctx: HandlerContext) -> None:
    """/stanje_ankete: a live count of every open survey (edited as answers come in)."""
    if _refuse_non_secretariat(ctx):
        return
    _ = ctx._
    assert ctx.person is not None and ctx.person.id is not None
    surveys = await _surveys_of(ctx)
    open_ones = [s for s in surveys if s.status is SurveyStatus.OPEN]
    if not open_ones:
        if not surveys:
            ctx.reply_text(_("No survey has been sent yet. Send {command} to prepare one.",
                             command="/nova_anketa"))  # fmt: skip
            return
        lines = [_("No survey is open. The latest:")]
        for survey in surveys[:5]:
            view = await count_view(ctx.repos, survey)
            lines.append(
                _("#{id} “{title}”: {count} of {total} answered ({percent}).", id=survey.id,
                  title=escape(survey.title), count=view.answered, total=view.total,
                  percent=percent(view.answered, view.total))
            )  # fmt: skip
        ctx.reply_text("\n".join(lines))
        return
    app, person_id = ctx.app, ctx.person.id
    for survey in open_ones:
        survey_id = survey.id
        assert survey_id is not None

        async def post(survey_id: int = survey_id) -> None:
            await post_count_message(app, survey_id, person_id)

        ctx.after_commit.append(post)


async def _surveys_of(ctx: HandlerContext) -> list[Survey]:
    """Surveys of the member's bodies that were sent, newest first."""
    found = []
    for body_id in _secretariat_bodies(ctx):
        for survey in await surveys_of_body(ctx.repos, body_id):
            run = await ctx.repos.survey_progress.get_run(survey.id) if survey.id else None
            if run is not None and run.opened_at is not None:
                found.append(survey)
    return sorted(found, key=lambda s: (s.created_at, s.id), reverse=True)


async def survey_report(ctx: HandlerContext) -> None:
    """/porocilo_ankete [number] [format]: the report of a survey (the latest by default)."""
    if _refuse_non_secretariat(ctx):
        return
    _ = ctx._
    # A number of more than nine digits names no survey (and int() refuses thousands of them).
    number = next(
        (int(digits) if len(digits) <= 9 else 0
         for digits in (arg.lstrip("#") for arg in ctx.event.args) if digits.isdecimal()),
        None,
    )  # fmt: skip
    fmt = next((arg.lower() for arg in ctx.event.args if arg.lower() in REPORT_FORMATS), None)
    surveys = await _surveys_of(ctx)
    chosen = next((s for s in surveys if number is None or s.id == number), None)
    if chosen is None or chosen.id is None:
        ctx.reply_text(_("There is no such survey. Send {command} to see the surveys.",
                         command="/stanje_ankete"))  # fmt: skip
        return
    app, chat, survey_id = ctx.app, ctx.event.chat, chosen.id
    formats = (fmt,) if fmt else CHAT_REPORT_FORMATS

    async def send() -> None:
        data = await load_report_data(app.db.read, survey_id, app.now())
        if data is None:
            return
        files = []
        for each in formats:
            try:
                rendered = await render_survey_report(data, survey_id, each, _)
            except ReportProblem as problem:
                await app.messenger.deliver(
                    [Outgoing(ToChat(chat), OutgoingMessage(html=escape(problem.translate(_))))]
                )
                return
            files.append(OutgoingFile(rendered.filename, rendered.media_type, rendered.content))
        message = OutgoingMessage(html=chat_summary(data, _), files=tuple(files))
        await app.messenger.deliver([Outgoing(ToChat(chat), message)])

    ctx.after_commit.append(send)


def chat_summary(data: SurveyReportData, _: Translator) -> str:
    """The figures in a few lines: the count and each choice question's tally."""
    answered, total = len(data.responses), len(data.recipients)
    lines = [
        f"<b>{escape(data.title)}</b>",
        _("{count} of {total} organisations answered ({percent}).", count=answered, total=total,
          percent=percent(answered, total)),
    ]  # fmt: skip
    for tally in tallies(data.definition, data.responses):
        lines.append("")
        lines.append(f"<b>{escape(tally.question.label)}</b>")
        for option in tally.options:
            lines.append(
                f"• {escape(option.label)}: {option.count} ({share_text(option.share, _.language)})"
            )
    missing = data.not_answered
    if missing:
        lines += ["", _("Did not answer: {names}", names=escape(", ".join(missing)))]
    return "\n".join(lines)


def register(routes: Routes) -> None:
    routes.command(("nova_anketa",), new_survey, staff=True)
    routes.command(("stanje_ankete",), survey_status, staff=True)
    routes.command(("porocilo_ankete",), survey_report, staff=True)
    routes.conversation(upload)
