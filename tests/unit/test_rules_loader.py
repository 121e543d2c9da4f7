"""Rule-set presets load, say what the Rules of Procedure say, and every mistake is explained."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_file

from bot.domain.models import MotionCategory
from bot.domain.rules import Basis, Comparison, CorrespondenceAdoption, RuleSet
from bot.domain.rules_loader import (
    PRESET_DIR,
    RuleSetError,
    available_rule_sets,
    display_name,
    load_named_rule_set,
    load_rule_set,
    parse_rule_set,
    rule_set_path,
)
from bot.i18n import catalog

ROOT = Path(__file__).resolve().parents[2]
FILE = "config/rules/x.toml"


def preset_data(name: str = "gornji-grad-2016") -> dict[str, Any]:
    with (PRESET_DIR / f"{name}.toml").open("rb") as toml_file:
        return tomllib.load(toml_file)


def set_key(data: dict[str, Any], dotted: str, value: object) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        data = data[part]
    data[last] = value


def delete_key(data: dict[str, Any], dotted: str) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        data = data[part]
    del data[last]


# --- presets -------------------------------------------------------------------------------


def test_the_shipped_presets_are_found() -> None:
    assert PRESET_DIR == ROOT / "config" / "rules"
    assert {"gornji-grad-2016", "majority-of-all-members"} <= set(available_rule_sets())


@pytest.mark.parametrize("name", available_rule_sets())
def test_every_preset_loads(name: str) -> None:
    rule_set = load_named_rule_set(name)
    assert rule_set.name == name
    assert rule_set.title and rule_set.source
    assert rule_set.majority() is rule_set.majorities[rule_set.default_majority]


def test_default_preset_follows_the_gornji_grad_rules() -> None:
    rules = load_named_rule_set()
    assert rules.name == "gornji-grad-2016"
    corr = rules.correspondence
    # art. 21(2): more than half of all members confirmed delivery; voters deemed to confirm
    assert (corr.quorum.basis, corr.quorum.fraction, corr.quorum.comparison) == (
        Basis.ALL_MEMBERS,
        Fraction(1, 2),
        Comparison.MORE_THAN,
    )
    assert corr.voting_counts_as_confirmation
    # art. 21(3): adopted when nobody voted against; members say ZA or PROTI
    assert corr.adoption is CorrespondenceAdoption.NO_VOTES_AGAINST
    assert corr.adoption_threshold is None
    assert not corr.allow_abstention
    # art. 21(1)
    assert corr.forbidden_categories == {
        MotionCategory.BUDGET,
        MotionCategory.FINAL_ACCOUNT,
        MotionCategory.TAXES_AND_LEVIES,
        MotionCategory.FINANCIAL_OBLIGATION,
    }
    words = dict(corr.warning_words)
    for word, category in [
        ("proračun", MotionCategory.BUDGET),
        ("zaključn", MotionCategory.FINAL_ACCOUNT),
        ("davek", MotionCategory.TAXES_AND_LEVIES),
        ("davk", MotionCategory.TAXES_AND_LEVIES),
        ("taks", MotionCategory.TAXES_AND_LEVIES),
        ("dajatev", MotionCategory.TAXES_AND_LEVIES),
        ("dajatv", MotionCategory.TAXES_AND_LEVIES),
        ("finančn", MotionCategory.FINANCIAL_OBLIGATION),
    ]:
        assert words[word] is category
    # art. 38(1), 40(5), 41(3), 44(2), 18(1), 20(4)
    live = rules.live
    assert (live.quorum.basis, live.quorum.fraction, live.quorum.comparison) == (
        Basis.ALL_MEMBERS,
        Fraction(1, 2),
        Comparison.MORE_THAN,
    )
    assert not live.allow_abstention and not live.abstention_counts_as_cast
    assert live.max_votes_on_same_matter == 2 and not live.roll_call_repeatable
    assert (live.notice_days_regular, live.notice_days_extraordinary) == (7, 5)
    # art. 39, Statute art. 19(3)
    assert rules.default_majority == "votes_cast"
    majorities = {name: (t.basis, t.fraction, t.comparison) for name, t in rules.majorities.items()}
    assert majorities["votes_cast"] == (Basis.VOTES_CAST, Fraction(1, 2), Comparison.MORE_THAN)
    assert majorities["members_present_two_thirds"] == (
        Basis.MEMBERS_PRESENT,
        Fraction(2, 3),
        Comparison.AT_LEAST,
    )
    assert majorities["all_members_majority"] == (
        Basis.ALL_MEMBERS,
        Fraction(1, 2),
        Comparison.MORE_THAN,
    )
    # art. 88-90
    elections = rules.elections
    assert (elections.majority.basis, elections.majority.fraction) == (
        Basis.VOTES_CAST,
        Fraction(1, 2),
    )
    assert elections.majority.comparison is Comparison.MORE_THAN
    assert elections.runoff_candidates == 2
    assert elections.ties_by_lot and elections.alphabet_start_by_lot
    assert elections.secret_requires_quorum_of_ballots


def test_second_preset_differs_where_it_says() -> None:
    rules = load_named_rule_set("majority-of-all-members")
    corr = rules.correspondence
    assert corr.adoption is CorrespondenceAdoption.MAJORITY
    assert corr.adoption_threshold is not None
    assert corr.adoption_threshold.basis is Basis.ALL_MEMBERS
    assert corr.adoption_threshold.fraction == Fraction(1, 2)
    assert corr.allow_abstention
    assert rules.live.allow_abstention and rules.live.abstention_counts_as_cast


def test_every_preset_key_has_a_comment_citing_its_source() -> None:
    text = (PRESET_DIR / "gornji-grad-2016.toml").read_text(encoding="utf-8")
    lines = text.splitlines()
    for number, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "[")):
            continue
        key = stripped.split("=")[0].strip()
        if key in {"basis", "fraction", "comparison", "label", "title", "source"}:
            continue  # parts of a threshold table whose header comment cites the article
        if key.startswith('"'):
            continue  # warning words, listed under one commented table
        before = "\n".join(lines[max(0, number - 4) : number + 1])
        assert "art." in before, f"no article cited for {key!r}"


def test_named_lookup_prefers_earlier_folders(tmp_path: Path) -> None:
    data = (PRESET_DIR / "gornji-grad-2016.toml").read_text(encoding="utf-8")
    (tmp_path / "gornji-grad-2016.toml").write_text(
        data.replace("notice_days_regular = 7", "notice_days_regular = 8"), encoding="utf-8"
    )
    assert (
        rule_set_path("gornji-grad-2016", [tmp_path, PRESET_DIR])
        == tmp_path / "gornji-grad-2016.toml"
    )
    assert (
        load_named_rule_set("gornji-grad-2016", [tmp_path, PRESET_DIR]).live.notice_days_regular
        == 8
    )
    assert load_named_rule_set("majority-of-all-members", [tmp_path, PRESET_DIR]).name == (
        "majority-of-all-members"
    )


def test_the_name_is_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "my-council.toml"
    path.write_bytes((PRESET_DIR / "gornji-grad-2016.toml").read_bytes())
    assert load_rule_set(path).name == "my-council"
    assert parse_rule_set(preset_data(), "somewhere/other.toml").name == "other"


# --- errors --------------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]

CASES: list[tuple[str, Mutation, str, str, str]] = [
    (
        "unknown basis",
        lambda d: set_key(d, "live.quorum.basis", "everyone"),
        "live.quorum.basis",
        "'everyone' is not one of votes_cast, members_present, all_members. Fix: use one of those.",
        (
            "'everyone' ni ena od vrednosti votes_cast, members_present, all_members. "
            "Rešitev: uporabite eno od njih."
        ),
    ),
    (
        "unknown comparison",
        lambda d: set_key(d, "majorities.votes_cast.comparison", "over"),
        "majorities.votes_cast.comparison",
        "'over' is not one of more_than, at_least. Fix: use one of those.",
        "'over' ni ena od vrednosti more_than, at_least. Rešitev: uporabite eno od njih.",
    ),
    (
        "fraction above one",
        lambda d: set_key(d, "correspondence.quorum.fraction", "3/2"),
        "correspondence.quorum.fraction",
        (
            'The fraction "3/2" is not greater than 0 and at most 1. '
            'Fix: use a fraction in that range, e.g. "1/2" or "2/3".'
        ),
        (
            'Ulomek "3/2" ni večji od 0 in hkrati največ 1. '
            'Rešitev: uporabite ulomek iz tega razpona, npr. "1/2" ali "2/3".'
        ),
    ),
    (
        "zero fraction",
        lambda d: set_key(d, "elections.majority.fraction", "0/3"),
        "elections.majority.fraction",
        (
            'The fraction "0/3" is not greater than 0 and at most 1. '
            'Fix: use a fraction in that range, e.g. "1/2" or "2/3".'
        ),
        (
            'Ulomek "0/3" ni večji od 0 in hkrati največ 1. '
            'Rešitev: uporabite ulomek iz tega razpona, npr. "1/2" ali "2/3".'
        ),
    ),
    (
        "fraction in words",
        lambda d: set_key(d, "majorities.votes_cast.fraction", "half"),
        "majorities.votes_cast.fraction",
        (
            '"half" is not a fraction. '
            'Fix: write it in quotes as numerator/denominator, e.g. "1/2" or "2/3".'
        ),
        (
            '"half" ni ulomek. '
            'Rešitev: zapišite ga v narekovajih kot števec/imenovalec, npr. "1/2" ali "2/3".'
        ),
    ),
    (
        "fraction as a decimal number",
        lambda d: set_key(d, "majorities.votes_cast.fraction", 0.5),
        "majorities.votes_cast.fraction",
        (
            "0.5 is not a fraction. "
            'Fix: write it in quotes as numerator/denominator, e.g. "1/2" or "2/3".'
        ),
        (
            "0.5 ni ulomek. "
            'Rešitev: zapišite ga v narekovajih kot števec/imenovalec, npr. "1/2" ali "2/3".'
        ),
    ),
    (
        "zero denominator",
        lambda d: set_key(d, "majorities.votes_cast.fraction", "1/0"),
        "majorities.votes_cast.fraction",
        (
            '"1/0" is not a fraction. '
            'Fix: write it in quotes as numerator/denominator, e.g. "1/2" or "2/3".'
        ),
        (
            '"1/0" ni ulomek. '
            'Rešitev: zapišite ga v narekovajih kot števec/imenovalec, npr. "1/2" ali "2/3".'
        ),
    ),
    (
        "more than the whole",
        lambda d: set_key(d, "majorities.votes_cast.fraction", "1/1"),
        "majorities.votes_cast.comparison",
        (
            "More than the whole can never be reached. "
            'Fix: for unanimity write comparison = "at_least" with fraction = "1/1".'
        ),
        (
            "Več kot celote ni mogoče doseči. "
            'Rešitev: za soglasje zapišite comparison = "at_least" in fraction = "1/1".'
        ),
    ),
    (
        "misspelt key",
        lambda d: d["live"].update(quorom=d["live"].pop("quorum")),
        "live.quorom",
        (
            "Unknown key. Fix: correct the spelling or remove it; allowed here: quorum, "
            "allow_abstention, abstention_counts_as_cast, max_votes_on_same_matter, "
            "roll_call_repeatable, notice_days_regular, notice_days_extraordinary, "
            "secret_vote_transports."
        ),
        (
            "Neznan ključ. Rešitev: popravite zapis ali ga odstranite; tu so dovoljeni: quorum, "
            "allow_abstention, abstention_counts_as_cast, max_votes_on_same_matter, "
            "roll_call_repeatable, notice_days_regular, notice_days_extraordinary, "
            "secret_vote_transports."
        ),
    ),
    (
        "unknown top-level key",
        lambda d: set_key(d, "titel", "x"),
        "titel",
        (
            "Unknown key. Fix: correct the spelling or remove it; allowed here: title, source, "
            "default_majority, correspondence, live, elections, majorities."
        ),
        (
            "Neznan ključ. Rešitev: popravite zapis ali ga odstranite; tu so dovoljeni: title, "
            "source, default_majority, correspondence, live, elections, majorities."
        ),
    ),
    (
        "unknown key in a threshold",
        lambda d: set_key(d, "elections.majority.share", "1/2"),
        "elections.majority.share",
        (
            "Unknown key. Fix: correct the spelling or remove it; allowed here: basis, fraction, "
            "comparison, label."
        ),
        (
            "Neznan ključ. Rešitev: popravite zapis ali ga odstranite; tu so dovoljeni: basis, "
            "fraction, comparison, label."
        ),
    ),
    (
        "majority adoption without a threshold",
        lambda d: set_key(d, "correspondence.adoption", "majority"),
        "correspondence.adoption_threshold",
        (
            "Required when correspondence.adoption is 'majority'. Fix: add a table "
            "[correspondence.adoption_threshold] with basis, fraction and comparison."
        ),
        (
            "Obvezno, kadar je correspondence.adoption 'majority'. Rešitev: dodajte tabelo "
            "[correspondence.adoption_threshold] s ključi basis, fraction in comparison."
        ),
    ),
    (
        "threshold that would be ignored",
        lambda d: set_key(
            d,
            "correspondence.adoption_threshold",
            {"basis": "all_members", "fraction": "1/2", "comparison": "more_than"},
        ),
        "correspondence.adoption_threshold",
        (
            "Only used when correspondence.adoption is 'majority'. "
            'Fix: remove it or set correspondence.adoption = "majority".'
        ),
        (
            "Uporablja se le, kadar je correspondence.adoption 'majority'. "
            'Rešitev: odstranite ga ali nastavite correspondence.adoption = "majority".'
        ),
    ),
    (
        "no majorities",
        lambda d: set_key(d, "majorities", {}),
        "majorities",
        (
            "No majority is defined. Fix: add at least one table [majorities.<name>] with basis, "
            "fraction and comparison."
        ),
        (
            "Določena ni nobena večina. Rešitev: dodajte vsaj eno tabelo [majorities.<ime>] s "
            "ključi basis, fraction in comparison."
        ),
    ),
    (
        "default majority not defined",
        lambda d: set_key(d, "default_majority", "qualified"),
        "default_majority",
        (
            "'qualified' is not a majority defined in this file (votes_cast, "
            "members_present_two_thirds, all_members_majority). Fix: use one of those names or "
            "add a table [majorities.qualified]."
        ),
        (
            "'qualified' ni večina, določena v tej datoteki (votes_cast, "
            "members_present_two_thirds, all_members_majority). Rešitev: uporabite eno od teh imen "
            "ali dodajte tabelo [majorities.qualified]."
        ),
    ),
    (
        "negative notice",
        lambda d: set_key(d, "live.notice_days_regular", -1),
        "live.notice_days_regular",
        "-1 is less than 0. Fix: use a whole number of at least 0.",
        "-1 je manj kot 0. Rešitev: uporabite celo število, ki ni manjše od 0.",
    ),
    (
        "notice in words",
        lambda d: set_key(d, "live.notice_days_extraordinary", "five"),
        "live.notice_days_extraordinary",
        (
            'Expected a whole number, found "five". '
            "Fix: write it as in this example: notice_days_extraordinary = 5"
        ),
        (
            'Pričakovano: celo število; zapisano: "five". '
            "Rešitev: zapišite ga kot v tem primeru: notice_days_extraordinary = 5"
        ),
    ),
    (
        "a boolean that is not one",
        lambda d: set_key(d, "live.allow_abstention", "no"),
        "live.allow_abstention",
        (
            'Expected true or false, found "no". '
            "Fix: write it as in this example: allow_abstention = false"
        ),
        (
            'Pričakovano: true ali false; zapisano: "no". '
            "Rešitev: zapišite ga kot v tem primeru: allow_abstention = false"
        ),
    ),
    (
        "a single runoff candidate",
        lambda d: set_key(d, "elections.runoff_candidates", 1),
        "elections.runoff_candidates",
        "1 is less than 2. Fix: use a whole number of at least 2.",
        "1 je manj kot 2. Rešitev: uporabite celo število, ki ni manjše od 2.",
    ),
    (
        "unknown forbidden category",
        lambda d: set_key(d, "correspondence.forbidden_categories", ["budget", "sewage"]),
        "correspondence.forbidden_categories[1]",
        (
            "'sewage' is not one of general, budget, final_account, taxes_and_levies, "
            "financial_obligation, rules_of_procedure, appointment. Fix: use one of those."
        ),
        (
            "'sewage' ni ena od vrednosti general, budget, final_account, taxes_and_levies, "
            "financial_obligation, rules_of_procedure, appointment. Rešitev: uporabite eno od njih."
        ),
    ),
    (
        "unknown warning category",
        lambda d: set_key(d, "correspondence.warning_words.proračun", "money"),
        "correspondence.warning_words.proračun",
        (
            "'money' is not one of general, budget, final_account, taxes_and_levies, "
            "financial_obligation, rules_of_procedure, appointment. Fix: use one of those."
        ),
        (
            "'money' ni ena od vrednosti general, budget, final_account, taxes_and_levies, "
            "financial_obligation, rules_of_procedure, appointment. Rešitev: uporabite eno od njih."
        ),
    ),
    (
        "warning phrase of two words",
        lambda d: set_key(d, "correspondence.warning_words.zaključni račun", "final_account"),
        "correspondence.warning_words.zaključni račun",
        (
            "'zaključni račun' is not a single word; warning words are matched word by word. "
            'Fix: use one word or its stem, e.g. "zaključn".'
        ),
        (
            "'zaključni račun' ni ena sama beseda; opozorilne besede se primerjajo po posameznih "
            'besedah. Rešitev: uporabite eno besedo ali njen koren, npr. "zaključn".'
        ),
    ),
    (
        "missing title",
        lambda d: delete_key(d, "title"),
        "title",
        (
            "The key is missing. Fix: add it, for example: "
            'title = "Poslovnik Občinskega sveta Občine Gornji Grad (2016)"'
        ),
        (
            "Ključ manjka. Rešitev: dodajte ga, na primer: "
            'title = "Poslovnik Občinskega sveta Občine Gornji Grad (2016)"'
        ),
    ),
    (
        "missing comparison",
        lambda d: delete_key(d, "correspondence.quorum.comparison"),
        "correspondence.quorum.comparison",
        'The key is missing. Fix: add it, for example: comparison = "more_than"',
        'Ključ manjka. Rešitev: dodajte ga, na primer: comparison = "more_than"',
    ),
    (
        "missing section",
        lambda d: delete_key(d, "elections"),
        "elections",
        "The key is missing. Fix: add it, for example: [elections]",
        "Ključ manjka. Rešitev: dodajte ga, na primer: [elections]",
    ),
    (
        "section that is not a table",
        lambda d: set_key(d, "live", "yes"),
        "live",
        'Expected a table, found "yes". Fix: write it as in this example: [live]',
        'Pričakovano: tabela; zapisano: "yes". Rešitev: zapišite ga kot v tem primeru: [live]',
    ),
    (
        "quorum of votes cast",
        lambda d: set_key(d, "live.quorum.basis", "votes_cast"),
        "live.quorum.basis",
        (
            "A quorum is counted against all members, so 'votes_cast' cannot be its basis. "
            'Fix: use basis = "all_members".'
        ),
        (
            "Sklepčnost se šteje glede na vse člane, zato 'votes_cast' ne more biti njena osnova. "
            'Rešitev: uporabite basis = "all_members".'
        ),
    ),
    (
        "list where text belongs",
        lambda d: set_key(d, "source", ["a", "b"]),
        "source",
        (
            "Expected text in quotes, found a list. "
            'Fix: write it as in this example: source = "Uradno glasilo slovenskih občin, št. 7/2016"'
        ),
        (
            "Pričakovano: besedilo v narekovajih; zapisano: seznam. Rešitev: zapišite ga kot v tem "
            'primeru: source = "Uradno glasilo slovenskih občin, št. 7/2016"'
        ),
    ),
]


@pytest.mark.parametrize(
    ("mutate", "key", "english", "slovenian"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_malformed_rule_set_is_explained(
    mutate: Mutation, key: str, english: str, slovenian: str
) -> None:
    data = preset_data()
    mutate(data)
    with pytest.raises(RuleSetError) as in_english:
        parse_rule_set(data, FILE, language="en")
    assert str(in_english.value) == f"{FILE}: key '{key}': {english}"
    assert in_english.value.file == FILE
    assert in_english.value.key == key
    with pytest.raises(RuleSetError) as in_slovenian:
        parse_rule_set(data, FILE)  # Slovenian is the default
    assert str(in_slovenian.value) == f"{FILE}: ključ '{key}': {slovenian}"


def test_error_keeps_its_parts_and_translates_later() -> None:
    data = preset_data()
    set_key(data, "live.quorum.basis", "everyone")
    with pytest.raises(RuleSetError) as caught:
        parse_rule_set(data, FILE, language="en")
    error = caught.value
    assert error.problem == "'everyone' is not one of votes_cast, members_present, all_members."
    assert error.fix == "use one of those."
    assert error.problem_message.params["value"] == "everyone"
    assert error.translated("sl").startswith(f"{FILE}: ključ 'live.quorum.basis': 'everyone' ni ")
    assert isinstance(error, ValueError)


def test_the_second_preset_rejects_abstention_threshold_mistakes() -> None:
    data = preset_data("majority-of-all-members")
    delete_key(data, "correspondence.adoption_threshold")
    with pytest.raises(RuleSetError) as caught:
        parse_rule_set(data, FILE, language="en")
    assert caught.value.key == "correspondence.adoption_threshold"


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('title = "unterminated\n', encoding="utf-8")
    with pytest.raises(RuleSetError) as caught:
        load_rule_set(path, language="en")
    message = str(caught.value)
    assert message.startswith(f"{path}: The file is not valid TOML (")
    assert message.endswith("). Fix: correct the syntax at the position shown.")
    assert "line 1" in message
    with pytest.raises(RuleSetError) as caught:
        load_rule_set(path)
    assert str(caught.value).startswith(f"{path}: Datoteka ni veljaven TOML (")
    assert str(caught.value).endswith("). Rešitev: popravite zapis na navedenem mestu.")


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    with pytest.raises(RuleSetError) as caught:
        load_rule_set(path, language="en")
    assert str(caught.value) == (
        f"{path}: The file cannot be read (No such file or directory). "
        "Fix: check the path and the file permissions."
    )
    with pytest.raises(RuleSetError) as caught:
        load_rule_set(path)
    assert str(caught.value) == (
        f"{path}: Datoteke ni mogoče prebrati (No such file or directory). "
        "Rešitev: preverite pot in dovoljenja datoteke."
    )


def test_preset_errors_name_the_repository_path(tmp_path: Path) -> None:
    assert display_name(PRESET_DIR / "x.toml") == "config/rules/x.toml"
    assert display_name(tmp_path / "x.toml") == str(tmp_path / "x.toml")


def test_unknown_rule_set_name_lists_the_available_ones(tmp_path: Path) -> None:
    (tmp_path / "alpha.toml").write_text("", encoding="utf-8")
    with pytest.raises(RuleSetError) as caught:
        rule_set_path("beta", [tmp_path], language="en")
    assert str(caught.value) == (
        f"{tmp_path}/beta.toml: No rule set named 'beta' was found in {tmp_path}. "
        "Fix: use one of: alpha; or add beta.toml to one of those folders."
    )
    with pytest.raises(RuleSetError) as caught:
        rule_set_path("beta", [tmp_path])
    assert str(caught.value) == (
        f"{tmp_path}/beta.toml: Nabora pravil 'beta' ni v mapah: {tmp_path}. "
        "Rešitev: uporabite enega od naborov: alpha; ali dodajte beta.toml v eno od teh map."
    )


def test_a_rule_set_name_cannot_be_a_path() -> None:
    with pytest.raises(RuleSetError) as caught:
        load_named_rule_set("../secrets", language="en")
    assert str(caught.value) == (
        "../secrets.toml: '../secrets' is not a valid rule-set name. "
        "Fix: use lower-case letters, digits and hyphens only, e.g. gornji-grad-2016."
    )


# --- translations --------------------------------------------------------------------------

RULES_MODULES = [
    "bot/domain/rules_loader.py",
    "bot/domain/outcomes.py",
    "bot/domain/correspondence_check.py",
]


@pytest.mark.parametrize("module", RULES_MODULES)
def test_every_message_has_a_slovenian_translation(module: str) -> None:
    slovenian = catalog("sl")
    messages = [
        message
        for _, message, _, _ in extract_from_file(
            "python", ROOT / module, keywords={"N_": None, "_": None, "translate": None}
        )
        if isinstance(message, str)
    ]
    assert messages
    missing = [message for message in messages if slovenian.gettext(message) == message]
    assert missing == []


def test_rule_set_type_is_the_domain_one() -> None:
    assert isinstance(load_named_rule_set(), RuleSet)
