"""``sejabot session``: correspondence sessions from the command line.

``create FILE`` stores a session described in a TOML file (config/examples/dopisna-seja.toml)
as ready to send; the RUNNING bot picks it up within its scan interval and sends the
invitations (this command never talks to Telegram or Matrix itself, so one process drives the
bot's accounts). ``list`` and ``show`` report progress; ``report`` writes the minutes (DOCX to
edit, PDF, Markdown) or a CSV of delivery confirmations and votes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path

import click

from bot.cli_common import CliContext, CliError, TranslatedGroup, open_database, pass_cli, run_async
from bot.correspondence.create import (
    SessionDraft,
    review_draft,
    store_ready_session,
    voting_member_ids,
)
from bot.correspondence.invitations import allowed_choices
from bot.correspondence.minutes import (
    build_minutes,
    delivery_and_votes_table,
    gather_minutes,
)
from bot.correspondence.session_file import SessionFile, read_session_file
from bot.correspondence.tally import MotionTally, load_tally
from bot.correspondence.wording import (
    adoption_sentence,
    choice_label,
    quorum_sentence,
    verdict_word,
)
from bot.domain.models import Body, SessionStatus
from bot.domain.rules import CorrespondenceRules, RuleSet
from bot.domain.rules_loader import RuleSetError, load_named_rule_set
from bot.i18n import N_, Translator
from bot.reports import render
from bot.reports.tables import to_csv
from bot.timeutil import format_local, utc_now
from config.settings import Settings
from storage.database import Database
from storage.repositories.correspondence.progress import Source

STATUS_LABELS: Mapping[SessionStatus, str] = {
    SessionStatus.DRAFT: N_("being prepared"),
    SessionStatus.CONVENED: N_("ready, waiting for the bot to send it"),
    SessionStatus.OPEN: N_("running"),
    SessionStatus.CLOSED: N_("closed; the outcome is stored"),
}
REPORT_FORMATS = ("docx", "pdf", "csv", "md")


@click.group(
    "session",
    cls=TranslatedGroup,
    help=N_("Correspondence sessions: create one from a file, list them, show one, and write "
            "its minutes or a table of votes."),
)  # fmt: skip
def session() -> None:
    pass


def _rule_set_of(settings: Settings, _: Translator) -> Callable[[Body], RuleSet]:
    def rule_set(body: Body) -> RuleSet:
        try:
            return load_named_rule_set(body.rule_set, settings.rules_search_path, _.language)
        except RuleSetError as error:
            raise CliError(str(error), _) from None

    return rule_set


@session.command(
    "create",
    help=N_("Store the correspondence session described in FILE (TOML, see "
            "config/examples/dopisna-seja.toml) as ready to send. The running bot sends the "
            "invitations within a minute. A forbidden category is refused; words that suggest "
            "one stop the command unless --accept-warnings is given."),
)  # fmt: skip
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True,
              help=N_("Check the file and show the session without storing it."))  # fmt: skip
@click.option("--accept-warnings", is_flag=True,
              help=N_("Store the session although words in it suggest a forbidden category "
                      "(after you checked the categories)."))  # fmt: skip
@pass_cli
def create_command(cli: CliContext, file: Path, dry_run: bool, accept_warnings: bool) -> None:
    _ = cli.translator
    settings = cli.settings
    read = read_session_file(file, utc_now(), settings.zone)
    if read.session is None:
        for problem in read.problems:
            click.echo(problem.text(_), err=True)
        raise CliError(_("{path}: nothing was stored. Correct the file and run the command "
                         "again.", path=file), _)  # fmt: skip
    for line in run_async(_create(settings, read.session, dry_run, accept_warnings, _)):
        click.echo(line)


async def _create(
    settings: Settings, parsed: SessionFile, dry_run: bool, accept_warnings: bool, _: Translator
) -> list[str]:
    rule_set_of = _rule_set_of(settings, _)
    async with open_database(settings, _) as db:
        body = await _find_body(db, parsed.body_slug)
        if body is None or body.id is None:
            slugs = ", ".join(b.slug for b in await db.read.bodies.list()) or "-"
            raise CliError(_("There is no body with the short name '{slug}'. The bodies are: "
                             "{slugs}.", slug=parsed.body_slug, slugs=slugs), _)  # fmt: skip
        draft = SessionDraft(body.id, parsed.title, parsed.deadline, parsed.motions,
                             parsed.materials, parsed.number)  # fmt: skip
        rules = rule_set_of(body).correspondence
        now = utc_now()
        async with db.transaction() as repos:
            members = await voting_member_ids(repos, body.id)
            review = review_draft(rules, draft, now, len(members))
            if not review.ok:
                raise CliError("\n".join(p.text(_) for p in review.problems), _)
            lines = [_("Warning: {message}", message=w.text(_)) for w in review.warnings]
            if review.warnings and not accept_warnings:
                lines.append(_("Nothing was stored. Check the categories; if they are right, "
                               "run the command again with --accept-warnings."))  # fmt: skip
                raise CliError("\n".join(lines), _)
            assert parsed.deadline is not None
            summary = _(
                "{body}: {title}, until {deadline}; {motions} proposed resolutions, "
                "{materials} files, {members} members to invite.",
                body=body.name, title=parsed.title,
                deadline=format_local(parsed.deadline, _.language, settings.zone),
                motions=len(parsed.motions), materials=len(parsed.materials),
                members=len(members),
            )  # fmt: skip
            lines.append(summary)
            if dry_run:
                lines.append(_("Dry run: nothing was stored."))
                return lines
            stored = await store_ready_session(repos, draft, now=now, source=Source.CLI)
        lines.append(_("Stored as session {id}, ready to send. The running bot sends the "
                       "invitations within a minute; follow it with: sejabot session show {id}",
                       id=stored.id))  # fmt: skip
        return lines


async def _find_body(db: Database, name: str) -> Body | None:
    """A body by its short name, or by its full name in any letter case."""
    found = await db.read.bodies.get_by_slug(name)
    if found is not None:
        return found
    wanted = " ".join(name.split()).casefold()
    return next((b for b in await db.read.bodies.list() if b.name.casefold() == wanted), None)


@session.command("list", help=N_("List correspondence sessions, newest first."))
@click.option("--body", "body_slug", help=N_("Only this body, by its short name."))
@pass_cli
def list_command(cli: CliContext, body_slug: str | None) -> None:
    _ = cli.translator
    for line in run_async(_list(cli.settings, body_slug, _)):
        click.echo(line)


async def _list(settings: Settings, body_slug: str | None, _: Translator) -> list[str]:
    rule_set_of = _rule_set_of(settings, _)
    async with open_database(settings, _) as db:
        lines = []
        for session_id in await db.read.correspondence.progress.all_ids():
            session_row = await db.read.sessions.get(session_id)
            assert session_row is not None
            body = await db.read.bodies.get(session_row.body_id)
            assert body is not None
            if body_slug is not None and body.slug != body_slug:
                continue
            tally = await load_tally(db.read, session_id, rule_set_of(body).correspondence)
            deadline = (format_local(session_row.deadline, _.language, settings.zone)
                        if session_row.deadline else "-")  # fmt: skip
            lines.append(_(
                "{id}  {title} ({body}), until {deadline}: {status}; delivery confirmed "
                "{confirmed} of {members}",
                id=session_id, title=session_row.title, body=body.slug, deadline=deadline,
                status=_(STATUS_LABELS[session_row.status]), confirmed=tally.confirmed,
                members=tally.member_count,
            ))  # fmt: skip
        return lines or [_("There are no correspondence sessions yet.")]


@session.command("show", help=N_("Show one correspondence session: progress, counts and, once "
                                 "closed, the outcome with the rule applied."))  # fmt: skip
@click.argument("session_id", type=int, metavar="ID")
@pass_cli
def show_command(cli: CliContext, session_id: int) -> None:
    _ = cli.translator
    for line in run_async(_show(cli.settings, session_id, _)):
        click.echo(line)


async def _known_session(db: Database, session_id: int, _: Translator) -> Body:
    progress = await db.read.correspondence.progress.get(session_id)
    session_row = await db.read.sessions.get(session_id)
    if progress is None or session_row is None:
        raise CliError(_("There is no correspondence session {id}. See: sejabot session list",
                         id=session_id), _)  # fmt: skip
    body = await db.read.bodies.get(session_row.body_id)
    assert body is not None
    return body


async def _show(settings: Settings, session_id: int, _: Translator) -> list[str]:
    rule_set_of = _rule_set_of(settings, _)
    async with open_database(settings, _) as db:
        body = await _known_session(db, session_id, _)
        tally = await load_tally(db.read, session_id, rule_set_of(body).correspondence)
        session_row = tally.session
        assert session_row.deadline is not None
        lines = [
            f"{session_row.title} ({body.name})",
            _("Status: {status}", status=_(STATUS_LABELS[session_row.status])),
            _("Runs until: {deadline}",
              deadline=format_local(session_row.deadline, _.language, settings.zone)),
            _("Invitation sent: {sent} of {members}", sent=len(tally.sent_ids),
              members=tally.member_count),
            _("Delivery confirmed: {confirmed} of {members} (quorum needs {needed})",
              confirmed=tally.confirmed, members=tally.member_count, needed=tally.quorum_needed),
        ]  # fmt: skip
        outcomes = {o.motion_id: o for o in
                    await db.read.correspondence.outcomes.list_for_session(session_id)}  # fmt: skip
        for motion in tally.motions:
            lines.append("")
            lines.append(f"{motion.motion.position}. {motion.motion.title}")
            lines.append(" · ".join([_("Voted: {count}", count=motion.voted), *(
                f"{vote_name}: {count}" for vote_name, count in _counts(motion, tally.rules, _))]))  # fmt: skip
            outcome = outcomes.get(motion.motion.id or 0)
            if outcome is not None:
                lines.append(quorum_sentence(outcome, _))
                lines.append(f"{verdict_word(outcome, _)}. {adoption_sentence(outcome, _)}")
        return lines


def _counts(
    motion: MotionTally, rules: CorrespondenceRules, _: Translator
) -> list[tuple[str, int]]:
    return [(choice_label(choice, _), motion.count(choice)) for choice in allowed_choices(rules)]


@session.command(
    "report",
    help=N_("Write the minutes of a correspondence session (docx to edit, pdf, md) or a table "
            "of delivery confirmations and votes (csv). A running session gets an interim "
            "report."),
)  # fmt: skip
@click.argument("session_id", type=int, metavar="ID")
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="pdf",
              show_default=True, help=N_("The file format."))  # fmt: skip
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help=N_("Where to write the file (default: zapisnik-dopisna-seja-ID.FORMAT in "
                      "the current folder)."))  # fmt: skip
@pass_cli
def report_command(cli: CliContext, session_id: int, fmt: str, out: Path | None) -> None:
    _ = cli.translator
    content = run_async(_report(cli.settings, session_id, fmt, _))
    target = out or Path(f"zapisnik-dopisna-seja-{session_id}.{fmt}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    except OSError as error:
        raise CliError(_("{path} cannot be written ({detail}).", path=target,
                         detail=error.strerror or error), _) from None  # fmt: skip
    click.echo(_("Wrote {path}.", path=target))


async def _report(settings: Settings, session_id: int, fmt: str, _: Translator) -> bytes:
    rule_set_of = _rule_set_of(settings, _)
    async with open_database(settings, _) as db:
        await _known_session(db, session_id, _)
        facts = await gather_minutes(db.read, session_id, rule_set_of, utc_now(), settings.zone)
    if fmt == "csv":
        headers, rows = delivery_and_votes_table(facts, _)
        return to_csv(headers, rows)
    content, _media_type, _extension = await asyncio.to_thread(render, build_minutes(facts, _), fmt)
    return content
