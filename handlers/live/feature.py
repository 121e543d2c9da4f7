"""Live remote and hybrid sessions: the routes of members, the chair and the clerk, timers
and the command line."""

from __future__ import annotations

from bot.domain.models import Role
from bot.feature import Feature
from bot.live.cli import live
from bot.live.schedule import live_timers
from handlers.context import HandlerContext
from handlers.live import chair as live_chair
from handlers.live import clerk as live_clerk
from handlers.live import convening as live_convene_flow
from handlers.live import members as live_members
from handlers.live.common import command
from handlers.routes import Routes


async def help_lines(ctx: HandlerContext) -> list[str]:
    """/pomoc: what this person does at live sessions."""
    _ = ctx._
    roles = ctx.roles
    lines = []
    if Role.MEMBER in roles:
        lines.append(
            _(
                "• Sessions (remote or hybrid): answer the invitation with the buttons; at the "
                'session confirm presence with "Prisoten" and vote with the buttons, then '
                "confirm."
            )
        )
    if Role.CHAIR in roles or Role.CLERK in roles:
        lines.append(
            _(
                "• Chairing a session: {open} opens it, {presence} establishes presence again "
                '("{presence} odmor" after a break), {vote} [item] [minutes] opens a vote '
                "({elect} for an election), {close} closes it, {repeat} item objection repeats "
                "it, {practice} [tajno] holds a practice vote, {nominate} item candidates records "
                "a new nomination, {attendance} shows who comes, {end} ends the session.",
                open=command(ctx, "odpri_sejo"),
                presence=command(ctx, "navzocnost"),
                vote=command(ctx, "glasovanje"),
                elect=command(ctx, "volitve"),
                close=command(ctx, "zapri_glasovanje"),
                repeat=command(ctx, "ponovi"),
                practice=command(ctx, "poskusno"),
                nominate=command(ctx, "kandidati"),
                attendance=command(ctx, "udelezba"),
                end=command(ctx, "zakljuci_sejo"),
            )
        )
    if Role.CLERK in roles:
        lines.append(
            _(
                "• {convene} — convene a session step by step or from a file; {hall} — mark "
                "members present in the hall.",
                convene=command(ctx, "sklic"),
                hall=command(ctx, "dvorana"),
            )
        )
    return lines


def register(routes: Routes) -> None:
    for part in (live_members, live_chair, live_clerk, live_convene_flow):
        part.register(routes)
    routes.help_lines(help_lines)


FEATURE = Feature("live", routes=register, on_start=live_timers.on_start, commands=(live,))
