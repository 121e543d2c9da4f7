"""Opening and closing a live session and establishing presence, with the messages they cause.

Each action runs in the caller's transaction and returns :class:`Effects`: the messages to
members and staff, the panels to refresh, the minutes to send.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from html import escape
from typing import TYPE_CHECKING

from bot.domain.audit_chain import SYSTEM_ACTOR, AuditKind, session_subject
from bot.domain.models import Platform, SessionStatus
from bot.i18n import Translator
from bot.live.agenda import everyone, persons_by_id, session_context
from bot.live.effects import Effects
from bot.live.panels import reason_words
from bot.live.presence import PresenceConfirmation, confirm_presence, open_checkpoint
from bot.live.vote_actions import send_open_ballots
from bot.live.voting import any_open_round
from bot.live.wording.common import session_name, when
from bot.live.wording.votes import presence_request
from bot.timeutil import LJUBLJANA
from bot.transport.events import OutgoingMessage
from storage.repositories import Repositories
from storage.repositories.live.presence import CheckpointReason

if TYPE_CHECKING:
    from bot.app import App


class SessionRefusal(StrEnum):
    NO_SUCH_SESSION = "no_such_session"
    NOT_CONVENED = "not_convened"  # still a draft, or already open or closed
    TOO_EARLY = "too_early"  # opened on a day before the one it was convened for
    NOT_OPEN = "not_open"
    VOTE_OPEN = "vote_open"  # a vote must be closed first


async def _title(repos: Repositories, session_id: int, _: Translator) -> str:
    context = await session_context(repos, session_id)
    if context is None:
        return ""
    return session_name(context.session, context.body.name, _)


async def ask_presence(
    repos: Repositories, session_id: int, reason: CheckpointReason, effects: Effects
) -> None:
    """Asks every member on the roll to confirm presence for the latest check."""
    roll_ids = await repos.live.sessions.roll(session_id)
    for person_id, person in (await persons_by_id(repos, roll_ids)).items():
        _ = Translator(person.language)
        effects.send(
            person_id,
            presence_request(
                await _title(repos, session_id, _), session_id, reason_words(reason, _), _
            ),
        )


async def open_session(
    repos: Repositories, session_id: int, now: datetime, actor: str = SYSTEM_ACTOR
) -> tuple[SessionRefusal | None, Effects]:
    """The chair opens the session on its day (art. 26): presence check 0 begins."""
    effects = Effects()
    session = await repos.sessions.get(session_id)
    info = await repos.live.sessions.info(session_id)
    if session is None or info is None:
        return SessionRefusal.NO_SUCH_SESSION, effects
    if session.status is not SessionStatus.CONVENED:
        return SessionRefusal.NOT_CONVENED, effects
    if session.starts_at is not None and (
        now.astimezone(LJUBLJANA).date() < session.starts_at.astimezone(LJUBLJANA).date()
    ):
        return SessionRefusal.TOO_EARLY, effects
    await repos.sessions.set_status(session_id, SessionStatus.OPEN, at=now, actor=actor)
    await repos.live.sessions.update_info(replace(info, opened_at=now))
    await open_checkpoint(repos, session_id, CheckpointReason.START, now)
    await ask_presence(repos, session_id, CheckpointReason.START, effects)
    effects.new_panels.add(session_id)
    return None, effects


async def new_presence_check(
    repos: Repositories, session_id: int, reason: CheckpointReason, now: datetime
) -> tuple[SessionRefusal | None, Effects]:
    """Presence established again: after a break, or when the chair or a member asks."""
    effects = Effects()
    session = await repos.sessions.get(session_id)
    if session is None:
        return SessionRefusal.NO_SUCH_SESSION, effects
    if session.status is not SessionStatus.OPEN:
        return SessionRefusal.NOT_OPEN, effects
    if await any_open_round(repos, session_id):
        return SessionRefusal.VOTE_OPEN, effects
    await open_checkpoint(repos, session_id, reason, now)
    await ask_presence(repos, session_id, reason, effects)
    effects.new_panels.add(session_id)
    return None, effects


async def member_present(
    repos: Repositories,
    app: App,
    session_id: int,
    person_id: int,
    at: datetime,
    platform: Platform,
) -> tuple[PresenceConfirmation, Effects]:
    """A member is present (in the chat, or marked in the hall): ballots of open votes follow."""
    effects = Effects()
    confirmation = await confirm_presence(repos, session_id, person_id, at, platform)
    if confirmation.recorded is not None and not confirmation.already:
        effects.panels.add(session_id)
    if confirmation.recorded is not None:
        await send_open_ballots(repos, app, session_id, person_id, effects)
    return confirmation, effects


async def close_session(
    repos: Repositories, session_id: int, now: datetime, actor: str = SYSTEM_ACTOR
) -> tuple[SessionRefusal | None, Effects]:
    """Ends the session; everyone is told, the chair and the clerk get the minutes."""
    effects = Effects()
    session = await repos.sessions.get(session_id)
    info = await repos.live.sessions.info(session_id)
    if session is None or info is None:
        return SessionRefusal.NO_SUCH_SESSION, effects
    if session.status is not SessionStatus.OPEN:
        return SessionRefusal.NOT_OPEN, effects
    if await any_open_round(repos, session_id):
        return SessionRefusal.VOTE_OPEN, effects
    await repos.sessions.set_status(session_id, SessionStatus.CLOSED, at=now, actor=actor)
    await repos.live.sessions.update_info(replace(info, closed_at=now))
    # Last of the session's facts: its entry heads the audit trail the minutes cite.
    await repos.audit.append(
        AuditKind.SESSION_CLOSED,
        session_subject(session_id),
        actor,
        {"reason": "chair", "members": len(await repos.live.sessions.roll(session_id))},
        now,
    )
    for person_id, person in (
        await persons_by_id(repos, await everyone(repos, session_id))
    ).items():
        _ = Translator(person.language)
        effects.send(
            person_id,
            OutgoingMessage(
                html=_(
                    "{session} ended at {time}. Thank you.",
                    session=f"<b>{escape(await _title(repos, session_id, _))}</b>",
                    time=when(now, _),
                )
            ),
        )
    effects.panels.add(session_id)
    effects.minutes.add(session_id)
    return None, effects
