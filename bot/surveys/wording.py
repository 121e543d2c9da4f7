"""What respondents and the secretariat read about surveys, in their own language.

Screens of the answering flow, the invitation, reminders, the live count, the preview of an
uploaded questionnaire, and the button payloads. Payloads are ``sv:<action>:<survey>[:<question>
[:<option>]]`` (at most 64 bytes); handlers never trust them: they re-check who presses and what
is on screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from babel.dates import format_date

from bot.domain.survey_definition import (
    AllOf,
    Answer,
    AnyOf,
    Compare,
    Condition,
    ConditionOp,
    Question,
    QuestionKind,
    SurveyDefinition,
    answer_texts,
    format_number,
)
from bot.i18n import N_, Translator
from bot.surveys.answering import (
    OtherTextScreen,
    QuestionScreen,
    Screen,
    StatusScreen,
    SubmittedScreen,
    SummaryItem,
    SummaryScreen,
)
from bot.timeutil import LJUBLJANA, format_duration, format_local
from bot.transport.events import Choice, OutgoingMessage
from storage.records import Survey

PREFIX = "sv"
# Respondent actions
OPEN, CHOOSE, TOGGLE, NEXT, SKIP, CHANGE, SUBMIT, EDIT = "o", "a", "t", "n", "k", "c", "s", "e"
# Secretariat actions
SEND, CANCEL = "p", "x"

MAX_CHANGE_BUTTONS = 18  # with "submit", a Matrix poll offers at most 20 answers
CHANGE_BUTTONS_PER_ROW = 4

KIND_LABELS = {
    QuestionKind.SINGLE_CHOICE: N_("one answer"),
    QuestionKind.MULTIPLE_CHOICE: N_("several answers"),
    QuestionKind.TEXT: N_("text"),
    QuestionKind.NUMBER: N_("number"),
    QuestionKind.DATE: N_("date"),
    QuestionKind.YES_NO: N_("yes or no"),
}


def payload(action: str, survey_id: int, *numbers: int) -> str:
    text = ":".join((PREFIX, action, str(survey_id), *(str(n) for n in numbers)))
    assert len(text.encode()) <= 64
    return text


@dataclass(frozen=True, slots=True)
class ParsedPayload:
    action: str
    survey_id: int
    numbers: tuple[int, ...]


def parse_payload(rest: str) -> ParsedPayload | None:
    """The part after "sv:"; None for anything malformed (a forged or garbled payload)."""
    parts = rest.split(":")
    if (
        len(parts) < 2
        or len(parts) > 4
        or not all(p.isdecimal() and len(p) <= 9 for p in parts[1:])
    ):
        return None
    return ParsedPayload(parts[0], int(parts[1]), tuple(int(p) for p in parts[2:]))


def local(moment: datetime, _: Translator) -> str:
    return format_local(moment, _.language)


def deadline_text(moment: datetime | None, language: str) -> str:
    """A deadline as people write it: one at local midnight is the end of the day before
    ("11. 11. 2020 ob 24.00", the 2020 survey's "do srede, 11. 11."), not the next day at 0.00."""
    if moment is None:
        return "-"
    wall = moment.astimezone(LJUBLJANA)
    if (wall.hour, wall.minute, wall.second) != (0, 0, 0):
        return format_local(moment, language)
    day = wall.date() - timedelta(days=1)
    if language == "sl":
        return f"{day.day}. {day.month}. {day.year} ob 24.00"
    return format_date(day, "d MMM y", locale="en") + " 24:00"


def deadline(moment: datetime | None, _: Translator) -> str:
    return deadline_text(moment, _.language)


def percent(count: int, total: int) -> str:
    if total == 0:
        return "0 %"
    value = round(100 * count / total)
    return f"{value} %"


# ---- the respondent's screens ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Frame:
    """What every screen of one survey names: the survey, the organisation, the deadline."""

    survey: Survey
    definition: SurveyDefinition
    organisation: str

    @property
    def survey_id(self) -> int:
        assert self.survey.id is not None
        return self.survey.id


def render_screen(screen: Screen, frame: Frame, _: Translator) -> OutgoingMessage:
    if isinstance(screen, QuestionScreen):
        return question_message(screen, frame, _)
    if isinstance(screen, OtherTextScreen):
        return other_text_message(screen, frame, _)
    if isinstance(screen, SummaryScreen):
        return summary_message(screen, frame, _)
    if isinstance(screen, SubmittedScreen):
        return submitted_message(screen, frame, _)
    return status_message(screen, frame, _)


def _header(frame: Frame) -> str:
    return f"<b>{escape(frame.definition.title)}</b> · {escape(frame.organisation)}"


def introduction_html(frame: Frame, _: Translator) -> str:
    lines = [f"<b>{escape(frame.definition.title)}</b>"]
    if frame.definition.introduction:
        lines.append(escape(frame.definition.introduction))
    when = deadline(frame.survey.deadline, _)
    lines.append(
        _("You answer on behalf of {organisation}. Deadline for answers: {deadline}.",
          organisation=f"<b>{escape(frame.organisation)}</b>", deadline=f"<b>{when}</b>")
    )  # fmt: skip
    return "\n\n".join(lines)


def question_message(screen: QuestionScreen, frame: Frame, _: Translator) -> OutgoingMessage:
    question = screen.question
    parts: list[str] = []
    if screen.first:
        parts.append(introduction_html(frame, _))
        parts.append("")
    else:
        parts.append(_header(frame))
    parts.append(_("Question {number} of {total}", number=screen.number, total=screen.total))
    parts.append(f"<b>{escape(question.text)}</b>")
    if question.help:
        parts.append(f"<i>{escape(question.help)}</i>")
    parts.append(_kind_hint(question, _))
    if (
        screen.answer is not None
        and not screen.answer.skipped
        and question.kind is not QuestionKind.MULTIPLE_CHOICE
    ):
        parts.append(
            _(
                "Current answer: {answer}",
                answer=escape("; ".join(answer_texts(question, screen.answer))),
            )
        )
    rows = _question_buttons(screen, frame.survey_id, _)
    return OutgoingMessage(
        html="\n".join(parts), choices=rows, poll_question=question.text if rows else ""
    )


def _kind_hint(question: Question, _: Translator) -> str:
    optional = not question.required
    kind = question.kind
    if kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.YES_NO):
        return _("Choose one answer with a button.")
    if kind is QuestionKind.MULTIPLE_CHOICE:
        hint = _("Choose all that apply, then press Next.")
        if question.max_choices:
            hint += " " + _("At most {count}.", count=question.max_choices)
        return hint
    if kind is QuestionKind.TEXT:
        hint = _("Write your answer as a message.")
    elif kind is QuestionKind.NUMBER:
        hint = _("Write a number as a message.")
        if question.minimum is not None and question.maximum is not None:
            hint += " " + _("From {minimum} to {maximum}.", minimum=format_number(question.minimum),
                            maximum=format_number(question.maximum))  # fmt: skip
    else:
        hint = _("Write a date as a message, for example {example}.", example="12. 11. 2020")
    if optional:
        # A number question gets no skip button: on Matrix a typed "1" would press it.
        hint += " " + (
            _("To leave it out, send a dash (-).")
            if kind is QuestionKind.NUMBER
            else _("To leave it out, press Skip or send a dash (-).")
        )
    return hint


def _question_buttons(
    screen: QuestionScreen, survey_id: int, _: Translator
) -> tuple[tuple[Choice, ...], ...]:
    question = screen.question
    rows: list[tuple[Choice, ...]] = []
    if question.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.YES_NO):
        rows = [
            (Choice(option.label, payload(CHOOSE, survey_id, screen.index, number)),)
            for number, option in enumerate(question.options)
        ]
    elif question.kind is QuestionKind.MULTIPLE_CHOICE:
        chosen = set(screen.answer.values) if screen.answer else set()
        rows = [
            (Choice(("☑ " if option.key in chosen else "☐ ") + option.label,
                    payload(TOGGLE, survey_id, screen.index, number)),)
            for number, option in enumerate(question.options)
        ]  # fmt: skip
        rows.append((Choice(_("Next ▶"), payload(NEXT, survey_id, screen.index)),))
    # A multiple-choice question is skipped with "Next" and nothing chosen; a number question
    # gets no skip button (on Matrix a typed "1" would press it).
    skippable = question.kind not in (QuestionKind.NUMBER, QuestionKind.MULTIPLE_CHOICE)
    if not question.required and skippable:
        rows.append((Choice(_("Skip"), payload(SKIP, survey_id, screen.index)),))
    return tuple(rows)


def answered_message(question: Question, answer: Answer, _: Translator) -> OutgoingMessage:
    """The pressed question's message once answered: the question and the answer, no buttons."""
    chosen = "; ".join(answer_texts(question, answer)) or _("left out")
    return OutgoingMessage(html=f"{escape(question.text)}\n✓ <b>{escape(chosen)}</b>")


def other_text_message(screen: OtherTextScreen, frame: Frame, _: Translator) -> OutgoingMessage:
    option = screen.question.other_option
    label = option.label if option else ""
    return OutgoingMessage(
        html=_header(frame) + "\n" + _("You chose “{option}”. Please write in a message what you mean.",
                                       option=escape(label))
    )  # fmt: skip


def summary_lines(items: Sequence[SummaryItem], _: Translator) -> list[str]:
    lines = []
    for item in items:
        texts = answer_texts(item.question, item.answer) if item.answer is not None else []
        shown = escape("; ".join(texts)) if texts else "<i>" + _("no answer") + "</i>"
        lines.append(f"{item.number}. {escape(item.question.text)}\n    → {shown}")
    return lines


def summary_message(screen: SummaryScreen, frame: Frame, _: Translator) -> OutgoingMessage:
    lines = [
        _header(frame),
        "<b>" + _("Your answers") + "</b>",
        *summary_lines(screen.items, _),
        "",
    ]
    lines.append(
        _("Check the answers. If all is right, press Submit. To change an answer, press the "
          "pencil with its number.")
    )  # fmt: skip
    rows: list[tuple[Choice, ...]] = [
        (Choice(_("✅ Submit the answers"), payload(SUBMIT, frame.survey_id)),)
    ]
    changes = [
        Choice(f"✏️ {item.number}", payload(CHANGE, frame.survey_id, item.index))
        for item in screen.items[:MAX_CHANGE_BUTTONS]
    ]
    for start in range(0, len(changes), CHANGE_BUTTONS_PER_ROW):
        rows.append(tuple(changes[start : start + CHANGE_BUTTONS_PER_ROW]))
    return OutgoingMessage(
        html="\n".join(lines), choices=tuple(rows), poll_question=_("Submit the answers?")
    )


def submitted_message(screen: SubmittedScreen, frame: Frame, _: Translator) -> OutgoingMessage:
    response = screen.response
    lines = [
        _("Thank you. The answer of {organisation} was recorded on {time}.",
          organisation=f"<b>{escape(frame.organisation)}</b>", time=local(response.submitted_at, _)),
    ]  # fmt: skip
    if screen.newer_stands:
        lines = [_("Your answer arrived, but a later answer of {organisation} stands.",
                   organisation=f"<b>{escape(frame.organisation)}</b>")]  # fmt: skip
    elif screen.replaced_earlier:
        lines.append(_("It replaces the answer given earlier."))
    if frame.survey.deadline:
        lines.append(
            _("You may change it until {deadline}: send {command}.",
              deadline=deadline(frame.survey.deadline, _), command="/ankete")
        )  # fmt: skip
    return OutgoingMessage(html="\n".join(lines))


def status_message(screen: StatusScreen, frame: Frame, _: Translator) -> OutgoingMessage:
    response = screen.response
    lines = [
        _header(frame),
        _("{organisation} answered on {time}.", organisation=escape(frame.organisation),
          time=local(response.submitted_at, _)),
        *summary_lines(screen.items, _),
    ]  # fmt: skip
    lines.append(
        _(
            "The answer may be changed until {deadline}.",
            deadline=deadline(frame.survey.deadline, _),
        )
    )
    return OutgoingMessage(
        html="\n".join(lines),
        choices=((Choice(_("✏️ Change the answers"), payload(EDIT, frame.survey_id)),),),
        poll_question=_("Change the answers?"),
    )


def closed_message(survey: Survey, _: Translator) -> OutgoingMessage:
    return OutgoingMessage(
        html=_("The deadline for answering “{title}” passed on {deadline}. Nothing was recorded.",
               title=escape(survey.title), deadline=deadline(survey.deadline, _))
    )  # fmt: skip


# ---- invitations and reminders ----------------------------------------------------------------------


def invitation_message(frame: Frame, sender: str, _: Translator) -> OutgoingMessage:
    lines = [
        _("<b>Survey of {sender}</b>", sender=escape(sender)),
        introduction_html(frame, _),
        _("One answer per organisation: any of its contacts may answer or continue what another "
          "started, and the answer may be changed until the deadline."),
    ]  # fmt: skip
    return OutgoingMessage(
        html="\n\n".join(lines),
        choices=((Choice(_("Start answering"), payload(OPEN, frame.survey_id)),),),
        poll_question=_("Start answering?"),
    )


def reminder_message(frame: Frame, started: bool, now: datetime, _: Translator) -> OutgoingMessage:
    due = frame.survey.deadline
    remaining = format_duration(max(due - now, timedelta(minutes=1))) if due else "-"
    lines = [
        _("<b>Reminder:</b> the survey “{title}” still awaits the answer of {organisation}.",
          title=escape(frame.definition.title), organisation=escape(frame.organisation)),
        _("Deadline: {deadline} (in {remaining}).",
          deadline=deadline(due, _), remaining=remaining),
    ]  # fmt: skip
    if started:
        lines.append(_("An answer was started but not yet submitted."))
    label = _("Continue") if started else _("Answer now")
    return OutgoingMessage(
        html="\n".join(lines),
        choices=((Choice(label, payload(OPEN, frame.survey_id)),),),
        poll_question=label,
    )


# ---- the secretariat ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CountView:
    survey: Survey
    answered: int
    total: int
    last_organisation: str = ""
    last_at: datetime | None = None
    closed: bool = False


def count_message(view: CountView, _: Translator) -> OutgoingMessage:
    lines = [
        _("<b>Answers to “{title}”</b>", title=escape(view.survey.title)),
        _("{count} of {total} organisations answered ({percent}).", count=view.answered,
          total=view.total, percent=percent(view.answered, view.total)),
    ]  # fmt: skip
    if view.last_at is not None:
        lines.append(
            _("Last answer: {organisation}, {time}.", organisation=escape(view.last_organisation),
              time=local(view.last_at, _))
        )  # fmt: skip
    when = deadline(view.survey.deadline, _)
    if view.closed:
        lines.append(_("Closed at the deadline {deadline}.", deadline=when))
    else:
        lines.append(_("Deadline: {deadline}.", deadline=when))
    return OutgoingMessage(html="\n".join(lines))


def condition_text(condition: Condition, definition: SurveyDefinition, _: Translator) -> str:
    if isinstance(condition, AllOf):
        return _(" and ").join(condition_text(part, definition, _) for part in condition.conditions)
    if isinstance(condition, AnyOf):
        return _(" or ").join(condition_text(part, definition, _) for part in condition.conditions)
    return _compare_text(condition, definition, _)


def _compare_text(condition: Compare, definition: SurveyDefinition, _: Translator) -> str:
    question = definition.question(condition.question)
    assert question is not None
    number = definition.index(question.key) + 1

    def labels() -> str:
        found = [question.option(value) for value in condition.values]
        return _(" or ").join(
            _("“{label}”", label=option.label) for option in found if option is not None
        )

    op = condition.op
    if op is ConditionOp.ANSWERED:
        return (
            _("question {number} is answered", number=number)
            if condition.expected
            else _("question {number} is not answered", number=number)
        )
    if op is ConditionOp.AT_LEAST:
        return _("the answer to question {number} is at least {value}", number=number,
                 value=condition.values[0])  # fmt: skip
    if op is ConditionOp.AT_MOST:
        return _("the answer to question {number} is at most {value}", number=number,
                 value=condition.values[0])  # fmt: skip
    if op is ConditionOp.NOT_EQUALS:
        return _(
            "the answer to question {number} is not {options}", number=number, options=labels()
        )
    return _("the answer to question {number} is {options}", number=number, options=labels())


@dataclass(frozen=True, slots=True)
class Audience:
    organisations: int
    contacts: int
    linked: int


def preview_message(survey: Survey, definition: SurveyDefinition, reminders: Sequence[datetime],
                    audience: Audience, _: Translator) -> OutgoingMessage:  # fmt: skip
    assert survey.id is not None
    lines = [
        "<b>" + _("Preview of the survey") + "</b>",
        f"<b>{escape(definition.title)}</b>",
        _("Deadline: {deadline}.", deadline=deadline(survey.deadline, _)),
        _("Reminders to those who have not answered: {times}.",
          times=", ".join(local(moment, _) for moment in reminders) or _("none")),
        _("Recipients: {organisations} organisations with {contacts} contacts, {linked} of them "
          "linked to the bot.", organisations=audience.organisations, contacts=audience.contacts,
          linked=audience.linked),
    ]  # fmt: skip
    if definition.introduction:
        lines += ["", f"<i>{escape(definition.introduction)}</i>"]
    lines += ["", "<b>" + _("Questions") + "</b>"]
    for number, question in enumerate(definition.questions, start=1):
        kind = _(KIND_LABELS[question.kind])
        need = _("required") if question.required else _("optional")
        lines.append(f"{number}. {escape(question.text)} <i>({kind}, {need})</i>")
        if question.options and question.kind is not QuestionKind.YES_NO:
            lines.append("    " + escape(" / ".join(option.label for option in question.options)))
        if question.when is not None:
            lines.append(
                "    "
                + _(
                    "Only if {condition}.",
                    condition=escape(condition_text(question.when, definition, _)),
                )
            )
    lines += ["", _("Send it to all organisations now, or cancel.")]
    send_label = _("Send to {count} organisations", count=audience.organisations)
    return OutgoingMessage(
        html="\n".join(lines),
        choices=(
            (Choice(send_label, payload(SEND, survey.id)),),
            (Choice(_("Cancel"), payload(CANCEL, survey.id)),),
        ),
        poll_question=_("Send the survey?"),
    )
