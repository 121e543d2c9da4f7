"""Every rule of DOMAIN.md on correspondence, live votes, secret votes and elections."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from fractions import Fraction

import pytest

from bot.domain.models import Candidate, ElectionBallot, VoteChoice
from bot.domain.outcomes import (
    ELECTION_STATUS_TEXTS,
    MOTION_REASON_TEXTS,
    QUORUM_REASON_TEXTS,
    ElectionStatus,
    MotionReason,
    QuorumReason,
    ballot_is_valid,
    correspondence_outcome,
    election_round_outcome,
    live_quorum,
    motion_outcome,
    required_count,
    secret_election_counts,
    secret_vote_report,
)
from bot.domain.rules import Basis, Comparison, RuleSet, Threshold
from bot.domain.rules_loader import load_named_rule_set
from bot.i18n import Translator

ZA, PROTI, VZDRZAN = VoteChoice.ZA, VoteChoice.PROTI, VoteChoice.VZDRZAN


@pytest.fixture(scope="module")
def gornji() -> RuleSet:
    return load_named_rule_set("gornji-grad-2016")


@pytest.fixture(scope="module")
def all_members() -> RuleSet:
    return load_named_rule_set("majority-of-all-members")


def more_than(fraction: str, basis: Basis = Basis.VOTES_CAST) -> Threshold:
    return Threshold(basis, Fraction(fraction), Comparison.MORE_THAN)


def at_least(fraction: str, basis: Basis = Basis.VOTES_CAST) -> Threshold:
    return Threshold(basis, Fraction(fraction), Comparison.AT_LEAST)


def votes_of(*groups: tuple[Iterable[int], VoteChoice]) -> dict[int, VoteChoice]:
    return {member: choice for members, choice in groups for member in members}


# --- required_count ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("threshold", "base", "needed"),
    [
        (more_than("1/2"), 11, 6),
        (more_than("1/2"), 10, 6),
        (more_than("1/2"), 1, 1),
        (more_than("1/2"), 2, 2),
        (more_than("1/2"), 0, 1),
        (at_least("2/3"), 9, 6),
        (at_least("2/3"), 10, 7),
        (at_least("2/3"), 11, 8),
        (at_least("2/3"), 0, 0),
        (more_than("2/3"), 9, 7),
        (at_least("1/2"), 10, 5),
        (at_least("1"), 7, 7),
        (more_than("1/3"), 3, 2),
    ],
)
def test_required_count(threshold: Threshold, base: int, needed: int) -> None:
    assert required_count(threshold, base) == needed


def test_required_count_rejects_a_negative_base() -> None:
    with pytest.raises(ValueError):
        required_count(more_than("1/2"), -1)


# --- correspondence session (art. 21) ------------------------------------------------------


def test_worked_example_six_confirm_and_vote_for(gornji: RuleSet) -> None:
    members = range(6)
    result = correspondence_outcome(gornji.correspondence, 11, members, votes_of((members, ZA)))
    assert result.quorate and result.adopted and not result.referred_to_next_session
    assert result.reason is MotionReason.ADOPTED
    assert (result.quorum.needed, result.quorum.got, result.quorum.base) == (6, 6, 11)
    assert (result.confirmed, result.voted, result.za, result.proti, result.vzdrzan) == (
        6,
        6,
        6,
        0,
        0,
    )
    assert (result.adoption.needed, result.adoption.got) == (6, 6)


def test_worked_example_five_confirm(gornji: RuleSet) -> None:
    members = range(5)
    result = correspondence_outcome(gornji.correspondence, 11, members, votes_of((members, ZA)))
    assert not result.quorate and not result.adopted and not result.referred_to_next_session
    assert result.reason is MotionReason.NOT_QUORATE
    assert (result.quorum.needed, result.quorum.got, result.quorum.base) == (6, 5, 11)


def test_worked_example_one_against_refers_the_item(gornji: RuleSet) -> None:
    votes = votes_of((range(8), ZA), ([8], PROTI))
    result = correspondence_outcome(gornji.correspondence, 11, range(9), votes)
    assert result.quorate and not result.adopted and result.referred_to_next_session
    assert result.reason is MotionReason.VOTED_AGAINST
    assert (result.za, result.proti, result.voted, result.confirmed) == (8, 1, 9, 9)
    assert (result.adoption.needed, result.adoption.got, result.adoption.base) == (9, 8, 9)


def test_a_member_who_voted_is_deemed_to_have_confirmed(gornji: RuleSet) -> None:
    # Only three confirmed explicitly, but six voted: six confirmations count.
    result = correspondence_outcome(gornji.correspondence, 11, [0, 1, 2], votes_of((range(6), ZA)))
    assert result.confirmed == 6 and result.quorate and result.adopted


def test_confirmations_without_votes_count_for_quorum(gornji: RuleSet) -> None:
    result = correspondence_outcome(gornji.correspondence, 11, range(10), votes_of(([0], ZA)))
    assert result.quorate and result.adopted
    assert (result.confirmed, result.voted) == (10, 1)


def test_nobody_voting_adopts_nothing(gornji: RuleSet) -> None:
    result = correspondence_outcome(gornji.correspondence, 11, range(11), {})
    assert result.quorate and not result.adopted and not result.referred_to_next_session
    assert result.reason is MotionReason.NO_VOTES_IN_FAVOUR


@pytest.mark.parametrize(
    ("members", "needed"), [(1, 1), (2, 2), (3, 2), (4, 3), (10, 6), (11, 6), (12, 7)]
)
def test_correspondence_quorum_at_even_and_odd_sizes(
    gornji: RuleSet, members: int, needed: int
) -> None:
    enough = correspondence_outcome(gornji.correspondence, members, range(needed), {})
    short = correspondence_outcome(gornji.correspondence, members, range(needed - 1), {})
    assert enough.quorate and enough.quorum.needed == needed
    assert not short.quorate


def test_inquorate_session_adopts_nothing_even_with_votes(gornji: RuleSet) -> None:
    rules = dataclasses.replace(gornji.correspondence, voting_counts_as_confirmation=False)
    result = correspondence_outcome(rules, 11, [], votes_of((range(6), ZA)))
    assert not result.quorate and not result.adopted
    assert result.reason is MotionReason.NOT_QUORATE
    assert result.confirmed == 0


def test_inquorate_session_with_a_vote_against_is_not_referred(gornji: RuleSet) -> None:
    result = correspondence_outcome(
        gornji.correspondence, 11, [], votes_of(([0, 1], ZA), ([2], PROTI))
    )
    assert not result.quorate and not result.referred_to_next_session


def test_gornji_grad_has_no_abstention_in_correspondence(gornji: RuleSet) -> None:
    with pytest.raises(ValueError):
        correspondence_outcome(gornji.correspondence, 11, [], votes_of(([0], VZDRZAN)))


def test_majority_preset_adopts_with_more_than_half_of_all_members(all_members: RuleSet) -> None:
    rules = all_members.correspondence
    adopted = correspondence_outcome(rules, 11, [], votes_of((range(6), ZA), ([6, 7], PROTI)))
    assert adopted.adopted and not adopted.referred_to_next_session
    assert (adopted.adoption.needed, adopted.adoption.got, adopted.adoption.base) == (6, 6, 11)
    short = correspondence_outcome(rules, 11, range(11), votes_of((range(5), ZA)))
    assert short.quorate and not short.adopted and not short.referred_to_next_session
    assert short.reason is MotionReason.NOT_ENOUGH_VOTES


def test_majority_preset_abstentions_confirm_but_do_not_adopt(all_members: RuleSet) -> None:
    rules = all_members.correspondence
    result = correspondence_outcome(
        rules, 11, [], votes_of((range(5), ZA), (range(5, 11), VZDRZAN))
    )
    assert result.quorate and not result.adopted
    assert (result.vzdrzan, result.voted, result.confirmed) == (6, 11, 11)
    everyone_abstains = correspondence_outcome(rules, 11, [], votes_of((range(11), VZDRZAN)))
    assert everyone_abstains.reason is MotionReason.NO_VOTES_IN_FAVOUR


def test_correspondence_rejects_more_members_than_the_body(gornji: RuleSet) -> None:
    with pytest.raises(ValueError):
        correspondence_outcome(gornji.correspondence, 3, range(3), votes_of(([3], ZA)))
    with pytest.raises(ValueError):
        correspondence_outcome(gornji.correspondence, 0, [], {})


# --- live session --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("members", "present", "quorate"),
    [(11, 6, True), (11, 5, False), (10, 6, True), (10, 5, False), (1, 1, True), (1, 0, False)],
)
def test_live_quorum_is_a_majority_of_all_members(
    gornji: RuleSet, members: int, present: int, quorate: bool
) -> None:
    result = live_quorum(gornji.live, members, present)
    assert result.quorate is quorate
    assert result.reason is (QuorumReason.QUORATE if quorate else QuorumReason.NOT_QUORATE)
    assert (result.check.got, result.check.base) == (present, members)


def test_live_quorum_rejects_impossible_presence(gornji: RuleSet) -> None:
    with pytest.raises(ValueError):
        live_quorum(gornji.live, 11, 12)


def test_majority_of_votes_cast(gornji: RuleSet) -> None:
    result = motion_outcome(gornji, "", 11, 9, za=5, proti=4, vzdrzan=0)
    assert result.adopted and result.reason is MotionReason.ADOPTED
    assert result.majority_name == "votes_cast"
    assert (result.majority.needed, result.majority.got, result.majority.base) == (5, 5, 9)
    tie = motion_outcome(gornji, "votes_cast", 11, 9, za=4, proti=4, vzdrzan=0)
    assert not tie.adopted and tie.reason is MotionReason.NOT_ENOUGH_VOTES


def test_votes_cast_versus_present_versus_all_members(gornji: RuleSet) -> None:
    # 11 members, 9 present, 5 ZA and 2 PROTI (two present did not vote)
    cast = motion_outcome(gornji, "votes_cast", 11, 9, za=5, proti=2)
    present = motion_outcome(gornji, "members_present_two_thirds", 11, 9, za=5, proti=2)
    everyone = motion_outcome(gornji, "all_members_majority", 11, 9, za=5, proti=2)
    assert cast.adopted and cast.majority.base == 7
    assert not present.adopted and (present.majority.needed, present.majority.base) == (6, 9)
    assert not everyone.adopted and (everyone.majority.needed, everyone.majority.base) == (6, 11)
    assert motion_outcome(gornji, "all_members_majority", 11, 9, za=6, proti=3).adopted


@pytest.mark.parametrize(("present", "needed"), [(9, 6), (10, 7), (11, 8), (6, 4), (7, 5)])
def test_two_thirds_of_members_present(gornji: RuleSet, present: int, needed: int) -> None:
    enough = motion_outcome(gornji, "members_present_two_thirds", 11, present, za=needed, proti=0)
    short = motion_outcome(
        gornji, "members_present_two_thirds", 11, present, za=needed - 1, proti=1
    )
    assert enough.adopted and enough.majority.needed == needed
    assert not short.adopted


def test_motion_at_inquorate_session_adopts_nothing(gornji: RuleSet) -> None:
    result = motion_outcome(gornji, "", 11, 5, za=5, proti=0)
    assert not result.adopted and not result.quorate
    assert result.reason is MotionReason.NOT_QUORATE
    assert (result.quorum.needed, result.quorum.got) == (6, 5)


def test_motion_needs_a_vote_in_favour(gornji: RuleSet) -> None:
    result = motion_outcome(gornji, "", 11, 11, za=0, proti=0)
    assert not result.adopted and result.reason is MotionReason.NO_VOTES_IN_FAVOUR


def test_gornji_grad_has_no_abstention_in_live_votes(gornji: RuleSet) -> None:
    with pytest.raises(ValueError):
        motion_outcome(gornji, "", 11, 11, za=6, proti=0, vzdrzan=1)


def test_abstention_counts_as_cast_in_the_second_preset(
    all_members: RuleSet, gornji: RuleSet
) -> None:
    # 4 ZA, 3 PROTI: adopted where only ZA and PROTI count ...
    assert motion_outcome(gornji, "", 11, 8, za=4, proti=3).adopted
    # ... but one abstention counted as cast raises the base to 8 and the need to 5.
    result = motion_outcome(all_members, "", 11, 8, za=4, proti=3, vzdrzan=1)
    assert not result.adopted and result.votes_cast == 8
    assert (result.majority.needed, result.majority.got) == (5, 4)
    assert motion_outcome(all_members, "", 11, 8, za=5, proti=2, vzdrzan=1).adopted


def test_abstention_not_counted_when_the_rules_say_so(all_members: RuleSet) -> None:
    rules = dataclasses.replace(
        all_members, live=dataclasses.replace(all_members.live, abstention_counts_as_cast=False)
    )
    result = motion_outcome(rules, "", 11, 8, za=4, proti=3, vzdrzan=1)
    assert result.adopted and result.votes_cast == 7


def test_motion_rejects_impossible_counts(gornji: RuleSet) -> None:
    with pytest.raises(ValueError):
        motion_outcome(gornji, "", 11, 6, za=5, proti=2)
    with pytest.raises(ValueError):
        motion_outcome(gornji, "", 11, 12, za=5, proti=2)
    with pytest.raises(ValueError):
        motion_outcome(gornji, "", 11, 6, za=-1, proti=2)
    with pytest.raises(KeyError):
        motion_outcome(gornji, "no-such-majority", 11, 6, za=5, proti=0)


# --- secret votes (art. 42, 43, 88(3)) -------------------------------------------------------


def test_secret_vote_report_figures(gornji: RuleSet) -> None:
    report = secret_vote_report(
        gornji.majority(), 11, distributed=10, cast=10, invalid=1, za=6, proti=3
    )
    assert (report.distributed, report.cast, report.invalid, report.valid) == (10, 10, 1, 9)
    assert (report.za, report.proti) == (6, 3)
    assert report.majority_reached and report.reason is MotionReason.ADOPTED
    assert (report.majority.needed, report.majority.base) == (6, 10)


def test_an_invalid_ballot_still_counts_as_a_member_who_voted(gornji: RuleSet) -> None:
    report = secret_vote_report(
        gornji.majority(), 11, distributed=10, cast=10, invalid=1, za=5, proti=4
    )
    assert not report.majority_reached and report.reason is MotionReason.NOT_ENOUGH_VOTES


def test_secret_vote_two_thirds_of_members_present_counts_ballots_taken(gornji: RuleSet) -> None:
    threshold = gornji.majority("members_present_two_thirds")
    report = secret_vote_report(threshold, 11, distributed=9, cast=8, invalid=0, za=6, proti=2)
    assert report.majority_reached and (report.majority.needed, report.majority.base) == (6, 9)


def test_secret_vote_report_rejects_inconsistent_counts(gornji: RuleSet) -> None:
    with pytest.raises(ValueError):
        secret_vote_report(gornji.majority(), 11, distributed=9, cast=10, invalid=0, za=10, proti=0)
    with pytest.raises(ValueError):
        secret_vote_report(gornji.majority(), 11, distributed=9, cast=9, invalid=1, za=5, proti=4)


@pytest.mark.parametrize(
    ("members", "taken", "proceeds"), [(11, 6, True), (11, 5, False), (10, 6, True), (10, 5, False)]
)
def test_secret_election_needs_a_quorum_of_ballots(
    gornji: RuleSet, members: int, taken: int, proceeds: bool
) -> None:
    result = secret_election_counts(gornji.live.quorum, members, taken)
    assert result.may_proceed is proceeds
    assert result.check.got == taken and result.check.base == members


# --- elections (art. 88-90) --------------------------------------------------------------------


def people(*surnames: str) -> list[Candidate]:
    return [
        Candidate(id=number, election_id=1, name=f"Ime{number}", surname=surname)
        for number, surname in enumerate(surnames, start=1)
    ]


def ballots(*marks: tuple[int, ...], invalid: int = 0) -> list[ElectionBallot]:
    counted = [ElectionBallot(frozenset(mark)) for mark in marks]
    return counted + [ElectionBallot(frozenset(), valid=False)] * invalid


def repeat(mark: tuple[int, ...], times: int) -> list[tuple[int, ...]]:
    return [mark] * times


@pytest.mark.parametrize(
    ("posts", "marked", "valid"),
    [
        (1, [1], True),
        (1, [1, 2], False),
        (1, [], False),
        (3, [1, 2, 3], True),
        (3, [1, 2], True),
        (3, [1, 2, 3, 4], False),
        (2, [1, 1], False),
    ],
)
def test_ballot_validity(posts: int, marked: list[int], valid: bool) -> None:
    assert ballot_is_valid(posts, marked) is valid


def test_ballot_must_mark_standing_candidates() -> None:
    assert ballot_is_valid(1, [2], candidate_ids=[1, 2])
    assert not ballot_is_valid(1, [9], candidate_ids=[1, 2])


def test_single_post_elected_with_a_majority_of_voters(gornji: RuleSet) -> None:
    result = election_round_outcome(
        gornji.elections,
        1,
        people("Novak", "Kovač"),
        ballots(*repeat((1,), 6), *repeat((2,), 5)),
        11,
        "s",
    )
    assert result.status is ElectionStatus.ELECTED
    assert result.elected == (1,) and result.unfilled_posts == 0
    assert (result.needed, result.base, result.voters) == (6, 11, 11)
    assert [(t.candidate_id, t.votes, t.reached_majority) for t in result.tallies] == [
        (1, 6, True),
        (2, 5, False),
    ]


def test_invalid_ballots_count_as_voters_but_not_votes(gornji: RuleSet) -> None:
    # 6 of 11 is no majority once one of the 12 ballots is invalid but still a member who voted.
    result = election_round_outcome(
        gornji.elections,
        1,
        people("Novak", "Kovač"),
        ballots(*repeat((1,), 6), *repeat((2,), 5), (1, 2)),
        12,
        "s",
    )
    assert (result.valid_ballots, result.invalid_ballots) == (11, 1)
    assert result.needed == 7 and result.status is ElectionStatus.RUNOFF


def test_runoff_between_the_two_with_most_votes(gornji: RuleSet) -> None:
    result = election_round_outcome(
        gornji.elections,
        1,
        people("Zupan", "Horvat", "Bizjak"),
        ballots(*repeat((3,), 5), *repeat((1,), 4), *repeat((2,), 2)),
        11,
        "seed",
    )
    assert result.status is ElectionStatus.RUNOFF
    assert result.elected == () and result.unfilled_posts == 1
    assert result.runoff == (3, 1)  # by first-round votes (art. 90(2))
    assert result.lots == ()


def test_runoff_ties_drawn_by_lot_reproducibly(gornji: RuleSet) -> None:
    candidates = people("Zupan", "Horvat", "Bizjak", "Albreht")
    cast = ballots(*repeat((1,), 5), *repeat((2,), 3), *repeat((3,), 3), *repeat((4,), 0))
    first = election_round_outcome(gornji.elections, 1, candidates, cast, 11, "seed-a")
    again = election_round_outcome(gornji.elections, 1, candidates, cast, 11, "seed-a")
    assert first == again
    assert first.runoff[0] == 1 and first.runoff[1] in (2, 3)
    (lot,) = first.lots
    assert lot.seed == "seed-a" and lot.pool == (2, 3) and lot.drawn == (first.runoff[1],)
    assert lot.purpose == "election:round-1:runoff"
    second_places = {
        election_round_outcome(gornji.elections, 1, candidates, cast, 11, f"seed-{n}").runoff[1]
        for n in range(20)
    }
    assert second_places == {2, 3}


def test_three_way_tie_for_first_draws_two(gornji: RuleSet) -> None:
    candidates = people("Zupan", "Horvat", "Bizjak")
    cast = ballots(*repeat((1,), 4), *repeat((2,), 4), *repeat((3,), 4))
    result = election_round_outcome(gornji.elections, 1, candidates, cast, 12, "x")
    assert result.status is ElectionStatus.RUNOFF
    assert len(result.runoff) == 2 and set(result.runoff) <= {1, 2, 3}
    assert result.lots[0].pool == (1, 2, 3) and set(result.lots[0].drawn) == set(result.runoff)
    # equal first-round votes: the second round lists them alphabetically (art. 90(2))
    by_surname = {1: "Zupan", 2: "Horvat", 3: "Bizjak"}
    assert [by_surname[c] for c in result.runoff] == sorted(by_surname[c] for c in result.runoff)


def test_runoff_ties_without_lot_take_every_tied_candidate(gornji: RuleSet) -> None:
    rules = dataclasses.replace(gornji.elections, ties_by_lot=False)
    cast = ballots(*repeat((1,), 5), *repeat((2,), 3), *repeat((3,), 3))
    result = election_round_outcome(rules, 1, people("Zupan", "Horvat", "Bizjak"), cast, 11, "x")
    assert result.runoff == (1, 3, 2) and result.lots == ()


def test_second_round_decides_or_asks_for_new_nomination(gornji: RuleSet) -> None:
    pair = people("Zupan", "Horvat")
    decided = election_round_outcome(
        gornji.elections,
        1,
        pair,
        ballots(*repeat((2,), 6), *repeat((1,), 5)),
        11,
        "s",
        round_number=2,
    )
    assert decided.status is ElectionStatus.ELECTED and decided.elected == (2,)
    undecided = election_round_outcome(
        gornji.elections,
        1,
        pair,
        ballots(*repeat((2,), 5), *repeat((1,), 5), invalid=1),
        11,
        "s",
        round_number=2,
    )
    assert undecided.status is ElectionStatus.NEW_NOMINATION
    assert undecided.elected == () and undecided.runoff == () and undecided.unfilled_posts == 1


def test_single_candidate_without_majority_needs_new_nomination(gornji: RuleSet) -> None:
    result = election_round_outcome(
        gornji.elections, 1, people("Novak"), ballots(*repeat((1,), 5), invalid=6), 11, "s"
    )
    assert result.status is ElectionStatus.NEW_NOMINATION and result.runoff == ()


def test_several_posts_highest_first(gornji: RuleSet) -> None:
    candidates = people("Zupan", "Horvat", "Bizjak", "Albreht", "Mlakar")
    cast = ballots(
        *repeat((1, 2, 3), 4),
        *repeat((2, 3, 4), 3),
        *repeat((2, 1, 5), 2),
        *repeat((3, 4), 2),
    )
    # 11 voters, 6 needed; votes: 2 -> 9, 3 -> 9, 1 -> 6, 4 -> 5, 5 -> 2
    result = election_round_outcome(gornji.elections, 3, candidates, cast, 11, "s")
    assert result.status is ElectionStatus.ELECTED
    assert result.elected == (3, 2, 1)  # 9, 9 (Bizjak before Horvat), then 6


def test_several_posts_not_all_filled_need_new_nomination(gornji: RuleSet) -> None:
    candidates = people("Zupan", "Horvat", "Bizjak", "Albreht")
    cast = ballots(*repeat((1, 2), 6), *repeat((3, 4), 5))
    result = election_round_outcome(gornji.elections, 3, candidates, cast, 11, "s")
    assert result.status is ElectionStatus.NEW_NOMINATION
    assert result.elected == (2, 1) and result.unfilled_posts == 1 and result.runoff == ()


def test_ballots_marking_too_many_candidates_are_invalid(gornji: RuleSet) -> None:
    candidates = people("Zupan", "Horvat", "Bizjak")
    cast = ballots(*repeat((1, 2), 3), *repeat((1,), 6), (2,), (3,))
    result = election_round_outcome(gornji.elections, 1, candidates, cast, 11, "s")
    assert result.invalid_ballots == 3 and result.valid_ballots == 8
    assert result.status is ElectionStatus.ELECTED and result.elected == (1,)


def test_nobody_is_elected_by_lot(gornji: RuleSet) -> None:
    # At-least-half majority: two candidates both reach it with equal votes for one post.
    rules = dataclasses.replace(gornji.elections, majority=at_least("1/2"))
    cast = ballots(*repeat((1,), 5), *repeat((2,), 5))
    result = election_round_outcome(rules, 1, people("Zupan", "Horvat"), cast, 10, "s")
    assert result.elected == () and result.status is ElectionStatus.RUNOFF
    assert result.runoff == (2, 1)


def test_election_majority_of_other_bases_needs_their_counts(gornji: RuleSet) -> None:
    rules = dataclasses.replace(gornji.elections, majority=more_than("1/2", Basis.ALL_MEMBERS))
    cast = ballots(*repeat((1,), 5), *repeat((2,), 1))
    with pytest.raises(ValueError):
        election_round_outcome(rules, 1, people("Zupan", "Horvat"), cast, 6, "s")
    result = election_round_outcome(
        rules, 1, people("Zupan", "Horvat"), cast, 6, "s", member_count=11
    )
    assert result.needed == 6 and result.status is ElectionStatus.RUNOFF


def test_election_rejects_impossible_input(gornji: RuleSet) -> None:
    with pytest.raises(ValueError):
        election_round_outcome(gornji.elections, 0, people("A"), [], 0, "s")
    with pytest.raises(ValueError):
        election_round_outcome(gornji.elections, 1, [], [], 0, "s")
    with pytest.raises(ValueError):
        election_round_outcome(gornji.elections, 1, people("A"), ballots((1,), (1,)), 1, "s")
    with pytest.raises(ValueError):
        election_round_outcome(gornji.elections, 2, people("A", "B"), [], 0, "s", round_number=2)


# --- texts for the minutes ---------------------------------------------------------------------


def test_every_reason_has_a_text_in_both_languages() -> None:
    sl, en = Translator("sl"), Translator("en")
    for texts in (MOTION_REASON_TEXTS, QUORUM_REASON_TEXTS, ELECTION_STATUS_TEXTS):
        for text in texts.values():
            assert sl(text) != en(text) == text
    assert set(MOTION_REASON_TEXTS) == set(MotionReason)
    assert set(QUORUM_REASON_TEXTS) == set(QuorumReason)
    assert set(ELECTION_STATUS_TEXTS) == set(ElectionStatus)
    assert sl(MOTION_REASON_TEXTS[MotionReason.ADOPTED]) == "Sklep je sprejet."
