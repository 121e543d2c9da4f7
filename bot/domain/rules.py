"""Rule sets as data: one per body, loaded from config/rules/<name>.toml.

Nothing here is a constant of the law: every municipality's rules of procedure differ, so each
threshold is a (basis, fraction, comparison) triple read from the body's preset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction

from bot.domain.models import MotionCategory, Platform

# Chat platforms a member can vote on (the hall and the command line are not chats).
CHAT_PLATFORMS: frozenset[Platform] = frozenset({Platform.MATRIX, Platform.TELEGRAM})


class Basis(StrEnum):
    """What a fraction is taken of."""

    VOTES_CAST = "votes_cast"  # members who voted (art. 39: "večina članov, ki so glasovali")
    MEMBERS_PRESENT = "members_present"  # e.g. two thirds of members present (Statute art. 19(3))
    ALL_MEMBERS = "all_members"  # e.g. a majority of all members


class Comparison(StrEnum):
    MORE_THAN = "more_than"  # "več kot polovica": strictly more than fraction × base
    AT_LEAST = "at_least"  # "najmanj dve tretjini": at least fraction × base


@dataclass(frozen=True, slots=True)
class Threshold:
    basis: Basis
    fraction: Fraction
    comparison: Comparison = Comparison.MORE_THAN
    label: str = ""  # the wording the minutes show, e.g. "večina opravljenih glasov"


class CorrespondenceAdoption(StrEnum):
    NO_VOTES_AGAINST = "no_votes_against"  # Gornji Grad art. 21(3)
    MAJORITY = "majority"  # adopted when ZA reaches CorrespondenceRules.adoption_threshold


@dataclass(frozen=True, slots=True)
class CorrespondenceRules:
    quorum: Threshold  # of all members who were sent the invitation; counted in confirmations
    adoption: CorrespondenceAdoption
    adoption_threshold: Threshold | None = None  # required when adoption is MAJORITY
    voting_counts_as_confirmation: bool = True  # art. 21(2): a member who voted confirmed delivery
    allow_abstention: bool = False
    forbidden_categories: frozenset[MotionCategory] = frozenset()
    # Words in a title or resolution that suggest a forbidden category (matched as prefixes,
    # case-insensitively), mapped to the category they suggest.
    warning_words: tuple[tuple[str, MotionCategory], ...] = ()


@dataclass(frozen=True, slots=True)
class LiveRules:
    quorum: Threshold  # art. 38: a majority of all members present
    allow_abstention: bool = False
    abstention_counts_as_cast: bool = False
    max_votes_on_same_matter: int = 2  # art. 44: at most twice, i.e. one repetition
    roll_call_repeatable: bool = False  # art. 44: a roll-call vote is never repeated
    notice_days_regular: int = 7  # art. 18
    notice_days_extraordinary: int = 5  # art. 20
    # Art. 42-43: where secret votes and elections are cast. Matrix rooms are end-to-end
    # encrypted; Telegram bot chats are not (Telegram's servers carry the choice), so a body
    # may keep secret ballots off Telegram. Members there are told why and where to vote.
    secret_vote_transports: frozenset[Platform] = CHAT_PLATFORMS


@dataclass(frozen=True, slots=True)
class ElectionRules:
    majority: Threshold  # art. 88(2): a majority of the members who voted
    runoff_candidates: int = 2  # art. 90(1): the two with most votes
    ties_by_lot: bool = True
    alphabet_start_by_lot: bool = True  # art. 89(1): the first letter is drawn by lot
    secret_requires_quorum_of_ballots: bool = True  # art. 88(3)


@dataclass(frozen=True, slots=True)
class RuleSet:
    name: str
    title: str
    source: str
    correspondence: CorrespondenceRules
    live: LiveRules
    elections: ElectionRules
    majorities: dict[str, Threshold] = field(default_factory=dict)
    default_majority: str = "votes_cast"

    def majority(self, name: str = "") -> Threshold:
        """The named majority of this rule set; "" means the rule set's default."""
        return self.majorities[name or self.default_majority]
