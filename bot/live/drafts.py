"""A session convened in the chat is a draft until the clerk sends the invitations.

The draft is an ordinary session row with status ``draft`` plus the clerk's next step, so a
restart in the middle loses nothing. Before sending, the stored draft is checked exactly like a
convening file.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.domain.models import Session, SessionKind, SessionMode, SessionStatus
from bot.domain.rules import RuleSet
from bot.i18n import N_
from bot.live.agenda import load_agenda
from bot.live.convening import (
    AgendaEntry,
    CandidateSpec,
    ConveningSpec,
    ElectionSpec,
    MotionSpec,
    Problem,
    check_spec,
    finish_convening,
    store_agenda,
)
from bot.live.convening_file import ParsedConvening
from storage.repositories import Repositories
from storage.repositories.live.drafts import LiveDraft
from storage.repositories.live.sessions import LiveSessionInfo


async def create_draft(
    repos: Repositories, body_id: int, person_id: int, now: datetime, step: str
) -> LiveDraft:
    session = await repos.sessions.add(
        Session(
            None,
            body_id,
            SessionKind.REGULAR,
            "",
            mode=SessionMode.REMOTE,
            status=SessionStatus.DRAFT,
            created_at=now,
        )
    )
    assert session.id is not None
    await repos.live.sessions.add_info(LiveSessionInfo(session.id))
    return await repos.live.drafts.save(LiveDraft(person_id, session.id, step))


async def draft_from_file(
    repos: Repositories,
    body_id: int,
    person_id: int,
    parsed: ParsedConvening,
    now: datetime,
    step: str,
) -> LiveDraft:
    """A convening file sent in the chat becomes a draft; its materials are sent next."""
    assert parsed.starts_at is not None
    session = await repos.sessions.add(
        Session(
            None,
            body_id,
            parsed.kind,
            parsed.title,
            mode=parsed.mode,
            number=parsed.number,
            starts_at=parsed.starts_at,
            location=parsed.location,
            video_link=parsed.video_link,
            status=SessionStatus.DRAFT,
            created_at=now,
        )
    )
    assert session.id is not None
    await repos.live.sessions.add_info(
        LiveSessionInfo(
            session.id,
            ends_at=parsed.ends_at,
            urgent=parsed.urgent,
            urgency_reason=parsed.urgency_reason,
        )
    )
    await store_agenda(repos, session.id, parsed.agenda)
    await repos.live.sessions.set_reminders(
        session.id,
        [
            parsed.starts_at - before
            for before in parsed.reminders
            if parsed.starts_at - before > now
        ],
    )
    return await repos.live.drafts.save(LiveDraft(person_id, session.id, step))


async def draft_spec(repos: Repositories, session: Session) -> ConveningSpec:
    """The stored draft as a spec, to be checked like a file."""
    assert session.id is not None
    info = await repos.live.sessions.info(session.id) or LiveSessionInfo(session.id)
    entries: list[AgendaEntry] = []
    for item in await load_agenda(repos, session.id):
        if item.motion is not None:
            m = item.motion
            entries.append(MotionSpec(m.title, m.resolution, m.majority, m.vote_kind, m.category))
        elif item.election is not None:
            e = item.election
            entries.append(
                ElectionSpec(
                    e.title, e.posts, tuple(CandidateSpec(c.name, c.surname) for c in e.candidates)
                )
            )
    return ConveningSpec(
        body_id=session.body_id,
        kind=session.kind,
        mode=session.mode,
        title=session.title,
        starts_at=session.starts_at or session.created_at or datetime.min,
        ends_at=info.ends_at,
        location=session.location,
        video_link=session.video_link,
        urgent=info.urgent,
        urgency_reason=info.urgency_reason,
        agenda=tuple(entries),
    )


async def draft_problems(
    repos: Repositories, rule_set: RuleSet, session: Session, now: datetime
) -> list[Problem]:
    if session.starts_at is None:
        return [Problem(N_("The session needs the date and hour it starts."))]
    return check_spec(await draft_spec(repos, session), rule_set, now)


async def send_draft(
    repos: Repositories, rule_set: RuleSet, draft: LiveDraft, now: datetime
) -> tuple[Session | None, list[Problem]]:
    """Checks the draft once more and, if it passes, convenes it: the outbox takes over."""
    session = await repos.sessions.get(draft.session_id)
    if session is None or session.status is not SessionStatus.DRAFT:
        return None, []
    problems = await draft_problems(repos, rule_set, session, now)
    if problems:
        return None, problems
    info = await repos.live.sessions.info(session.id or 0) or LiveSessionInfo(session.id or 0)
    existing = await repos.live.sessions.reminders(session.id or 0)
    convened = await finish_convening(
        repos,
        session,
        now,
        draft.person_id,
        urgent=info.urgent,
        urgency_reason=info.urgency_reason,
        reminders=[session.starts_at - moment for moment in existing]
        if existing and session.starts_at
        else None,
    )
    await repos.live.drafts.delete(draft.person_id)
    return convened, []


async def set_urgency(repos: Repositories, session_id: int, reason: str) -> None:
    info = await repos.live.sessions.info(session_id) or LiveSessionInfo(session_id)
    await repos.live.sessions.update_info(replace(info, urgent=bool(reason), urgency_reason=reason))
