"""The roll-call record (art. 41(3)): every member alphabetically, with the vote or absence."""

from __future__ import annotations

from bot.domain.models import Person, VoteChoice
from bot.i18n import Translator
from bot.live.rollcall import RollCallStatus, roll_call_record


def person(pid: int, name: str, surname: str) -> Person:
    return Person(pid, name, surname, f"{pid}@example.si")


MEMBERS = [
    person(1, "Mojca", "Žagar"),
    person(2, "Jože", "Šuster"),
    person(3, "Anton", "Čretnik"),
    person(4, "Peter", "Cerar"),
    person(5, "Barbara", "Štiglic"),
    person(6, "Ana", "Zupan"),
]


def test_members_are_listed_by_surname_in_slovenian_order() -> None:
    record = roll_call_record(
        MEMBERS, present_ids={1, 2, 3, 4}, votes={1: VoteChoice.ZA, 3: VoteChoice.PROTI}
    )
    assert [line.person.surname for line in record] == [
        "Cerar",
        "Čretnik",
        "Štiglic",
        "Šuster",
        "Zupan",
        "Žagar",
    ]


def test_each_member_has_a_vote_or_a_reason_for_none() -> None:
    record = {
        line.person.id: line
        for line in roll_call_record(
            MEMBERS,
            present_ids={1, 2, 3, 4},
            votes={1: VoteChoice.ZA, 3: VoteChoice.PROTI, 5: VoteChoice.ZA},
        )
    }
    assert record[1].choice is VoteChoice.ZA
    assert record[4].status is RollCallStatus.DID_NOT_VOTE
    assert record[6].status is RollCallStatus.ABSENT
    assert record[5].status is RollCallStatus.VOTED  # voting means being present
    sl = Translator("sl")
    assert [record[i].describe(sl) for i in (1, 3, 4, 6)] == [
        "ZA",
        "PROTI",
        "navzoč, ni glasoval",
        "odsoten",
    ]
