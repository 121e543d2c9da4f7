"""A council with a chair and a clerk, a convened live session, and an App without chats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import App
from bot.domain.models import (
    Membership,
    Person,
    Platform,
    Role,
    Session,
    SessionKind,
    SessionMode,
    VoteKind,
)
from bot.live.convening import (
    CandidateSpec,
    ConveningSpec,
    ElectionSpec,
    MotionSpec,
    convene,
)
from bot.live.presence import confirm_presence
from bot.live.session_actions import open_session
from bot.messenger import Messenger
from bot.scheduler import Scheduler
from storage.database import Database
from tests.storage.factories import council

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
STARTS = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)


def app_for(db: Database) -> App:
    return App(db=db, messenger=Messenger(db, {}), scheduler=Scheduler())


def agenda() -> tuple[MotionSpec | ElectionSpec, ...]:
    return (
        MotionSpec("Poslovnik", "Svet sprejme spremembe poslovnika.", "members_present_two_thirds"),
        MotionSpec("Zapisnik", "Svet potrdi zapisnik.", vote_kind=VoteKind.ROLL_CALL),
        MotionSpec("Soglasje", "Svet daje soglasje.", vote_kind=VoteKind.SECRET),
        ElectionSpec(
            "Predsednik NO",
            1,
            (
                CandidateSpec("Ana", "Novak"),
                CandidateSpec("Peter", "Kos"),
                CandidateSpec("Maja", "Zorko"),
            ),
        ),
        MotionSpec("Vprašanja in pobude"),
    )


async def live_council(db: Database, members: int = 15) -> tuple[int, list[Person], Person, Person]:
    """Council members, a chair and a clerk; returns the body id and the people."""
    async with db.transaction() as repos:
        body, people = await council(repos, members)
        chair = await repos.persons.add(Person(None, "Janez", "Krznar", "zupan@example.si"))
        clerk = await repos.persons.add(Person(None, "Vesna", "Hribernik", "vesna@example.si"))
        await repos.memberships.upsert(Membership(None, chair.id or 0, body.id or 0, Role.CHAIR))
        await repos.memberships.upsert(Membership(None, clerk.id or 0, body.id or 0, Role.CLERK))
    return body.id or 0, people, chair, clerk


async def convened_session(db: Database, app: App, body_id: int) -> Session:
    spec = ConveningSpec(
        body_id=body_id,
        kind=SessionKind.REGULAR,
        mode=SessionMode.HYBRID,
        title="12. redna seja",
        starts_at=STARTS,
        location="Sejna soba",
        video_link="https://zoom.us/j/1",
        agenda=agenda(),
    )
    async with db.transaction() as repos:
        result = await convene(repos, spec, app.rule_set("gornji-grad-2016"), NOW)
    assert result.ok and result.session is not None, result.problems
    return result.session


async def open_with_present(db: Database, session_id: int, present: list[Person]) -> None:
    async with db.transaction() as repos:
        refusal, _ = await open_session(repos, session_id, STARTS)
        assert refusal is None
        for person in present:
            await confirm_presence(repos, session_id, person.id or 0, STARTS, Platform.TELEGRAM)


def later(minutes: float) -> datetime:
    return STARTS + timedelta(minutes=minutes)
