"""Vote outcomes computed from a body's rule set: pure functions over counts.

Each function returns a frozen record holding the verdict, a reason code and the numbers behind
it (how many were needed, how many there were, and of what base), because the minutes must show
them. All arithmetic is exact (``fractions.Fraction``); nothing here knows a particular
municipality's numbers, which come from the rule set.

Decisions the Rules of Procedure leave open, taken here once for every caller:

- An inquorate session adopts nothing: the quorum is checked first and a motion voted on at an
  inquorate session is reported as ``not_quorate`` whatever the votes were.
- A motion needs at least one vote in favour. "Nobody voted against" (art. 21(3)) with nobody
  voting in favour either does not adopt a resolution, and a threshold that would be met by zero
  votes (e.g. "at least half" of no votes cast) still needs one ZA.
- In a correspondence session every member who voted (ZA, PROTI or, where allowed, VZDRŽAN) has
  cast a vote; the "members present" of a correspondence session are those who confirmed delivery.
- In a secret vote a member who returned an invalid ballot has still voted (art. 39 and 88(2)
  count "members who voted"), so the base of a votes-cast majority is the ballots cast.
- A second round (art. 90(1)) is held only in an election for a single post; when several posts
  stay unfilled the nomination is repeated for the missing ones (art. 90(3)).
- Lot decides only who goes to the second round (art. 90(1)), never who is elected: when more
  candidates reach the majority than there are posts and they tie across the last post, the tied
  candidates are not elected and that post stays unfilled (a second round for a single post,
  a new nomination otherwise).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import TypeVar

from bot.domain.lot import LotDraw, draw_recorded, slovenian_sort_key
from bot.domain.models import Candidate, ElectionBallot, VoteChoice
from bot.domain.rules import (
    Basis,
    Comparison,
    CorrespondenceAdoption,
    CorrespondenceRules,
    ElectionRules,
    LiveRules,
    RuleSet,
    Threshold,
)
from bot.i18n import N_

MemberId = TypeVar("MemberId", bound=Hashable)  # a member's identifier, e.g. a person id


class MotionReason(StrEnum):
    ADOPTED = "adopted"
    NOT_QUORATE = "not_quorate"
    NOT_ENOUGH_VOTES = "not_enough_votes"  # the required majority of ZA was not reached
    VOTED_AGAINST = "voted_against"  # correspondence, no_votes_against: somebody said PROTI
    NO_VOTES_IN_FAVOUR = "no_votes_in_favour"  # nobody said ZA


class QuorumReason(StrEnum):
    QUORATE = "quorate"
    NOT_QUORATE = "not_quorate"


class ElectionStatus(StrEnum):
    ELECTED = "elected"  # every post is filled
    RUNOFF = "runoff"  # art. 90(1): a second round between the candidates with most votes
    NEW_NOMINATION = "new_nomination"  # art. 90(3): nominations repeated for the missing posts


# Texts for the minutes and the chat, translated by the caller (bot/locale/*/rules.po).
MOTION_REASON_TEXTS: Mapping[MotionReason, str] = {
    MotionReason.ADOPTED: N_("The resolution is adopted."),
    MotionReason.NOT_QUORATE: N_("The session was not quorate, so nothing was decided."),
    MotionReason.NOT_ENOUGH_VOTES: N_(
        "The resolution did not get the required number of votes in favour."
    ),
    MotionReason.VOTED_AGAINST: N_(
        "A member voted against, so the item goes to an extraordinary session or to the next "
        "regular session."
    ),
    MotionReason.NO_VOTES_IN_FAVOUR: N_(
        "Nobody voted in favour, so the resolution is not adopted."
    ),
}
QUORUM_REASON_TEXTS: Mapping[QuorumReason, str] = {
    QuorumReason.QUORATE: N_("The session is quorate."),
    QuorumReason.NOT_QUORATE: N_("The session is not quorate."),
}
ELECTION_STATUS_TEXTS: Mapping[ElectionStatus, str] = {
    ElectionStatus.ELECTED: N_("The required number of candidates is elected."),
    ElectionStatus.RUNOFF: N_(
        "No candidate reached the required majority; a second round is held between the "
        "candidates with most votes."
    ),
    ElectionStatus.NEW_NOMINATION: N_(
        "Not all posts were filled; the nomination is repeated for the missing candidates."
    ),
}


@dataclass(frozen=True, slots=True)
class ThresholdCheck:
    """A count compared with a requirement: ``got`` of ``base`` where ``needed`` were required.

    ``threshold`` is None when the requirement is not a fraction of a base, as for "nobody voted
    against" (then ``needed`` is every decisive vote, i.e. ZA + PROTI, and at least one).
    """

    needed: int
    got: int
    base: int
    reached: bool
    threshold: Threshold | None


def required_count(threshold: Threshold, base: int) -> int:
    """The least count that satisfies ``threshold`` over ``base``.

    "More than 1/2 of 11" is 6, "at least 2/3 of 9" is 6, "at least 2/3 of 10" is 7.
    """
    if base < 0:
        raise ValueError(f"base must not be negative, got {base}")
    share = Fraction(threshold.fraction) * base
    whole = share.numerator // share.denominator  # floor
    if threshold.comparison is Comparison.MORE_THAN:
        return whole + 1
    return whole if whole == share else whole + 1  # ceiling


def _check(threshold: Threshold, base: int, got: int, *, at_least_one: bool) -> ThresholdCheck:
    needed = required_count(threshold, base)
    if at_least_one:
        needed = max(needed, 1)
    return ThresholdCheck(
        needed=needed, got=got, base=base, reached=got >= needed, threshold=threshold
    )


def _quorum_check(threshold: Threshold, member_count: int, got: int) -> ThresholdCheck:
    if threshold.basis is not Basis.ALL_MEMBERS:
        raise ValueError(f"a quorum is counted against all members, not {threshold.basis}")
    return _check(threshold, member_count, got, at_least_one=True)


def _base(basis: Basis, *, votes_cast: int, present: int, members: int) -> int:
    return {
        Basis.VOTES_CAST: votes_cast,
        Basis.MEMBERS_PRESENT: present,
        Basis.ALL_MEMBERS: members,
    }[basis]


def _require_members(member_count: int) -> None:
    if member_count < 1:
        raise ValueError(f"a body has at least one member, got {member_count}")


# --- correspondence session (art. 21) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CorrespondenceOutcome:
    quorate: bool
    adopted: bool
    referred_to_next_session: bool  # art. 21(3): extraordinary or next regular session
    reason: MotionReason
    member_count: int
    confirmed: int  # confirmed delivery, counting voters as confirmed where the rules say so
    voted: int  # art. 21(4): the minutes state how many members voted
    za: int
    proti: int
    vzdrzan: int
    quorum: ThresholdCheck
    adoption: ThresholdCheck


def correspondence_outcome(
    rules: CorrespondenceRules,
    member_count: int,
    confirmed_ids: Collection[MemberId],
    votes: Mapping[MemberId, VoteChoice],
) -> CorrespondenceOutcome:
    """The result of a correspondence vote on one resolution.

    ``confirmed_ids`` are the members who confirmed personal delivery of the invitation;
    ``votes`` maps each member who voted to the choice. Under art. 21(2) a member who voted is
    deemed to have confirmed delivery (``rules.voting_counts_as_confirmation``).
    """
    _require_members(member_count)
    choices = list(votes.values())
    if not rules.allow_abstention and VoteChoice.VZDRZAN in choices:
        raise ValueError("these rules do not allow abstention in a correspondence session")
    confirmed_set = set(confirmed_ids)
    if rules.voting_counts_as_confirmation:
        confirmed_set |= set(votes)
    if len(confirmed_set | set(votes)) > member_count:
        raise ValueError(f"more members confirmed or voted than the body's {member_count}")

    za = choices.count(VoteChoice.ZA)
    proti = choices.count(VoteChoice.PROTI)
    vzdrzan = choices.count(VoteChoice.VZDRZAN)
    voted = len(choices)
    confirmed = len(confirmed_set)
    quorum = _quorum_check(rules.quorum, member_count, confirmed)

    if rules.adoption is CorrespondenceAdoption.NO_VOTES_AGAINST:
        needed = max(za + proti, 1)  # every decisive vote must be ZA, and there must be one
        adoption = ThresholdCheck(
            needed=needed, got=za, base=voted, reached=za >= needed, threshold=None
        )
    else:
        if rules.adoption_threshold is None:
            raise ValueError("majority adoption needs an adoption threshold")
        base = _base(
            rules.adoption_threshold.basis,
            votes_cast=voted,
            present=confirmed,
            members=member_count,
        )
        adoption = _check(rules.adoption_threshold, base, za, at_least_one=True)

    referred = False
    if not quorum.reached:
        reason = MotionReason.NOT_QUORATE
    elif adoption.reached:
        reason = MotionReason.ADOPTED
    elif rules.adoption is CorrespondenceAdoption.NO_VOTES_AGAINST and proti > 0:
        reason = MotionReason.VOTED_AGAINST
        referred = True
    elif za == 0:
        reason = MotionReason.NO_VOTES_IN_FAVOUR
    else:
        reason = MotionReason.NOT_ENOUGH_VOTES
    return CorrespondenceOutcome(
        quorate=quorum.reached,
        adopted=reason is MotionReason.ADOPTED,
        referred_to_next_session=referred,
        reason=reason,
        member_count=member_count,
        confirmed=confirmed,
        voted=voted,
        za=za,
        proti=proti,
        vzdrzan=vzdrzan,
        quorum=quorum,
        adoption=adoption,
    )


# --- live session (art. 38-44) ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuorumOutcome:
    quorate: bool
    reason: QuorumReason
    check: ThresholdCheck


def live_quorum(rules: LiveRules, member_count: int, present_count: int) -> QuorumOutcome:
    """Whether the members present make the session quorate (art. 38(1))."""
    _require_members(member_count)
    if not 0 <= present_count <= member_count:
        raise ValueError(f"{present_count} present of {member_count} members")
    check = _quorum_check(rules.quorum, member_count, present_count)
    reason = QuorumReason.QUORATE if check.reached else QuorumReason.NOT_QUORATE
    return QuorumOutcome(quorate=check.reached, reason=reason, check=check)


@dataclass(frozen=True, slots=True)
class MotionOutcome:
    adopted: bool
    quorate: bool
    reason: MotionReason
    majority_name: str
    member_count: int
    present: int
    za: int
    proti: int
    vzdrzan: int
    votes_cast: int  # the base of a votes-cast majority: ZA + PROTI, plus VZDRŽAN if it counts
    quorum: ThresholdCheck
    majority: ThresholdCheck


def motion_outcome(
    rule_set: RuleSet,
    majority_name: str,
    member_count: int,
    present_count: int,
    za: int,
    proti: int,
    vzdrzan: int = 0,
) -> MotionOutcome:
    """The result of a public vote at a live session (art. 38, 39; Statute art. 19).

    ``majority_name`` names a majority of the rule set ("" for its default).
    """
    _require_members(member_count)
    live = rule_set.live
    if min(za, proti, vzdrzan) < 0:
        raise ValueError("vote counts must not be negative")
    if not 0 <= present_count <= member_count:
        raise ValueError(f"{present_count} present of {member_count} members")
    if za + proti + vzdrzan > present_count:
        raise ValueError(f"{za + proti + vzdrzan} votes from {present_count} members present")
    if vzdrzan and not live.allow_abstention:
        raise ValueError("these rules do not allow abstention in a live vote")

    name = majority_name or rule_set.default_majority
    threshold = rule_set.majority(name)
    votes_cast = za + proti + (vzdrzan if live.abstention_counts_as_cast else 0)
    base = _base(
        threshold.basis, votes_cast=votes_cast, present=present_count, members=member_count
    )
    majority = _check(threshold, base, za, at_least_one=True)
    quorum = _quorum_check(live.quorum, member_count, present_count)

    if not quorum.reached:
        reason = MotionReason.NOT_QUORATE
    elif majority.reached:
        reason = MotionReason.ADOPTED
    elif za == 0:
        reason = MotionReason.NO_VOTES_IN_FAVOUR
    else:
        reason = MotionReason.NOT_ENOUGH_VOTES
    return MotionOutcome(
        adopted=reason is MotionReason.ADOPTED,
        quorate=quorum.reached,
        reason=reason,
        majority_name=name,
        member_count=member_count,
        present=present_count,
        za=za,
        proti=proti,
        vzdrzan=vzdrzan,
        votes_cast=votes_cast,
        quorum=quorum,
        majority=majority,
    )


@dataclass(frozen=True, slots=True)
class SecretVoteReport:
    """The figures of the report on a secret vote (art. 43(2))."""

    distributed: int
    cast: int
    invalid: int
    valid: int
    za: int
    proti: int
    majority_reached: bool
    reason: MotionReason
    majority: ThresholdCheck


def secret_vote_report(
    threshold: Threshold,
    member_count: int,
    distributed: int,
    cast: int,
    invalid: int,
    za: int,
    proti: int,
) -> SecretVoteReport:
    """Counts of a secret vote on a proposal and whether the required majority was reached.

    Members who took a ballot count as present (art. 88(3)); every ballot cast, valid or not,
    is a member who voted.
    """
    _require_members(member_count)
    if not 0 <= invalid <= cast <= distributed <= member_count:
        raise ValueError(
            f"need 0 <= invalid ({invalid}) <= cast ({cast}) <= distributed ({distributed}) "
            f"<= members ({member_count})"
        )
    valid = cast - invalid
    if min(za, proti) < 0 or za + proti != valid:
        raise ValueError(
            f"ZA ({za}) and PROTI ({proti}) must add up to the valid ballots ({valid})"
        )
    base = _base(threshold.basis, votes_cast=cast, present=distributed, members=member_count)
    majority = _check(threshold, base, za, at_least_one=True)
    return SecretVoteReport(
        distributed=distributed,
        cast=cast,
        invalid=invalid,
        valid=valid,
        za=za,
        proti=proti,
        majority_reached=majority.reached,
        reason=MotionReason.ADOPTED if majority.reached else MotionReason.NOT_ENOUGH_VOTES,
        majority=majority,
    )


# --- elections and appointments (art. 88-90) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class SecretElectionQuorum:
    """Art. 88(3): a secret vote counts only if as many ballots were taken as make a quorum."""

    may_proceed: bool
    reason: QuorumReason
    check: ThresholdCheck


def secret_election_counts(
    quorum: Threshold, member_count: int, ballots_taken: int
) -> SecretElectionQuorum:
    """Whether enough ballots were taken for the secret vote to count (art. 88(3))."""
    _require_members(member_count)
    if not 0 <= ballots_taken <= member_count:
        raise ValueError(f"{ballots_taken} ballots taken by {member_count} members")
    check = _quorum_check(quorum, member_count, ballots_taken)
    reason = QuorumReason.QUORATE if check.reached else QuorumReason.NOT_QUORATE
    return SecretElectionQuorum(may_proceed=check.reached, reason=reason, check=check)


def ballot_is_valid(
    posts: int, marked: Collection[int], candidate_ids: Collection[int] | None = None
) -> bool:
    """A ballot marks at least one and at most ``posts`` candidates (art. 89(1), 89(6)).

    With ``candidate_ids`` given, every mark must also be one of the candidates standing.
    """
    chosen = set(marked)
    if len(chosen) != len(marked) or not 1 <= len(chosen) <= posts:
        return False
    return candidate_ids is None or chosen <= set(candidate_ids)


@dataclass(frozen=True, slots=True)
class CandidateTally:
    candidate_id: int
    votes: int
    reached_majority: bool


@dataclass(frozen=True, slots=True)
class ElectionRoundOutcome:
    status: ElectionStatus
    round_number: int  # 1, or 2 for the second round of art. 90(1)
    posts: int
    elected: tuple[int, ...]  # candidate ids, most votes first
    runoff: tuple[int, ...]  # candidate ids for the second round, in ballot order (art. 90(2))
    unfilled_posts: int
    tallies: tuple[CandidateTally, ...]  # most votes first, equal votes alphabetically
    needed: int  # votes a candidate needs
    base: int  # what the majority was taken of
    threshold: Threshold
    voters: int
    valid_ballots: int
    invalid_ballots: int
    lots: tuple[LotDraw, ...]  # every draw made, to be recorded in the minutes


def _by_votes_then_name(
    ids: Collection[int], votes: Mapping[int, int], by_id: Mapping[int, Candidate]
) -> list[int]:
    return sorted(
        ids,
        key=lambda cid: (
            -votes[cid],
            slovenian_sort_key(by_id[cid].surname),
            slovenian_sort_key(by_id[cid].name),
            cid,
        ),
    )


def _top_with_ties(
    ranked: Sequence[int],
    votes: Mapping[int, int],
    places: int,
    *,
    by_lot: bool,
    seed: str,
    purpose: str,
) -> tuple[list[int], LotDraw | None]:
    """The ``places`` candidates with most votes; a tie across the last place is drawn by lot.

    Without lot the candidates tied across the last place are all left out.
    """
    if len(ranked) <= places:
        return list(ranked), None
    boundary = votes[ranked[places - 1]]
    sure = [cid for cid in ranked if votes[cid] > boundary]
    tied = sorted(cid for cid in ranked if votes[cid] == boundary)
    if len(sure) + len(tied) == places:
        return sure + tied, None
    if not by_lot:
        return sure, None
    lot = draw_recorded(seed, tied, places - len(sure), purpose)
    return sure + [cid for cid in ranked if cid in lot.drawn], lot


def election_round_outcome(
    rules: ElectionRules,
    posts: int,
    candidates: Sequence[Candidate],
    ballots: Sequence[ElectionBallot],
    voters_count: int,
    seed: str,
    *,
    round_number: int = 1,
    present_count: int | None = None,
    member_count: int | None = None,
) -> ElectionRoundOutcome:
    """Count one round of an election (art. 88-90).

    ``ballots`` are all ballots cast in the round; a ballot counts when the counting commission
    found it valid and it marks one to ``posts`` of the candidates. ``voters_count`` is the
    number of members who voted (at least the ballots cast). A candidate who reaches the majority
    is elected, most votes first, at most ``posts`` of them. In round 1 of a single-post election
    nobody reaching it leads to a second round between the ``rules.runoff_candidates`` with most
    votes; otherwise unfilled posts need a new nomination. A tie for a place in the second round
    is drawn by lot from ``seed`` (the draw is returned in ``lots``).
    ``present_count`` and ``member_count`` are needed only by majorities of those bases.
    """
    if posts < 1:
        raise ValueError("an election fills at least one post")
    if round_number not in (1, 2):
        raise ValueError("an election has a first round and at most one second round")
    if round_number == 2 and posts != 1:
        raise ValueError("a second round is held only for a single post")
    if not candidates:
        raise ValueError("an election needs at least one candidate")
    if any(candidate.id is None for candidate in candidates):
        raise ValueError("candidates need stored ids")
    by_id: dict[int, Candidate] = {
        candidate.id: candidate for candidate in candidates if candidate.id is not None
    }
    if len(by_id) != len(candidates):
        raise ValueError("candidates need distinct ids")
    if voters_count < len(ballots):
        raise ValueError(f"{len(ballots)} ballots from {voters_count} voters")

    counted = [
        ballot
        for ballot in ballots
        if ballot.valid and ballot_is_valid(posts, ballot.candidate_ids, by_id.keys())
    ]
    votes = {cid: 0 for cid in by_id}
    for ballot in counted:
        for cid in ballot.candidate_ids:
            votes[cid] += 1

    if rules.majority.basis is Basis.VOTES_CAST:
        base = voters_count
    elif rules.majority.basis is Basis.MEMBERS_PRESENT:
        if present_count is None:
            raise ValueError("a majority of members present needs present_count")
        base = present_count
    else:
        if member_count is None:
            raise ValueError("a majority of all members needs member_count")
        base = member_count
    needed = max(required_count(rules.majority, base), 1)

    ranked = _by_votes_then_name(by_id.keys(), votes, by_id)
    reaching = [cid for cid in ranked if votes[cid] >= needed]
    # Nobody is elected by lot: a tie across the last post leaves the tied candidates unelected.
    elected, _ = _top_with_ties(reaching, votes, posts, by_lot=False, seed=seed, purpose="")
    lots: list[LotDraw] = []

    runoff: list[int] = []
    unfilled = posts - len(elected)
    if unfilled == 0:
        status = ElectionStatus.ELECTED
    elif round_number == 1 and posts == 1 and len(candidates) >= 2:
        status = ElectionStatus.RUNOFF
        places = rules.runoff_candidates
        chosen, lot = _top_with_ties(
            ranked,
            votes,
            places,
            by_lot=rules.ties_by_lot,
            seed=seed,
            purpose=f"election:round-{round_number}:runoff",
        )
        if lot:
            lots.append(lot)
        elif len(chosen) < min(places, len(ranked)):  # a tie not drawn by lot: all tied go on
            boundary = votes[ranked[places - 1]]
            chosen = [cid for cid in ranked if votes[cid] >= boundary]
        # art. 90(2): by first-round votes, equal votes alphabetically
        runoff = _by_votes_then_name(chosen, votes, by_id)
    else:
        status = ElectionStatus.NEW_NOMINATION

    return ElectionRoundOutcome(
        status=status,
        round_number=round_number,
        posts=posts,
        elected=tuple(elected),
        runoff=tuple(runoff),
        unfilled_posts=unfilled,
        tallies=tuple(CandidateTally(cid, votes[cid], votes[cid] >= needed) for cid in ranked),
        needed=needed,
        base=base,
        threshold=rules.majority,
        voters=voters_count,
        valid_ballots=len(counted),
        invalid_ballots=len(ballots) - len(counted),
        lots=tuple(lots),
    )
