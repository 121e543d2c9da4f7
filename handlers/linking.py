"""Linking a chat account to a roster entry with a single-use invitation code."""

from __future__ import annotations

from html import escape

from bot.domain.models import Platform
from bot.security_log import RefusalKind, input_kind
from bot.services.invitations import normalise_code, redeem_code_in
from handlers.context import HandlerContext
from handlers.help import help_text
from handlers.routes import Routes

LINK_COMMANDS = frozenset({"start", "koda", "code"})


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
    outcome = await redeem_code_in(
        ctx.repos, code_text, Platform(event.platform), event.sender.external_id, ctx.now
    )
    if not outcome.linked:
        # The code itself is a secret: only what became of it is logged.
        ctx.refuse(
            RefusalKind.INVITATION_CODE,
            escape(outcome.message(ctx._)),
            detail=f"status={outcome.status}",
        )
        return
    ctx.reply_text(escape(outcome.message(ctx._)))
    if outcome.person is not None:
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
            "municipal administration, for example: {example}"
        , example="<code>K7PM-3QXR-WZ</code>"),
        detail=input_kind(ctx.event),
    )


async def list_linked(ctx: HandlerContext) -> None:
    """For clerks: who in their bodies is linked, and on which platform."""
    _ = ctx._
    lines: list[str] = []
    for membership in ctx.memberships:
        body = await ctx.repos.bodies.get(membership.body_id)
        if body is None:
            continue
        lines.append(f"<b>{escape(body.name)}</b>")
        for seat in await ctx.repos.memberships.list_for_body(body.id):
            person = await ctx.repos.persons.get(seat.person_id)
            if person is None:
                continue
            platforms = sorted(
                account.platform for account in await ctx.repos.accounts.list_for_person(person.id)
            )
            where = ", ".join(str(p).capitalize() for p in platforms) or _("not linked")
            lines.append(f"• {escape(person.surname)} {escape(person.name)}: {where}")
    ctx.reply_text("\n".join(lines) or _("You have no bodies to list."))


def register(routes: Routes) -> None:
    routes.command(("povezani", "linked"), list_linked, staff=True)
