"""Surveys in the chat: a respondent answers one question at a time; its routes.

Respondents: /ankete lists the open surveys of their organisation with a button to start,
continue or change; buttons answer choice questions, messages answer text, number and date
questions; a summary is confirmed before submitting. Every button payload is re-checked: the
person must be a contact of an organisation the survey went to, and the question pressed must be
the one on screen. The secretariat's side is in handlers/surveys/secretariat.py.
"""

from __future__ import annotations

from html import escape

from bot.domain.models import Role
from bot.surveys.answering import Respondent, Step, SubmittedScreen, SurveyAnswering
from bot.surveys.distribution import refresh_counts
from bot.surveys.store import action_time, contacts_of, definition_of, organisation_for
from bot.surveys.wording import (
    CHANGE,
    CHOOSE,
    EDIT,
    NEXT,
    OPEN,
    PREFIX,
    SKIP,
    SUBMIT,
    TOGGLE,
    Frame,
    ParsedPayload,
    answered_message,
    closed_message,
    deadline,
    local,
    parse_payload,
    payload,
    render_screen,
)
from bot.transport.events import Choice, OutgoingMessage
from bot.transport.security_log import RefusalKind
from handlers.context import HandlerContext
from handlers.help import command_prefix
from handlers.routes import Routes
from handlers.surveys import secretariat as surveys_secretariat
from storage.records import SurveyStatus

RESPONDENT_COMMANDS = ("ankete", "anketa", "surveys")


async def list_surveys(ctx: HandlerContext) -> None:
    """/ankete: the open surveys of the person's organisations, each with its state and a button."""
    _ = ctx._
    assert ctx.person is not None and ctx.person.id is not None
    shown = 0
    for seat in ctx.memberships:
        if seat.role is not Role.RESPONDENT or seat.organisation_id is None:
            continue
        organisation = await ctx.repos.organisations.get(seat.organisation_id)
        for survey_id in await ctx.repos.survey_progress.open_surveys_for(seat.organisation_id):
            survey = await ctx.repos.surveys.get(survey_id)
            if survey is None or survey.body_id != seat.body_id:
                continue
            response = await ctx.repos.surveys.get_response(survey_id, seat.organisation_id)
            draft = await ctx.repos.survey_progress.get_draft(survey_id, seat.organisation_id)
            if draft is not None:
                state, label = _("Started, not yet submitted."), _("Continue")
            elif response is not None:
                state = _("Answered on {time}.", time=local(response.submitted_at, _))
                label = _("View or change")
            else:
                state, label = _("Not answered yet."), _("Start answering")
            name = organisation.name if organisation else ""
            ctx.reply(
                OutgoingMessage(
                    html="\n".join([
                        f"<b>{escape(survey.title)}</b> · {escape(name)}",
                        _("Deadline: {deadline}.", deadline=deadline(survey.deadline, _)),
                        state,
                    ]),
                    choices=((Choice(label, payload(OPEN, survey_id)),),),
                    poll_question=survey.title,
                )
            )  # fmt: skip
            shown += 1
    if not shown:
        ctx.reply_text(_("No survey is open for your organisation at the moment."))


async def on_survey_button(ctx: HandlerContext, rest: str) -> None:
    parsed = parse_payload(rest)
    if parsed is None:
        ctx.reply_text(ctx._("This button is no longer valid."))
        return
    if parsed.action in surveys_secretariat.ACTIONS:
        await surveys_secretariat.on_button(ctx, parsed)
        return
    await _respondent_button(ctx, parsed)


async def _respondent_button(ctx: HandlerContext, parsed: ParsedPayload) -> None:
    who = await respondent_for(ctx, parsed.survey_id)
    if who is None:
        return
    flow = SurveyAnswering(ctx.repos, who)
    numbers = parsed.numbers
    action = parsed.action
    if action == OPEN and not numbers:
        step = await flow.open()
    elif action == EDIT and not numbers:
        step = await flow.edit_submitted()
    elif action == CHOOSE and len(numbers) == 2:
        step = await flow.choose(*numbers)
    elif action == TOGGLE and len(numbers) == 2:
        step = await flow.toggle(*numbers)
    elif action == NEXT and len(numbers) == 1:
        step = await flow.proceed(numbers[0])
    elif action == SKIP and len(numbers) == 1:
        step = await flow.skip(numbers[0])
    elif action == CHANGE and len(numbers) == 1:
        step = await flow.change(numbers[0])
    elif action == SUBMIT and not numbers:
        step = await flow.submit()
    else:
        ctx.reply_text(ctx._("This button is no longer valid."))
        return
    if action == CHANGE and not step.stale and not step.closed:
        _mark_pressed(ctx, ctx._("✏️ Changing an answer."))
    await show_step(ctx, who, step)


async def respondent_for(ctx: HandlerContext, survey_id: int) -> Respondent | None:
    """Who acts on this survey, or None after telling them why they may not."""
    _ = ctx._
    assert ctx.person is not None and ctx.person.id is not None
    survey = await ctx.repos.surveys.get(survey_id)
    if survey is None or survey.status is SurveyStatus.DRAFT:
        ctx.reply_text(_("This button is no longer valid."))
        return None
    organisation_id = await organisation_for(ctx.repos, ctx.person.id, survey.body_id)
    if organisation_id is None or not await ctx.repos.survey_progress.is_recipient(
        survey_id, organisation_id
    ):
        ctx.refuse(
            RefusalKind.NOT_ENTITLED,
            _("This survey was not sent to an organisation you answer for."),
            detail=f"survey={survey_id}",
        )
        return None
    organisation = await ctx.repos.organisations.get(organisation_id)
    assert organisation is not None
    return Respondent(
        survey=survey,
        definition=definition_of(survey),
        organisation=organisation,
        person_id=ctx.person.id,
        acted_at=action_time(ctx.event, ctx.now),
        now=ctx.now,
    )


def _mark_pressed(ctx: HandlerContext, html: str) -> None:
    """Spend the pressed message's buttons (on Matrix this ends its poll)."""
    pressed = ctx.event.choice.message if ctx.event.choice else None
    if pressed is not None:
        ctx.edit(pressed, OutgoingMessage(html=html))


async def show_step(ctx: HandlerContext, who: Respondent, step: Step) -> None:
    _ = ctx._
    if step.closed:
        ctx.reply(closed_message(who.survey, _))
        ctx.note_refusal(RefusalKind.DEADLINE_PASSED, detail=f"survey={who.survey.id}")
        return
    frame = Frame(who.survey, who.definition, who.organisation.name)
    pressed = ctx.event.choice.message if ctx.event.choice else None
    if step.stale:
        ctx.reply_text(_("This button is no longer valid. Here is where the answer stands:"))
    if step.answered is not None and pressed is not None:
        ctx.edit(pressed, answered_message(*step.answered, _))
    if step.notice is not None:
        ctx.reply_text(escape(_(step.notice.message, **step.notice.params)))
    if step.screen is None:
        return
    message = render_screen(step.screen, frame, _)
    if step.replace_pressed and pressed is not None:
        ctx.edit(pressed, message)
    else:
        ctx.reply(message)
    if step.submitted and isinstance(step.screen, SubmittedScreen):
        _mark_pressed(ctx, _("✅ Submitted."))
        await _tell_other_contacts(ctx, who)
        survey_id = who.survey_id
        app = ctx.app

        async def refresh() -> None:
            await refresh_counts(app, survey_id)

        ctx.after_commit.append(refresh)


async def _tell_other_contacts(ctx: HandlerContext, who: Respondent) -> None:
    assert ctx.person is not None and who.survey.body_id is not None
    for person_id in await contacts_of(ctx.repos, who.survey.body_id, who.organisation_id):
        if person_id == who.person_id:
            continue
        person = await ctx.repos.persons.get(person_id)
        if person is None:
            continue
        _ = ctx.translator_for(person)
        ctx.send_to_person(
            person_id,
            OutgoingMessage(
                html=_("{name} submitted the answer of {organisation} to “{title}”. Send {command} "
                       "to see or change it.", name=escape(ctx.person.full_name),
                       organisation=escape(who.organisation.name), title=escape(who.survey.title),
                       command="/ankete")
            ),
        )  # fmt: skip


async def typed_answer(ctx: HandlerContext) -> bool:
    """A message answering the text, number or date question on screen (or an "other" text)."""
    event = ctx.event
    if ctx.person is None or ctx.person.id is None or event.file is not None or not event.text:
        return False
    if not event.chat.is_direct:
        return False
    drafts = await ctx.repos.survey_progress.drafts_of_person(ctx.person.id)
    if not drafts:
        return False
    draft = drafts[0]  # the survey this person touched last
    survey = await ctx.repos.surveys.get(draft.survey_id)
    if survey is None:
        return False
    question = definition_of(survey).question(draft.current_question or "")
    if question is None or not (draft.awaiting_other or question.kind.is_typed):
        return False
    who = await respondent_for(ctx, draft.survey_id)
    if who is None:
        return True
    if who.organisation_id != draft.organisation_id:  # their seat moved to another organisation
        return False
    step = await SurveyAnswering(ctx.repos, who).typed(draft, event.text)
    await show_step(ctx, who, step)
    return True


async def help_lines(ctx: HandlerContext) -> list[str]:
    """/pomoc lines for respondents and the secretariat."""
    _ = ctx._
    p = command_prefix(ctx)
    lines = []
    if Role.RESPONDENT in ctx.roles:
        lines.append(_("• {prefix}ankete — surveys of your organisation: answer, continue or change "
                       "the answer.", prefix=p))  # fmt: skip
    if Role.SECRETARIAT in ctx.roles:
        lines += [
            _("• {prefix}nova_anketa — send a new survey: upload the questionnaire as a YAML file.",
              prefix=p),
            _("• {prefix}stanje_ankete — the live count of answers.", prefix=p),
            _("• {prefix}porocilo_ankete [number] [format] — the report of a survey (docx, pdf, "
              "xlsx, csv, md, html).", prefix=p),
        ]  # fmt: skip
    return lines


def register(routes: Routes) -> None:
    routes.help_lines(help_lines)
    routes.command(RESPONDENT_COMMANDS, list_surveys)
    routes.payload(PREFIX, on_survey_button)
    routes.conversation(typed_answer)
