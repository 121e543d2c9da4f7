"""Outcomes against brute-force oracles over every council of 1 to 15 members.

The oracles are written apart from the code under test: they decide a threshold by comparing
whole numbers directly (count x denominator against numerator x base), never by computing a
required count, and they restate the Gornji Grad rules literally from DOMAIN.md ("more than
half", "nobody voted against") without reading the preset.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from enum import Enum
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.models import Candidate, ElectionBallot, VoteChoice
from bot.domain.outcomes import (
    ElectionStatus,
    MotionReason,
    correspondence_outcome,
    election_round_outcome,
    motion_outcome,
    required_count,
)
from bot.domain.rules import (
    Basis,
    Comparison,
    CorrespondenceAdoption,
    CorrespondenceRules,
    RuleSet,
    Threshold,
)
from bot.domain.rules_loader import load_named_rule_set

GORNJI = load_named_rule_set("gornji-grad-2016")
ALL_MEMBERS = load_named_rule_set("majority-of-all-members")
PRESETS = (GORNJI, ALL_MEMBERS)
MAX_MEMBERS = 15
FAST = settings(max_examples=300, deadline=None)


def satisfies(threshold: Threshold, count: int, base: int) -> bool:
    """Does ``count`` out of ``base`` meet the threshold? Whole-number cross-multiplication."""
    numerator, denominator = threshold.fraction.numerator, threshold.fraction.denominator
    if threshold.comparison is Comparison.MORE_THAN:
        return count * denominator > numerator * base
    return count * denominator >= numerator * base


# --- required_count --------------------------------------------------------------------------


def test_required_count_is_the_least_count_meeting_the_threshold() -> None:
    for denominator in range(1, 13):
        for numerator in range(1, denominator + 1):
            for comparison in Comparison:
                threshold = Threshold(
                    Basis.VOTES_CAST, Fraction(numerator, denominator), comparison
                )
                for base in range(MAX_MEMBERS + 1):
                    meeting = [k for k in range(base + 2) if satisfies(threshold, k, base)]
                    assert required_count(threshold, base) == meeting[0], (threshold, base)


# --- correspondence ----------------------------------------------------------------------------


class State(Enum):
    """What one member did in a correspondence session."""

    SILENT = "silent"  # neither confirmed nor voted
    CONFIRMED = "confirmed"  # confirmed delivery, did not vote
    ZA_UNCONFIRMED = "za"  # voted without confirming first
    PROTI_UNCONFIRMED = "proti"
    VZDRZAN_UNCONFIRMED = "vzdrzan"
    ZA_CONFIRMED = "za+confirmed"
    PROTI_CONFIRMED = "proti+confirmed"
    VZDRZAN_CONFIRMED = "vzdrzan+confirmed"


CHOICE = {
    State.ZA_UNCONFIRMED: VoteChoice.ZA,
    State.ZA_CONFIRMED: VoteChoice.ZA,
    State.PROTI_UNCONFIRMED: VoteChoice.PROTI,
    State.PROTI_CONFIRMED: VoteChoice.PROTI,
    State.VZDRZAN_UNCONFIRMED: VoteChoice.VZDRZAN,
    State.VZDRZAN_CONFIRMED: VoteChoice.VZDRZAN,
}
EXPLICITLY_CONFIRMED = {
    State.CONFIRMED,
    State.ZA_CONFIRMED,
    State.PROTI_CONFIRMED,
    State.VZDRZAN_CONFIRMED,
}


def correspondence_oracle(
    rules: CorrespondenceRules, states: list[State]
) -> tuple[bool, bool, bool]:
    """(quorate, adopted, referred) by counting members one by one."""
    members = len(states)
    confirmed = voted = za = proti = 0
    for state in states:
        choice = CHOICE.get(state)
        if state in EXPLICITLY_CONFIRMED or (choice and rules.voting_counts_as_confirmation):
            confirmed += 1
        if choice:
            voted += 1
        za += choice is VoteChoice.ZA
        proti += choice is VoteChoice.PROTI
    quorate = satisfies(rules.quorum, confirmed, members)
    if rules.adoption is CorrespondenceAdoption.NO_VOTES_AGAINST:
        adopted = quorate and proti == 0 and za > 0
        referred = quorate and proti > 0
    else:
        assert rules.adoption_threshold is not None
        base = {
            Basis.VOTES_CAST: voted,
            Basis.MEMBERS_PRESENT: confirmed,
            Basis.ALL_MEMBERS: members,
        }
        adopted = (
            quorate
            and za > 0
            and satisfies(rules.adoption_threshold, za, base[rules.adoption_threshold.basis])
        )
        referred = False
    return quorate, adopted, referred


def run_correspondence(rules: CorrespondenceRules, states: list[State]):  # type: ignore[no-untyped-def]
    confirmed = [member for member, state in enumerate(states) if state in EXPLICITLY_CONFIRMED]
    votes = {member: CHOICE[state] for member, state in enumerate(states) if state in CHOICE}
    return correspondence_outcome(rules, len(states), confirmed, votes)


CORRESPONDENCE_VARIANTS = [
    GORNJI.correspondence,
    ALL_MEMBERS.correspondence,
    dataclasses.replace(GORNJI.correspondence, voting_counts_as_confirmation=False),
    dataclasses.replace(
        ALL_MEMBERS.correspondence,
        adoption_threshold=Threshold(Basis.VOTES_CAST, Fraction(2, 3), Comparison.AT_LEAST),
    ),
    dataclasses.replace(
        ALL_MEMBERS.correspondence,
        voting_counts_as_confirmation=False,
        adoption_threshold=Threshold(Basis.MEMBERS_PRESENT, Fraction(1, 2), Comparison.MORE_THAN),
    ),
]


@st.composite
def council(draw: st.DrawFn, rules: CorrespondenceRules) -> list[State]:
    allowed = [
        state
        for state in State
        if rules.allow_abstention or CHOICE.get(state) is not VoteChoice.VZDRZAN
    ]
    members = draw(st.integers(min_value=1, max_value=MAX_MEMBERS))
    return draw(st.lists(st.sampled_from(allowed), min_size=members, max_size=members))


@pytest.mark.parametrize("rules", CORRESPONDENCE_VARIANTS, ids=range(len(CORRESPONDENCE_VARIANTS)))
def test_correspondence_matches_the_oracle(rules: CorrespondenceRules) -> None:
    @FAST
    @given(council(rules))
    def check(states: list[State]) -> None:
        result = run_correspondence(rules, states)
        assert (
            result.quorate,
            result.adopted,
            result.referred_to_next_session,
        ) == correspondence_oracle(rules, states)
        assert result.adopted == (result.reason is MotionReason.ADOPTED)
        assert not (result.adopted and result.referred_to_next_session)

    check()


@FAST
@given(council(GORNJI.correspondence))
def test_gornji_grad_correspondence_literally(states: list[State]) -> None:
    """DOMAIN.md art. 21 in words: more than half confirmed (voting confirms); nobody PROTI."""
    members = len(states)
    confirmed = sum(1 for state in states if state is not State.SILENT)
    za = sum(1 for state in states if CHOICE.get(state) is VoteChoice.ZA)
    against = sum(1 for state in states if CHOICE.get(state) is VoteChoice.PROTI)
    quorate = confirmed > members / 2
    result = run_correspondence(GORNJI.correspondence, states)
    assert result.quorate == quorate
    assert result.adopted == (quorate and against == 0 and za >= 1)
    assert result.referred_to_next_session == (quorate and against >= 1)
    assert (result.confirmed, result.za, result.proti) == (confirmed, za, against)


def test_correspondence_every_count_combination() -> None:
    """Exhaustive: confirmed-only, ZA, PROTI, VZDRŽAN counts for every council size 1..15."""
    for rules in (GORNJI.correspondence, ALL_MEMBERS.correspondence):
        abstain_range = range(MAX_MEMBERS + 1) if rules.allow_abstention else range(1)
        for members in range(1, MAX_MEMBERS + 1):
            for za, proti, vzdrzan in itertools.product(
                range(members + 1), range(members + 1), abstain_range
            ):
                voters = za + proti + vzdrzan
                if voters > members:
                    continue
                for confirmed_only in range(members - voters + 1):
                    states = (
                        [State.ZA_UNCONFIRMED] * za
                        + [State.PROTI_CONFIRMED] * proti
                        + [State.VZDRZAN_UNCONFIRMED] * vzdrzan
                        + [State.CONFIRMED] * confirmed_only
                        + [State.SILENT] * (members - voters - confirmed_only)
                    )
                    result = run_correspondence(rules, states)
                    expected = correspondence_oracle(rules, states)
                    assert (
                        result.quorate,
                        result.adopted,
                        result.referred_to_next_session,
                    ) == expected
                    assert result.quorum.got == voters + confirmed_only


# --- live votes --------------------------------------------------------------------------------


def motion_oracle(
    rule_set: RuleSet, name: str, members: int, present: int, za: int, proti: int, vzdrzan: int
) -> bool:
    quorate = satisfies(rule_set.live.quorum, present, members)
    cast = za + proti + (vzdrzan if rule_set.live.abstention_counts_as_cast else 0)
    threshold = rule_set.majorities[name]
    base = {Basis.VOTES_CAST: cast, Basis.MEMBERS_PRESENT: present, Basis.ALL_MEMBERS: members}[
        threshold.basis
    ]
    return quorate and za > 0 and satisfies(threshold, za, base)


def test_motion_every_count_combination() -> None:
    for rule_set in PRESETS:
        for members in range(1, MAX_MEMBERS + 1):
            for present in range(members + 1):
                for za, proti in itertools.product(range(present + 1), repeat=2):
                    if za + proti > present:
                        continue
                    abstentions = (
                        range(present - za - proti + 1) if rule_set.live.allow_abstention else (0,)
                    )
                    for vzdrzan in abstentions:
                        for name in rule_set.majorities:
                            result = motion_outcome(
                                rule_set, name, members, present, za, proti, vzdrzan
                            )
                            expected = motion_oracle(
                                rule_set, name, members, present, za, proti, vzdrzan
                            )
                            assert result.adopted == expected, (
                                rule_set.name,
                                name,
                                members,
                                present,
                                za,
                                proti,
                                vzdrzan,
                            )


def test_gornji_grad_live_votes_literally() -> None:
    """Art. 38, 39, Statute art. 19(3) in words, for every council of 1..15 members."""
    for members in range(1, MAX_MEMBERS + 1):
        for present in range(members + 1):
            for za in range(present + 1):
                for proti in range(present - za + 1):
                    quorate = present > members / 2
                    simple = motion_outcome(GORNJI, "votes_cast", members, present, za, proti)
                    assert simple.adopted == (quorate and za > (za + proti) / 2)
                    two_thirds = motion_outcome(
                        GORNJI, "members_present_two_thirds", members, present, za, proti
                    )
                    assert two_thirds.adopted == (quorate and za >= 1 and 3 * za >= 2 * present)
                    absolute = motion_outcome(
                        GORNJI, "all_members_majority", members, present, za, proti
                    )
                    assert absolute.adopted == (quorate and za > members / 2)


@st.composite
def any_threshold(draw: st.DrawFn) -> Threshold:
    denominator = draw(st.integers(min_value=1, max_value=10))
    numerator = draw(st.integers(min_value=1, max_value=denominator))
    comparison = draw(st.sampled_from(list(Comparison)))
    if comparison is Comparison.MORE_THAN and numerator == denominator:
        comparison = Comparison.AT_LEAST  # "more than all" is rejected by the loader
    return Threshold(
        draw(st.sampled_from(list(Basis))), Fraction(numerator, denominator), comparison
    )


@FAST
@given(
    threshold=any_threshold(),
    counts=st.integers(1, MAX_MEMBERS).flatmap(
        lambda members: st.tuples(
            st.just(members),
            st.integers(0, members),
            st.integers(0, members),
            st.integers(0, members),
            st.integers(0, members),
        )
    ),
    counts_as_cast=st.booleans(),
)
def test_motion_with_any_threshold_matches_the_oracle(
    threshold: Threshold, counts: tuple[int, int, int, int, int], counts_as_cast: bool
) -> None:
    members, present, za, proti, vzdrzan = counts
    if za + proti + vzdrzan > present:
        return
    rule_set = dataclasses.replace(
        ALL_MEMBERS,
        majorities={"custom": threshold},
        default_majority="custom",
        live=dataclasses.replace(ALL_MEMBERS.live, abstention_counts_as_cast=counts_as_cast),
    )
    result = motion_outcome(rule_set, "", members, present, za, proti, vzdrzan)
    assert result.adopted == motion_oracle(rule_set, "custom", members, present, za, proti, vzdrzan)
    assert result.majority.reached == (za > 0 and satisfies(threshold, za, result.majority.base))


# --- elections --------------------------------------------------------------------------------


@st.composite
def election(draw: st.DrawFn) -> tuple[int, list[Candidate], list[ElectionBallot], int, int]:
    candidate_count = draw(st.integers(1, 5))
    posts = draw(st.integers(1, min(3, candidate_count)))
    round_number = draw(st.sampled_from([1, 2])) if posts == 1 else 1
    candidates = [
        Candidate(
            id=10 + number,
            election_id=1,
            name="Ime",
            surname=draw(st.sampled_from(["Novak", "Čeh", "Zupan", "Šuštar", "Cankar"])),
        )
        for number in range(candidate_count)
    ]
    ids = [candidate.id for candidate in candidates]
    voters = draw(st.integers(1, MAX_MEMBERS))
    ballots = [
        ElectionBallot(
            frozenset(draw(st.lists(st.sampled_from(ids), max_size=posts + 1))),
            valid=draw(st.sampled_from([True, True, True, False])),
        )
        for _ in range(voters)
    ]
    return posts, candidates, ballots, voters, round_number


@settings(max_examples=400, deadline=None)
@given(election(), st.text(alphabet="abcdef0123456789", min_size=1, max_size=8))
def test_election_round_matches_the_oracle(
    case: tuple[int, list[Candidate], list[ElectionBallot], int, int], seed: str
) -> None:
    posts, candidates, ballots, voters, round_number = case
    rules = GORNJI.elections
    result = election_round_outcome(
        rules, posts, candidates, ballots, voters, seed, round_number=round_number
    )
    assert result == election_round_outcome(
        rules, posts, candidates, ballots, voters, seed, round_number=round_number
    )

    # Oracle: count marks ballot by ballot; a ballot counts with 1..posts marks.
    votes: Counter[int | None] = Counter({candidate.id: 0 for candidate in candidates})
    valid = 0
    for ballot in ballots:
        if ballot.valid and 1 <= len(ballot.candidate_ids) <= posts:
            valid += 1
            votes.update(ballot.candidate_ids)
    assert (result.valid_ballots, result.invalid_ballots) == (valid, len(ballots) - valid)
    assert {t.candidate_id: t.votes for t in result.tallies} == dict(votes)

    # Art. 88(2): a majority of the members who voted, i.e. more than half of the voters.
    reaching = {cid for cid, count in votes.items() if 2 * count > voters}
    # Elected: reaching, and no more than ``posts`` reaching candidates have as many votes.
    elected = {
        cid
        for cid in reaching
        if sum(1 for other in reaching if votes[other] >= votes[cid]) <= posts
    }
    assert set(result.elected) == elected
    assert [votes[cid] for cid in result.elected] == sorted(
        (votes[cid] for cid in result.elected), reverse=True
    )

    if len(elected) == posts:
        expected_status = ElectionStatus.ELECTED
    elif round_number == 1 and posts == 1 and len(candidates) >= 2:
        expected_status = ElectionStatus.RUNOFF
    else:
        expected_status = ElectionStatus.NEW_NOMINATION
    assert result.status is expected_status
    assert result.unfilled_posts == posts - len(elected)

    if expected_status is not ElectionStatus.RUNOFF:
        assert result.runoff == () and result.lots == ()
        return
    # Art. 90(1): the two with most votes; a candidate with two others ahead is out, a candidate
    # with at most one other at least level is in; the rest share the places by lot.
    runoff = set(result.runoff)
    assert len(runoff) == 2
    for cid in votes:
        ahead = sum(1 for other in votes if votes[other] > votes[cid])
        level_or_ahead = sum(1 for other in votes if votes[other] >= votes[cid])
        if ahead >= 2:
            assert cid not in runoff
        if level_or_ahead <= 2:
            assert cid in runoff
    needs_lot = any(
        sum(1 for other in votes if votes[other] > votes[cid])
        < 2
        < sum(1 for other in votes if votes[other] >= votes[cid])
        for cid in votes
    )
    assert bool(result.lots) == needs_lot
    assert [votes[cid] for cid in result.runoff] == sorted(
        (votes[cid] for cid in result.runoff), reverse=True
    )
