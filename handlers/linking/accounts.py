"""Linking a chat account to a roster entry with a single-use invitation code."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from bot.domain.models import Platform
from bot.linking.codes import RedeemStatus, normalise_code, redeem_code_in
from bot.timeutil import format_local
from bot.transport.security_log import RefusalKind, input_kind
from handlers.context import HandlerContext
from handlers.help import help_text
from handlers.routes import Routes

LINK_COMMANDS = frozenset({"start", "koda", "code"})
WRONG_CODE_STATUSES = frozenset(
    {RedeemStatus.UNKNOWN, RedeemStatus.ALREADY_USED, RedeemStatus.EXPIRED}
)
# Wrong codes allowed per chat account and per chat in an hour: enough for typing mistakes,
# while 50-bit codes stay far out of reach of guessing.
WRONG_CODES_PER_HOUR = 10
WRONG_CODE_WINDOW = timedelta(hours=1)


def code_in(ctx: HandlerContext) -> str | None:
    """The invitation code the event carries: `/start CODE`, `/koda CODE`, or the code alone."""
    event = ctx.event
    if event.command in LINK_COMMANDS and event.args:
        return event.args[0]
    if not event.command and event.text and normalise_code(event.text) is not None:
        return event.text
    return None


async def link_account(ctx: HandlerContext, code_text: str) -> None:
    event = ctx.event
    platform, account, chat = str(event.platform), event.sender.external_id, event.chat.chat_id
    attempts = ctx.repos.linking_attempts
    window_start = ctx.now - WRONG_CODE_WINDOW
    if await attempts.since(platform, account, chat, window_start) >= WRONG_CODES_PER_HOUR:
        first = await attempts.oldest_since(platform, account, chat, window_start) or ctx.now
        ctx.refuse(
            RefusalKind.CODE_ATTEMPTS_LIMITED,
            ctx._(
                "Too many wrong codes were sent from this account in the last hour, so this "
                "one was not checked. Send the code again after {time}; if it still does not "
                "work, ask the sender of the code for a new one.",
                time=format_local(first + WRONG_CODE_WINDOW, ctx._.language, ctx.app.settings.zone),
            ),
            detail=f"limit={WRONG_CODES_PER_HOUR}/h",
        )
        return
    outcome = await redeem_code_in(ctx.repos, code_text, Platform(event.platform), account, ctx.now)
    if not outcome.linked:
        if outcome.status in WRONG_CODE_STATUSES:
            await attempts.record(platform, account, chat, ctx.now)
        # The code itself is a secret: only what became of it is logged.
        ctx.refuse(
            RefusalKind.INVITATION_CODE,
            escape(outcome.message(ctx._)),
            detail=f"status={outcome.status}",
        )
        return
    ctx.reply_text(escape(outcome.message(ctx._)))
    if outcome.person is not None and outcome.person.id is not None:
        ctx.person = outcome.person
        ctx.memberships = await ctx.repos.memberships.list_for_person(outcome.person.id)
        ctx.reply_text(await help_text(ctx))


def explain_to_stranger(ctx: HandlerContext) -> None:
    """An unlinked user gets a polite explanation and nothing else."""
    _ = ctx._
    ctx.refuse(
        RefusalKind.UNLINKED_USER,
        _(
            "Good day. This bot serves members of municipal councils and the contacts of "
            "municipalities. To use it, send the invitation code you received from your "
            "municipal administration, for example: {example}",
            example="<code>K7PM-3QXR-WZ</code>",
        ),
        detail=input_kind(ctx.event),
    )


async def list_linked(ctx: HandlerContext) -> None:
    """For clerks: who in their bodies is linked, and on which platform."""
    _ = ctx._
    lines: list[str] = []
    for membership in ctx.memberships:
        body = await ctx.repos.bodies.get(membership.body_id)
        if body is None or body.id is None:
            continue
        lines.append(f"<b>{escape(body.name)}</b>")
        for seat in await ctx.repos.memberships.list_for_body(body.id):
            person = await ctx.repos.persons.get(seat.person_id)
            if person is None or person.id is None:
                continue
            platforms = sorted(
                account.platform for account in await ctx.repos.accounts.list_for_person(person.id)
            )
            where = ", ".join(str(p).capitalize() for p in platforms) or _("not linked")
            lines.append(f"• {escape(person.surname)} {escape(person.name)}: {where}")
    ctx.reply_text("\n".join(lines) or _("You have no bodies to list."))


def register(routes: Routes) -> None:
    routes.command(("povezani", "linked"), list_linked, staff=True)
