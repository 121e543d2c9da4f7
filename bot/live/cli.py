"""``sejabot live``: convene a live session from a file, list live sessions, write the minutes.

Convening stores the session and its invitation outbox; the running bot sends the invitations
(never two processes on one bot account), so this command only needs the database.
"""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli_common import CliContext, CliError, TranslatedGroup, open_database, pass_cli, run_async
from bot.domain.rules_loader import load_named_rule_set
from bot.i18n import N_, Translator
from bot.live.agenda import load_agenda
from bot.live.attendance import attendance_overview
from bot.live.convening import ConveningSpec, Problem, body_matches, convene
from bot.live.convening_file import parse_convening
from bot.live.minutes_delivery import (
    MINUTES_FORMATS,
    keep_minutes_head,
    minutes_filename,
    render_minutes,
)
from bot.live.wording.common import session_kind_word, session_mode_word, when
from bot.timeutil import utc_now
from config.settings import Settings

STATUS_LABELS = {
    "draft": N_("draft"),
    "convened": N_("convened"),
    "open": N_("open"),
    "closed": N_("closed"),
}


@click.group(
    "live",
    cls=TranslatedGroup,
    help=N_("Live remote and hybrid sessions: convening from a file, the list, the minutes."),
)
def live() -> None:
    pass


@live.command(
    "convene",
    help=N_("Convene a session from a TOML file (see config/examples/redna-seja.toml). The "
            "running bot sends the invitations; nothing is stored if the file has any mistake."),
)  # fmt: skip
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_cli
def convene_command(cli: CliContext, file: Path) -> None:
    _ = cli.translator
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise CliError(_("{path} cannot be read ({detail}).", path=file, detail=error), _) from None
    run_async(_convene(cli.settings, file, text, _))


async def _convene(settings: Settings, file: Path, text: str, _: Translator) -> None:
    now = utc_now()
    parsed = parse_convening(text, file.parent, now)
    async with open_database(settings, _) as db:
        bodies = [body for body in await db.read.bodies.list() if body_matches(body, parsed.body)]
        if parsed.body and not bodies:
            names = ", ".join(body.name for body in await db.read.bodies.list()) or "-"
            parsed.problems.insert(
                0,
                Problem(
                    N_('body: there is no body "{body}"; known bodies: {names}.'),
                    {"body": parsed.body, "names": names},
                ),
            )
        if not parsed.ok or parsed.starts_at is None:
            for problem in parsed.problems:
                click.echo(problem.render(_), err=True)
            raise CliError(
                _("{path}: nothing was stored. Correct the file and try again.", path=file), _
            )
        body = bodies[0]
        rule_set = load_named_rule_set(body.rule_set, settings.rules_search_path)
        spec = ConveningSpec(
            body_id=body.id or 0,
            kind=parsed.kind,
            mode=parsed.mode,
            title=parsed.title,
            starts_at=parsed.starts_at,
            ends_at=parsed.ends_at,
            location=parsed.location,
            video_link=parsed.video_link,
            urgent=parsed.urgent,
            urgency_reason=parsed.urgency_reason,
            agenda=tuple(parsed.agenda),
            materials=tuple(parsed.materials),
            reminders=parsed.reminders,
            number=parsed.number,
        )
        async with db.transaction() as repos:
            result = await convene(repos, spec, rule_set, now)
        if not result.ok or result.session is None:
            for problem in result.problems:
                click.echo(problem.render(_), err=True)
            raise CliError(
                _("{path}: nothing was stored. Correct the file and try again.", path=file), _
            )
        session = result.session
        invited = len(await db.read.live.sessions.roll(session.id or 0))
        click.echo(
            _(
                "Convened session {id}: {title}, {start}. {count} members are invited; the running "
                "bot sends the invitations.",
                id=session.id,
                title=session.title,
                start=when(parsed.starts_at, _),
                count=invited,
            )
        )


@live.command(
    "list", help=N_("List the live sessions with their state and the answers to the invitations.")
)
@pass_cli
def list_command(cli: CliContext) -> None:
    run_async(_list(cli.settings, cli.translator))


async def _list(settings: Settings, _: Translator) -> None:
    async with open_database(settings, _) as db:
        ids = await db.read.live.sessions.session_ids()
        if not ids:
            click.echo(_("There are no live sessions."))
            return
        for session_id in ids:
            session = await db.read.sessions.get(session_id)
            if session is None:
                continue
            body = await db.read.bodies.get(session.body_id)
            overview = await attendance_overview(db.read, session_id)
            agenda = await load_agenda(db.read, session_id)
            start = when(session.starts_at, _) if session.starts_at else "-"
            click.echo(f"{session_id:>4}  {session.title or '-'} — {body.name if body else ''}")
            click.echo(
                "      "
                + _(
                    "{kind}, {mode}; {start}; {status}; {items} items",
                    kind=session_kind_word(session.kind, _),
                    mode=session_mode_word(session.mode, _),
                    start=start,
                    status=_(STATUS_LABELS[session.status.value]),
                    items=len(agenda),
                )
            )
            click.echo(
                "      "
                + _(
                    "will attend {attending}, cannot come {declined}, not answered {unanswered}, "
                    "not reached {unreached}",
                    attending=len(overview.attending),
                    declined=len(overview.declined),
                    unanswered=len(overview.unanswered),
                    unreached=len(overview.not_reached),
                )
            )


@live.command(
    "report",
    help=N_("Write the minutes of a live session (DOCX, PDF, Markdown) or its votes (CSV)."),
)
@click.argument("session_id", type=int)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(MINUTES_FORMATS),
    default="docx",
    show_default=True,
    help=N_("The file format."),
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_("Where to write the file (default: zapisnik-seja-<ID>.<format> here)."),
)
@pass_cli
def report_command(cli: CliContext, session_id: int, fmt: str, output: Path | None) -> None:
    run_async(_report(cli.settings, cli.translator, session_id, fmt, output))


async def _report(
    settings: Settings, _: Translator, session_id: int, fmt: str, output: Path | None
) -> None:
    async with open_database(settings, _) as db:
        session = await db.read.sessions.get(session_id)
        body = await db.read.bodies.get(session.body_id) if session else None
        if session is None or body is None or await db.read.live.sessions.info(session_id) is None:
            raise CliError(
                _("There is no live session {id}; see `sejabot live list`.", id=session_id), _
            )
        rule_set = load_named_rule_set(body.rule_set, settings.rules_search_path)
        await keep_minutes_head(db, session_id, utc_now())
        rendered = await render_minutes(db.read, rule_set, session_id, fmt, _, utc_now())
    assert rendered is not None
    content, _media_type, extension = rendered
    target = output or Path(minutes_filename(session_id, extension))
    try:
        target.write_bytes(content)
    except OSError as error:
        raise CliError(
            _("{path} cannot be written ({detail}).", path=target, detail=error.strerror or error),
            _,
        ) from None
    click.echo(_("Wrote {path}.", path=target))
