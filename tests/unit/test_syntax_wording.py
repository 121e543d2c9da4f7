"""A broken TOML or YAML file is explained in the reader's language, with where it breaks."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.correspondence.session_file import read_session_file
from bot.domain.rules_loader import RuleSetError, load_rule_set
from bot.domain.survey_definition import parse_definition
from bot.domain.syntax_wording import toml_detail, yaml_detail
from bot.i18n import Phrase, Translator
from bot.live.convening_file import parse_convening

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
SL, EN = Translator("sl"), Translator("en")

# Each broken text, and the Slovenian words its explanation must come out in.
TOML_MISTAKES = [
    ("body = zupan\n", "vrednost manjka ali ni veljavna"),
    ('body = "zupan\n', "besedilu manjka zaključni narekovaj"),
    ('body "zupan"\n', "za ključem manjka ="),
    ('body = "a"\nbody = "b"\n', "ključ ali razdelek je naveden dvakrat"),
    ("[motions\n", "naslovu [razdelka] manjka zaključni oglati oklepaj"),
    ('body = ["a", "b"\n', "seznam [ … ] ni zaprt"),
    ('path = "C:\\gradivo"\n', "poševnica nazaj v besedilu"),
    ('body = "a" title = "b"\n', "v vsako vrstico napišite en sam ključ = vrednost"),
]


@pytest.mark.parametrize(("text", "slovenian"), TOML_MISTAKES)
def test_each_common_toml_mistake_is_explained_in_slovenian(text: str, slovenian: str) -> None:
    with pytest.raises(tomllib.TOMLDecodeError) as caught:
        tomllib.loads(text)
    detail = toml_detail(caught.value)
    assert isinstance(detail.explanation, Phrase)
    assert slovenian in SL(detail.explanation)


def test_a_toml_explanation_not_listed_is_kept_as_the_reader_gave_it() -> None:
    detail = toml_detail(ValueError("Something new (at line 2, column 3)"))
    assert (detail.explanation, detail.line, detail.column) == ("Something new", 2, 3)
    assert not isinstance(detail.explanation, Phrase)


def test_the_correspondence_file_says_where_and_what_in_slovenian(tmp_path: Path) -> None:
    path = tmp_path / "seja.toml"
    path.write_text('body = "obcina"\ntitle = Dopisna seja\n', encoding="utf-8")
    (problem,) = read_session_file(path, NOW).problems
    assert problem.text(SL) == (
        "datoteka: Datoteka ni veljaven TOML (vrstica 2, stolpec 9: vrednost manjka ali ni "
        "veljavna; besedilo mora biti v dvojnih narekovajih)."
    )
    assert "line 2, column 9: a value is missing or not valid" in problem.text(EN)


def test_the_live_session_file_says_where_and_what_in_slovenian() -> None:
    (problem,) = parse_convening('body = "obcina"\ntitle = "Seja\n', None, NOW).problems
    assert problem.render(SL) == (
        "Datoteka ni veljaven TOML (vrstica 2, stolpec 14: besedilu manjka zaključni narekovaj)."
    )


def test_a_rule_set_file_says_where_and_what_in_slovenian(tmp_path: Path) -> None:
    path = tmp_path / "pravila.toml"
    path.write_text('title = "Poslovnik"\ntitle = "Drugi"\n', encoding="utf-8")
    with pytest.raises(RuleSetError) as caught:
        load_rule_set(path)
    assert "ključ ali razdelek je naveden dvakrat" in str(caught.value)
    assert "vrstica 2, stolpec" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "slovenian"),
    [
        ("title: Anketa: 2026\n", "besedilo z dvopičjem dajte v narekovaje"),
        ("title: Anketa\n  questions: []\n wrong: 1\n", "dvopičje tam, kjer ga ne sme biti"),
        ("title: [Anketa\n", "seznam ali slovar v oklepajih ni zaprt"),
        ('title: "Anketa\n', "besedilu manjka zaključni narekovaj"),
        ("title: @SOS\n", "s tem znakom se vrednost tu ne more začeti"),
        ("title: *SOS\n", "ki ju YAML bere kot posebna znaka"),
    ],
)
def test_a_broken_questionnaire_is_explained_in_slovenian(text: str, slovenian: str) -> None:
    (problem,) = parse_definition(text).problems
    assert slovenian in problem.render(SL)


def test_a_yaml_explanation_not_listed_is_kept() -> None:
    assert yaml_detail("found something unheard of") == "found something unheard of"
    assert not isinstance(yaml_detail("found something unheard of"), Phrase)
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        yaml.compose("a: b: c", Loader=yaml.SafeLoader)
    assert isinstance(yaml_detail(caught.value.problem or ""), Phrase)
