"""Art. 21(1): forbidden subjects of a correspondence session are refused; suspicious words warn."""

from __future__ import annotations

import dataclasses

import pytest

from bot.domain.correspondence_check import (
    FORBIDDEN_CATEGORY,
    Field,
    check_correspondence_motion,
    refusal_text,
    warning_text,
)
from bot.domain.models import MotionCategory
from bot.domain.rules import CorrespondenceRules, RuleSet
from bot.domain.rules_loader import load_named_rule_set
from bot.i18n import Translator


@pytest.fixture(scope="module")
def rules() -> CorrespondenceRules:
    return load_named_rule_set("gornji-grad-2016").correspondence


@pytest.mark.parametrize(
    "category",
    [
        MotionCategory.BUDGET,
        MotionCategory.FINAL_ACCOUNT,
        MotionCategory.TAXES_AND_LEVIES,
        MotionCategory.FINANCIAL_OBLIGATION,
    ],
)
def test_forbidden_categories_are_refused(
    rules: CorrespondenceRules, category: MotionCategory
) -> None:
    check = check_correspondence_motion(rules, category, "Predlog", "Svet sprejme predlog.")
    assert not check.allowed
    assert check.refusal is not None
    assert check.refusal.category is category
    assert check.refusal.reason == FORBIDDEN_CATEGORY


@pytest.mark.parametrize(
    "category",
    [MotionCategory.GENERAL, MotionCategory.APPOINTMENT, MotionCategory.RULES_OF_PROCEDURE],
)
def test_other_categories_are_allowed(rules: CorrespondenceRules, category: MotionCategory) -> None:
    check = check_correspondence_motion(
        rules, category, "Soglasje k ceniku", "Svet daje soglasje k ceniku storitev."
    )
    assert check.allowed
    assert check.warnings == ()


@pytest.mark.parametrize(
    ("text", "found", "category"),
    [
        ("Sklep o PRORAČUNU za leto 2025", "PRORAČUNU", MotionCategory.BUDGET),
        ("Proračunski sklad", "Proračunski", MotionCategory.BUDGET),
        ("Zaključni račun 2024", "Zaključni", MotionCategory.FINAL_ACCOUNT),
        ("Odlok o turistični taksi", "taksi", MotionCategory.TAXES_AND_LEVIES),
        ("Višina davka", "davka", MotionCategory.TAXES_AND_LEVIES),
        ("Nov davek na nepremičnine", "davek", MotionCategory.TAXES_AND_LEVIES),
        ("Oprostitev dajatev", "dajatev", MotionCategory.TAXES_AND_LEVIES),
        ("Komunalne dajatve", "dajatve", MotionCategory.TAXES_AND_LEVIES),
        ("Finančne obveznosti občine", "Finančne", MotionCategory.FINANCIAL_OBLIGATION),
    ],
)
def test_warning_words_match_word_prefixes_in_any_case(
    rules: CorrespondenceRules, text: str, found: str, category: MotionCategory
) -> None:
    check = check_correspondence_motion(rules, MotionCategory.GENERAL, text, "")
    assert check.allowed
    assert [(w.word, w.category, w.field) for w in check.warnings] == [
        (found, category, Field.TITLE)
    ]


def test_only_word_starts_match(rules: CorrespondenceRules) -> None:
    check = check_correspondence_motion(
        rules, MotionCategory.GENERAL, "Nepredvideni izdatki", "Izvenproračunski sklad in podavki."
    )
    assert check.warnings == ()


def test_warnings_from_title_and_resolution_without_repeats(rules: CorrespondenceRules) -> None:
    check = check_correspondence_motion(
        rules,
        MotionCategory.GENERAL,
        "Rebalans proračuna",
        "Svet sprejme spremembo proračuna in prevzame finančno obveznost. Proračuna ne spreminja.",
    )
    assert [(w.word, w.matched, w.category, w.field) for w in check.warnings] == [
        ("proračuna", "proračun", MotionCategory.BUDGET, Field.TITLE),
        ("finančno", "finančn", MotionCategory.FINANCIAL_OBLIGATION, Field.RESOLUTION),
    ]


def test_a_refused_motion_still_lists_its_warnings(rules: CorrespondenceRules) -> None:
    check = check_correspondence_motion(rules, MotionCategory.BUDGET, "Proračun 2026", "")
    assert not check.allowed
    assert [w.category for w in check.warnings] == [MotionCategory.BUDGET]


def test_words_come_from_the_rule_set_not_the_code() -> None:
    other: RuleSet = load_named_rule_set("majority-of-all-members")
    check = check_correspondence_motion(
        other.correspondence, MotionCategory.GENERAL, "Rebalans 2025", ""
    )
    assert [w.category for w in check.warnings] == [MotionCategory.BUDGET]
    gornji = load_named_rule_set("gornji-grad-2016").correspondence
    assert (
        check_correspondence_motion(gornji, MotionCategory.GENERAL, "Rebalans 2025", "").warnings
        == ()
    )
    no_words = dataclasses.replace(gornji, warning_words=(), forbidden_categories=frozenset())
    check = check_correspondence_motion(no_words, MotionCategory.BUDGET, "Proračun", "")
    assert check.allowed and check.warnings == ()


def test_texts_for_the_clerk_in_both_languages(rules: CorrespondenceRules) -> None:
    check = check_correspondence_motion(rules, MotionCategory.BUDGET, "Proračun 2026", "")
    assert check.refusal is not None
    assert refusal_text(check.refusal, Translator("sl")) == (
        "Na dopisni seji ni mogoče odločati o tej vrsti zadev: proračun."
    )
    assert refusal_text(check.refusal, Translator("en")) == (
        "A correspondence session cannot decide on this kind of matter: budget."
    )
    assert warning_text(check.warnings[0], Translator("sl")) == (
        "Beseda 'Proračun' nakazuje to vrsto zadev: proračun. Prosimo, preverite vrsto predloga."
    )
    assert warning_text(check.warnings[0], Translator("en")) == (
        "The word 'Proračun' suggests this kind of matter: budget. "
        "Please check the category of the motion."
    )
