"""`sejabot backup FILE`: a consistent copy of the live database, safe while the bot runs."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli_common import CliContext, CliError, TranslatedCommand, pass_cli, run_async
from bot.i18n import N_


@click.command(
    "backup",
    cls=TranslatedCommand,
    help=N_("Copy the database consistently, also while the bot is running."),
)
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@pass_cli
def backup(cli: CliContext, target: Path) -> None:
    from storage.database import backup_file
    from storage.errors import StorageError

    _ = cli.translator
    source = cli.settings.database_path
    if not source.is_file():
        raise CliError(_("There is no database at {path} to back up.", path=source), _)
    if target.resolve() == source.resolve():
        raise CliError(_("The backup must not overwrite the database itself."), _)
    try:
        run_async(backup_file(source, target))
    except (OSError, StorageError) as error:
        raise CliError(_("The backup failed: {error}", error=error), _) from None
    click.echo(_("Backed up {source} to {target}.", source=source, target=target))
