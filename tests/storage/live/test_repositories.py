"""The live-session tables: outbox claims, checkpoints, frozen presence, panels, drafts."""

from __future__ import annotations

from datetime import timedelta

import aiosqlite
import pytest

from bot.domain.models import Platform
from storage.database import Database
from storage.repositories.live.drafts import LiveDraft
from storage.repositories.live.presence import CheckpointReason, PanelKind, PanelRef
from storage.repositories.live.sessions import AttendanceAnswer, InvitedAs
from tests.storage.live.factories import NOW, app_for, convened_session, live_council


async def test_an_invitation_is_claimed_by_one_sender_and_again_only_after_the_lease(
    db: Database,
) -> None:
    body_id, people, _chair, _clerk = await live_council(db)
    session = await convened_session(db, app_for(db), body_id)
    sid, pid = session.id or 0, people[0].id or 0
    async with db.transaction() as repos:
        assert await repos.live.sessions.claim(sid, pid, NOW, NOW - timedelta(minutes=2))
        assert not await repos.live.sessions.claim(sid, pid, NOW, NOW - timedelta(minutes=2))
        later = NOW + timedelta(minutes=3)  # the first sender crashed: the lease ran out
        assert await repos.live.sessions.claim(sid, pid, later, later - timedelta(minutes=2))
        await repos.live.sessions.mark_sent(sid, pid, later)
        assert not await repos.live.sessions.claim(
            sid, pid, later + timedelta(hours=1), later + timedelta(hours=1)
        )
        unsent = await repos.live.sessions.unsent(sid)
    assert pid not in [i.person_id for i in unsent]


async def test_the_roll_is_the_members_invited_and_staff_get_copies(db: Database) -> None:
    body_id, people, chair, clerk = await live_council(db, members=15)
    session = await convened_session(db, app_for(db), body_id)
    invitations = await db.read.live.sessions.invitations(session.id or 0)
    roles = {i.person_id: i.role for i in invitations}
    assert roles[chair.id or 0] is InvitedAs.CHAIR and roles[clerk.id or 0] is InvitedAs.CLERK
    assert sorted(await db.read.live.sessions.roll(session.id or 0)) == sorted(p.id for p in people)


async def test_answers_and_a_reason_awaited_then_given(db: Database) -> None:
    body_id, people, chair, _clerk = await live_council(db)
    session = await convened_session(db, app_for(db), body_id)
    sid = session.id or 0
    async with db.transaction() as repos:
        declined = await repos.live.sessions.answer(
            sid, people[0].id or 0, AttendanceAnswer.DECLINE, NOW, awaiting_reason=True
        )
        assert declined is not None and declined.awaiting_reason
        assert [
            i.session_id for i in await repos.live.sessions.awaiting_reason(people[0].id or 0)
        ] == [sid]
        given = await repos.live.sessions.answer(
            sid, people[0].id or 0, AttendanceAnswer.DECLINE, NOW, reason="bolezen"
        )
        assert given is not None and given.reason == "bolezen" and not given.awaiting_reason
        # The chair is not on the roll and does not answer.
        assert (
            await repos.live.sessions.answer(sid, chair.id or 0, AttendanceAnswer.ATTEND, NOW)
            is None
        )


async def test_a_reminder_is_claimed_once_per_due_time(db: Database) -> None:
    body_id, people, _chair, _clerk = await live_council(db)
    session = await convened_session(db, app_for(db), body_id)
    due = await db.read.live.sessions.reminders(session.id or 0)
    assert len(due) == 2  # three days and one day before the session
    async with db.transaction() as repos:
        pid = people[0].id or 0
        assert await repos.live.sessions.claim_reminder(session.id or 0, pid, due[0])
        assert not await repos.live.sessions.claim_reminder(session.id or 0, pid, due[0])
        assert await repos.live.sessions.claim_reminder(session.id or 0, pid, due[1])


async def test_checkpoints_are_numbered_and_panels_replaced_per_chat(db: Database) -> None:
    body_id, _people, chair, _clerk = await live_council(db)
    session = await convened_session(db, app_for(db), body_id)
    sid = session.id or 0
    async with db.transaction() as repos:
        first = await repos.live.presence.open_checkpoint(sid, CheckpointReason.START, NOW)
        second = await repos.live.presence.open_checkpoint(sid, CheckpointReason.BREAK, NOW)
        assert (first.checkpoint, second.checkpoint) == (0, 1)
        assert not await repos.live.presence.checkpoint_in_use(sid, 1)
        for message_id in ("10", "11"):
            await repos.live.presence.set_panel(
                PanelRef(sid, PanelKind.QUORUM, chair.id or 0, Platform.TELEGRAM, "500", message_id)
            )
        panels = await repos.live.presence.panels(sid, PanelKind.QUORUM)
    assert [p.message_id for p in panels] == ["11"]


async def test_one_draft_per_clerk(db: Database) -> None:
    body_id, _people, _chair, clerk = await live_council(db)
    session = await convened_session(db, app_for(db), body_id)
    async with db.transaction() as repos:
        await repos.live.drafts.save(LiveDraft(clerk.id or 0, session.id or 0, "title"))
        await repos.live.drafts.save(
            LiveDraft(clerk.id or 0, session.id or 0, "start", pending_title="x")
        )
        draft = await repos.live.drafts.get(clerk.id or 0)
        assert draft is not None and draft.step == "start" and draft.pending_title == "x"
        await repos.live.drafts.delete(clerk.id or 0)
        assert await repos.live.drafts.get(clerk.id or 0) is None


async def test_the_schema_refuses_an_urgent_session_without_a_reason(
    db: Database, raw: aiosqlite.Connection
) -> None:
    body_id, _people, _chair, _clerk = await live_council(db)
    session = await convened_session(db, app_for(db), body_id)
    with pytest.raises(aiosqlite.IntegrityError):
        await raw.execute(
            "UPDATE live_sessions SET urgent = TRUE, urgency_reason = '' WHERE session_id = ?",
            (session.id,),
        )
