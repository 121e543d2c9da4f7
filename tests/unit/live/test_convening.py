"""Convening a live session: the notice period (art. 18, 20) and the checks of a convening."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.models import SessionKind, SessionMode, VoteKind
from bot.domain.rules_loader import load_named_rule_set
from bot.i18n import Translator
from bot.live.convening import (
    MAX_CANDIDATES,
    CandidateSpec,
    ConveningSpec,
    ElectionSpec,
    MotionSpec,
    check_spec,
    notice_problem,
)

RULES = load_named_rule_set("gornji-grad-2016")
# Monday 23 November 2026, 10.00 in Ljubljana.
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SL = Translator("sl")


def day(days: int, hour_utc: int = 16) -> datetime:
    return (NOW + timedelta(days=days)).replace(hour=hour_utc)


@pytest.mark.parametrize(
    ("kind", "days", "refused"),
    [
        (SessionKind.REGULAR, 6, True),
        (SessionKind.REGULAR, 7, False),  # "najkasneje sedem dni pred dnem, določenim za sejo"
        (SessionKind.EXTRAORDINARY, 4, True),
        (SessionKind.EXTRAORDINARY, 5, False),
    ],
)
def test_the_notice_counts_whole_days_before_the_day_of_the_session(
    kind: SessionKind, days: int, refused: bool
) -> None:
    # The hour does not matter: a session at 8.00 seven days ahead is in time.
    early = (NOW + timedelta(days=days)).replace(hour=7)
    assert (notice_problem(RULES, kind, early, NOW, urgent=False) is not None) is refused


def test_a_refusal_says_why_and_which_date_would_do() -> None:
    problem = notice_problem(RULES, SessionKind.REGULAR, day(3), NOW, urgent=False)
    assert problem is not None
    text = problem.render(SL)
    assert "najmanj 7 dni pred dnem seje" in text and "le še 3 dni" in text
    assert "30. 11. 2026" in text and RULES.title in text
    english = problem.render(Translator("en"))
    assert "at least 7 days" in english and "26 Nov 2026" in english


def test_only_an_urgent_extraordinary_session_may_come_sooner() -> None:
    assert notice_problem(RULES, SessionKind.EXTRAORDINARY, day(1), NOW, urgent=True) is None
    assert notice_problem(RULES, SessionKind.REGULAR, day(1), NOW, urgent=True) is not None


def test_a_session_in_the_past_is_refused_even_if_urgent() -> None:
    problem = notice_problem(RULES, SessionKind.EXTRAORDINARY, NOW - timedelta(hours=1), NOW, True)
    assert problem is not None and "že minil" in problem.render(SL)


def spec(**changes: object) -> ConveningSpec:
    values: dict[str, object] = {
        "body_id": 1,
        "kind": SessionKind.REGULAR,
        "mode": SessionMode.HYBRID,
        "title": "12. redna seja",
        "starts_at": day(10),
        "location": "Sejna soba",
        "video_link": "https://zoom.us/j/1",
        "agenda": (MotionSpec("Zapisnik", "Svet potrdi zapisnik.", "votes_cast"),),
    }
    values.update(changes)
    return ConveningSpec(**values)  # type: ignore[arg-type]


def problems(value: ConveningSpec) -> list[str]:
    return [problem.render(Translator("en")) for problem in check_spec(value, RULES, NOW)]


def test_a_complete_convening_has_no_problems() -> None:
    assert problems(spec()) == []


def test_every_problem_of_a_convening_is_reported_at_once() -> None:
    found = problems(
        spec(
            mode=SessionMode.HYBRID,
            location="",
            video_link="",
            urgent=True,
            agenda=(
                MotionSpec("Poslovnik", "Svet sprejme.", "dve tretjini"),
                MotionSpec("Tajno brez predloga", "", vote_kind=VoteKind.SECRET),
                ElectionSpec("Volitve", 1, ()),
                ElectionSpec(
                    "Prevelike volitve",
                    1,
                    tuple(CandidateSpec("Ime", f"Priimek{i}") for i in range(MAX_CANDIDATES + 1)),
                ),
            ),
        )
    )
    joined = "\n".join(found)
    assert "needs the hall" in joined and "video-call link" in joined
    assert "Only an extraordinary session may be convened urgently" in joined
    assert "reason for its urgency" in joined
    assert '"dve tretjini" is not in the rules of procedure' in joined
    assert "members_present_two_thirds" in joined  # the names that would do
    assert "Item 2 is voted on, so it needs a proposed resolution" in joined
    assert "Item 3: the election has no candidates" in joined
    assert f"at most {MAX_CANDIDATES} candidates" in joined


def test_an_item_without_a_resolution_is_an_item_without_a_vote() -> None:
    assert problems(spec(agenda=(MotionSpec("Vprašanja in pobude"),))) == []


def test_a_remote_session_needs_no_hall_but_an_empty_agenda_is_refused() -> None:
    found = problems(spec(mode=SessionMode.REMOTE, location="", agenda=()))
    assert found == ["The agenda has no items."]
