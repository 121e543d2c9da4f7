"""The questionnaire format: parsing with line numbers, conditions, the flow, typed answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.domain.survey_definition import (
    Answer,
    AnswerProblem,
    Problem,
    QuestionKind,
    answer_rows,
    answer_texts,
    answers_from_rows,
    effective_answers,
    missing_required,
    next_question,
    option_key_from_label,
    parse_date,
    parse_definition,
    parse_number,
    read_typed_answer,
    reminder_times,
    resolve_deadline,
    visible_questions,
)
from bot.i18n import Translator

ROOT = Path(__file__).resolve().parents[3]
SOS_2020 = ROOT / "config" / "surveys" / "sos-2020-seje-na-daljavo.yaml"
NOV_9_2020 = datetime(2020, 11, 9, 9, 0, tzinfo=UTC)


def sos_2020():
    result = parse_definition(SOS_2020.read_text(encoding="utf-8"))
    assert result.ok, [p.render(Translator("en")) for p in result.problems]
    assert result.definition is not None
    return result.definition


def problems_of(text: str) -> list[tuple[int, str]]:
    result = parse_definition(text)
    assert not result.ok
    _ = Translator("en")
    return [(p.line, _(p.message, **p.params)) for p in result.problems]


# ---- the shipped 2020 questionnaire --------------------------------------------------------------


def test_the_2020_questionnaire_reads_with_the_seed_wording() -> None:
    definition = sos_2020()
    assert definition.title == "Izvedba sej občinskih svetov na daljavo"
    assert definition.introduction.startswith("Sekretariat SOS je 9.11.2020 občinam poslal")
    first = definition.questions[0]
    assert first.text == "Ali ste v vaši občini že izvedli sejo občinskega sveta na daljavo?"
    assert [o.label for o in first.options] == ["DA", "NISMO ŠE, BOMO V KRATKEM", "NE"]
    texts = [q.text for q in definition.questions]
    for seed_question in (
        "Katero IKT orodje ste uporabili?",
        "Kakšne so bile izkušnje in odzivi svetnic in svetnikov?",
        "Katero IKT orodje boste uporabili?",
        "Ali ste o tem razmišljali?",
        "Kje so zadržki?",
    ):
        assert seed_question in texts
    assert definition.report_group_by is first
    assert definition.reminders == (timedelta(hours=24), timedelta(hours=6))
    # The anchor &orodja gives both tool questions the same options, "other" included.
    tools = definition.question("orodje")
    assert tools is not None and definition.question("orodje_bomo").options == tools.options
    assert tools.other_option is not None and tools.other_option.key == "drugo"


def test_the_2020_deadline_is_the_end_of_wednesday_11_november_in_ljubljana() -> None:
    deadline = resolve_deadline(sos_2020(), NOV_9_2020)
    assert deadline == datetime(2020, 11, 11, 23, 0, tzinfo=UTC)  # 24.00 CET
    late = resolve_deadline(sos_2020(), datetime(2020, 11, 12, tzinfo=UTC))
    assert isinstance(late, Problem) and "already passed" in late.message


@pytest.mark.parametrize(
    ("first", "shown"),
    [
        ("da", ["izvedba", "orodje", "izkusnje"]),
        ("kmalu", ["izvedba", "orodje_bomo", "komentar_bomo"]),
        ("ne", ["izvedba", "razmisljali", "zadrzki"]),
    ],
)
def test_each_first_answer_shows_its_own_branch(first: str, shown: list[str]) -> None:
    definition = sos_2020()
    answers = {"izvedba": Answer((first,))}
    assert [q.key for q in visible_questions(definition, answers)] == shown
    assert next_question(definition, answers, after="izvedba").key == shown[1]


def test_the_flow_walks_the_branch_and_forgets_answers_of_a_branch_left() -> None:
    definition = sos_2020()
    answers: dict[str, Answer] = {}
    assert next_question(definition, answers).key == "izvedba"
    answers["izvedba"] = Answer(("da",))
    answers["orodje"] = Answer(("zoom",))
    answers["izkusnje"] = Answer()  # optional, passed over
    assert next_question(definition, answers, after="izkusnje") is None
    assert missing_required(definition, answers) == []
    # Changing the first answer to NE: the YES answers stay in the draft but are not submitted.
    answers["izvedba"] = Answer(("ne",))
    assert next_question(definition, answers, after="izvedba").key == "razmisljali"
    answers["razmisljali"] = Answer(("Razmišljamo o tem.",))
    answers["zadrzki"] = Answer()
    assert set(effective_answers(definition, answers)) == {"izvedba", "razmisljali", "zadrzki"}


def test_a_required_question_left_unanswered_is_missing() -> None:
    definition = sos_2020()
    answers = {"izvedba": Answer(("da",)), "orodje": Answer()}
    assert [q.key for q in missing_required(definition, answers)] == ["orodje"]


# ---- answers as rows -----------------------------------------------------------------------------


def test_answers_round_trip_through_rows_with_other_text_and_skips() -> None:
    definition = sos_2020()
    answers = {
        "izvedba": Answer(("da",)),
        "orodje": Answer(("drugo",), "miTeam"),
        "izkusnje": Answer(),
    }
    rows = answer_rows(definition, answers)
    assert rows == [
        ("izvedba", "da"),
        ("orodje", "drugo"),
        ("orodje.other", "miTeam"),
        ("izkusnje", ""),
    ]
    assert answers_from_rows(definition, rows) == answers
    tool = definition.question("orodje")
    assert answer_texts(tool, answers["orodje"]) == ["Drugo (navedite): miTeam"]


MULTI = """\
title: Orodja
deadline: 18. 11. 2026 ob 12.00
questions:
  - key: orodja
    kind: multiple_choice
    text: Katera orodja uporabljate?
    max_choices: 2
    options: [Zoom, MS Teams, Cisco Webex, {key: drugo, label: Drugo, other: true}]
  - key: koliko
    kind: number
    text: Koliko sej ste izvedli?
    integer: true
    min: 0
    max: 50
    when: {question: orodja, includes: zoom}
  - key: kdaj
    kind: date
    text: Kdaj je bila zadnja?
    required: false
    when: {all: [{question: koliko, at_least: 1}, {question: orodja, includes: ms_teams}]}
  - key: zadovoljni
    kind: yes_no
    text: Ste zadovoljni?
    when: {any: [{question: koliko, at_most: 0}, {question: orodja, answered: false}]}
"""


def test_multiple_choice_conditions_on_numbers_and_combinations() -> None:
    result = parse_definition(MULTI)
    assert result.ok, result.problems
    definition = result.definition
    assert [o.key for o in definition.question("orodja").options] == [
        "zoom",
        "ms_teams",
        "cisco_webex",
        "drugo",
    ]
    assert definition.question("zadovoljni").options[0].label == "Da"
    answers = {"orodja": Answer(("zoom", "ms_teams")), "koliko": Answer(("3",))}
    assert [q.key for q in visible_questions(definition, answers)] == ["orodja", "koliko", "kdaj"]
    answers["koliko"] = Answer(("0",))
    assert [q.key for q in visible_questions(definition, answers)] == [
        "orodja",
        "koliko",
        "zadovoljni",
    ]
    nothing = {"orodja": Answer()}
    assert [q.key for q in visible_questions(definition, nothing)] == ["orodja", "zadovoljni"]


def test_typed_answers_are_checked_against_the_question() -> None:
    definition = parse_definition(MULTI).definition
    number = definition.question("koliko")
    assert read_typed_answer(number, " 12 ") == Answer(("12",))
    assert isinstance(read_typed_answer(number, "3,5"), AnswerProblem)  # a whole number
    assert isinstance(read_typed_answer(number, "51"), AnswerProblem)
    assert isinstance(read_typed_answer(number, "dvanajst"), AnswerProblem)
    day = definition.question("kdaj")
    assert read_typed_answer(day, "12. 11. 2020") == Answer(("2020-11-12",))
    assert read_typed_answer(day, "2020-11-12") == Answer(("2020-11-12",))
    assert isinstance(read_typed_answer(day, "31. 2. 2020"), AnswerProblem)
    assert answer_texts(day, Answer(("2020-11-12",))) == ["12. 11. 2020"]


def test_numbers_and_dates_the_slovenian_way() -> None:
    assert parse_number("3,5") == Decimal("3.5")
    assert parse_number("1 250") == Decimal(1250)
    assert parse_number("-2") == Decimal(-2)
    assert parse_number("1.234,5") is None
    assert parse_number("NaN") is None
    assert parse_date("1.2.2021") is not None and parse_date("2021/02/01") is None
    assert option_key_from_label("NISMO ŠE, BOMO V KRATKEM") == "nismo_se_bomo_v_kratkem"
    assert option_key_from_label("2020") == "o_2020"


def test_reminders_fall_before_the_deadline_and_after_opening() -> None:
    deadline = datetime(2020, 11, 11, 23, 0, tzinfo=UTC)
    opened = datetime(2020, 11, 10, 12, 0, tzinfo=UTC)
    times = reminder_times(
        deadline, (timedelta(hours=48), timedelta(hours=24), timedelta(hours=6)), opened
    )
    assert times == [deadline - timedelta(hours=24), deadline - timedelta(hours=6)]


# ---- malformed questionnaires name the line ------------------------------------------------------


def test_broken_yaml_names_its_line() -> None:
    text = "title: Seje\nquestions:\n  - key: a\n    text: [nezaprto\n"
    [(line, message)] = problems_of(text)
    assert line >= 4 and "not valid YAML" in message


def test_every_problem_is_reported_with_its_line() -> None:
    text = """\
title: Seje
deadline: včeraj
questions:
  - key: izvedba
    kind: single_choice
    text: Ali ste že izvedli sejo?
    options: [DA]
  - key: izvedba
    kind: free_text
    text: Kaj še?
  - key: Orodje
    kind: single_choice
    text: Katero orodje?
    colour: red
    options: [Zoom, Skype]
    when: {question: kasneje, equals: da}
  - key: kasneje
    kind: text
    text: Še kaj?
    when: {question: izvedba, equals: morda}
"""
    problems = problems_of(text)
    lines = [line for line, _ in problems]
    assert lines == sorted(lines)
    joined = "\n".join(f"{line}: {message}" for line, message in problems)
    assert "2: The deadline 'včeraj' is not a date and hour" in joined
    assert "7: A choice question needs a list of at least two options." in joined
    assert "9: The question kind 'free_text' is unknown" in joined
    assert "11: The key 'Orodje' may contain only lower-case letters" in joined
    assert "14: The key 'colour' is unknown here" in joined
    assert "16: The condition refers to 'kasneje', which is not an earlier question." in joined
    assert "16: The condition refers to 'kasneje', which is not an earlier question." in joined
    assert "refers to 'izvedba'" not in joined  # izvedba exists; its own problem is reported


def test_a_condition_tests_options_of_a_sound_question() -> None:
    text = """\
title: Seje
deadline: 18. 11. 2026 ob 12.00
questions:
  - key: orodja
    kind: multiple_choice
    text: Katera orodja?
    options: [Zoom, Skype]
  - key: zakaj
    kind: text
    text: Zakaj?
    when: {question: orodja, equals: zoom}
  - key: kaj
    kind: text
    text: Kaj?
    when: {question: orodja, includes: teams}
  - key: opis
    kind: text
    text: Opis?
  - key: koliko
    kind: text
    text: Koliko?
    when: {question: opis, at_least: 3}
"""
    joined = "\n".join(f"{line}: {message}" for line, message in problems_of(text))
    assert "11: 'orodja' is a multiple-choice question; test it with 'includes'." in joined
    assert "15: 'teams' is not an option of 'orodja'. Options: zoom, skype." in joined
    assert "22: 'at_least' compares numbers, but 'opis' is not a number question." in joined


def test_duplicates_and_wrong_tests_are_refused() -> None:
    text = """\
title: Seje
deadline: 18. 11. 2026 ob 12.00
title: Spet
questions:
  - key: a
    kind: multiple_choice
    text: Kaj?
    options: [Ena, Dve, {key: ena, label: Tri}]
  - key: a2
    kind: yes_no
    text: Da?
    options: [x, y]
  - key: b
    kind: text
    text: Zakaj?
    when: {question: a2, equals: da}
    max_choices: 2
  - key: d
    kind: text
    text: Kako?
    when: {question: a, includes: ena}
  - key: c
    kind: number
    text: Koliko?
    min: 10
    max: 1
"""
    joined = "\n".join(f"{line}: {message}" for line, message in problems_of(text))
    assert "3: The key 'title' appears twice (first on line 1)." in joined
    assert "8: The option key 'ena' is used twice in this question." in joined
    assert "12: A yes/no question has its own two options" in joined
    assert "17: 'max_choices' applies only to questions of kind multiple_choice." in joined
    assert "25: 'min' is larger than 'max'." in joined
    # Conditions on questions with problems of their own are not reported a second time.
    assert "not an earlier question" not in joined


def test_missing_essentials_and_an_empty_file() -> None:
    assert problems_of("") == [(0, "The file is empty.")]
    assert problems_of("- just\n- a list\n")[0][0] == 1
    joined = "\n".join(f"{line}: {message}" for line, message in problems_of("title: x\n"))
    assert "'deadline' is missing." in joined and "'questions' is missing." in joined


def test_report_grouping_must_name_a_single_choice_question() -> None:
    text = """\
title: Seje
deadline: 18. 11. 2026 ob 12.00
report:
  group_by: opis
questions:
  - key: opis
    kind: text
    text: Opišite.
"""
    [(line, message)] = problems_of(text)
    assert line == 4 and "single-choice or yes/no" in message


def test_problem_rendering_in_slovenian() -> None:
    result = parse_definition("title: x\ndeadline: 1. 1. 2030 ob 10.00\nquestions: []\n")
    [problem] = result.problems
    assert problem.render(Translator("sl")).startswith("Vrstica 3: ")


def test_kinds_that_are_typed() -> None:
    assert {k for k in QuestionKind if k.is_typed} == {
        QuestionKind.TEXT,
        QuestionKind.NUMBER,
        QuestionKind.DATE,
    }
