"""Elections and appointments at a live session (art. 88-90), by secret ballot with receipts.

The ballot lists the candidates alphabetically by surname from a letter drawn by lot from the
election's recorded seed (art. 89(1)). A candidate needs the rule set's majority of the members
who voted. For one post, if nobody reaches it, a second round is held between the two with most
votes, ties for a place drawn by lot (art. 90(1)), in the order of their first-round votes
(art. 90(2)); if that also decides nothing, or posts stay unfilled, a new nomination follows
(art. 90(3)). A round counts only if as many ballots were taken as make a quorum (art. 88(3));
otherwise it is held again at the same stage.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.audit_chain import SYSTEM_ACTOR
from bot.domain.lot import alphabetical as alphabetical_candidates
from bot.domain.lot import draw_letter, order_candidates_from_letter
from bot.domain.models import Candidate, Election, ElectionBallot, Person, SessionStatus
from bot.domain.outcomes import (
    ElectionRoundOutcome,
    ElectionStatus,
    SecretElectionQuorum,
    ballot_is_valid,
    election_round_outcome,
    secret_election_counts,
)
from bot.domain.rules import RuleSet
from bot.live.agenda import roll
from bot.live.convening import CandidateSpec, ElectionSpec, add_election
from bot.live.voting import CastRefusal, OpenRefusal, any_open_round, vote_checkpoint
from storage.errors import DuplicateReceipt, DuplicateVote
from storage.repositories import Repositories
from storage.repositories.live.elections import LiveElectionRound
from storage.repositories.live.presence import Checkpoint
from storage.repositories.live.rounds import ClosedBy
from storage.repositories.secret_ballots import new_receipt

RECEIPT_ATTEMPTS = 5


class ElectionRefusal(StrEnum):
    DECIDED = "decided"  # every post is filled
    NEEDS_NOMINATION = "needs_nomination"  # art. 90(3): a new nomination comes first


@dataclass(frozen=True, slots=True)
class ElectionOpenOutcome:
    round: LiveElectionRound | None
    refusal: OpenRefusal | ElectionRefusal | None = None
    checkpoint: Checkpoint | None = None
    new_checkpoint: bool = False
    letter: str = ""  # the drawn first letter, on the first round


@dataclass(frozen=True, slots=True)
class ElectionCast:
    refusal: CastRefusal | None = None
    round: LiveElectionRound | None = None
    receipt: str = ""
    valid: bool = True

    @property
    def recorded(self) -> bool:
        return self.refusal is None


@dataclass(frozen=True, slots=True)
class ElectionRoundResult:
    election: Election
    round: LiveElectionRound
    ballot: list[Candidate]  # in the order printed on the ballot
    members: list[Person]
    present_ids: list[int]
    voters: int
    counts: SecretElectionQuorum  # art. 88(3)
    outcome: ElectionRoundOutcome | None  # None when too few ballots were taken
    receipts: list[tuple[str, bool, list[int]]]  # published after closing

    def candidate(self, candidate_id: int) -> Candidate:
        return next(c for c in self.election.candidates if c.id == candidate_id)


def first_letter(election: Election) -> str:
    return draw_letter(election.lot_seed)


def first_round_order(rule_set: RuleSet, election: Election) -> list[Candidate]:
    if rule_set.elections.alphabet_start_by_lot:
        return list(order_candidates_from_letter(election.candidates, first_letter(election)))
    return list(alphabetical_candidates(election.candidates))


async def election_status(
    repos: Repositories, rule_set: RuleSet, election: Election
) -> tuple[int, list[int]] | ElectionRefusal:
    """The stage and ballot order of the next round, or why no round is due."""
    assert election.id is not None
    rounds = await repos.live.elections.rounds(election.id)
    if not rounds:
        return 1, [c.id for c in first_round_order(rule_set, election) if c.id is not None]
    last = rounds[-1]
    result = await election_result(repos, rule_set, election, last)
    if result.outcome is None:  # too few ballots taken: hold the same stage again
        return last.stage, await repos.live.elections.ballot_order(election.id, last.round)
    if result.outcome.status is ElectionStatus.RUNOFF:
        return 2, list(result.outcome.runoff)
    if result.outcome.status is ElectionStatus.ELECTED:
        return ElectionRefusal.DECIDED
    return ElectionRefusal.NEEDS_NOMINATION


async def open_election_round(
    repos: Repositories,
    rule_set: RuleSet,
    session_id: int,
    election: Election,
    now: datetime,
    duration: timedelta | None,
    actor: str = SYSTEM_ACTOR,
) -> ElectionOpenOutcome:
    assert election.id is not None
    session = await repos.sessions.get(session_id)
    if session is None or session.status is not SessionStatus.OPEN:
        return ElectionOpenOutcome(None, OpenRefusal.SESSION_NOT_OPEN)
    if await any_open_round(repos, session_id):
        return ElectionOpenOutcome(None, OpenRefusal.ANOTHER_VOTE_OPEN)
    status = await election_status(repos, rule_set, election)
    if isinstance(status, ElectionRefusal):
        return ElectionOpenOutcome(None, status)
    stage, order = status
    checkpoint, new = await vote_checkpoint(repos, session_id, now)
    opened = await repos.elections.open_round(
        election.id, now, now + duration if duration else None, actor=actor
    )
    await repos.live.elections.add_round(
        election.id, opened.round, session_id, checkpoint.checkpoint, stage, order
    )
    live_round = await repos.live.elections.get_round(election.id, opened.round)
    letter = (
        first_letter(election) if stage == 1 and rule_set.elections.alphabet_start_by_lot else ""
    )
    return ElectionOpenOutcome(live_round, None, checkpoint, new, letter)


async def ballot_candidates(
    repos: Repositories, election: Election, round_number: int
) -> list[Candidate]:
    assert election.id is not None
    by_id = {c.id: c for c in election.candidates}
    return [
        by_id[cid] for cid in await repos.live.elections.ballot_order(election.id, round_number)
    ]


def marks_from_mask(ballot: Sequence[Candidate], mask: int) -> set[int] | None:
    """The candidate ids a bit mask over the ballot's positions marks; None if it marks a
    position the ballot does not have."""
    if mask < 0 or mask >> len(ballot):
        return None
    return {c.id for index, c in enumerate(ballot) if mask >> index & 1 and c.id is not None}


async def cast_election_ballot(
    repos: Repositories,
    election: Election,
    round_number: int,
    person_id: int,
    marks: Collection[int],
    at: datetime,
) -> ElectionCast:
    """Records that the member voted and, apart from it, the ballot with its marks.

    A ballot marking no candidate, or more than there are posts, is cast but invalid.
    """
    assert election.id is not None
    live_round = await repos.live.elections.get_round(election.id, round_number)
    if live_round is None:
        return ElectionCast(CastRefusal.NO_SUCH_ROUND)
    if live_round.closed_at is not None:
        return ElectionCast(CastRefusal.CLOSED, live_round)
    if live_round.closes_at is not None and at > live_round.closes_at:
        return ElectionCast(CastRefusal.LATE, live_round)
    if person_id not in await repos.live.sessions.roll(live_round.session_id):
        return ElectionCast(CastRefusal.NOT_ON_ROLL, live_round)
    if person_id not in await repos.live.presence.present(
        live_round.session_id, live_round.checkpoint
    ):
        return ElectionCast(CastRefusal.NOT_PRESENT, live_round)
    order = await repos.live.elections.ballot_order(election.id, round_number)
    valid = ballot_is_valid(election.posts if live_round.stage == 1 else 1, list(marks), order)
    for _attempt in range(RECEIPT_ATTEMPTS):
        receipt = new_receipt()
        try:
            await repos.elections.cast(
                election.id, round_number, person_id, list(marks), receipt, valid, at=at
            )
        except DuplicateVote:
            return ElectionCast(CastRefusal.ALREADY_VOTED, live_round)
        except DuplicateReceipt:
            continue
        return ElectionCast(None, live_round, receipt, valid)
    raise RuntimeError("no unused receipt found")


async def close_election_round(
    repos: Repositories,
    live_round: LiveElectionRound,
    now: datetime,
    closed_by: ClosedBy,
    actor: str = SYSTEM_ACTOR,
) -> LiveElectionRound | None:
    if not live_round.is_open:
        return None
    ended = live_round.closes_at if closed_by is ClosedBy.TIMER and live_round.closes_at else now
    await repos.elections.close_round(
        live_round.election_id, live_round.round, min(ended, now), actor=actor
    )
    await repos.live.elections.set_closed_by(live_round.election_id, live_round.round, closed_by)
    present = await repos.live.presence.present(live_round.session_id, live_round.checkpoint)
    voters = await repos.elections.participants(live_round.election_id, live_round.round)
    await repos.live.elections.freeze_presence(
        live_round.election_id, live_round.round, set(present) | set(voters)
    )
    return await repos.live.elections.get_round(live_round.election_id, live_round.round)


async def election_result(
    repos: Repositories, rule_set: RuleSet, election: Election, live_round: LiveElectionRound
) -> ElectionRoundResult:
    assert election.id is not None
    members = await roll(repos, live_round.session_id)
    member_ids = {p.id for p in members}
    present = [
        pid
        for pid in await repos.live.elections.frozen_presence(election.id, live_round.round)
        if pid in member_ids
    ]
    voters = len(await repos.elections.participants(election.id, live_round.round))
    ballots: list[ElectionBallot] = await repos.elections.ballots(election.id, live_round.round)
    ballot = await ballot_candidates(repos, election, live_round.round)
    member_count = max(len(members), 1)
    taken = min(max(len(present), voters), member_count)
    counts = secret_election_counts(rule_set.live.quorum, member_count, taken)
    outcome = None
    if counts.may_proceed or not rule_set.elections.secret_requires_quorum_of_ballots:
        outcome = election_round_outcome(
            rule_set.elections,
            election.posts if live_round.stage == 1 else 1,
            ballot,
            ballots,
            voters,
            election.lot_seed,
            round_number=live_round.stage,
            present_count=taken,
            member_count=member_count,
        )
    receipts = await repos.live.elections.receipts(election.id, live_round.round)
    return ElectionRoundResult(
        election, live_round, ballot, members, present, voters, counts, outcome, receipts
    )


async def due_election_rounds(
    repos: Repositories, now: datetime, grace: timedelta
) -> list[LiveElectionRound]:
    return [
        r
        for r in await repos.live.elections.open_rounds()
        if r.closes_at is not None and r.closes_at + grace <= now
    ]


async def new_nomination(
    repos: Repositories,
    rule_set: RuleSet,
    election: Election,
    candidates: Sequence[CandidateSpec],
) -> Election | ElectionRefusal | None:
    """A new nomination for the posts an election left unfilled (art. 90(3)).

    Returns the new election, ``DECIDED`` if nothing is left to fill, or None if the election
    has not reached the point of a new nomination yet.
    """
    assert election.id is not None
    status = await election_status(repos, rule_set, election)
    if status is ElectionRefusal.DECIDED:
        return ElectionRefusal.DECIDED
    if status is not ElectionRefusal.NEEDS_NOMINATION:
        return None
    rounds = await repos.live.elections.rounds(election.id)
    result = await election_result(repos, rule_set, election, rounds[-1])
    unfilled = result.outcome.unfilled_posts if result.outcome else election.posts
    live = await repos.live.elections.get(election.id)
    position = live.position if live else 0
    return await add_election(
        repos,
        election.session_id,
        position,
        ElectionSpec(election.title, max(unfilled, 1), tuple(candidates)),
        replaces_election_id=election.id,
    )


async def elected_so_far(repos: Repositories, rule_set: RuleSet, election: Election) -> list[int]:
    """Candidates elected in any round of this election."""
    assert election.id is not None
    elected: list[int] = []
    for live_round in await repos.live.elections.rounds(election.id):
        if live_round.is_open:
            continue
        result = await election_result(repos, rule_set, election, live_round)
        if result.outcome is not None:
            elected.extend(result.outcome.elected)
    return elected
