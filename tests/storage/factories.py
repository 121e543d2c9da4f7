"""Builders of stored rows that the storage tests share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.models import (
    Body,
    BodyKind,
    Membership,
    Motion,
    Person,
    Role,
    Session,
    SessionKind,
    SessionStatus,
    VoteKind,
)
from storage.repositories import Repositories

T0 = datetime(2020, 11, 9, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def council(
    repos: Repositories, members: int = 11, slug: str = "gornji-grad"
) -> tuple[Body, list[Person]]:
    body = await repos.bodies.upsert(
        Body(None, slug, "Občinski svet Občine Gornji Grad", BodyKind.COUNCIL, "gornji-grad-2016")
    )
    people = []
    for number in range(1, members + 1):
        person = await repos.persons.add(
            Person(None, f"Ime{number}", f"Priimek{number:03d}", f"svetnik{number}@{slug}.si")
        )
        await repos.memberships.upsert(Membership(None, person.id, body.id, Role.MEMBER))
        people.append(person)
    return body, people


async def correspondence_session(repos: Repositories, body: Body) -> Session:
    return await repos.sessions.add(
        Session(
            None,
            body.id,
            SessionKind.CORRESPONDENCE,
            "5. dopisna seja",
            deadline=at(60 * 48),
            status=SessionStatus.CONVENED,
            created_at=T0,
        )
    )


async def motion(
    repos: Repositories, session: Session, vote_kind: VoteKind = VoteKind.PUBLIC, position: int = 1
) -> Motion:
    return await repos.motions.add(
        Motion(
            None,
            session.id,
            position,
            "Imenovanje člana nadzornega odbora",
            "Občinski svet imenuje ...",
            vote_kind=vote_kind,
        )
    )
