"""What the clerk does during a live session: mark members present in the hall (hybrid
sessions) and see who answered the invitation and why members cannot come."""

from __future__ import annotations

from html import escape

from bot.domain.models import Platform, SessionStatus
from bot.live import payloads
from bot.live.agenda import roll
from bot.live.attendance import attendance_overview, overview_text
from bot.live.effects import Effects
from bot.live.panels import send_panel_to
from bot.live.presence import hall_as_before, unmark_hall
from bot.live.session_actions import member_present
from bot.live.wording.common import person_name
from handlers.context import HandlerContext
from handlers.live.common import (
    PRESIDING_ROLES,
    ChairDuty,
    apply,
    body_ids_with,
    live_sessions_of,
    may_preside,
    presided_session,
    refuse_not_presiding,
    session_title,
)
from handlers.routes import Routes
from storage.repositories.live.presence import PanelKind


async def _toggle(ctx: HandlerContext, session_id: int, person_id: int, effects: Effects) -> str:
    """Marks the member present in the hall, or takes a hall mark back."""
    _ = ctx._
    person = await ctx.repos.persons.get(person_id)
    name = escape(person_name(person)) if person else "?"
    if await unmark_hall(ctx.repos, session_id, person_id):
        effects.panels.add(session_id)
        effects.hall_panels.add(session_id)
        return _("{name}: no longer marked present in the hall.", name=name)
    confirmation, more = await member_present(
        ctx.repos, ctx.app, session_id, person_id, ctx.now, Platform.HALL
    )
    effects.merge(more)
    if confirmation.recorded is None:
        return _("{name} is not a member at this session.", name=name)
    if confirmation.already and confirmation.recorded.platform is not Platform.HALL:
        return _("{name} already confirmed presence in the chat.", name=name)
    return _("{name}: present in the hall.", name=name)


async def hall_command(ctx: HandlerContext) -> None:
    """/dvorana: the hall list; /dvorana 3 5 toggles members by number; /dvorana kot prej."""
    session = await presided_session(ctx, ChairDuty.HALL)
    if session is None:
        return
    session_id = session.id or 0
    args = [a.lower() for a in ctx.event.args]
    effects = Effects()
    if not args:

        async def send_panel() -> None:
            assert ctx.person is not None and ctx.person.id is not None
            await send_panel_to(ctx.app, session_id, PanelKind.HALL, ctx.person)

        ctx.after_commit.append(send_panel)
        return
    if args[0] in ("kot", "prej", "enako"):
        marked = await hall_as_before(ctx.repos, session_id, ctx.now)
        effects.panels.add(session_id)
        effects.hall_panels.add(session_id)
        ctx.reply_text(
            ctx._("Marked present in the hall as at the previous check: {count}.", count=marked)
        )
        apply(ctx, effects)
        return
    members = await roll(ctx.repos, session_id)
    lines = []
    for arg in args:
        if not arg.isdecimal() or not 1 <= int(arg) <= len(members):
            lines.append(
                ctx._(
                    "{value} is not a number on the hall list (1 to {count}).",
                    value=escape(arg),
                    count=len(members),
                )
            )
            continue
        lines.append(await _toggle(ctx, session_id, members[int(arg) - 1].id or 0, effects))
    effects.hall_panels.add(session_id)
    ctx.reply_text("\n".join(lines))
    apply(ctx, effects)


async def hall_button(ctx: HandlerContext, rest: str) -> None:
    numbers = payloads.split_ints(rest, 2)
    if numbers is None:
        ctx.reply_text(ctx._("This button is no longer valid."))
        return
    session = await ctx.repos.sessions.get(numbers[0])
    if session is not None and not await may_preside(ctx, session):
        refuse_not_presiding(ctx, ChairDuty.HALL)
        return
    if session is None or session.status is not SessionStatus.OPEN:
        ctx.reply_text(ctx._("This button is no longer valid."))
        return
    effects = Effects()
    ctx.reply_text(await _toggle(ctx, numbers[0], numbers[1], effects))
    effects.hall_panels.add(numbers[0])
    apply(ctx, effects)


async def hall_as_before_button(ctx: HandlerContext, rest: str) -> None:
    session = await ctx.repos.sessions.get(int(rest)) if rest.isdecimal() else None
    if session is not None and not await may_preside(ctx, session):
        refuse_not_presiding(ctx, ChairDuty.HALL)
        return
    if session is None or session.status is not SessionStatus.OPEN:
        ctx.reply_text(ctx._("This button is no longer valid."))
        return
    marked = await hall_as_before(ctx.repos, session.id or 0, ctx.now)
    effects = Effects()
    effects.panels.add(session.id or 0)
    effects.hall_panels.add(session.id or 0)
    ctx.reply_text(
        ctx._("Marked present in the hall as at the previous check: {count}.", count=marked)
    )
    apply(ctx, effects)


async def attendance_command(ctx: HandlerContext) -> None:
    """/udelezba: who will attend, who cannot come and why, who has not answered."""
    if not body_ids_with(ctx, PRESIDING_ROLES):
        refuse_not_presiding(ctx, ChairDuty.ATTENDANCE)
        return
    sessions = await live_sessions_of(
        ctx, PRESIDING_ROLES, (SessionStatus.CONVENED, SessionStatus.OPEN)
    )
    if not sessions:
        ctx.reply_text(ctx._("There is no convened or open session."))
        return
    for session in sessions[:3]:
        overview = await attendance_overview(ctx.repos, session.id or 0)
        ctx.reply_text(
            overview_text(overview, await session_title(ctx, session), session.starts_at, ctx._)
        )


def register(routes: Routes) -> None:
    routes.command(("dvorana",), hall_command)
    routes.command(("udelezba",), attendance_command)
    routes.payload(payloads.HALL, hall_button)
    routes.payload(payloads.HALL_AS_BEFORE, hall_as_before_button)
