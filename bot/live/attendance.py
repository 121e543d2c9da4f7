"""Members' answers to an invitation (art. 16): "I will attend", or "I cannot come" with a reason.

A member who cannot come must tell the mayor the reason before the session starts; the bot asks
for it right after the answer, keeps it for the minutes and tells the chair and the clerk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from html import escape

from bot.domain.models import Person, SessionStatus
from bot.i18n import Translator
from bot.live.agenda import alphabetical, persons_by_id, staff_ids
from bot.live.effects import Effects
from bot.live.wording.common import person_name, session_name, when
from bot.transport.events import OutgoingMessage
from storage.repositories import Repositories
from storage.repositories.live.sessions import AttendanceAnswer, InvitedAs, LiveInvitation

MAX_REASON_LENGTH = 500


class AnswerRefusal(StrEnum):
    NO_SUCH_SESSION = "no_such_session"
    CLOSED = "closed"
    NOT_ON_ROLL = "not_on_roll"


@dataclass(frozen=True, slots=True)
class AnswerOutcome:
    invitation: LiveInvitation | None
    refusal: AnswerRefusal | None = None


async def record_answer(
    repos: Repositories, session_id: int, person_id: int, answer: AttendanceAnswer, now: datetime
) -> AnswerOutcome:
    session = await repos.sessions.get(session_id)
    if session is None or await repos.live.sessions.info(session_id) is None:
        return AnswerOutcome(None, AnswerRefusal.NO_SUCH_SESSION)
    if session.status is SessionStatus.CLOSED:
        return AnswerOutcome(None, AnswerRefusal.CLOSED)
    invitation = await repos.live.sessions.answer(
        session_id,
        person_id,
        answer,
        now,
        awaiting_reason=answer is AttendanceAnswer.DECLINE,
    )
    if invitation is None:
        return AnswerOutcome(None, AnswerRefusal.NOT_ON_ROLL)
    return AnswerOutcome(invitation)


async def record_reason(
    repos: Repositories, person: Person, text: str, now: datetime
) -> tuple[LiveInvitation, Effects] | None:
    """Takes ``text`` as the reason of the member's latest decline still waiting for one."""
    assert person.id is not None
    waiting = await repos.live.sessions.awaiting_reason(person.id)
    if not waiting:
        return None
    invitation = waiting[0]
    reason = " ".join(text.split())[:MAX_REASON_LENGTH]
    stored = await repos.live.sessions.answer(
        invitation.session_id, person.id, AttendanceAnswer.DECLINE, now, reason=reason
    )
    assert stored is not None
    effects = Effects()
    effects.panels.add(invitation.session_id)
    session = await repos.sessions.get(invitation.session_id)
    body = await repos.bodies.get(session.body_id) if session else None
    chairs, clerks = await staff_ids(repos, invitation.session_id)
    for staff_id, staff in (await persons_by_id(repos, set(chairs + clerks))).items():
        _ = Translator(staff.language)
        name = session_name(session, body.name if body else "", _) if session else ""
        effects.send(
            staff_id,
            OutgoingMessage(
                html=_(
                    "{member} cannot come to {session}. Reason: {reason}",
                    member=escape(person.full_name),
                    session=escape(name),
                    reason=escape(reason),
                )
            ),
        )
    return stored, effects


@dataclass(frozen=True, slots=True)
class AttendanceOverview:
    attending: list[Person]
    declined: list[tuple[Person, str]]
    unanswered: list[Person]
    not_reached: list[Person]  # the invitation could not be sent yet: no linked chat


async def attendance_overview(repos: Repositories, session_id: int) -> AttendanceOverview:
    invitations = [
        i for i in await repos.live.sessions.invitations(session_id) if i.role is InvitedAs.MEMBER
    ]
    people = await persons_by_id(repos, [i.person_id for i in invitations])
    by_person = {i.person_id: i for i in invitations}
    attending, declined, unanswered, not_reached = [], [], [], []
    for person in alphabetical(people.values()):
        invitation = by_person[person.id or 0]
        if invitation.answer is AttendanceAnswer.ATTEND:
            attending.append(person)
        elif invitation.answer is AttendanceAnswer.DECLINE:
            declined.append((person, invitation.reason))
        elif invitation.sent_at is None:
            not_reached.append(person)
        else:
            unanswered.append(person)
    return AttendanceOverview(attending, declined, unanswered, not_reached)


def overview_text(
    overview: AttendanceOverview, title: str, starts_at: datetime | None, _: Translator
) -> str:
    lines = [f"<b>{escape(title)}</b>"]
    if starts_at is not None:
        lines.append(_("Starts: {moment}", moment=when(starts_at, _)))

    def names(people: list[Person]) -> str:
        return ", ".join(escape(person_name(p)) for p in people) or "—"

    lines.append(
        _(
            "Will attend ({count}): {names}",
            count=len(overview.attending),
            names=names(overview.attending),
        )
    )
    lines.append(_("Cannot come ({count}):", count=len(overview.declined)))
    for person, reason in overview.declined:
        shown = escape(reason) if reason else _("reason not given yet")
        lines.append(f"• {escape(person_name(person))}: {shown}")
    lines.append(
        _(
            "Not answered yet ({count}): {names}",
            count=len(overview.unanswered),
            names=names(overview.unanswered),
        )
    )
    if overview.not_reached:
        lines.append(
            _(
                "Invitation not delivered yet, no linked chat ({count}): {names}",
                count=len(overview.not_reached),
                names=names(overview.not_reached),
            )
        )
    return "\n".join(lines)
