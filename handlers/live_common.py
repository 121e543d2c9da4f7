"""What the live-session handlers share: who may act on which session, timing, effects."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from html import escape

from bot.domain.audit_chain import SYSTEM_ACTOR, person_actor
from bot.domain.models import Platform, Role, Session, SessionStatus
from bot.security_log import RefusalKind, input_kind
from bot.services.live_agenda import LIVE_SESSION_KINDS
from bot.services.live_effects import Effects, after_commit
from bot.services.live_wording import session_name, when
from bot.transport.events import Choice, OutgoingMessage
from handlers.context import HandlerContext

PRESIDING_ROLES = frozenset({Role.CHAIR, Role.CLERK})  # the clerk may act for the chair
MAX_VOTE_MINUTES = 120


def action_time(ctx: HandlerContext) -> datetime:
    """When the member acted: the platform's own stamp where it gives one.

    Telegram stamps messages but not button presses (the transport puts the moment of receipt
    there), so for a press the bot's own clock stands in.
    """
    event = ctx.event
    if event.choice is not None and event.platform == Platform.TELEGRAM:
        return ctx.now
    return event.timestamp


def actor_of(ctx: HandlerContext) -> str:
    """Who acted, as the audit trail names people."""
    return person_actor(ctx.person.id) if ctx.person and ctx.person.id else SYSTEM_ACTOR


def apply(ctx: HandlerContext, effects: Effects) -> None:
    """Messages go out after the commit; panels, timers and minutes follow them."""
    ctx.outgoing.extend(effects.outgoing)
    app = ctx.app

    async def follow_up() -> None:
        await after_commit(app, effects)

    ctx.after_commit.append(follow_up)


def body_ids_with(ctx: HandlerContext, roles: Collection[Role]) -> set[int]:
    return {m.body_id for m in ctx.memberships if m.role in roles}


async def live_sessions_of(
    ctx: HandlerContext, roles: Collection[Role], statuses: Collection[SessionStatus]
) -> list[Session]:
    """Live sessions of the bodies where the person holds one of ``roles``, newest first."""
    found: list[Session] = []
    for body_id in sorted(body_ids_with(ctx, roles)):
        for session in await ctx.repos.sessions.list_for_body(body_id):
            if session.kind not in LIVE_SESSION_KINDS or session.status not in statuses:
                continue
            if session.id is not None and await ctx.repos.live.sessions.info(session.id):
                found.append(session)
    found.sort(key=lambda s: (s.starts_at or s.created_at or ctx.now, s.id or 0), reverse=True)
    return found


async def presided_session(ctx: HandlerContext) -> Session | None:
    """The open session the chair (or clerk) acts on; replies and returns None if there is none."""
    sessions = await live_sessions_of(ctx, PRESIDING_ROLES, (SessionStatus.OPEN,))
    if sessions:
        return sessions[0]
    if not body_ids_with(ctx, PRESIDING_ROLES):
        refuse_not_presiding(ctx)
        return None
    ctx.reply_text(
        ctx._(
            "No session is open. Open it first with {command}.", command=command(ctx, "odpri_sejo")
        )
    )
    return None


def refuse_not_presiding(ctx: HandlerContext, detail: str = "") -> None:
    """A chair's or clerk's command or button used by someone who holds neither seat."""
    ctx.refuse(
        RefusalKind.NOT_PRESIDING,
        ctx._("This command is for the chair and the clerk of a council."),
        detail=detail or input_kind(ctx.event),
    )


async def may_preside(ctx: HandlerContext, session: Session) -> bool:
    return session.body_id in body_ids_with(ctx, PRESIDING_ROLES)


def command(ctx: HandlerContext, name: str) -> str:
    prefix = "!" if ctx.event.platform == Platform.MATRIX else "/"
    return f"{prefix}{name}"


def parse_minutes(text: str) -> timedelta | None | str:
    """A vote's length in whole minutes; "0" means until the chair closes it.

    Returns the duration, None for "until closed", or the text back when it is not a number.
    """
    stripped = text.strip().lower().removesuffix("min").strip()
    if not stripped.isdecimal():
        return text
    minutes = int(stripped)
    if minutes == 0:
        return None
    return timedelta(minutes=min(minutes, MAX_VOTE_MINUTES))


async def session_title(ctx: HandlerContext, session: Session) -> str:
    body = await ctx.repos.bodies.get(session.body_id)
    return session_name(session, body.name if body else "", ctx._)


async def offer_sessions(
    ctx: HandlerContext, sessions: list[Session], prefix: str, question: str
) -> None:
    rows = []
    for session in sessions[:10]:
        label = await session_title(ctx, session)
        if session.starts_at is not None:
            label = f"{label} ({when(session.starts_at, ctx._)})"
        rows.append((Choice(label[:60], f"{prefix}:{session.id}"),))
    ctx.reply(OutgoingMessage(html=escape(question), choices=tuple(rows), poll_question=question))
