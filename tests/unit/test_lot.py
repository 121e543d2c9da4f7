"""Lot: reproducible from the recorded seed, fair over seeds, Slovenian alphabetical order."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from bot.domain.lot import (
    SLOVENIAN_ALPHABET,
    alphabetical,
    draw,
    draw_letter,
    draw_recorded,
    new_seed,
    order_candidates_from_letter,
    slovenian_sort_key,
)
from bot.domain.models import Candidate


def candidates(*full_names: str) -> list[Candidate]:
    result = []
    for number, full_name in enumerate(full_names, start=1):
        name, surname = full_name.split(" ", 1)
        result.append(Candidate(id=number, election_id=1, name=name, surname=surname))
    return result


def surnames(ordered: tuple[Candidate, ...]) -> list[str]:
    return [candidate.surname for candidate in ordered]


def test_alphabet_is_the_slovenian_one() -> None:
    assert "".join(SLOVENIAN_ALPHABET) == "ABCČDEFGHIJKLMNOPRSŠTUVZŽ"
    assert len(SLOVENIAN_ALPHABET) == 25


def test_drawn_letter_is_pinned_for_a_seed() -> None:
    # SHA-256 based, so these stay the same on every Python version and machine.
    assert draw_letter("seed-1") == "E"
    assert draw_letter("seed-2") == "F"
    assert draw_letter("gornji-grad") == "Ž"


def test_every_letter_can_be_drawn_and_none_dominates() -> None:
    counts = Counter(draw_letter(f"seed-{number}") for number in range(5000))
    assert set(counts) == set(SLOVENIAN_ALPHABET)
    assert max(counts.values()) < 2 * min(counts.values())


def test_draw_is_reproducible_and_pinned() -> None:
    items = list(range(10))
    assert draw("seed-1", items, 3, "purpose-a") == (4, 7, 2)
    assert draw("seed-1", items, 3, "purpose-a") == draw("seed-1", items, 3, "purpose-a")


def test_draw_depends_on_seed_and_purpose() -> None:
    items = list(range(20))
    results = {draw(f"seed-{number}", items, 3, "tie") for number in range(50)}
    assert len(results) > 40
    assert draw("seed-1", items, 5, "tie") != draw("seed-1", items, 5, "other")


def test_draw_gives_distinct_items_from_the_pool() -> None:
    items = ["a", "b", "c", "d"]
    drawn = draw("seed", items, 4)
    assert sorted(drawn) == items
    assert draw("seed", items, 0) == ()


def test_draw_rejects_impossible_requests_and_empty_seed() -> None:
    with pytest.raises(ValueError):
        draw("seed", [1, 2], 3)
    with pytest.raises(ValueError):
        draw("seed", [1, 2], -1)
    with pytest.raises(ValueError):
        draw("", [1, 2], 1)


def test_draw_recorded_keeps_what_the_minutes_need() -> None:
    record = draw_recorded("abc", (3, 5, 8), 1, "election:round-1:runoff")
    assert record.seed == "abc"
    assert record.purpose == "election:round-1:runoff"
    assert record.pool == (3, 5, 8)
    assert record.drawn == draw("abc", (3, 5, 8), 1, "election:round-1:runoff")


def test_new_seed_is_random_hex() -> None:
    first, second = new_seed(), new_seed()
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_slovenian_collation_puts_caron_letters_after_their_base() -> None:
    names = ["Žagar", "Zupan", "Šolar", "Sever", "Čeh", "Cankar", "Dolenc"]
    assert sorted(names, key=slovenian_sort_key) == [
        "Cankar",
        "Čeh",
        "Dolenc",
        "Sever",
        "Šolar",
        "Zupan",
        "Žagar",
    ]


def test_collation_ignores_case_and_handles_foreign_letters() -> None:
    names = ["čuk", "Ćosić", "Cvetko", "Đurić", "Dular", "Wolf", "Vidmar", "Zorko"]
    assert sorted(names, key=slovenian_sort_key) == [
        "Cvetko",
        "čuk",
        "Ćosić",
        "Dular",
        "Đurić",
        "Vidmar",
        "Wolf",
        "Zorko",
    ]


def test_candidates_ordered_from_the_drawn_letter_and_wrapping() -> None:
    people = candidates(
        "Ana Žagar", "Bojan Zupan", "Cene Šolar", "Darja Sever", "Eva Čeh", "Fran Cankar"
    )
    assert surnames(order_candidates_from_letter(people, "Š")) == [
        "Šolar",
        "Zupan",
        "Žagar",
        "Cankar",
        "Čeh",
        "Sever",
    ]
    assert surnames(order_candidates_from_letter(people, "D")) == [
        "Sever",
        "Šolar",
        "Zupan",
        "Žagar",
        "Cankar",
        "Čeh",
    ]
    assert surnames(order_candidates_from_letter(people, "A")) == surnames(alphabetical(people))


def test_a_letter_with_no_surname_starts_at_the_next_one() -> None:
    people = candidates("Ana Kovač", "Bor Novak", "Cvet Horvat")
    assert surnames(order_candidates_from_letter(people, "I")) == ["Kovač", "Novak", "Horvat"]
    assert surnames(order_candidates_from_letter(people, "č")) == ["Horvat", "Kovač", "Novak"]


def test_same_surname_ordered_by_name() -> None:
    people = candidates("Tina Novak", "Andrej Novak", "Špela Novak", "Simon Novak")
    assert [c.name for c in alphabetical(people)] == ["Andrej", "Simon", "Špela", "Tina"]


def test_order_rejects_a_non_letter() -> None:
    with pytest.raises(ValueError):
        order_candidates_from_letter(candidates("Ana Kovač"), "1")
