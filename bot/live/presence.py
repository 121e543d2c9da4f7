"""Presence at a live session (art. 26, 38): checks, confirmations, the hall, the quorum.

Presence is established at checkpoints: at the opening (0), before a vote and after a break.
Remote members confirm "Prisoten" in the chat; the clerk marks members present in the hall. A
confirmation always counts for the latest checkpoint of the open session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.models import Attendance, AttendanceStatus, Person, Platform, SessionStatus
from bot.domain.outcomes import QuorumOutcome, live_quorum
from bot.domain.rules import RuleSet
from bot.live.agenda import roll
from storage.repositories import Repositories
from storage.repositories.live.presence import Checkpoint, CheckpointReason
from storage.repositories.live.sessions import AttendanceAnswer


class PresenceRefusal(StrEnum):
    NOT_OPEN = "not_open"  # the session is not open (yet, or any more)
    NOT_ON_ROLL = "not_on_roll"  # only members confirm presence


@dataclass(frozen=True, slots=True)
class PresenceConfirmation:
    checkpoint: Checkpoint | None
    recorded: Attendance | None
    already: bool = False  # the member had confirmed this checkpoint before
    refusal: PresenceRefusal | None = None


@dataclass(frozen=True, slots=True)
class PresenceState:
    """Who is present at the latest checkpoint, and whether that makes a quorum."""

    checkpoint: Checkpoint | None
    members: list[Person]  # the roll, in roll-call order
    present: dict[int, Attendance]
    declined: dict[int, str]  # members who said they cannot come, with their reasons
    quorum: QuorumOutcome

    @property
    def missing(self) -> list[Person]:
        return [p for p in self.members if p.id not in self.present and p.id not in self.declined]

    @property
    def excused(self) -> list[Person]:
        return [p for p in self.members if p.id not in self.present and p.id in self.declined]

    def count_on(self, platform: Platform) -> int:
        return sum(1 for record in self.present.values() if record.platform is platform)


async def open_checkpoint(
    repos: Repositories, session_id: int, reason: CheckpointReason, now: datetime
) -> Checkpoint:
    return await repos.live.presence.open_checkpoint(session_id, reason, now)


async def current_checkpoint(repos: Repositories, session_id: int) -> Checkpoint | None:
    return await repos.live.presence.latest(session_id)


async def confirm_presence(
    repos: Repositories,
    session_id: int,
    person_id: int,
    at: datetime,
    platform: Platform,
) -> PresenceConfirmation:
    """A member says "Prisoten" (or the clerk marks them in the hall, ``platform=HALL``)."""
    session = await repos.sessions.get(session_id)
    checkpoint = await repos.live.presence.latest(session_id)
    if session is None or session.status is not SessionStatus.OPEN or checkpoint is None:
        return PresenceConfirmation(None, None, refusal=PresenceRefusal.NOT_OPEN)
    if person_id not in await repos.live.sessions.roll(session_id):
        return PresenceConfirmation(checkpoint, None, refusal=PresenceRefusal.NOT_ON_ROLL)
    present = await repos.attendance.list_for_session(session_id, checkpoint.checkpoint)
    earlier = next((a for a in present if a.person_id == person_id), None)
    if earlier is not None and earlier.status is AttendanceStatus.PRESENT:
        return PresenceConfirmation(checkpoint, earlier, already=True)
    recorded = await repos.attendance.record(
        Attendance(
            session_id=session_id,
            person_id=person_id,
            status=AttendanceStatus.PRESENT,
            recorded_at=at,
            platform=platform,
            checkpoint=checkpoint.checkpoint,
        )
    )
    return PresenceConfirmation(checkpoint, recorded)


async def unmark_hall(repos: Repositories, session_id: int, person_id: int) -> bool:
    """The clerk takes back a hall mark (a member left); confirmations in the chat stay."""
    checkpoint = await repos.live.presence.latest(session_id)
    if checkpoint is None:
        return False
    records = await repos.attendance.list_for_session(session_id, checkpoint.checkpoint)
    record = next((a for a in records if a.person_id == person_id), None)
    if record is None or record.platform is not Platform.HALL:
        return False
    return await repos.live.presence.withdraw(session_id, checkpoint.checkpoint, person_id)


async def hall_as_before(repos: Repositories, session_id: int, now: datetime) -> int:
    """Marks present in the hall everyone the clerk marked there at the previous checkpoint."""
    checkpoints = await repos.live.presence.checkpoints(session_id)
    if len(checkpoints) < 2:
        return 0
    previous = checkpoints[-2].checkpoint
    marked = 0
    for record in await repos.attendance.list_for_session(session_id, previous):
        if record.platform is Platform.HALL and record.status is AttendanceStatus.PRESENT:
            outcome = await confirm_presence(
                repos, session_id, record.person_id, now, Platform.HALL
            )
            marked += outcome.recorded is not None and not outcome.already
    return marked


async def presence_state(repos: Repositories, rule_set: RuleSet, session_id: int) -> PresenceState:
    members = await roll(repos, session_id)
    checkpoint = await repos.live.presence.latest(session_id)
    present: dict[int, Attendance] = {}
    if checkpoint is not None:
        for record in await repos.attendance.list_for_session(session_id, checkpoint.checkpoint):
            if record.status is AttendanceStatus.PRESENT:
                present[record.person_id] = record
    declined = {
        invitation.person_id: invitation.reason
        for invitation in await repos.live.sessions.invitations(session_id)
        if invitation.answer is AttendanceAnswer.DECLINE
    }
    count = len([p for p in members if p.id in present])
    quorum = live_quorum(rule_set.live, max(len(members), 1), min(count, max(len(members), 1)))
    return PresenceState(checkpoint, members, present, declined, quorum)


async def present_at(repos: Repositories, session_id: int, checkpoint: int) -> list[int]:
    return await repos.live.presence.present(session_id, checkpoint)
