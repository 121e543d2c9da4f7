"""The record of a roll-call vote (art. 41(3)): every member in alphabetical order of surname,
with how they voted or that they were absent. It is part of the minutes."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.models import Person, VoteChoice
from bot.i18n import N_, Translator
from bot.live.agenda import alphabetical
from bot.wording import choice_word


class RollCallStatus(StrEnum):
    VOTED = "voted"
    DID_NOT_VOTE = "did_not_vote"  # present, but cast no vote
    ABSENT = "absent"


STATUS_WORDS: Mapping[RollCallStatus, str] = {
    RollCallStatus.DID_NOT_VOTE: N_("present, did not vote"),
    RollCallStatus.ABSENT: N_("absent"),
}


@dataclass(frozen=True, slots=True)
class RollCallLine:
    person: Person
    status: RollCallStatus
    choice: VoteChoice | None = None

    def describe(self, _: Translator) -> str:
        if self.choice is not None:
            return choice_word(self.choice, _)
        return _(STATUS_WORDS[self.status])


def roll_call_record(
    members: Sequence[Person], present_ids: Collection[int], votes: Mapping[int, VoteChoice]
) -> list[RollCallLine]:
    """One line per member of the roll, alphabetically; a member who voted was present."""
    lines = []
    for person in alphabetical(members):
        assert person.id is not None
        choice = votes.get(person.id)
        if choice is not None:
            lines.append(RollCallLine(person, RollCallStatus.VOTED, choice))
        elif person.id in present_ids:
            lines.append(RollCallLine(person, RollCallStatus.DID_NOT_VOTE))
        else:
            lines.append(RollCallLine(person, RollCallStatus.ABSENT))
    return lines
