"""``sejabot survey``: check and store questionnaires, follow the answers, make the report.

``create`` stores a questionnaire as ready to send; the running bot (the only process that
speaks through the chat accounts) finds it within a minute, or at its next start, and sends it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.cli_common import CliContext, CliError, TranslatedGroup, open_database, pass_cli, run_async
from bot.domain.models import Role
from bot.domain.survey_definition import Problem, parse_definition, resolve_deadline
from bot.i18n import N_, Translator
from bot.surveys.distribution import count_view
from bot.surveys.report_document import REPORT_FORMATS, ReportProblem
from bot.surveys.reports import load_report_data, render_survey_report
from bot.surveys.store import (
    CheckedDefinition,
    check_definition,
    organisations_on_roster,
    store_survey,
)
from bot.surveys.wording import deadline_text, percent
from bot.timeutil import TimeInputError, format_local, parse_local_datetime, utc_now
from storage.database import Database
from storage.repositories.surveys.progress import SurveySource

STATUS_LABELS = {
    "draft": N_("draft"),
    "ready": N_("ready to send"),
    "open": N_("open"),
    "closed": N_("closed"),
}


@click.group(
    "survey",
    cls=TranslatedGroup,
    help=N_("Association surveys: check and send questionnaires, follow the answers, "
            "make the report."),
)  # fmt: skip
def survey() -> None:
    pass


def _read_text(file: Path, _: Translator) -> str:
    try:
        data = file.read_bytes()
    except OSError as error:
        raise CliError(
            _("{path} cannot be read ({detail}).", path=file, detail=error.strerror or error), _
        ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CliError(_("{path} is not a text file in UTF-8.", path=file), _) from None


def _problem_lines(file: Path, problems: tuple[Problem, ...], _: Translator) -> list[str]:
    return [f"{file}:{p.line}: {_(p.message, **p.params)}" if p.line else f"{file}: {_(p.message, **p.params)}"
            for p in problems]  # fmt: skip


@survey.command("validate", help=N_("Check a questionnaire (YAML) and show what it asks; every "
                                    "problem is shown with its line."))  # fmt: skip
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_cli
def validate_command(cli: CliContext, file: Path) -> None:
    _ = cli.translator
    result = parse_definition(_read_text(file, _))
    if result.definition is None:
        for line in _problem_lines(file, result.problems, _):
            click.echo(line, err=True)
        raise CliError(
            _.plural(
                "{path}: {count} problem.",
                "{path}: {count} problems.",
                len(result.problems),
                path=file,
            ),
            _,
        )
    definition = result.definition
    click.echo(_("{path} is a valid questionnaire: “{title}”, {count} questions.", path=file,
                 title=definition.title, count=len(definition.questions)))  # fmt: skip
    for number, question in enumerate(definition.questions, start=1):
        marker = "" if question.when is None else " *"
        click.echo(f"  {number}. [{question.key}] {question.text}{marker}")
    now = utc_now()
    deadline = resolve_deadline(definition, now)
    if isinstance(deadline, Problem):
        click.echo(
            _("Warning: {problem} Give another with: sejabot survey create {path} --deadline "
              "\"18. 11. 2026 ob 12.00\"", problem=_(deadline.message, **deadline.params), path=file),
            err=True,
        )  # fmt: skip
    else:
        click.echo(_("Deadline: {deadline}.", deadline=deadline_text(deadline, _.language)))


@survey.command("create", help=N_("Store a questionnaire as ready to send. The running bot sends "
                                  "it to every organisation on the roster of the body within a "
                                  "minute (or when it next starts)."))  # fmt: skip
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--body", "body_slug", help=N_("The association's body, by its short name (default: "
                                             "the only body with respondents)."))  # fmt: skip
@click.option("--deadline", "deadline_text",
              help=N_("A deadline instead of the file's, e.g. \"18. 11. 2026 ob 12.00\"."))  # fmt: skip
@pass_cli
def create_command(
    cli: CliContext, file: Path, body_slug: str | None, deadline_text: str | None
) -> None:
    _ = cli.translator
    text = _read_text(file, _)
    now = utc_now()
    deadline = None
    if deadline_text is not None:
        try:
            deadline = parse_local_datetime(deadline_text, now=now)
        except TimeInputError as error:
            raise CliError(error.translate(_), _) from None
    checked = check_definition(text, now, deadline)
    if not checked.ok:
        for line in _problem_lines(file, checked.problems, _):
            click.echo(line, err=True)
        raise CliError(_("Nothing was stored; correct the file and run the command again."), _)
    survey_id, organisations = run_async(_create(cli, checked, body_slug, _))
    click.echo(_("Stored survey #{id} “{title}” as ready to send to {count} organisations.",
                 id=survey_id, title=checked.definition.title if checked.definition else "",
                 count=organisations))  # fmt: skip
    click.echo(_("The running bot sends it within a minute; if it is not running, it sends it when "
                 "it starts. Follow it with: sejabot survey status {id}", id=survey_id))  # fmt: skip


async def _create(cli: CliContext, checked: CheckedDefinition, body_slug: str | None,
                  _: Translator) -> tuple[int, int]:  # fmt: skip
    async with open_database(cli.settings, _) as db:
        body_id = await _choose_body(db, body_slug, _)
        async with db.transaction() as repos:
            stored = await store_survey(repos, checked, body_id, source=SurveySource.CLI,
                                        created_by=None, now=utc_now(), ready=True)  # fmt: skip
            organisations = await organisations_on_roster(repos, body_id)
        assert stored.id is not None
        return stored.id, len(organisations)


async def _choose_body(db: Database, body_slug: str | None, _: Translator) -> int:
    bodies = await db.read.bodies.list()
    if body_slug is not None:
        body = await db.read.bodies.get_by_slug(body_slug)
        if body is None or body.id is None:
            raise CliError(
                _("There is no body with the short name '{slug}'. The bodies are: {slugs}.",
                  slug=body_slug, slugs=", ".join(b.slug for b in bodies) or "-"),
                _,
            )  # fmt: skip
        return body.id
    with_respondents = []
    for body in bodies:
        assert body.id is not None
        seats = await db.read.memberships.list_for_body(body.id)
        if any(seat.role is Role.RESPONDENT for seat in seats):
            with_respondents.append(body)
    if len(with_respondents) != 1:
        raise CliError(
            _("Choose the association's body with --body; bodies with respondents: {slugs}.",
              slugs=", ".join(b.slug for b in with_respondents) or "-"),
            _,
        )  # fmt: skip
    assert with_respondents[0].id is not None
    return with_respondents[0].id


@survey.command("list", help=N_("List the surveys with their state and the number of answers."))
@pass_cli
def list_command(cli: CliContext) -> None:
    _ = cli.translator
    for line in run_async(_list(cli, _)):
        click.echo(line)


async def _state(db: Database, survey_id: int) -> str:
    survey = await db.read.surveys.get(survey_id)
    run = await db.read.survey_progress.get_run(survey_id)
    if survey is None:
        return "draft"
    if run is not None and run.ready_at is not None and run.opened_at is None:
        return "ready"
    return survey.status.value


async def _list(cli: CliContext, _: Translator) -> list[str]:
    async with open_database(cli.settings, _) as db:
        surveys = await db.read.surveys.list()
        if not surveys:
            return [_("No surveys yet. Store one with: sejabot survey create <file.yaml>")]
        lines = []
        for each in surveys:
            assert each.id is not None
            view = await count_view(db.read, each)
            deadline = deadline_text(each.deadline, _.language)
            lines.append(
                _("#{id} {title} — {state}; deadline {deadline}; answered {count} of {total}",
                  id=each.id, title=each.title, state=_(STATUS_LABELS[await _state(db, each.id)]),
                  deadline=deadline, count=view.answered, total=view.total)
            )  # fmt: skip
        return lines


@survey.command("status", help=N_("Show one survey: its state, the answers so far, who has not "
                                  "answered, the reminders."))  # fmt: skip
@click.argument("survey_id", type=int)
@pass_cli
def status_command(cli: CliContext, survey_id: int) -> None:
    _ = cli.translator
    for line in run_async(_status(cli, survey_id, _)):
        click.echo(line)


async def _status(cli: CliContext, survey_id: int, _: Translator) -> list[str]:
    language = _.language
    async with open_database(cli.settings, _) as db:
        found = await db.read.surveys.get(survey_id)
        if found is None:
            raise CliError(_("There is no survey #{id}. See: sejabot survey list", id=survey_id), _)
        run = await db.read.survey_progress.get_run(survey_id)
        view = await count_view(db.read, found)
        data = await load_report_data(db.read, survey_id, utc_now())
        assert data is not None

        def when(moment: object) -> str:
            return format_local(moment, language) if moment is not None else "-"  # type: ignore[arg-type]

        lines = [
            f"#{survey_id} {found.title}",
            _("State: {state}", state=_(STATUS_LABELS[await _state(db, survey_id)])),
            _("Deadline: {deadline}.", deadline=deadline_text(found.deadline, language)),
            _("Sent: {time}", time=when(run.opened_at if run else None)),
            _("Closed: {time}", time=when(run.closed_at if run else None)),
            _("{count} of {total} organisations answered ({percent}).", count=view.answered,
              total=view.total, percent=percent(view.answered, view.total)),
        ]  # fmt: skip
        invited = await db.read.survey_progress.invited(survey_id)
        lines.append(_("Invitations: {count} contacts in {chats} chats.", count=len(invited),
                       chats=sum(invited.values())))  # fmt: skip
        for reminder in await db.read.survey_progress.reminders(survey_id):
            if reminder.done_at is None:
                state = _("planned")
            elif reminder.sent:
                state = _("sent to {count} organisations", count=reminder.organisations)
            else:
                state = _("passed over (the bot was not running)")
            lines.append(_("Reminder {time}: {state}", time=when(reminder.due_at), state=state))
        if data.not_answered:
            lines.append(_("Not answered: {names}", names=", ".join(data.not_answered)))
        return lines


@survey.command("report", help=N_("Write the report of a survey: md or html, docx or pdf for "
                                  "publication, csv or xlsx (one row per organisation)."))  # fmt: skip
@click.argument("survey_id", type=int)
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="docx", show_default=True,
              help=N_("The format of the report."))  # fmt: skip
@click.option("--group-by", "group_by", help=N_("Group the organisations by the answer to this "
                                                "question (its key); default: as the "
                                                "questionnaire says."))  # fmt: skip
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help=N_("Where to write it; '-' for the standard output (default: a file named "
                      "after the survey in the current folder)."))  # fmt: skip
@pass_cli
def report_command(
    cli: CliContext, survey_id: int, fmt: str, group_by: str | None, out: Path | None
) -> None:
    _ = cli.translator
    content, filename = run_async(_report(cli, survey_id, fmt, group_by, _))
    if out is not None and str(out) == "-":
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        return
    target = out or Path(filename)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    except OSError as error:
        raise CliError(
            _("{path} cannot be written ({detail}).", path=target, detail=error.strerror or error),
            _,
        ) from None
    click.echo(_("Wrote the report to {path}.", path=target))


async def _report(cli: CliContext, survey_id: int, fmt: str, group_by: str | None,
                  _: Translator) -> tuple[bytes, str]:  # fmt: skip
    async with open_database(cli.settings, _) as db:
        data = await load_report_data(db.read, survey_id, utc_now())
    if data is None:
        raise CliError(_("There is no survey #{id}. See: sejabot survey list", id=survey_id), _)
    try:
        rendered = await render_survey_report(data, survey_id, fmt, _, group_by)
    except ReportProblem as problem:
        raise CliError(problem.translate(_), _) from None
    return rendered.content, rendered.filename
