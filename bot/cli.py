"""The ``sejabot`` command: set up a deployment and check its configuration.

Each feature adds its groups through its ``Feature.commands`` (bot/features.py).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import click

from bot.audit.cli import audit
from bot.cli_backup import backup, restore
from bot.cli_common import (
    CONFIG_ENV,
    DEFAULT_CONFIG_PATH,
    LANGUAGE_ENV,
    CliContext,
    CliError,
    ConfigurationError,
    TranslatedGroup,
    missing_secret_key_message,
    open_database,
    pass_cli,
    run_async,
)
from bot.cli_run import demo, run
from bot.features import FEATURES
from bot.i18n import N_, SUPPORTED_LANGUAGES, Translator
from bot.server_keys import SECRET_KEY_ENV, new_secret_key
from bot.timeutil import format_duration
from bot.transport.credentials import CredentialsRefused, check_matrix, check_telegram
from config.settings import (
    MATRIX_ACCESS_TOKEN_ENV,
    MATRIX_PASSWORD_ENV,
    TELEGRAM_TOKEN_ENV,
    Settings,
    SettingsError,
    load_settings,
    starter_configuration,
)


@click.group(
    cls=TranslatedGroup,
    help=N_(
        "Sejabot: votes of municipal councils and surveys of the association of "
        "municipalities, over Telegram and Matrix."
    ),
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=CONFIG_ENV,
    is_eager=True,
    help=N_("Configuration file (default: ./sejabot.toml if it exists, else built-in defaults)."),
)
@click.option(
    "--lang",
    type=click.Choice(SUPPORTED_LANGUAGES),
    envvar=LANGUAGE_ENV,
    is_eager=True,
    help=N_("Language of the output: sl or en (default: the configuration's language)."),
)
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, lang: str | None) -> None:
    # Everything a command writes (database, backups, exports, minutes, the Matrix store) may
    # hold votes or keys: readable by the owner only (docs/SECURITY.md).
    os.umask(0o077)
    ctx.obj = CliContext(config_path=config_path, language=lang, environ=os.environ)


@main.command(
    "init",
    help=N_(
        "Write a starter configuration and create the database. "
        "An existing configuration file is kept unless --force is given."
    ),
)
@click.option(
    "--path",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_("Where to write the configuration (default: --config, else sejabot.toml)."),
)
@click.option(
    "--database",
    help=N_(
        "Database file to name in the configuration, relative to its folder "
        "(default: var/sejabot.sqlite3)."
    ),
)
@click.option("--force", is_flag=True, help=N_("Overwrite an existing configuration file."))
@pass_cli
def init_command(cli: CliContext, target: Path | None, database: str | None, force: bool) -> None:
    _ = cli.translator
    target = target or cli.explicit_config_path or DEFAULT_CONFIG_PATH
    if target.exists() and not force:
        raise CliError(
            _(
                "{path} already exists; nothing was changed. "
                "Fix: add --force to overwrite it, or choose another file with --path.",
                path=target,
            ),
            _,
        )
    _write_configuration(target, starter_configuration(database), force, _)
    click.echo(_("Wrote the configuration {path}.", path=target))
    try:
        settings = load_settings(target, cli.environ, language=_.language)
    except SettingsError as error:
        raise ConfigurationError(str(error), _) from None
    existed = settings.database_path.exists()
    run_async(_prepare_database(settings, _))
    if existed:
        click.echo(
            _(
                "The database {path} already existed; its schema is up to date.",
                path=settings.database_path,
            )
        )
    else:
        click.echo(_("Created the database {path}.", path=settings.database_path))
    click.echo("")
    if settings.server_keys is None:
        click.echo(
            _(
                "The server's secret key, made now and written nowhere: keep it with the other "
                "secrets and export it for every sejabot command (without it nobody can count "
                "secret ballots cast before a restart):"
            )
        )
        click.echo(f"  export {SECRET_KEY_ENV}={new_secret_key()}")
        click.echo("")
    click.echo(_("Next steps:"))
    steps = (
        _(
            "Edit {path}: the rules of procedure ([bot] default_rule_set) and the chat "
            "transports ([telegram], [matrix]).",
            path=target,
        ),
        _(
            "Set the secrets as environment variables, never in the file: {telegram} for "
            "Telegram; {matrix_token} or {matrix_password} for Matrix.",
            telegram=TELEGRAM_TOKEN_ENV,
            matrix_token=MATRIX_ACCESS_TOKEN_ENV,
            matrix_password=MATRIX_PASSWORD_ENV,
        ),
        _("Check the configuration: sejabot --config {path} check-config", path=target),
        _(
            "Import the council's roster: sejabot --config {path} roster import <file.csv>",
            path=target,
        ),
    )
    for number, step in enumerate(steps, start=1):
        click.echo(f"  {number}. {step}")


@main.command(
    "secret-key",
    help=N_("Print a new server secret key for SEJABOT_SECRET_KEY (it is stored nowhere)."),
)
def secret_key_command() -> None:
    click.echo(new_secret_key())


@main.command(
    "check-config",
    help=N_(
        "Check the configuration and show a summary. Secrets are shown only as set or not set."
    ),
)
@click.option(
    "--online",
    is_flag=True,
    help=N_("Also ask Telegram and the Matrix homeserver whether they accept the credentials."),
)
@pass_cli
def check_config_command(cli: CliContext, online: bool) -> None:
    settings = cli.settings
    _ = cli.translator
    if cli.config_path is None:
        click.echo(_("No configuration file; the built-in defaults are in use and valid."))
    else:
        click.echo(_("The configuration {path} is valid.", path=cli.config_path))
    for line in summary_lines(settings, _):
        click.echo(f"  {line}")
    for warning in _warnings(settings, _):
        click.echo(_("Warning: {message}", message=warning), err=True)
    if online:
        refused = run_async(_check_online(settings, _))
        if refused:
            raise CliError("\n".join(refused), _)


async def _check_online(settings: Settings, _: Translator) -> list[str]:
    """Asks each enabled platform about the bot's credentials; returns the refusals."""
    refused = []
    telegram, matrix = settings.telegram, settings.matrix
    if telegram.enabled and telegram.token is not None:
        try:
            name = await check_telegram(telegram.token.get_secret_value(), telegram.api_base_url)
            click.echo(_("Telegram accepts the token: the bot is @{name}.", name=name))
        except CredentialsRefused as error:
            refused.append(error.message(_))
    if matrix.enabled and matrix.homeserver and matrix.user_id:
        try:
            device = await check_matrix(
                str(matrix.homeserver),
                matrix.user_id,
                matrix.device_id or "SEJABOT",
                access_token=matrix.access_token.get_secret_value()
                if matrix.access_token
                else None,
                password=matrix.password.get_secret_value() if matrix.password else None,
            )
            click.echo(
                _(
                    "The homeserver accepts {user} as device {device}.",
                    user=matrix.user_id,
                    device=device,
                )
            )
        except CredentialsRefused as error:
            refused.append(error.message(_))
    return refused


def summary_lines(settings: Settings, _: Translator) -> list[str]:
    """What a deployment will do, in the user's language; secrets only as set / not set."""

    def state(secret: object) -> str:
        return _("set") if secret is not None else _("not set")

    def on_off(enabled: bool) -> str:
        return _("enabled") if enabled else _("disabled")

    database_state = _("exists") if settings.database_path.exists() else _("will be created")
    telegram, matrix = settings.telegram, settings.matrix
    lines = [
        _("Language: {value}", value=settings.language),
        _("Time zone: {value}", value=settings.timezone),
        _("Database: {path} ({state})", path=settings.database_path, state=database_state),
        _("Default rules of procedure: {value}", value=settings.default_rule_set),
        _(
            "Server secret key {env}: {secret}",
            env=SECRET_KEY_ENV,
            secret=state(settings.bot.secret_key),
        ),
        _(
            "Telegram: {state}; bot: {username}; mode: {mode}; {env}: {secret}",
            state=on_off(telegram.enabled),
            username=telegram.bot_username or "-",
            mode=telegram.mode,
            env=TELEGRAM_TOKEN_ENV,
            secret=state(telegram.token),
        ),
        _(
            "Matrix: {state}; homeserver: {homeserver}; user: {user}; {token_env}: {token}; "
            "{password_env}: {password}",
            state=on_off(matrix.enabled),
            homeserver=matrix.homeserver or "-",
            user=matrix.user_id or "-",
            token_env=MATRIX_ACCESS_TOKEN_ENV,
            token=state(matrix.access_token),
            password_env=MATRIX_PASSWORD_ENV,
            password=state(matrix.password),
        ),
        _(
            "Matrix users accepted from: {servers}",
            servers=", ".join(filter(None, (matrix.server_name, *matrix.allowed_servers))) or "-",
        ),
        _.plural(
            "Invitation codes are valid for {count} day.",
            "Invitation codes are valid for {count} days.",
            settings.linking.code_ttl_days,
        ),
        _(
            "Reminders before a correspondence session's deadline: {durations}",
            durations=_durations(settings.reminders.correspondence),
        ),
        _(
            "Reminders before a survey's deadline: {durations}",
            durations=_durations(settings.reminders.survey),
        ),
    ]
    if settings.bot.rules_dirs:
        lines.insert(
            4,
            _(
                "Own rules folders: {folders}",
                folders=", ".join(str(p) for p in settings.bot.rules_dirs),
            ),
        )
    return lines


def _durations(values: tuple[timedelta, ...]) -> str:
    return ", ".join(format_duration(value) for value in values) or "-"


def _warnings(settings: Settings, _: Translator) -> list[str]:
    warnings = []
    if settings.server_keys is None:
        warnings.append(missing_secret_key_message(_))
    name = settings.default_rule_set
    if not any((folder / f"{name}.toml").is_file() for folder in settings.rules_search_path):
        folders = ", ".join(str(folder) for folder in settings.rules_search_path)
        warnings.append(
            _("the rule set {name} was not found in {folders}.", name=name, folders=folders)
        )
    return warnings


def _write_configuration(target: Path, text: str, force: bool, _: Translator) -> None:
    """Write the file whole or not at all; without --force never replace an existing one."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if not force:
            with target.open("x", encoding="utf-8") as handle:
                handle.write(text)
            return
        partial = target.with_name(f".{target.name}.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
    except FileExistsError:
        raise CliError(
            _(
                "{path} already exists; nothing was changed. "
                "Fix: add --force to overwrite it, or choose another file with --path.",
                path=target,
            ),
            _,
        ) from None
    except OSError as error:
        raise CliError(
            _(
                "{path} cannot be written ({detail}). Fix: choose a folder you may write to.",
                path=target,
                detail=error.strerror or error,
            ),
            _,
        ) from None


async def _prepare_database(settings: Settings, _: Translator) -> None:
    async with open_database(settings, _, keys_required=False):
        pass  # opening applies the migrations; nothing is written that needs the keys


# The bot's own commands, then each feature's (bot/features.py).
for command in (
    run,
    demo,
    backup,
    restore,
    audit,
    *(command for feature in FEATURES for command in feature.commands),
):
    main.add_command(command)
