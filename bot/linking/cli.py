"""``sejabot roster``: import the roster, issue invitation codes, list who is linked where."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import click

from bot.cli_common import CliContext, CliError, TranslatedGroup, open_database, pass_cli, run_async
from bot.domain.lot import slovenian_sort_key
from bot.domain.models import BodyKind, Platform, Role
from bot.domain.roster_csv import RosterRow, parse_roster
from bot.i18n import N_, Translator
from bot.linking.codes import (
    IssuedCode,
    UnknownBody,
    UnknownPerson,
    export_codes,
    issue_codes,
)
from bot.linking.roster_import import ImportReport, import_roster
from bot.timeutil import format_local, utc_now
from config.settings import Settings

ROLE_LABELS = {
    Role.MEMBER: N_("member"),
    Role.CHAIR: N_("chair"),
    Role.CLERK: N_("clerk"),
    Role.SECRETARIAT: N_("secretariat"),
    Role.RESPONDENT: N_("respondent"),
}

BODY_KIND_LABELS = {
    BodyKind.COUNCIL: N_("council"),
    BodyKind.COMMITTEE: N_("committee"),
    BodyKind.COMMISSION: N_("commission"),
    BodyKind.PRESIDENCY: N_("presidency"),
}


@click.group(
    "roster",
    cls=TranslatedGroup,
    help=N_("The roster: who sits in which body with which role, and the invitation codes "
            "that link their Telegram or Matrix accounts."),
)  # fmt: skip
def roster() -> None:
    pass


@roster.command(
    "import",
    help=N_("Import the roster from a CSV file (see config/roster.example.csv). A file with any "
            "error is not imported at all; people no longer listed for a body are deactivated, "
            "never deleted."),
)  # fmt: skip
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--dry-run",
    is_flag=True,
    help=N_("Check the file and show what the import would change, without saving anything."),
)
@pass_cli
def import_command(cli: CliContext, file: Path, dry_run: bool) -> None:
    _ = cli.translator
    settings = cli.settings
    try:
        data = file.read_bytes()
    except OSError as error:
        raise CliError(
            _("{path} cannot be read ({detail}).", path=file, detail=error.strerror or error), _
        ) from None
    parsed = parse_roster(data)
    if not parsed.ok:
        for problem in parsed.problems:
            click.echo(problem.render(_), err=True)
        raise CliError(
            _.plural(
                "{path}: {count} problem; nothing was imported. Correct the file and import "
                "it again.",
                "{path}: {count} problems; nothing was imported. Correct the file and import "
                "it again.",
                len(parsed.problems),
                path=file,
            ),
            _,
        )
    click.echo(
        _("Read {path}: {count} lines, encoding {encoding}, separated by '{delimiter}'.",
          path=file, count=len(parsed.rows), encoding=parsed.encoding,
          delimiter=parsed.delimiter)
    )  # fmt: skip
    report = run_async(_import(settings, parsed.rows, dry_run, _))
    for line in report_lines(report, _):
        click.echo(line)


async def _import(
    settings: Settings, rows: Sequence[RosterRow], dry_run: bool, _: Translator
) -> ImportReport:
    async with open_database(settings, _) as db:
        return await import_roster(db, rows, settings.default_rule_set, dry_run=dry_run)


def report_lines(report: ImportReport, _: Translator) -> list[str]:
    lines = []
    for body in report.bodies:
        counts = _(
            "added: {added}, updated: {updated}, unchanged: {unchanged}, "
            "deactivated: {deactivated}",
            added=body.added, updated=body.updated, unchanged=body.unchanged,
            deactivated=body.deactivated,
        )  # fmt: skip
        if body.created:
            lines.append(_("{name} ({slug}), new body: {counts}", name=body.name,
                           slug=body.slug, counts=counts))  # fmt: skip
        else:
            lines.append(_("{name} ({slug}): {counts}", name=body.name, slug=body.slug,
                           counts=counts))  # fmt: skip
    lines.append(
        _("Total: added: {added}, updated: {updated}, unchanged: {unchanged}, "
          "deactivated: {deactivated}",
          added=report.added, updated=report.updated, unchanged=report.unchanged,
          deactivated=report.deactivated)
    )  # fmt: skip
    if report.deactivated:
        lines.append(
            _("People no longer listed keep their votes and confirmations in the records; "
              "they just receive nothing new.")
        )  # fmt: skip
    if report.dry_run:
        lines.append(_("Dry run: nothing was saved."))
    else:
        lines.append(_("The roster was imported."))
    return lines


@roster.command(
    "invite",
    help=N_("Issue a new single-use invitation code to every active person on the roster "
            "(or in one body) who has not linked an account yet, and write the codes to a CSV "
            "file. Earlier unused codes of these people stop working."),
)  # fmt: skip
@click.option(
    "--body",
    "body_slug",
    help=N_("Only the people of this body, by its short name (see: roster list)."),
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("codes.csv"),
    show_default=True,
    help=N_("The CSV file to write the codes to."),
)
@click.option(
    "--person",
    "email",
    help=N_("Only this person, by e-mail address (also when already linked)."),
)
@click.option(
    "--include-linked",
    is_flag=True,
    help=N_("Also people who already linked an account (to link a second platform)."),
)
@pass_cli
def invite_command(
    cli: CliContext, body_slug: str | None, out: Path, email: str | None, include_linked: bool
) -> None:
    _ = cli.translator
    settings = cli.settings
    # Issuing revokes earlier codes, so first make sure the new ones can be written down.
    created = not out.exists()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    except OSError as error:
        raise CliError(
            _("{path} cannot be written ({detail}); no codes were issued. "
              "Choose another file with --out.",
              path=out, detail=error.strerror or error),
            _,
        ) from None  # fmt: skip
    try:
        issued = run_async(_issue(settings, body_slug, email, include_linked, _))
    except CliError:
        if created:
            out.unlink(missing_ok=True)
        raise
    if not issued:
        if created:
            out.unlink(missing_ok=True)
        raise CliError(
            _("Nobody to invite: every active person on the roster has linked an account "
              "already, or there is nobody (import the roster first: sejabot roster import "
              "<file.csv>). A code for one person: --person <e-mail>; for everyone, also the "
              "linked: --include-linked."),
            _,
        )  # fmt: skip
    try:
        export_codes(
            issued,
            out,
            translate=_,
            timezone=settings.zone,
            telegram_bot_username=settings.telegram.bot_username,
            matrix_user_id=settings.matrix.user_id,
        )
    except OSError as error:
        raise CliError(
            _("{path} cannot be written ({detail}); the codes just issued cannot be handed "
              "out. Run this command again with another --out.",
              path=out, detail=error.strerror or error),
            _,
        ) from None  # fmt: skip
    click.echo(
        _.plural(
            "Issued {count} invitation code and wrote it to {path}.",
            "Issued {count} invitation codes and wrote them to {path}.",
            len(issued),
            path=out,
        )
    )
    expires = format_local(issued[0].expires_at, _.language, settings.zone)
    click.echo(
        _("Each code works once and expires on {date}. The file holds working codes: give "
          "each person only their own code and delete the file when they are handed out.",
          date=expires)
    )  # fmt: skip
    if settings.telegram.bot_username is None:
        click.echo(
            _("No Telegram bot username is configured ([telegram] bot_username), so the file "
              "has no Telegram links.")
        )  # fmt: skip


async def _issue(
    settings: Settings, body_slug: str | None, email: str | None, include_linked: bool,
    _: Translator,
) -> list[IssuedCode]:  # fmt: skip
    async with open_database(settings, _) as db:
        try:
            return await issue_codes(
                db, utc_now(), settings.linking.code_ttl_days, body_slug=body_slug,
                email=email, include_linked=include_linked,
            )  # fmt: skip
        except UnknownPerson as error:
            raise CliError(
                _("Nobody with the address {email} has a seat{scope}. See: sejabot roster list",
                  email=error.email, scope=f" ({body_slug})" if body_slug else ""),
                _,
            ) from None  # fmt: skip
        except UnknownBody as error:
            slugs = ", ".join(body.slug for body in await db.read.bodies.list()) or "-"
            raise CliError(
                _("There is no body with the short name '{slug}'. The bodies are: {slugs}.",
                  slug=error.slug, slugs=slugs),
                _,
            ) from None  # fmt: skip


@roster.command(
    "list",
    help=N_("List the active people of every body (or one) with their role and whether "
            "they are linked on Telegram and Matrix."),
)  # fmt: skip
@click.option(
    "--body",
    "body_slug",
    help=N_("Only this body, by its short name."),
)
@pass_cli
def list_command(cli: CliContext, body_slug: str | None) -> None:
    _ = cli.translator
    for line in run_async(_list(cli.settings, body_slug, _)):
        click.echo(line)


async def _list(settings: Settings, body_slug: str | None, _: Translator) -> list[str]:
    async with open_database(settings, _) as db:
        read = db.read
        bodies = await read.bodies.list()
        if body_slug is not None:
            bodies = [body for body in bodies if body.slug == body_slug]
            if not bodies:
                slugs = ", ".join(body.slug for body in await read.bodies.list()) or "-"
                raise CliError(
                    _("There is no body with the short name '{slug}'. The bodies are: {slugs}.",
                      slug=body_slug, slugs=slugs),
                    _,
                )  # fmt: skip
        if not bodies:
            return [_("The roster is empty. Import it first: sejabot roster import <file.csv>")]
        platforms: dict[int, set[Platform]] = {}
        for account in await read.accounts.list_all():
            platforms.setdefault(account.person_id, set()).add(account.platform)
        organisations = {
            organisation.id: organisation.name for organisation in await read.organisations.list()
        }
        lines: list[str] = []
        for body in bodies:
            assert body.id is not None
            if lines:
                lines.append("")
            lines.append(
                _("{name} ({slug}), {kind}, rules: {rule_set}", name=body.name, slug=body.slug,
                  kind=_(BODY_KIND_LABELS[body.kind]), rule_set=body.rule_set)
            )  # fmt: skip
            entries = []
            for seat in await read.memberships.list_for_body(body.id, active_only=True):
                person = await read.persons.get(seat.person_id)
                assert person is not None
                role = _(ROLE_LABELS[seat.role])
                if seat.organisation_id is not None:
                    role = f"{role}, {organisations.get(seat.organisation_id, '')}"
                linked = platforms.get(seat.person_id, set())
                entries.append((person.surname, person.name, role, linked))
            if not entries:
                lines.append("  " + _("(nobody)"))
                continue
            entries.sort(key=lambda entry: (slovenian_sort_key(entry[0]),
                                            slovenian_sort_key(entry[1])))  # fmt: skip
            name_width = max(len(f"{surname} {name}") for surname, name, _r, _l in entries)
            role_width = max(len(role) for _s, _n, role, _l in entries)
            yes, no = _("yes"), _("no")
            for surname, name, role, linked in entries:
                telegram = yes if Platform.TELEGRAM in linked else no
                matrix = yes if Platform.MATRIX in linked else no
                lines.append(
                    f"  {f'{surname} {name}':<{name_width}}  {role:<{role_width}}  "
                    + _("Telegram: {telegram}, Matrix: {matrix}", telegram=telegram,
                        matrix=matrix)
                )  # fmt: skip
        return lines
