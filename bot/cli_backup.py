"""`sejabot backup FILE`: a consistent copy of the live database, safe while the bot runs."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli_common import CliContext, CliError, TranslatedCommand, pass_cli, run_async
from bot.i18n import N_
from storage.errors import StorageError
from storage.restore import RestoreRefused, restore_file
from storage.sqlite import backup_file


@click.command(
    "backup",
    cls=TranslatedCommand,
    help=N_("Copy the database consistently, also while the bot is running."),
)
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@pass_cli
def backup(cli: CliContext, target: Path) -> None:
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


@click.command(
    "restore",
    cls=TranslatedCommand,
    help=N_(
        "Put a backup in the database's place (the bot must be stopped); the current "
        "database is kept beside it."
    ),
)
@click.argument("backup_path", metavar="BACKUP", type=click.Path(dir_okay=False, path_type=Path))
@pass_cli
def restore(cli: CliContext, backup_path: Path) -> None:
    _ = cli.translator
    target = cli.settings.database_path
    if not backup_path.is_file():
        raise CliError(_("There is no backup at {path}.", path=backup_path), _)
    if backup_path.resolve() == target.resolve():
        raise CliError(_("The backup is the database itself; nothing was restored."), _)
    try:
        kept = run_async(restore_file(backup_path, target))
    except RestoreRefused as refused:
        raise CliError(refused.message(_.language), _) from None
    except (OSError, StorageError) as error:
        raise CliError(_("The restore failed: {error}", error=error), _) from None
    click.echo(_("Restored {backup} to {target}.", backup=backup_path, target=target))
    if kept is not None:
        click.echo(_("The previous database was kept as {path}.", path=kept))
    click.echo(
        _(
            "Restore the Matrix store from the same backup, then start the bot: it applies "
            "pending migrations and closes what came due meanwhile. Votes cast after the "
            "backup was taken must be cast again."
        )
    )
