"""Sessions, motions, materials, delivery confirmations and attendance."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import replace

import pytest

from bot.domain.models import (
    Attendance,
    AttendanceStatus,
    DeliveryConfirmation,
    Material,
    Motion,
    MotionCategory,
    Platform,
    Session,
    SessionKind,
    SessionMode,
    SessionStatus,
    Vote,
    VoteChoice,
    VoteKind,
)
from storage.database import Database
from storage.errors import CheckViolation, ForeignKeyViolation, NotFound
from tests.storage.factories import T0, at, correspondence_session, council, motion


async def test_sessions_round_trip_and_status(db: Database) -> None:
    live = Session(
        None,
        0,
        SessionKind.REGULAR,
        "12. redna seja",
        SessionMode.HYBRID,
        "12",
        starts_at=at(60 * 24 * 7),
        location="Sejna soba",
        video_link="https://zoom.example/j/1",
        created_at=at(1),
    )
    async with db.transaction() as repos:
        body, _ = await council(repos, members=1)
        stored_live = await repos.sessions.add(replace(live, body_id=body.id))
        correspondence = await correspondence_session(repos, body)
        opened = await repos.sessions.set_status(stored_live.id, SessionStatus.OPEN)
        with pytest.raises(NotFound):
            await repos.sessions.set_status(9999, SessionStatus.OPEN)
    assert stored_live.id is not None and stored_live.body_id == body.id
    assert stored_live.starts_at == at(60 * 24 * 7) and stored_live.created_at == at(1)
    assert opened.status is SessionStatus.OPEN
    assert await db.read.sessions.get(stored_live.id) == opened
    assert await db.read.sessions.get(correspondence.id) == correspondence
    assert correspondence.deadline == at(60 * 48)
    assert [s.id for s in await db.read.sessions.list_for_body(body.id)] == [
        stored_live.id,
        correspondence.id,
    ]  # newest first

    async with db.transaction() as repos:
        moved = await repos.sessions.update(
            replace(opened, title="12. redna seja (nadaljevanje)", created_at=at(99))
        )
    assert moved.title.endswith("(nadaljevanje)")
    assert moved.created_at == at(1)  # the creation time is not editable


async def test_session_without_created_at_is_stamped_now(db: Database) -> None:
    async with db.transaction() as repos:
        body, _ = await council(repos, members=1)
        session = await repos.sessions.add(Session(None, body.id, SessionKind.REGULAR, "1. seja"))
    assert session.created_at is not None and session.created_at.tzinfo is not None


async def test_a_convened_correspondence_session_needs_a_deadline(db: Database) -> None:
    async with db.transaction() as repos:
        body, _ = await council(repos, members=1)
        draft = await repos.sessions.add(
            Session(None, body.id, SessionKind.CORRESPONDENCE, "6. dopisna seja", created_at=T0)
        )
        with pytest.raises(CheckViolation):
            await repos.sessions.set_status(draft.id, SessionStatus.CONVENED)


async def test_motions_in_agenda_order(db: Database) -> None:
    async with db.transaction() as repos:
        body, _ = await council(repos, members=1)
        session = await correspondence_session(repos, body)
        second = await motion(repos, session, position=2)
        first = await repos.motions.add(
            Motion(
                None,
                session.id,
                1,
                "Poslovnik",
                "Sprejme se poslovnik.",
                MotionCategory.RULES_OF_PROCEDURE,
                VoteKind.ROLL_CALL,
                "two_thirds_present",
            )
        )
    assert await db.read.motions.get(first.id) == first
    assert first.category is MotionCategory.RULES_OF_PROCEDURE
    assert first.majority == "two_thirds_present"
    assert await db.read.motions.list_for_session(session.id) == [first, second]
    assert await db.read.motions.get(9999) is None


async def test_materials_store_content_with_digest(db: Database, raw) -> None:
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 400
    async with db.transaction() as repos:
        body, _ = await council(repos, members=1)
        session = await correspondence_session(repos, body)
        item = await motion(repos, session)
        invitation = await repos.materials.add(session.id, "vabilo.pdf", "application/pdf", pdf)
        annex = await repos.materials.add(
            session.id, "priloga.txt", "text/plain", "Gradivo k točki 1".encode(), motion_id=item.id
        )
    assert invitation == Material(
        invitation.id,
        session.id,
        "vabilo.pdf",
        "application/pdf",
        hashlib.sha256(pdf).hexdigest(),
        len(pdf),
        None,
    )
    assert annex.motion_id == item.id
    assert await db.read.materials.get_content(invitation.id) == pdf
    assert await db.read.materials.get_content(9999) is None
    assert await db.read.materials.get(annex.id) == annex
    assert await db.read.materials.list_for_session(session.id) == [invitation, annex]

    # The schema itself keeps size and content consistent ...
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        await raw.execute(
            "INSERT INTO materials (session_id, filename, media_type, sha256, size, content) "
            "VALUES (?, 'x.txt', 'text/plain', ?, 99, ?)",
            (session.id, "0" * 64, b"abc"),
        )
    # ... and refuses material of one session attached to a motion of another.
    async with db.transaction() as repos:
        other = await correspondence_session(repos, body)
        with pytest.raises(ForeignKeyViolation):
            await repos.materials.add(other.id, "x.txt", "text/plain", b"x", motion_id=item.id)


async def test_delivery_confirmation_is_idempotent(db: Database, raw) -> None:
    async with db.transaction() as repos:
        body, (ana, bor) = await council(repos, members=2)
        session = await correspondence_session(repos, body)
        first = await repos.deliveries.confirm(
            DeliveryConfirmation(session.id, ana.id, at(5), Platform.TELEGRAM)
        )
        again = await repos.deliveries.confirm(
            DeliveryConfirmation(session.id, ana.id, at(9), Platform.MATRIX)
        )
        bors = await repos.deliveries.confirm(
            DeliveryConfirmation(session.id, bor.id, at(7), Platform.MATRIX)
        )
    assert first == again == DeliveryConfirmation(session.id, ana.id, at(5), Platform.TELEGRAM)
    assert await db.read.deliveries.list_for_session(session.id) == [first, bors]
    assert await db.read.deliveries.get(session.id, bor.id) == bors
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        await raw.execute(
            "INSERT INTO delivery_confirmations (session_id, person_id, confirmed_at, platform) "
            "VALUES (?, ?, '2020-11-09T11:00:00.000000+00:00', 'cli')",
            (session.id, ana.id),
        )


async def test_confirmed_count_is_the_union_of_confirmations_and_voters(db: Database) -> None:
    async with db.transaction() as repos:
        body, (ana, bor, cene) = await council(repos, members=3)
        session = await correspondence_session(repos, body)
        first, second = await motion(repos, session), await motion(repos, session, position=2)
        other = await motion(repos, await correspondence_session(repos, body))
        for item in (first, second, other):
            await repos.rounds.open(item.id, VoteKind.PUBLIC, at(0))
        await repos.deliveries.record(DeliveryConfirmation(session.id, ana.id, at(1), Platform.CLI))
        # Ana confirmed and voted twice, Bor only voted, Cene only voted in another session.
        for item, person in ((first, ana), (second, ana), (first, bor), (other, cene)):
            await repos.votes.cast(Vote(item.id, 1, person.id, VoteChoice.ZA, at(2), Platform.CLI))
        assert await repos.deliveries.count_confirmed(session.id, with_voters=False) == 1
        assert await repos.deliveries.count_confirmed(session.id, with_voters=True) == 2
        assert not await repos.deliveries.record(
            DeliveryConfirmation(session.id, ana.id, at(3), Platform.MATRIX)
        )  # the first confirmation stands


async def test_attendance_per_checkpoint_latest_statement_stands(db: Database, raw) -> None:
    async with db.transaction() as repos:
        body, (ana, bor, cene) = await council(repos, members=3)
        session = await repos.sessions.add(
            Session(None, body.id, SessionKind.REGULAR, "12. redna seja", created_at=T0)
        )
        absent = await repos.attendance.record(
            Attendance(session.id, ana.id, AttendanceStatus.ABSENT, at(0), Platform.HALL)
        )
        present = await repos.attendance.record(
            Attendance(session.id, ana.id, AttendanceStatus.PRESENT, at(3), Platform.TELEGRAM)
        )
        excused = await repos.attendance.record(
            Attendance(
                session.id,
                bor.id,
                AttendanceStatus.EXCUSED,
                at(0),
                Platform.CLI,
                reason="službena pot",
            )
        )
        later = await repos.attendance.record(
            Attendance(
                session.id, cene.id, AttendanceStatus.PRESENT, at(40), Platform.HALL, checkpoint=1
            )
        )
    assert absent.status is AttendanceStatus.ABSENT
    assert await db.read.attendance.list_for_session(session.id, checkpoint=0) == [present, excused]
    assert await db.read.attendance.list_for_session(session.id) == [present, excused, later]
    assert excused.reason == "službena pot"
    assert await db.read.attendance.latest_checkpoint(session.id) == 1
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        await raw.execute(
            "INSERT INTO attendance (session_id, checkpoint, person_id, status, recorded_at, "
            "platform) VALUES (?, 2, ?, 'asleep', '2020-11-09T11:00:00.000000+00:00', 'hall')",
            (session.id, ana.id),
        )
