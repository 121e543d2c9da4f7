"""What every ``sejabot`` command shares: the context, clean errors, async and database helpers.

Commands receive a ``CliContext`` (``@pass_cli``) that loads the settings only when a command
asks for them, so ``sejabot init`` works where no configuration exists yet. Help texts, like
all output, are English message ids translated when shown: command classes here translate them
at help time, into the language of ``--lang``, SEJABOT_LANG or the configuration file.
"""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import AsyncIterator, Coroutine, Mapping
from contextlib import asynccontextmanager
from functools import cached_property
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from bot.i18n import DEFAULT_LANGUAGE, Translator
from bot.server_keys import SECRET_KEY_ENV
from config.settings import Settings, SettingsError, load_settings, peek_language
from storage.database import Database
from storage.errors import DatabaseBusy, DatabaseUnavailable, StorageError

DEFAULT_CONFIG_PATH = Path("sejabot.toml")
CONFIG_ENV = "SEJABOT_CONFIG"
LANGUAGE_ENV = "SEJABOT_LANG"

# Exit codes: 1 for a failed action, 2 for an unusable configuration (as click's usage errors).
EXIT_FAILURE = 1
EXIT_BAD_CONFIGURATION = 2

T = TypeVar("T")


class CliError(click.ClickException):
    """An error shown as translated lines, each prefixed "Error:" in the user's language."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, translator: Translator) -> None:
        super().__init__(message)
        self.translator = translator

    def show(self, file: IO[Any] | None = None) -> None:
        for line in self.format_message().splitlines():
            click.echo(self.translator("Error: {message}", message=line), file=file, err=True)


class CliContext:
    """Per-invocation state: where the configuration is, the output language, the environment."""

    def __init__(
        self,
        config_path: Path | None = None,
        language: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.explicit_config_path = config_path
        self.requested_language = language
        self.environ: Mapping[str, str] = os.environ if environ is None else environ

    @property
    def config_path(self) -> Path | None:
        """--config / SEJABOT_CONFIG, else ./sejabot.toml if present, else None (defaults)."""
        if self.explicit_config_path is not None:
            return self.explicit_config_path
        return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.is_file() else None

    @cached_property
    def translator(self) -> Translator:
        language = self.requested_language or peek_language(self.config_path) or DEFAULT_LANGUAGE
        return Translator(language)

    @cached_property
    def settings(self) -> Settings:
        try:
            return load_settings(self.config_path, self.environ, language=self.translator.language)
        except SettingsError as error:
            raise ConfigurationError(str(error), self.translator) from None


class ConfigurationError(CliError):
    """The configuration cannot be used (exit code 2)."""

    exit_code = EXIT_BAD_CONFIGURATION


pass_cli = click.make_pass_decorator(CliContext)


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run one command's async work on a fresh event loop."""
    return asyncio.run(coroutine)


@asynccontextmanager
async def open_database(
    settings: Settings, translator: Translator | None = None, *, keys_required: bool = True
) -> AsyncIterator[Database]:
    """Open (and migrate) the configured database; failures become clean CLI errors.

    Every command that may write needs the server's keys (SEJABOT_SECRET_KEY): they seal
    secret ballots and sign audit entries. Only reading commands pass ``keys_required=False``.
    """
    _ = translator or Translator(settings.language)
    path = settings.database_path
    keys = settings.server_keys
    if keys is None and keys_required:
        raise CliError(missing_secret_key_message(_), _)
    try:
        database = await Database.open(path, keys)
    except DatabaseBusy:
        raise CliError(_busy_message(path, _), _) from None
    except (DatabaseUnavailable, OSError) as error:  # before StorageError: a kind of it
        raise CliError(
            _(
                "The database {path} cannot be opened ({detail}). "
                "Fix: check that its folder exists and that you may write to it.",
                path=path,
                detail=error.__cause__ or error,
            ),
            _,
        ) from None
    except StorageError as error:
        # Storage errors (a newer schema, no write-ahead logging) carry their own translation.
        explain = getattr(error, "message", None)
        raise CliError(explain(_.language) if callable(explain) else str(error), _) from None
    try:
        yield database
    except DatabaseBusy:
        raise CliError(_busy_message(path, _), _) from None
    finally:
        await database.close()


def _busy_message(path: Path, _: Translator) -> str:
    return _(
        "The database {path} stayed busy (the running bot was writing), so nothing was "
        "changed. Fix: run the command again in a moment.",
        path=path,
    )


def missing_secret_key_message(_: Translator) -> str:
    return _(
        "{env} is not set; it seals secret ballots and signs the audit trail. "
        "Fix: export {env}=<the value sejabot init printed>; a new deployment gets one "
        "from: sejabot secret-key",
        env=SECRET_KEY_ENV,
    )


# --- translated help ---------------------------------------------------------------------------


def help_translator(ctx: click.Context) -> Translator:
    """The language for help texts, known before the root command's callback may have run."""
    root = ctx.find_root()
    if isinstance(root.obj, CliContext):
        return root.obj.translator
    language = root.params.get("lang") or os.environ.get(LANGUAGE_ENV)
    if not language:
        config = root.params.get("config_path") or os.environ.get(CONFIG_ENV)
        language = peek_language(Path(config) if config else DEFAULT_CONFIG_PATH)
    return Translator(language or DEFAULT_LANGUAGE)


class TranslatedCommand(click.Command):
    """A command whose help, usage line and option help are shown in the user's language."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _ = help_translator(ctx)
        pieces = self.collect_usage_pieces(ctx)
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=_("Usage: "))

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if not self.help:
            return
        _ = help_translator(ctx)
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(inspect.cleandoc(_(inspect.cleandoc(self.help))))

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _ = help_translator(ctx)
        rows = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            names, text = record
            if isinstance(param, click.Option) and param.help:
                text = text.replace(param.help, _(param.help), 1)
            rows.append((names, text))
        if rows:
            with formatter.section(_("Options")):
                formatter.write_dl(rows)


class TranslatedGroup(TranslatedCommand, click.Group):
    """A command group translated like ``TranslatedCommand``, its subcommands listed translated."""

    command_class = TranslatedCommand

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        TranslatedCommand.format_options(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        _ = help_translator(ctx)
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            summary = command.short_help or command.help or ""
            text = _(inspect.cleandoc(summary)) if summary else ""
            rows.append((name, _summary(text, formatter.width - 6 - len(name))))
        if rows:
            with formatter.section(_("Commands")):
                formatter.write_dl(rows)


TranslatedGroup.group_class = TranslatedGroup


def _summary(text: str, limit: int) -> str:
    """The first sentence of a help text, shortened to ``limit`` characters for command lists."""
    first_paragraph = text.split("\n\n", 1)[0].replace("\n", " ").strip()
    sentence = first_paragraph.split(". ", 1)[0].rstrip(".")
    if len(sentence) <= limit:
        return sentence
    return sentence[: max(limit - 3, 1)].rstrip() + "..."
