"""Reading a live session back: its agenda (motions and elections in order), roll and staff."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.domain.lot import slovenian_sort_key
from bot.domain.models import Body, Election, Motion, Person, Session, SessionKind
from storage.repositories import Repositories
from storage.repositories.live.sessions import InvitedAs

LIVE_SESSION_KINDS = (SessionKind.REGULAR, SessionKind.EXTRAORDINARY)


@dataclass(frozen=True, slots=True)
class AgendaItem:
    """One item of the agenda: a motion (voted on unless it has no resolution) or an election."""

    number: int  # 1, 2, 3 ... as the agenda shows it
    motion: Motion | None = None
    election: Election | None = None

    @property
    def title(self) -> str:
        if self.motion is not None:
            return self.motion.title
        assert self.election is not None
        return self.election.title

    @property
    def votable(self) -> bool:
        return self.election is not None or bool(self.motion and self.motion.resolution)


async def load_agenda(repos: Repositories, session_id: int) -> list[AgendaItem]:
    """The agenda in order, numbered from 1; practice votes are not on it."""
    practice = await repos.live.rounds.practice_ids(session_id)
    entries: list[tuple[int, int, Motion | None, Election | None]] = []
    for motion in await repos.motions.list_for_session(session_id):
        if motion.id not in practice:
            entries.append((motion.position, 0, motion, None))
    for live_election in await repos.live.elections.for_session(session_id):
        election = await repos.elections.get(live_election.election_id)
        if election is not None:
            entries.append((live_election.position, 1, None, election))

    def order(entry: tuple[int, int, Motion | None, Election | None]) -> tuple[int, int, int]:
        position, kind, motion, election = entry
        record_id = motion.id if motion is not None else election.id if election else None
        return position, kind, record_id or 0

    entries.sort(key=order)
    return [
        AgendaItem(number, motion, election)
        for number, (_, _, motion, election) in enumerate(entries, start=1)
    ]


def alphabetical(persons: Iterable[Person]) -> list[Person]:
    """By surname, then name, in Slovenian order (art. 41(3): the roll-call order)."""
    return sorted(
        persons,
        key=lambda p: (slovenian_sort_key(p.surname), slovenian_sort_key(p.name), p.id or 0),
    )


async def persons_by_id(repos: Repositories, ids: Iterable[int]) -> dict[int, Person]:
    found: dict[int, Person] = {}
    for person_id in ids:
        person = await repos.persons.get(person_id)
        if person is not None:
            found[person_id] = person
    return found


async def roll(repos: Repositories, session_id: int) -> list[Person]:
    """The members of the session in roll-call order."""
    ids = await repos.live.sessions.roll(session_id)
    return alphabetical((await persons_by_id(repos, ids)).values())


async def staff_ids(repos: Repositories, session_id: int) -> tuple[list[int], list[int]]:
    """The chair(s) and the clerk(s) invited to the session."""
    chairs: list[int] = []
    clerks: list[int] = []
    for invitation in await repos.live.sessions.invitations(session_id):
        if invitation.role is InvitedAs.CHAIR:
            chairs.append(invitation.person_id)
        elif invitation.role is InvitedAs.CLERK:
            clerks.append(invitation.person_id)
    return chairs, clerks


async def everyone(repos: Repositories, session_id: int) -> list[int]:
    """Every person invited: members, chair and clerk."""
    return [
        invitation.person_id for invitation in await repos.live.sessions.invitations(session_id)
    ]


@dataclass(frozen=True, slots=True)
class SessionContext:
    session: Session
    body: Body

    @property
    def session_id(self) -> int:
        assert self.session.id is not None
        return self.session.id


async def session_context(repos: Repositories, session_id: int) -> SessionContext | None:
    session = await repos.sessions.get(session_id)
    if session is None:
        return None
    body = await repos.bodies.get(session.body_id)
    if body is None:
        return None
    return SessionContext(session, body)


def item_for_motion(agenda: Sequence[AgendaItem], motion_id: int) -> AgendaItem | None:
    return next((item for item in agenda if item.motion and item.motion.id == motion_id), None)


def item_for_election(agenda: Sequence[AgendaItem], election_id: int) -> AgendaItem | None:
    return next(
        (item for item in agenda if item.election and item.election.id == election_id), None
    )
