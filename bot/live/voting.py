"""Voting rounds on the motions of a live session (art. 38-44).

The chair opens a vote on an item for a set time or until closed; it belongs to the latest
presence check, or to a new one when that check already served another vote (presence is
re-established before every vote, art. 38(2)). Members present vote once each; the round closes
by the chair or when its time runs out, the members present are frozen, and the result follows
the item's majority. A vote may be repeated on an objection, up to the rule set's limit on the
same matter, never a roll-call vote (art. 44).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.audit_chain import SYSTEM_ACTOR
from bot.domain.models import Motion, Person, Platform, SessionStatus, Vote, VoteChoice, VoteKind
from bot.domain.outcomes import MotionOutcome, motion_outcome
from bot.domain.rules import RuleSet
from bot.live.agenda import roll
from bot.live.rollcall import RollCallLine, roll_call_record
from bot.live.secret import SecretResult, cast_secret_ballot, secret_result
from storage.errors import DuplicateVote
from storage.repositories import Repositories
from storage.repositories.live.presence import Checkpoint, CheckpointReason
from storage.repositories.live.rounds import ClosedBy, LiveRound

# Votes stamped by the platform before the set time that arrive a moment later still count; the
# timer closes the round this long after its time, and anything stamped later is refused.
ARRIVAL_GRACE = timedelta(seconds=5)


class OpenRefusal(StrEnum):
    SESSION_NOT_OPEN = "session_not_open"
    ANOTHER_VOTE_OPEN = "another_vote_open"
    NOT_VOTABLE = "not_votable"  # an item without a proposed resolution
    ALREADY_VOTED = "already_voted"  # use a repetition instead
    NOTHING_TO_REPEAT = "nothing_to_repeat"
    ROLL_CALL_NOT_REPEATED = "roll_call_not_repeated"
    REPEAT_LIMIT = "repeat_limit"


class CastRefusal(StrEnum):
    NO_SUCH_ROUND = "no_such_round"
    CLOSED = "closed"  # closed before the vote arrived
    LATE = "late"  # stamped after the set time
    NOT_PRESENT = "not_present"  # presence at this vote not confirmed
    NOT_ON_ROLL = "not_on_roll"
    ALREADY_VOTED = "already_voted"
    NOT_ALLOWED = "not_allowed"  # e.g. abstention where the rules have none


@dataclass(frozen=True, slots=True)
class OpenOutcome:
    round: LiveRound | None
    refusal: OpenRefusal | None = None
    checkpoint: Checkpoint | None = None
    new_checkpoint: bool = False  # a presence check was opened for this vote


@dataclass(frozen=True, slots=True)
class CastOutcome:
    refusal: CastRefusal | None = None
    round: LiveRound | None = None
    receipt: str = ""  # secret rounds: told to the voter only
    earlier: Vote | None = None  # public rounds: the vote already recorded

    @property
    def recorded(self) -> bool:
        return self.refusal is None


@dataclass(frozen=True, slots=True)
class RoundResult:
    motion: Motion
    round: LiveRound
    practice: bool
    members: list[Person]  # the roll, alphabetically
    present_ids: list[int]
    votes: list[Vote]  # public and roll-call rounds
    outcome: MotionOutcome | None  # public and roll-call rounds
    secret: SecretResult | None
    roll_call: list[RollCallLine]

    @property
    def adopted(self) -> bool:
        if self.secret is not None:
            return self.secret.adopted
        return self.outcome is not None and self.outcome.adopted


async def vote_checkpoint(
    repos: Repositories, session_id: int, now: datetime
) -> tuple[Checkpoint, bool]:
    """The presence check a vote belongs to: the latest if no vote used it yet, else a new one
    (art. 38(2)); the flag says whether a new one was opened."""
    latest = await repos.live.presence.latest(session_id)
    if latest is not None and not await repos.live.presence.checkpoint_in_use(
        session_id, latest.checkpoint
    ):
        return latest, False
    return await repos.live.presence.open_checkpoint(session_id, CheckpointReason.VOTE, now), True


async def any_open_round(repos: Repositories, session_id: int) -> bool:
    return bool(await repos.live.rounds.open_rounds(session_id)) or bool(
        await repos.live.elections.open_rounds(session_id)
    )


def repeat_refusal(rule_set: RuleSet, rounds: Sequence[LiveRound]) -> OpenRefusal | None:
    """Why the latest vote on a motion may not be repeated (art. 44(2)), or None if it may."""
    if not rounds or rounds[-1].is_open:
        return OpenRefusal.NOTHING_TO_REPEAT
    if rounds[-1].vote_kind is VoteKind.ROLL_CALL and not rule_set.live.roll_call_repeatable:
        return OpenRefusal.ROLL_CALL_NOT_REPEATED
    if len(rounds) >= rule_set.live.max_votes_on_same_matter:
        return OpenRefusal.REPEAT_LIMIT
    return None


async def open_vote(
    repos: Repositories,
    rule_set: RuleSet,
    session_id: int,
    motion: Motion,
    now: datetime,
    duration: timedelta | None,
    *,
    repeat_reason: str | None = None,
    actor: str = SYSTEM_ACTOR,
) -> OpenOutcome:
    """Opens the first vote on ``motion``, or with ``repeat_reason`` a repetition of it."""
    assert motion.id is not None
    session = await repos.sessions.get(session_id)
    if session is None or session.status is not SessionStatus.OPEN:
        return OpenOutcome(None, OpenRefusal.SESSION_NOT_OPEN)
    if not motion.resolution:
        return OpenOutcome(None, OpenRefusal.NOT_VOTABLE)
    if await any_open_round(repos, session_id):
        return OpenOutcome(None, OpenRefusal.ANOTHER_VOTE_OPEN)
    rounds = await repos.live.rounds.for_motion(motion.id)
    if repeat_reason is None and rounds:
        return OpenOutcome(None, OpenRefusal.ALREADY_VOTED)
    if repeat_reason is not None:
        refusal = repeat_refusal(rule_set, rounds)
        if refusal is not None:
            return OpenOutcome(None, refusal)
    checkpoint, new = await vote_checkpoint(repos, session_id, now)
    closes_at = now + duration if duration else None
    opened = await repos.rounds.open(motion.id, motion.vote_kind, now, closes_at, actor=actor)
    await repos.live.rounds.add(
        motion.id, opened.round, session_id, checkpoint.checkpoint, repeat_reason or ""
    )
    live_round = await repos.live.rounds.get(motion.id, opened.round)
    return OpenOutcome(live_round, checkpoint=checkpoint, new_checkpoint=new)


async def open_practice_vote(
    repos: Repositories,
    session_id: int,
    title: str,
    resolution: str,
    vote_kind: VoteKind,
    now: datetime,
    duration: timedelta | None,
    actor: str = SYSTEM_ACTOR,
) -> LiveRound:
    """A practice vote (poskusno glasovanje) for the whole roll: never counted, never minuted."""
    motion = await repos.motions.add(
        Motion(None, session_id, 0, title, resolution, vote_kind=vote_kind)
    )
    assert motion.id is not None
    await repos.live.rounds.mark_practice(motion.id)
    opened = await repos.rounds.open(
        motion.id, vote_kind, now, now + duration if duration else None, actor=actor
    )
    await repos.live.rounds.add(motion.id, opened.round, session_id, None)
    live_round = await repos.live.rounds.get(motion.id, opened.round)
    assert live_round is not None
    return live_round


async def eligible(
    repos: Repositories, live_round: LiveRound, person_id: int
) -> CastRefusal | None:
    """Whether the member may vote in the round: on the roll and, unless practising, present."""
    if person_id not in await repos.live.sessions.roll(live_round.session_id):
        return CastRefusal.NOT_ON_ROLL
    if live_round.checkpoint is None:
        return None
    present = await repos.live.presence.present(live_round.session_id, live_round.checkpoint)
    return None if person_id in present else CastRefusal.NOT_PRESENT


def timing_refusal(live_round: LiveRound, at: datetime) -> CastRefusal | None:
    if live_round.closed_at is not None:
        return CastRefusal.CLOSED
    if live_round.closes_at is not None and at > live_round.closes_at:
        return CastRefusal.LATE
    return None


async def cast_vote(
    repos: Repositories,
    rule_set: RuleSet,
    motion_id: int,
    round_number: int,
    person_id: int,
    choice: VoteChoice,
    at: datetime,
    platform: Platform,
) -> CastOutcome:
    """Records one member's vote, public or secret; ``at`` is when the member acted."""
    live_round = await repos.live.rounds.get(motion_id, round_number)
    if live_round is None:
        return CastOutcome(CastRefusal.NO_SUCH_ROUND)
    refusal = timing_refusal(live_round, at) or await eligible(repos, live_round, person_id)
    if refusal is not None:
        return CastOutcome(refusal, live_round)
    allowed = {VoteChoice.ZA, VoteChoice.PROTI}
    if rule_set.live.allow_abstention and live_round.vote_kind is not VoteKind.SECRET:
        allowed.add(VoteChoice.VZDRZAN)
    if choice not in allowed:
        return CastOutcome(CastRefusal.NOT_ALLOWED, live_round)
    if live_round.vote_kind is VoteKind.SECRET:
        try:
            receipt = await cast_secret_ballot(
                repos, motion_id, round_number, person_id, choice, at
            )
        except DuplicateVote:
            return CastOutcome(CastRefusal.ALREADY_VOTED, live_round)
        return CastOutcome(None, live_round, receipt=receipt)
    try:
        await repos.votes.cast(Vote(motion_id, round_number, person_id, choice, at, platform))
    except DuplicateVote:
        earlier = await repos.votes.get(motion_id, round_number, person_id)
        return CastOutcome(CastRefusal.ALREADY_VOTED, live_round, earlier=earlier)
    return CastOutcome(None, live_round)


async def has_voted(repos: Repositories, live_round: LiveRound, person_id: int) -> bool:
    if live_round.vote_kind is VoteKind.SECRET:
        return await repos.secret_ballots.has_participated(
            live_round.motion_id, live_round.round, person_id
        )
    return await repos.votes.get(live_round.motion_id, live_round.round, person_id) is not None


async def voters_count(repos: Repositories, live_round: LiveRound) -> int:
    if live_round.vote_kind is VoteKind.SECRET:
        return len(await repos.secret_ballots.participants(live_round.motion_id, live_round.round))
    return len(await repos.votes.list_for_motion(live_round.motion_id, live_round.round))


async def close_vote(
    repos: Repositories,
    live_round: LiveRound,
    now: datetime,
    closed_by: ClosedBy,
    actor: str = SYSTEM_ACTOR,
) -> LiveRound | None:
    """Closes an open round and freezes who was present; None if it was closed already.

    A round closed by its timer ends at its set time, whenever the job ran.
    """
    if not live_round.is_open:
        return None
    ended = live_round.closes_at if closed_by is ClosedBy.TIMER and live_round.closes_at else now
    await repos.rounds.close(live_round.motion_id, live_round.round, min(ended, now), actor=actor)
    await repos.live.rounds.set_closed_by(live_round.motion_id, live_round.round, closed_by)
    if live_round.checkpoint is None:
        present = await repos.live.sessions.roll(live_round.session_id)
    else:
        present = await repos.live.presence.present(live_round.session_id, live_round.checkpoint)
    if live_round.vote_kind is VoteKind.SECRET:
        voters = await repos.secret_ballots.participants(live_round.motion_id, live_round.round)
    else:
        voters = [
            v.person_id
            for v in await repos.votes.list_for_motion(live_round.motion_id, live_round.round)
        ]
    # Voting means being present: a member unmarked after voting still counts as present.
    await repos.live.rounds.freeze_presence(
        live_round.motion_id, live_round.round, set(present) | set(voters)
    )
    return await repos.live.rounds.get(live_round.motion_id, live_round.round)


async def round_result(
    repos: Repositories, rule_set: RuleSet, motion: Motion, live_round: LiveRound
) -> RoundResult:
    """The result of a closed round, computed from what is stored (and so the same every time)."""
    members = await roll(repos, live_round.session_id)
    member_ids = {p.id for p in members}
    present = [
        person_id
        for person_id in await repos.live.rounds.frozen_presence(motion.id or 0, live_round.round)
        if person_id in member_ids
    ]
    practice = await repos.live.rounds.is_practice(motion.id or 0)
    member_count = max(len(members), 1)
    if live_round.vote_kind is VoteKind.SECRET:
        secret = await secret_result(
            repos,
            rule_set,
            motion.majority,
            motion.id or 0,
            live_round.round,
            member_count,
            present,
        )
        return RoundResult(motion, live_round, practice, members, present, [], None, secret, [])
    votes = [
        vote
        for vote in await repos.votes.list_for_motion(motion.id or 0, live_round.round)
        if vote.person_id in member_ids
    ]
    choices = [vote.choice for vote in votes]
    outcome = motion_outcome(
        rule_set,
        motion.majority,
        member_count,
        len(set(present) | {vote.person_id for vote in votes}),
        choices.count(VoteChoice.ZA),
        choices.count(VoteChoice.PROTI),
        choices.count(VoteChoice.VZDRZAN),
    )
    record: list[RollCallLine] = []
    if live_round.vote_kind is VoteKind.ROLL_CALL:
        record = roll_call_record(members, present, {v.person_id: v.choice for v in votes})
    return RoundResult(motion, live_round, practice, members, present, votes, outcome, None, record)


async def due_rounds(repos: Repositories, now: datetime) -> list[LiveRound]:
    """Open rounds whose set time (with the arrival grace) has passed."""
    return [
        live_round
        for live_round in await repos.live.rounds.open_rounds()
        if live_round.closes_at is not None and live_round.closes_at + ARRIVAL_GRACE <= now
    ]
