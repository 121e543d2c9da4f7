"""What the live-session handlers share: who may act on which session, timing, effects."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from html import escape

from bot.domain.audit_chain import SYSTEM_ACTOR, person_actor
from bot.domain.models import Platform, Role, Session, SessionStatus
from bot.i18n import N_
from bot.live.agenda import LIVE_SESSION_KINDS
from bot.live.effects import Effects
from bot.live.follow_up import after_commit
from bot.live.wording.common import session_name, when
from bot.transport.events import Choice, OutgoingMessage
from bot.transport.security_log import RefusalKind, input_kind
from handlers.context import HandlerContext

PRESIDING_ROLES = frozenset({Role.CHAIR, Role.CLERK})  # the clerk may act for the chair
MAX_VOTE_MINUTES = 120


class ChairDuty(StrEnum):
    """What the chair (or the clerk for the chair) does that a member may try by mistake."""

    OPEN_SESSION = "open_session"
    PRESENCE = "presence"
    OPEN_VOTE = "open_vote"
    CLOSE_VOTE = "close_vote"
    REPEAT_VOTE = "repeat_vote"
    PRACTICE_VOTE = "practice_vote"
    NOMINATION = "nomination"
    CLOSE_SESSION = "close_session"
    ATTENDANCE = "attendance"
    HALL = "hall"


# Each refusal says plainly who does it and, where it helps, what the member does instead.
NOT_PRESIDING_TEXTS: Mapping[ChairDuty, str] = {
    ChairDuty.OPEN_SESSION: N_(
        "This command is for the chair: only the chair can open the session (the clerk may do "
        "it for the chair). Once it is open, you will be asked here to confirm your presence."
    ),
    ChairDuty.PRESENCE: N_(
        "This command is for the chair: only the chair can have presence established again "
        '(the clerk may do it for the chair). To confirm your own presence, write "Prisoten".'
    ),
    ChairDuty.OPEN_VOTE: N_(
        "This command is for the chair: only the chair can open a vote or an election (the "
        "clerk may do it for the chair). When a vote opens, your ballot comes here."
    ),
    ChairDuty.CLOSE_VOTE: N_(
        "This command is for the chair: only the chair can close a vote (the clerk may do it "
        "for the chair)."
    ),
    ChairDuty.REPEAT_VOTE: N_(
        "This command is for the chair: only the chair can repeat a vote on an objection (the "
        "clerk may do it for the chair)."
    ),
    ChairDuty.PRACTICE_VOTE: N_(
        "This command is for the chair: only the chair can hold a practice vote (the clerk may "
        "do it for the chair)."
    ),
    ChairDuty.NOMINATION: N_(
        "This command is for the chair: only the chair can record a new nomination (the clerk "
        "may do it for the chair)."
    ),
    ChairDuty.CLOSE_SESSION: N_(
        "This command is for the chair: only the chair can end the session (the clerk may do "
        "it for the chair)."
    ),
    ChairDuty.ATTENDANCE: N_(
        "This command is for the chair and the clerk: only they see who will attend a session."
    ),
    ChairDuty.HALL: N_(
        "This command is for the chair and the clerk: only they mark members present in the "
        'hall. To confirm your own presence, write "Prisoten".'
    ),
}


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


async def presided_session(ctx: HandlerContext, duty: ChairDuty) -> Session | None:
    """The open session the chair (or clerk) acts on; replies and returns None if there is none."""
    sessions = await live_sessions_of(ctx, PRESIDING_ROLES, (SessionStatus.OPEN,))
    if sessions:
        return sessions[0]
    if not body_ids_with(ctx, PRESIDING_ROLES):
        refuse_not_presiding(ctx, duty)
        return None
    ctx.reply_text(
        ctx._(
            "No session is open. Open it first with {command}.", command=command(ctx, "odpri_sejo")
        )
    )
    return None


def refuse_not_presiding(ctx: HandlerContext, duty: ChairDuty) -> None:
    """A chair's or clerk's command or button used by someone who holds neither seat there:
    told who does it, and logged."""
    ctx.refuse(
        RefusalKind.NOT_PRESIDING,
        ctx._(NOT_PRESIDING_TEXTS[duty]),
        detail=f"{input_kind(ctx.event)} duty={duty}",
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
