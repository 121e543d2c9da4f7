"""The outbox: sessions stored as ready (by the chat flow or by the CLI, another process) are
opened and their invitations sent by the running bot, so only one process drives the bot.

Opening lists the body's voting members (the base of the quorum, art. 21(2)), opens vote
round 1 of every motion with the deadline as its closing time, marks the session open and
posts the clerks' live tally. Then each member's invitation is claimed, sent and marked sent,
many members at once: a crash mid-sending resumes with the members not yet marked. Only a
crash between sending and marking can repeat one member's invitation. A member with no linked
chat is not sent anything yet; once they link an account, the next pass reaches them.
When the first pass over a session is done, its clerks are told to whom it went and who needs
the invitation delivered in person.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from html import escape
from typing import TYPE_CHECKING

from bot.domain.audit_chain import SYSTEM_ACTOR, AuditKind, session_subject
from bot.domain.lot import slovenian_sort_key
from bot.domain.models import Person, SessionStatus
from bot.i18n import Translator
from bot.services.correspondence_create import voting_member_ids
from bot.services.correspondence_invitations import remember, rules_of, show_to_member
from bot.services.correspondence_tally import (
    SessionTally,
    clerk_ids,
    load_tally,
    post_tallies,
    refresh_tallies,
)
from bot.services.correspondence_wording import quoted
from bot.transport.events import OutgoingMessage
from storage.repositories.correspondence_progress import InvitationRecord, Milestone

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

MAX_SEND_ATTEMPTS = 5
# Members whose invitations are on their way at once: with a chat paced at one message a
# second, three messages per member and 30 messages/s overall, about 45 keep the platform busy.
MEMBERS_AT_ONCE = 64
CLAIM_LEASE = timedelta(minutes=5)


async def open_ready_sessions(app: App) -> list[int]:
    """Open every session stored as ready; returns the ids this call opened."""
    opened = []
    for session_id in await app.db.read.correspondence.progress.waiting_to_open():
        if await open_session(app, session_id):
            opened.append(session_id)
            session = await app.db.read.sessions.get(session_id)
            assert session is not None
            body = await app.db.read.bodies.get(session.body_id)
            assert body is not None
            await post_tallies(app, session_id, rules_of(app, body))
    return opened


async def open_session(app: App, session_id: int) -> bool:
    """List the members and open the votes, once; False if already opened (or not found)."""
    now = app.now()
    async with app.db.transaction() as repos:
        session = await repos.sessions.get(session_id)
        if session is None or session.status is not SessionStatus.CONVENED:
            return False
        if not await repos.correspondence.progress.claim(session_id, Milestone.OPENED, now):
            return False
        members = await voting_member_ids(repos, session.body_id)
        await repos.correspondence.progress.list_members(session_id, members, now)
        for motion in await repos.motions.list_for_session(session_id):
            assert motion.id is not None
            await repos.rounds.open(motion.id, motion.vote_kind, now, session.deadline)
        await repos.sessions.set_status(session_id, SessionStatus.OPEN, at=now)
    log.info("correspondence session %s opened for %d members", session_id, len(members))
    return True


@dataclass(frozen=True, slots=True)
class _Sending:
    """One running session's invitations still to send, with what they are built from."""

    session_id: int
    tally: SessionTally
    unsent: list[InvitationRecord]


async def send_pending_invitations(app: App) -> None:
    """Send every running session's unsent invitations, ``MEMBERS_AT_ONCE`` members at a time
    across all sessions: each member's messages go one after another (the platform paces a
    chat), so only many members in flight use the platform's overall rate."""
    sendings = []
    for session_id in await app.db.read.correspondence.progress.running():
        sending = await _pending_sending(app, session_id)
        if sending is not None:
            sendings.append(sending)
    queue = [(sending, invitation) for sending in sendings for invitation in sending.unsent]
    work = iter(queue)

    async def member_after_member() -> None:
        for sending, invitation in work:  # one shared iterator: each item taken once
            await _invite(app, sending, invitation.person_id)

    async with asyncio.TaskGroup() as group:
        for _ in range(min(MEMBERS_AT_ONCE, len(queue))):
            group.create_task(member_after_member())
    for sending in sendings:
        if sending.unsent:
            await refresh_tallies(app, sending.session_id, sending.tally.rules)
        await report_sending(app, sending.session_id)


async def _pending_sending(app: App, session_id: int) -> _Sending | None:
    read = app.db.read
    session = await read.sessions.get(session_id)
    if session is None or session.deadline is None or app.now() >= session.deadline:
        return None  # nothing to invite to any more; closing takes it from here
    body = await read.bodies.get(session.body_id)
    assert body is not None
    rules = rules_of(app, body)
    unsent = await read.correspondence.progress.unsent(session_id, MAX_SEND_ATTEMPTS)
    return _Sending(session_id, await load_tally(read, session_id, rules), unsent)


async def _invite(app: App, sending: _Sending, person_id: int) -> None:
    """Claim one member's invitation, send it, and mark it sent (or failed)."""
    session_id = sending.session_id
    now = app.now()
    async with app.db.transaction() as repos:
        claimed = await repos.correspondence.progress.claim_invitation(
            session_id, person_id, now, now - CLAIM_LEASE
        )
    if not claimed:
        return
    try:
        sent = await show_to_member(
            app, sending.tally, person_id, with_files=True, only_pending=False, bulk=True
        )
    except Exception:
        log.exception("invitation of session %s to person %s failed", session_id, person_id)
        sent = []
    has_chats = bool(await app.db.read.accounts.list_for_person(person_id))
    async with app.db.transaction() as repos:
        if sent:
            sent_at = app.now()
            await remember(repos, session_id, person_id, sent, sent_at)
            chats = {item.ref.chat for item in sent}
            await repos.correspondence.progress.mark_sent(session_id, person_id, sent_at, len(chats))
            for platform in sorted({chat.platform.value for chat in chats}):
                await repos.audit.append(
                    AuditKind.SESSION_INVITATION_SENT, session_subject(session_id),
                    SYSTEM_ACTOR, {"person": person_id, "platform": platform}, sent_at,
                )  # fmt: skip
        else:
            await repos.correspondence.progress.mark_failed(session_id, person_id, counts=has_chats)


async def report_sending(app: App, session_id: int) -> None:
    """Once per session: tell the clerks to whom the invitation went and who needs it by hand."""
    now = app.now()
    async with app.db.transaction() as repos:
        if not await repos.correspondence.progress.claim(
            session_id, Milestone.SENDING_REPORTED, now
        ):
            return
    read = app.db.read
    session = await read.sessions.get(session_id)
    assert session is not None
    invitations = await read.correspondence.progress.invitations(session_id)
    unreached: list[Person] = []
    for invitation in invitations:
        if invitation.sent_at is None:
            person = await read.persons.get(invitation.person_id)
            if person is not None:
                unreached.append(person)
    unreached.sort(key=lambda p: (slovenian_sort_key(p.surname), slovenian_sort_key(p.name)))
    sent = len(invitations) - len(unreached)
    for clerk_id in await clerk_ids(read, session.body_id):
        clerk = await read.persons.get(clerk_id)
        if clerk is None:
            continue
        _ = Translator(clerk.language)
        lines = [
            _(
                "The invitation to the correspondence session {title} went to {sent} of "
                "{members} members.",
                title=quoted(session.title),
                sent=sent,
                members=len(invitations),
            )
        ]
        if unreached:
            names = ", ".join(escape(person.full_name) for person in unreached)
            lines.append(
                _(
                    "These members could not be reached in the chat (no linked account, or "
                    "sending failed); deliver the invitation to them in person: {names}.",
                    names=names,
                )
            )
        await app.messenger.send_to_person(clerk_id, OutgoingMessage(html="\n".join(lines)))


async def dispatch(app: App) -> None:
    """Open what is ready and send what is unsent: the outbox's whole pass."""
    await open_ready_sessions(app)
    await send_pending_invitations(app)
