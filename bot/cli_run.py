"""`sejabot run` (the bot on configured transports) and `sejabot demo` (on a local homeserver)."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from bot.cli_common import (
    CliContext,
    CliError,
    TranslatedCommand,
    missing_secret_key_message,
    open_database,
    pass_cli,
    run_async,
)
from bot.i18n import N_, Translator
from bot.transport.credentials import CredentialsRefused

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format=LOG_FORMAT)
    # Libraries log request URLs at INFO; Telegram's contain the bot token.
    for noisy in ("httpx", "httpcore", "nio", "telegram", "apscheduler", "aiosqlite", "peewee"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@click.command("run", cls=TranslatedCommand, help=N_("Run the bot on the configured transports."))
@click.option("--verbose", is_flag=True, help=N_("Log more detail."))
@pass_cli
def run(cli: CliContext, verbose: bool) -> None:
    _configure_logging(verbose)
    run_async(_run(cli))


async def _run(cli: CliContext) -> None:
    # Imported on use: the transports load python-telegram-bot and matrix-nio, which the
    # other commands do without.
    from bot.assembly import build_transports
    from bot.runtime import Runtime
    from bot.transport.matrix.sending import MatrixTransportError

    settings = cli.settings
    _ = cli.translator
    if settings.matrix.enabled and settings.server_keys is None:
        # The Matrix crypto store is encrypted with a key derived from it (bot/server_keys.py).
        raise CliError(missing_secret_key_message(_), _)
    async with open_database(settings, _) as db:
        transports = build_transports(settings, db)
        if not transports:
            raise CliError(
                _(
                    "No transport is enabled. Fix: set [telegram] enabled = true or "
                    "[matrix] enabled = true in the configuration, or try `sejabot demo`."
                ),
                _,
            )
        runtime = Runtime(db, transports, settings=settings)
        try:
            await runtime.run_until_signalled()
        except CredentialsRefused as refused:  # a configuration problem, not a crash
            raise CliError(refused.message(_), _) from None
        except MatrixTransportError as error:
            raise CliError(
                _("The Matrix transport cannot start: {detail}", detail=error), _
            ) from None


@click.command(
    "demo",
    cls=TranslatedCommand,
    help=N_("Start a local Matrix homeserver and the bot with demo members, to try it out."),
)
@click.option(
    "--dir",
    "work_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("var/demo"),
    show_default=True,
    help=N_("Folder for the demo's database and homeserver."),
)
@click.option(
    "--once", is_flag=True, help=N_("Start, print the log-ins, and stop (a quick check).")
)
@click.option("--verbose", is_flag=True, help=N_("Log more detail."))
@pass_cli
def demo(cli: CliContext, work_dir: Path, once: bool, verbose: bool) -> None:
    _configure_logging(verbose)
    run_async(_demo(work_dir, once, cli.translator))


async def _demo(work_dir: Path, once: bool, _: Translator) -> None:
    # Imported on use, as in _run: the demo runs the whole bot.
    from bot.demo import Demo, describe
    from bot.local_homeserver import SynapseError
    from bot.runtime import wait_for_stop_signal

    demo = Demo(work_dir, language=_.language)
    try:
        state = await demo.start()
        click.echo(describe(state, _))
        if not once:
            await wait_for_stop_signal()
    except SynapseError as error:
        raise CliError(
            _(
                "The local homeserver did not start: {error}. Fix: run `make synapse` first.",
                error=error,
            ),
            _,
        ) from None
    finally:
        await demo.stop()
