"""The report of an association survey, modelled on the SOS secretariat's published report (2020).

Organisations are grouped by their answer to one question (the questionnaire's ``report:
group_by``, else the first single-choice question): each group under its heading, names in
capitals and in Slovenian alphabetical order, each with its other answers. Then the tallies of
every choice question with shares and a bar chart, and the organisations that did not answer.
The same data gives one spreadsheet row per organisation (CSV, XLSX) for the secretariat's own
analysis.

Pure: the caller loads a ``SurveyReportData`` snapshot; CPU-heavy rendering (charts, DOCX, PDF)
runs in the caller's worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.lot import slovenian_sort_key
from bot.domain.survey_definition import (
    Answer,
    Question,
    QuestionKind,
    SurveyDefinition,
    answer_texts,
    visible_questions,
)
from bot.i18n import N_, Translator
from bot.reports import render
from bot.reports.charts import bar_chart
from bot.reports.document import (
    BulletList,
    Document,
    Heading,
    Image,
    KeyValues,
    Paragraph,
    Table,
)
from bot.reports.tables import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, Cell, Sheet, to_csv, to_xlsx
from bot.surveys.wording import condition_text, deadline_text
from bot.timeutil import format_local

REPORT_FORMATS = ("md", "html", "docx", "pdf", "csv", "xlsx")
# Shown without these words, in capitals, as the published report does ("AJDOVŠČINA").
NAME_PREFIXES = ("mestna občina ", "občina ")


class ReportProblem(ValueError):
    """The report cannot be made as asked; an English message id with parameters."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message.format(**params))
        self.message = message
        self.params = params

    def translate(self, _: Translator) -> str:
        return _(self.message, **self.params)


@dataclass(frozen=True, slots=True)
class OrganisationAnswer:
    organisation: str
    answers: dict[str, Answer]
    submitted_at: datetime
    submitted_by: str = ""


@dataclass(frozen=True, slots=True)
class SurveyReportData:
    title: str
    definition: SurveyDefinition
    sender: str  # the association's body, e.g. "Skupnost občin Slovenije"
    recipients: tuple[str, ...]  # names of the organisations the survey went to
    responses: tuple[OrganisationAnswer, ...]
    generated_at: datetime
    deadline: datetime | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def not_answered(self) -> list[str]:
        answered = {response.organisation for response in self.responses}
        return sorted((n for n in self.recipients if n not in answered), key=slovenian_sort_key)


def display_name(name: str) -> str:
    """ "Občina Lovrenc na Pohorju" -> "LOVRENC NA POHORJU"."""
    folded = name.casefold()
    for prefix in NAME_PREFIXES:
        if folded.startswith(prefix) and len(name) > len(prefix):
            name = name[len(prefix) :]
            break
    return name.strip().upper()


def _by_name(responses: Sequence[OrganisationAnswer]) -> list[OrganisationAnswer]:
    return sorted(responses, key=lambda r: slovenian_sort_key(display_name(r.organisation)))


# ---- tallies ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OptionCount:
    label: str
    count: int
    share: float  # of the organisations that answered the question, 0..1


@dataclass(frozen=True, slots=True)
class QuestionTally:
    question: Question
    answered: int
    options: tuple[OptionCount, ...]
    other_texts: tuple[str, ...]  # what was written for "other, please specify"


def tallies(
    definition: SurveyDefinition, responses: Sequence[OrganisationAnswer]
) -> list[QuestionTally]:
    """Counts per option of every choice question, among the organisations that answered it."""
    result = []
    for question in definition.questions:
        if not question.kind.has_options:
            continue
        given = [
            r.answers[question.key]
            for r in responses
            if question.key in r.answers and not r.answers[question.key].skipped
        ]
        counts = []
        for option in question.options:
            count = sum(1 for answer in given if option.key in answer.values)
            counts.append(OptionCount(option.label, count, count / len(given) if given else 0.0))
        others = tuple(answer.other for answer in given if answer.other)
        result.append(QuestionTally(question, len(given), tuple(counts), others))
    return result


def share_text(share: float, language: str) -> str:
    text = f"{100 * share:.1f}"
    return (text.replace(".", ",") if language == "sl" else text) + " %"


# ---- the document -------------------------------------------------------------------------------


def group_question(definition: SurveyDefinition, group_by: str | None) -> Question | None:
    """The question to group by: ``group_by`` if given (it must be a single-choice or yes/no
    question), else the questionnaire's choice."""
    if group_by is None:
        return definition.report_group_by
    question = definition.question(group_by)
    if question is None:
        raise ReportProblem(
            N_("The survey has no question '{key}'. Questions: {keys}."),
            key=group_by,
            keys=", ".join(q.key for q in definition.questions),
        )
    if question.kind not in (QuestionKind.SINGLE_CHOICE, QuestionKind.YES_NO):
        raise ReportProblem(
            N_(
                "The report can group only by a single-choice or yes/no question; '{key}' is not one."
            ),
            key=group_by,
        )
    return question


def build_document(data: SurveyReportData, _: Translator, group_by: str | None = None,
                   charts: bool = True) -> Document:  # fmt: skip
    definition = data.definition
    language = _.language
    grouping = group_question(definition, group_by)
    doc = Document(
        title=_("Survey: {title}", title=data.title),
        subtitle=data.sender,
        footer=_("Prepared on {time} by Sejabot.", time=format_local(data.generated_at, language)),
        language=language,
    )
    answered = len(data.responses)
    total = len(data.recipients)
    pairs = []
    if data.opened_at is not None:
        pairs.append((_("Sent"), format_local(data.opened_at, language)))
    if data.deadline is not None:
        pairs.append((_("Deadline"), deadline_text(data.deadline, language)))
    pairs += [
        (_("Organisations asked"), str(total)),
        (_("Answered"), f"{answered} ({share_text(answered / total if total else 0.0, language)})"),
        (_("Did not answer"), str(len(data.not_answered))),
    ]
    if data.closed_at is None:
        pairs.append((_("State"), _("still open: interim figures")))
    doc.add(KeyValues(pairs))
    if definition.introduction:
        doc.add(Paragraph(definition.introduction))
    doc.add(Heading(_("Questions"), 2), BulletList(_question_lines(definition, _)))

    if data.deadline is not None:
        doc.add(Paragraph(_("By {deadline} we received answers from {count} organisations.",
                            deadline=deadline_text(data.deadline, language), count=answered)))  # fmt: skip
    if grouping is None:
        doc.add(
            Heading(_("Answers"), 1), _answers_table(definition, _by_name(data.responses), None, _)
        )
    else:
        _add_groups(doc, definition, grouping, data.responses, _)

    doc.add(Heading(_("Tallies"), 1))
    for tally in tallies(definition, data.responses):
        _add_tally(doc, tally, _, charts)

    missing = data.not_answered
    doc.add(Heading(_("Organisations that did not answer ({count})", count=len(missing)), 1))
    doc.add(
        Paragraph(
            ", ".join(display_name(n) for n in missing)
            if missing
            else _("Every organisation answered.")
        )
    )
    return doc


def _question_lines(definition: SurveyDefinition, _: Translator) -> list[str]:
    lines = []
    for number, question in enumerate(definition.questions, start=1):
        line = f"{number}. {question.text}"
        if question.when is not None:
            line += (
                " ("
                + _("only if {condition}", condition=condition_text(question.when, definition, _))
                + ")"
            )
        lines.append(line)
    return lines


def _add_groups(doc: Document, definition: SurveyDefinition, grouping: Question,
                responses: Sequence[OrganisationAnswer], _: Translator) -> None:  # fmt: skip
    groups: dict[str | None, list[OrganisationAnswer]] = {}
    for response in responses:
        answer = response.answers.get(grouping.key)
        key = answer.values[0] if answer is not None and not answer.skipped else None
        groups.setdefault(key, []).append(response)
    for option in grouping.options:
        members = groups.get(option.key)
        if not members:
            continue
        heading = option.heading or f"{grouping.label}: {option.label}"
        doc.add(Heading(f"{heading} ({len(members)})", 2))
        doc.add(_answers_table(definition, _by_name(members), grouping, _))
    unanswered = groups.get(None)
    if unanswered:
        doc.add(Heading(_("Without an answer to “{question}” ({count})", question=grouping.text,
                          count=len(unanswered)), 2))  # fmt: skip
        doc.add(_answers_table(definition, _by_name(unanswered), grouping, _))


def _answers_table(definition: SurveyDefinition, members: Sequence[OrganisationAnswer],
                   grouping: Question | None, _: Translator) -> Table:  # fmt: skip
    """One row per organisation: its name in capitals and its answers to the questions shown to
    anyone of the group (other than the grouping question)."""
    shown_keys = {
        question.key
        for member in members
        for question in visible_questions(definition, member.answers)
        if grouping is None or question.key != grouping.key
    }
    shown = [question for question in definition.questions if question.key in shown_keys]
    rows = [
        [display_name(member.organisation), *(_cell(q, member.answers.get(q.key)) for q in shown)]
        for member in members
    ]
    widths = [1.2] + [0.8 if q.kind.has_options or q.kind in (QuestionKind.NUMBER, QuestionKind.DATE)
                      else 3.0 for q in shown]  # fmt: skip
    return Table([_("Organisation"), *(q.label for q in shown)], rows, column_widths=widths)


def _cell(question: Question, answer: Answer | None) -> str:
    return "; ".join(answer_texts(question, answer)) if answer is not None else ""


def _add_tally(doc: Document, tally: QuestionTally, _: Translator, charts: bool) -> None:
    question = tally.question
    doc.add(Heading(question.text, 2))
    doc.add(Paragraph(_("Answered by {count} organisations.", count=tally.answered), italic=True))
    rows = [[o.label, str(o.count), share_text(o.share, _.language)] for o in tally.options]
    doc.add(Table([_("Answer"), _("Organisations"), _("Share")], rows, column_widths=[3, 1, 1]))
    if tally.other_texts:
        doc.add(Paragraph(_("Other answers: {answers}", answers="; ".join(tally.other_texts))))
    if charts and tally.answered:
        png = bar_chart(
            question.label,
            [o.label for o in tally.options],
            [o.count for o in tally.options],
            horizontal=True,
            language=_.language,
        )
        doc.add(Image(png, caption=question.text))


# ---- one row per organisation ---------------------------------------------------------------------


def answer_table(data: SurveyReportData, _: Translator) -> tuple[list[str], list[list[Cell]]]:
    """Every organisation asked, answered or not, with one column per question (and one for the
    text of an "other, please specify" option)."""
    definition = data.definition
    headers = [_("Organisation"), _("Answered"), _("Submitted at"), _("Submitted by")]
    for question in definition.questions:
        headers.append(question.label)
        other = question.other_option
        if other is not None:
            headers.append(f"{question.label}: {other.label}")
    by_name = {response.organisation: response for response in data.responses}
    rows: list[list[Cell]] = []
    for name in sorted(set(data.recipients) | set(by_name), key=slovenian_sort_key):
        response = by_name.get(name)
        if response is None:
            unanswered: list[Cell] = [name, _("no"), "", ""]
            rows.append(unanswered + [""] * (len(headers) - 4))
            continue
        row: list[Cell] = [name, _("yes"), format_local(response.submitted_at, _.language),
                           response.submitted_by]  # fmt: skip
        for question in definition.questions:
            answer = response.answers.get(question.key)
            if answer is None or answer.skipped:
                row.append("")
            elif question.kind.has_options:
                row.append("; ".join(o.label for o in question.options if o.key in answer.values))
            else:
                row.append(answer_texts(question, answer)[0])
            if question.other_option is not None:
                row.append(answer.other if answer is not None else "")
        rows.append(row)
    return headers, rows


def tally_table(data: SurveyReportData, _: Translator) -> tuple[list[str], list[list[Cell]]]:
    rows: list[list[Cell]] = []
    for tally in tallies(data.definition, data.responses):
        for option in tally.options:
            rows.append([tally.question.label, option.label, option.count,
                         round(100 * option.share, 1)])  # fmt: skip
    return [_("Question"), _("Answer"), _("Organisations"), _("Share (%)")], rows


def render_report(data: SurveyReportData, fmt: str, _: Translator,
                  group_by: str | None = None) -> tuple[bytes, str, str]:  # fmt: skip
    """``(content, media_type, extension)`` for md, html, docx, pdf, csv or xlsx. CPU work:
    call it through ``asyncio.to_thread`` from async code."""
    if fmt not in REPORT_FORMATS:
        raise ReportProblem(
            N_("Unknown format '{format}'; use one of {formats}."),
            format=fmt,
            formats=", ".join(REPORT_FORMATS),
        )
    if fmt == "csv":
        headers, rows = answer_table(data, _)
        return to_csv(headers, rows), CSV_MEDIA_TYPE, "csv"
    if fmt == "xlsx":
        headers, rows = answer_table(data, _)
        tally_headers, tally_rows = tally_table(data, _)
        sheets = [
            Sheet(_("Answers"), headers, rows),
            Sheet(_("Tallies"), tally_headers, tally_rows),
        ]
        return to_xlsx(sheets), XLSX_MEDIA_TYPE, "xlsx"
    # Text formats carry no images; their chart would be drawn for nothing.
    doc = build_document(data, _, group_by, charts=fmt in ("docx", "pdf"))
    return render(doc, fmt)


def tally_chart(tally: QuestionTally, language: str) -> bytes:
    """The bar chart of one question's tally, for sending in the chat."""
    return bar_chart(
        tally.question.label,
        [o.label for o in tally.options],
        [o.count for o in tally.options],
        horizontal=True,
        language=language,
    )
