"""The outbox: sessions stored as ready (by the chat flow or by the CLI, another process) are
opened and their invitations sent by the running bot, so only one process drives the bot.

Opening lists the body's voting members (the base of the quorum, art. 21(2)), opens vote
round 1 of every motion with the deadline as its closing time, marks the session open and
posts the clerks' live tally. Then each member's invitation is claimed, sent and marked sent,
many members at once. One pass at a time sends a session: the pass claims it in the database
in the transaction that reads what is unsent, so the clerk's "Pošlji vabila" and the periodic
scan never both send it. Each message is recorded as soon as the platform accepted it, and a
pass that resumes after a stop sends a member only the messages not recorded: only a crash
between a platform's acceptance and the record repeats one message, and on Matrix not even
that: each message carries an idempotency key (``INVITATION_SHOWING``, the session, member,
message and chat), from which the transport derives the transaction ids the homeserver
deduplicates (bot/transport/matrix/sending.py). A clean stop lets the
members in flight finish (bot/in_flight.py). A member with no linked chat is not sent
anything yet; once they link an account, the next pass reaches them. A platform's refusal is
kept with its reason and not tried again. When the first pass over a session is done, its
clerks get the delivery report, which is edited with the live tally until every member is
settled (bot/correspondence/tally.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.correspondence.create import voting_member_ids
from bot.correspondence.invitations import (
    MemberDelivery,
    MessageKey,
    SentMessage,
    message_key,
    remember,
    rules_of,
    show_to_member,
)
from bot.correspondence.tally import (
    MAX_SEND_ATTEMPTS,
    SessionTally,
    load_tally,
    post_reports,
    post_tallies,
    refresh_tallies,
)
from bot.domain.audit_chain import SYSTEM_ACTOR, AuditKind, session_subject
from bot.domain.models import SessionStatus
from bot.transport.events import ChatRef
from storage.repositories.correspondence.messages import MessagePurpose
from storage.repositories.correspondence.progress import InvitationRecord, Milestone

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

# Members whose invitations are on their way at once: with a chat paced at one message a
# second, three messages per member and 30 messages/s overall, about 45 keep the platform busy.
MEMBERS_AT_ONCE = 64
CLAIM_LEASE = timedelta(minutes=5)
# A pass's claim on a session's sending, renewed with every member it starts.
SENDING_LEASE = timedelta(minutes=10)
# The first showing of a session to a member: every pass that sends it (after a stop, a crash,
# a passing failure) sends the same messages, so their idempotency keys stay the same and a
# Matrix homeserver shows a repeat once (bot/transport/matrix/sending.py).
INVITATION_SHOWING = "invitation"


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
    owner: str  # this pass's claim on the session's sending


async def send_pending_invitations(app: App) -> None:
    """Send every running session's unsent invitations, ``MEMBERS_AT_ONCE`` members at a time
    across all sessions: each member's messages go one after another (the platform paces a
    chat), so only many members in flight use the platform's overall rate. A session another
    pass is sending (the clerk's "Pošlji vabila" while the scan runs) is left to that pass,
    which also reports it; once the bot is stopping, no further member is started."""
    owner = f"{os.getpid()}:{uuid.uuid4().hex}"
    sendings: list[_Sending] = []
    skipped: set[int] = set()
    try:
        for session_id in await app.db.read.correspondence.progress.running():
            sending = await _pending_sending(app, session_id, owner)
            if sending is None:
                skipped.add(session_id)
            elif sending.unsent:
                sendings.append(sending)
        queue = [(sending, invitation) for sending in sendings for invitation in sending.unsent]
        work = iter(queue)

        async def member_after_member() -> None:
            for sending, invitation in work:  # one shared iterator: each item taken once
                if app.messenger.in_flight.closing:
                    return  # stopping: the rest is found unsent at the next start
                await _invite(app, sending, invitation.person_id)

        async with asyncio.TaskGroup() as group:
            for _ in range(min(MEMBERS_AT_ONCE, len(queue))):
                group.create_task(member_after_member())
    finally:
        async with app.db.transaction() as repos:
            for sending in sendings:
                await repos.correspondence.progress.release_sending(sending.session_id, owner)
    # Also while stopping (the stop waits for it): the tally and the report show the state.
    async with app.messenger.in_flight.delivery():
        for session_id in await app.db.read.correspondence.progress.running():
            if session_id in skipped:
                continue  # its sender reports it
            sending = next((s for s in sendings if s.session_id == session_id), None)
            if sending is not None:  # the tally and the report (once posted) show the new state
                await refresh_tallies(app, session_id, sending.tally.rules)
            await report_sending(app, session_id)


async def _pending_sending(app: App, session_id: int, owner: str) -> _Sending | None:
    """The session's unsent invitations, claimed for this pass in the same transaction that
    reads them; None when there is nothing to send any more or another pass is sending it."""
    now = app.now()
    async with app.db.transaction() as repos:
        session = await repos.sessions.get(session_id)
        if session is None or session.deadline is None or now >= session.deadline:
            return None  # nothing to invite to any more; closing takes it from here
        unsent = await repos.correspondence.progress.unsent(session_id, MAX_SEND_ATTEMPTS)
        if unsent and not await repos.correspondence.progress.claim_sending(
            session_id, owner, now, now - SENDING_LEASE
        ):
            log.info("invitations of session %s are being sent by another pass", session_id)
            return None
    body = await app.db.read.bodies.get(session.body_id)
    assert body is not None
    tally = await load_tally(app.db.read, session_id, rules_of(app, body))
    return _Sending(session_id, tally, unsent, owner)


async def _invite(app: App, sending: _Sending, person_id: int) -> None:
    """Claim one member's invitation, send what their chats do not hold yet, recording each
    message as the platform accepts it, and mark the invitation sent (or failed). A clean stop
    waits for this to finish (bot/in_flight.py)."""
    async with app.messenger.in_flight.delivery():
        await _invite_now(app, sending, person_id)


async def _invite_now(app: App, sending: _Sending, person_id: int) -> None:
    session_id = sending.session_id
    now = app.now()
    async with app.db.transaction() as repos:
        if not await repos.correspondence.progress.claim_sending(
            session_id, sending.owner, now, now - SENDING_LEASE
        ):
            return  # our claim lapsed and another pass took over
        claimed = await repos.correspondence.progress.claim_invitation(
            session_id, person_id, now, now - CLAIM_LEASE
        )
    if not claimed:
        return
    already = await _already_there(app, session_id, person_id)

    async def record(item: SentMessage) -> None:
        async with app.db.transaction() as repos:
            await remember(repos, session_id, person_id, [item], app.now())

    delivery = MemberDelivery()
    broken = ""
    try:
        await show_to_member(
            app, sending.tally, person_id, with_files=True, only_pending=False, bulk=True,
            already=already, on_sent=record, delivery=delivery, idempotency=INVITATION_SHOWING,
        )  # fmt: skip
    except Exception as error:
        log.exception("invitation of session %s to person %s failed", session_id, person_id)
        broken = str(error) or type(error).__name__
    complete = delivery.complete_chats()
    async with app.db.transaction() as repos:
        if complete:
            sent_at = app.now()
            await repos.correspondence.progress.mark_sent(
                session_id, person_id, sent_at, len(complete)
            )
            for platform in sorted({str(chat.platform) for chat in complete}):
                await repos.audit.append(
                    AuditKind.SESSION_INVITATION_SENT, session_subject(session_id),
                    SYSTEM_ACTOR, {"person": person_id, "platform": platform}, sent_at,
                )  # fmt: skip
        else:
            refusal = "; ".join(sorted(set(delivery.refused.values()))) or None
            failure = "; ".join(sorted({*delivery.failed.values(), broken} - {""})) or None
            if refusal is not None and failure is not None:
                refusal = None  # another chat may still get it: try again
            await repos.correspondence.progress.mark_failed(
                session_id, person_id, counts=bool(delivery.chats), refusal=refusal,
                failure=failure,
            )  # fmt: skip


async def _already_there(app: App, session_id: int, person_id: int) -> frozenset[MessageKey]:
    """The member's messages recorded by an earlier, interrupted pass."""
    read = app.db.read.correspondence.messages
    stored = [
        *await read.list(session_id, MessagePurpose.INVITATION, person_id=person_id),
        *await read.list(session_id, MessagePurpose.VOTE, person_id=person_id),
    ]
    return frozenset(
        message_key(m.purpose, m.motion_id, ChatRef(m.platform, m.chat_id)) for m in stored
    )


async def report_sending(app: App, session_id: int) -> bool:
    """Once per session: send the clerks the delivery report (per member: reached, not
    reachable and why, still being sent), which ``refresh_tallies`` then edits in place until
    every member is settled. False if it was sent before."""
    now = app.now()
    async with app.db.transaction() as repos:
        if not await repos.correspondence.progress.claim(
            session_id, Milestone.SENDING_REPORTED, now
        ):
            return False
    await post_reports(app, session_id)
    return True


async def dispatch(app: App) -> None:
    """Open what is ready and send what is unsent: the outbox's whole pass."""
    await open_ready_sessions(app)
    await send_pending_invitations(app)
