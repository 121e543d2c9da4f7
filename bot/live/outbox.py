"""The running bot sends what convening stored: invitations, then reminders (art. 16-20).

The database is the outbox. Each message of a person's invitation is recorded in the send
ledger as soon as the platform accepted it (batch kind ``live_invitation``, one per session), and
the invitation is marked sent once all of them are out, so a pass that resumes after a crash sends
the person only the messages their chats do not hold yet: only a crash between a platform's
acceptance and the record repeats a message, one per person at most. The claim of a bot process
that stopped or crashed lapses at once (the next start resumes), one of this process with its
lease. A member who has not linked a chat account yet stays unsent and is served as soon as
they link. A clean stop lets the person in flight finish (bot/in_flight.py). Reminders go to
members who have not answered, exactly once per reminder time (bot/send_ledger.py).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot import send_ledger
from bot.domain.audit_chain import SYSTEM_ACTOR, AuditKind, session_subject
from bot.domain.models import Person, Session, SessionStatus
from bot.i18n import Translator
from bot.live.agenda import load_agenda
from bot.live.calendar import CALENDAR_FILENAME, CALENDAR_MEDIA_TYPE, session_calendar
from bot.live.wording.invitations import attendance_question, invitation_text, reminder_text
from bot.transport.events import OutgoingFile, OutgoingMessage
from storage.repositories import Repositories
from storage.repositories.live.sessions import InvitedAs, LiveInvitation

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

OUTBOX_STATUSES = (SessionStatus.CONVENED, SessionStatus.OPEN)
SEND_LEASE = timedelta(minutes=2)  # a claimed invitation not sent by then is claimed again


async def invitation_messages(
    repos: Repositories,
    app: App,
    session: Session,
    person: Person,
    role: InvitedAs,
    now: datetime,
) -> list[OutgoingMessage]:
    """The invitation with its calendar file and materials, then (for members) the question."""
    assert session.id is not None
    _ = Translator(person.language)
    body = await repos.bodies.get(session.body_id)
    body_name = body.name if body else ""
    rule_set = app.rule_set(body.rule_set if body else app.settings.default_rule_set)
    agenda = await load_agenda(repos, session.id)
    info = await repos.live.sessions.info(session.id)
    files = [
        OutgoingFile(
            CALENDAR_FILENAME,
            CALENDAR_MEDIA_TYPE,
            session_calendar(
                session,
                body_name,
                [item.title for item in agenda],
                now,
                _,
                ends_at=info.ends_at if info else None,
            ),
        )
    ]
    for material in await repos.materials.list_for_session(session.id):
        assert material.id is not None
        content = await repos.materials.get_content(material.id)
        if content is not None:
            files.append(OutgoingFile(material.filename, material.media_type, content))
    text = invitation_text(
        session,
        body_name,
        agenda,
        rule_set,
        _,
        urgency_reason=info.urgency_reason if info and info.urgent else "",
        material_count=len(files) - 1,
        for_information=role is not InvitedAs.MEMBER,
    )
    messages = [OutgoingMessage(html=text, files=tuple(files))]
    if role is InvitedAs.MEMBER:
        messages.append(attendance_question(session.id, _))
    return messages


INVITATION_KIND = "live_invitation"


async def _send(
    app: App, session_id: int, person_id: int, messages: list[OutgoingMessage]
) -> set[str]:
    """Sends the messages to every chat of the person, skipping those the send ledger holds
    from an earlier (interrupted) pass and recording each as the platform accepts it; returns
    the platforms that hold them."""
    async with app.db.transaction() as repos:
        batch_id = await send_ledger.plan(
            repos, INVITATION_KIND, str(session_id), [(person_id, {})], app.now(),
            {"session": session_id},
        )  # fmt: skip
        batch = await repos.send_ledger.by_id(batch_id)
        held = await repos.send_ledger.messages(batch_id, person_id)
    assert batch is not None
    sending = send_ledger.Recipient(
        app, batch, person_id, {}, {(m.part, m.platform, m.chat_id) for m in held}
    )
    sending.chats = await app.messenger.person_chats(person_id)
    for index, message in enumerate(messages):
        await sending.send(f"m{index}", message)
    return {chat.platform.value for chat in sending.reached}


async def _pending_sessions(app: App) -> list[Session]:
    sessions = []
    for session_id in await app.db.read.live.sessions.session_ids():
        session = await app.db.read.sessions.get(session_id)
        if session is not None and session.status in OUTBOX_STATUSES:
            sessions.append(session)
    return sessions


async def send_invitations(app: App) -> int:
    """Sends every invitation not yet sent; returns how many people were served."""
    served = 0
    for session in await _pending_sessions(app):
        assert session.id is not None
        for invitation in await app.db.read.live.sessions.unsent(session.id):
            person = await app.db.read.persons.get(invitation.person_id)
            if person is None or not await app.messenger.person_chats(invitation.person_id):
                continue
            if app.messenger.in_flight.closing:
                return served  # stopping: the rest is found unsent at the next start
            now = app.now()
            async with app.db.transaction() as repos:
                claimed = await repos.live.sessions.claim(
                    session.id, invitation.person_id, now, now - SEND_LEASE, send_ledger.PROCESS
                )
            if not claimed:
                continue
            async with app.messenger.in_flight.delivery():  # a clean stop waits for it
                if await _invite(app, session, person, invitation.role, now):
                    served += 1
    if served:
        log.info("live-session invitations sent to %d people", served)
    return served


async def _invite(
    app: App, session: Session, person: Person, role: InvitedAs, now: datetime
) -> bool:
    """One person's invitation, marked sent once it reached a chat."""
    assert session.id is not None and person.id is not None
    messages = await invitation_messages(app.db.read, app, session, person, role, now)
    platforms = await _send(app, session.id, person.id, messages)
    if not platforms:
        return False
    async with app.db.transaction() as repos:
        await repos.live.sessions.mark_sent(session.id, person.id, now)
        batch = await repos.send_ledger.get(INVITATION_KIND, str(session.id))
        if batch is not None:  # the ledger's part is bookkeeping: nobody resumes this kind
            await repos.send_ledger.mark_done(batch.id, person.id, len(platforms), now)
            await repos.send_ledger.finish_if_done(batch.id, now)
        for platform in sorted(platforms):
            await repos.audit.append(
                AuditKind.SESSION_INVITATION_SENT,
                session_subject(session.id),
                SYSTEM_ACTOR,
                {"person": person.id, "platform": platform},
                now,
            )
    return True


def _reminder_due(reminders: list[datetime], now: datetime) -> datetime | None:
    due = [moment for moment in reminders if moment <= now]
    return due[-1] if due else None


def _needs_reminder(invitation: LiveInvitation, due: datetime) -> bool:
    return (
        invitation.role is InvitedAs.MEMBER
        and invitation.sent_at is not None
        and invitation.answer is None
        and invitation.sent_at < due
        and (invitation.reminded_for is None or invitation.reminded_for < due)
    )


REMINDER_KIND = "live_reminder"


async def send_reminders(app: App) -> int:
    """Reminds members who have not answered, once per reminder time that has come.

    Exactly once (issue 15): the members to remind are claimed and stored as a batch in one
    transaction (bot/send_ledger.py); each message is recorded as the platform accepts
    it, and a stop or a crash leaves the members not yet reminded to the next pass."""
    await send_ledger.resume(app, (REMINDER_KIND,))
    reminded = 0
    now = app.now()
    for session in await _pending_sessions(app):
        assert session.id is not None
        if session.status is not SessionStatus.CONVENED or (
            session.starts_at is not None and session.starts_at <= now
        ):
            continue
        due = _reminder_due(await app.db.read.live.sessions.reminders(session.id), now)
        if due is None:
            continue
        scope = f"{session.id}:{due.isoformat()}"
        async with app.db.transaction() as repos:
            chosen: list[tuple[int, dict[str, object]]] = []
            for invitation in await repos.live.sessions.invitations(session.id):
                if _needs_reminder(invitation, due) and await repos.live.sessions.claim_reminder(
                    session.id, invitation.person_id, due
                ):
                    chosen.append((invitation.person_id, {}))
            if not chosen:
                continue
            await send_ledger.plan(
                repos, REMINDER_KIND, scope, chosen, now, {"session": session.id}
            )
        outcome = await send_ledger.run_planned(app, REMINDER_KIND, scope)
        if outcome is not None:
            reminded += sum(1 for chats in outcome.reached.values() if chats)
    if reminded:
        log.info("live-session reminders sent to %d members", reminded)
    return reminded


async def _remind(recipient: send_ledger.Recipient) -> None:
    app = recipient.app
    session = await app.db.read.sessions.get(int(recipient.batch.detail["session"]))
    person = await app.db.read.persons.get(recipient.person_id)
    if session is None or person is None or session.id is None:
        return
    if session.status is not SessionStatus.CONVENED:
        recipient.skipped = True  # it began meanwhile: the reminder is of no use now
        return
    body = await app.db.read.bodies.get(session.body_id)
    _ = Translator(person.language)
    await recipient.send(
        "text", OutgoingMessage(html=reminder_text(session, body.name if body else "", _))
    )
    await recipient.send("question", attendance_question(session.id, _, reminder=True))


send_ledger.register(REMINDER_KIND, _remind)
