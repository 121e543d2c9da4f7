"""``sejabot audit``: verify the audit trail's hash chain, show its head and its entries."""

from __future__ import annotations

import click

from bot.audit.trail import chain_head, describe_break, describe_discrepancy, verify
from bot.cli_common import CliContext, CliError, TranslatedGroup, open_database, pass_cli, run_async
from bot.domain.audit_chain import Anchor, ChainEntry, ChainHead, VerificationResult
from bot.i18n import N_, Translator
from bot.server_keys import SECRET_KEY_ENV
from bot.timeutil import format_local
from config.settings import Settings

SHOW_PAGE = 1000
SHORT_HASH = 16


@click.group(
    "audit",
    cls=TranslatedGroup,
    help=N_(
        "The audit trail: an append-only, hash-chained record of invitations, delivery "
        "confirmations, votes (without the choice of secret votes), closings and outcomes."
    ),
)
def audit() -> None:
    pass


@audit.command(
    "verify",
    help=N_(
        "Check that no entry of the audit trail was changed, removed or inserted, that every "
        "entry is signed by this server, and that the votes, ballots, delivery confirmations, "
        "attendance and survey answers in the tables agree with it. Exit code 0 when all "
        "holds, 1 naming each problem otherwise."
    ),
)
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    metavar="SEQ:HASH",
    help=N_(
        "A head published earlier, as the minutes or a result message print it (e.g. "
        "41:3f9a0c2d5e7b8a10): the entry must still have that hash. May be given several times."
    ),
)
@pass_cli
def verify_command(cli: CliContext, anchors: tuple[str, ...]) -> None:
    _ = cli.translator
    parsed = [parse_anchor(text, _) for text in anchors]
    result = run_async(_verify(cli.settings, parsed, _))
    for found in result.discrepancies:
        click.echo(describe_discrepancy(found, _))
    if result.entries and not result.signatures_checked:
        click.echo(unchecked_signatures_text(_))
    if result.broken is not None:
        raise CliError(describe_break(result.broken, _), _)
    if result.discrepancies:
        raise CliError(
            _.plural(
                "{count} row of the tables disagrees with the audit trail (listed above): it "
                "was changed behind the bot's back.",
                "{count} rows of the tables disagree with the audit trail (listed above): they "
                "were changed behind the bot's back.",
                len(result.discrepancies),
            ),
            _,
        )
    click.echo(verified_text(result, _))
    if result.entries:
        if result.signatures_checked:
            click.echo(signatures_text(result, _))
        if result.facts_checked:
            click.echo(
                _(
                    "The votes, ballots, delivery confirmations, attendance and survey answers "
                    "in the tables agree with the audit trail."
                )
            )


def verified_text(result: VerificationResult, _: Translator) -> str:
    if result.entries == 0:
        return _("The audit trail is empty; there is nothing to verify yet.")
    return _.plural(
        "The chain of {count} entry is intact, head {hash} (entry {seq}).",
        "The chain of {count} entries is intact, head {hash} (entry {seq}).",
        result.entries,
        hash=result.head.hash,
        seq=result.head.seq,
    )


def signatures_text(result: VerificationResult, _: Translator) -> str:
    if result.signed == result.entries:
        return _("Every entry is signed by this server.")
    if result.signed == 0:
        return _(
            "No entry is signed: all were written without the server's secret key, so only "
            "the chain and the published heads vouch for them."
        )
    return _(
        "Entries 1 to {last} are not signed (written before Sejabot signed its audit trail); "
        "every later entry is signed by this server.",
        last=result.entries - result.signed,
    )


def unchecked_signatures_text(_: Translator) -> str:
    return _(
        "Signatures were not checked: {env} is not set. Without the server's secret key an "
        "entry appended with its hash computed anew cannot be told from the bot's own; set "
        "{env} as the bot has it and verify again.",
        env=SECRET_KEY_ENV,
    )


def parse_anchor(text: str, _: Translator) -> Anchor:
    seq_text, separator, hash_text = text.strip().partition(":")
    try:
        if not separator:
            raise ValueError(text)
        return Anchor(int(seq_text), hash_text.strip().rstrip("…").lower())
    except ValueError:
        raise CliError(
            _(
                "--anchor {value}: write the entry number and at least {digits} hex digits of "
                "its hash, separated by a colon, e.g. 41:3f9a0c2d5e7b8a10.",
                value=text,
                digits=Anchor.MIN_PREFIX,
            ),
            _,
        ) from None


async def _verify(settings: Settings, anchors: list[Anchor], _: Translator) -> VerificationResult:
    async with open_database(settings, _, keys_required=False) as db:
        return await verify(db, anchors, keys=settings.server_keys)


@audit.command("head", help=N_("Show the newest entry's number and hash, as the minutes print it."))
@pass_cli
def head_command(cli: CliContext) -> None:
    _ = cli.translator
    head = run_async(_head(cli.settings, _))
    if head.seq == 0:
        click.echo(_("The audit trail is empty."))
        return
    click.echo(
        _("Head of the audit trail: entry {seq}, hash {hash}.", seq=head.seq, hash=head.hash)
    )


async def _head(settings: Settings, _: Translator) -> ChainHead:
    async with open_database(settings, _, keys_required=False) as db:
        return await chain_head(db)


@audit.command("show", help=N_("List the entries of the audit trail, oldest first."))
@click.option(
    "--last",
    type=click.IntRange(min=1),
    help=N_("Show only the newest N entries."),
)
@pass_cli
def show_command(cli: CliContext, last: int | None) -> None:
    _ = cli.translator
    shown = run_async(_show(cli.settings, last, _))
    if not shown:
        click.echo(_("The audit trail is empty."))


async def _show(settings: Settings, last: int | None, _: Translator) -> int:
    """Prints the entries page by page; returns how many were shown."""
    async with open_database(settings, _, keys_required=False) as db:
        if last is not None:
            entries = await db.read.audit.latest(last)
            for entry in entries:
                click.echo(entry_line(entry, settings, _))
            return len(entries)
        shown, after = 0, 0
        while page := await db.read.audit.entries_after(after, SHOW_PAGE):
            for entry in page:
                click.echo(entry_line(entry, settings, _))
            shown += len(page)
            after = page[-1].seq
        return shown


def entry_line(entry: ChainEntry, settings: Settings, _: Translator) -> str:
    """``seq  local time  kind  subject  actor  details  hash``, details as stored."""
    try:
        when = format_local(entry.recorded_at_utc, _.language, settings.zone)
    except ValueError:
        when = entry.recorded_at  # a tampered time is shown as it is; verify names it
    return "  ".join(
        (
            f"{entry.seq:>6}",
            when,
            entry.kind,
            entry.subject,
            entry.actor,
            entry.details,
            entry.hash[:SHORT_HASH],
        )
    )
