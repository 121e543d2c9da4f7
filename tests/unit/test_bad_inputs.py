"""A table of malformed input of every kind, each with the Slovenian answer it must get.

Rosters that are workbooks, images or runaway quotations; questionnaires with control
characters, tabs or endless nesting; configuration and rule-set files that are binary, carry
numbers of thousands of digits or impossible paths and addresses; dates in year 1 or 9999,
durations of centuries, pasted pages where a date belongs; typed answers of nothing but
invisible characters. Each case names the exact fragment of the Slovenian message a clerk,
secretary or respondent reads. A second table lists input that looks malformed but means
something clear (full-width digits, invisible marks, a byte-order mark) and must be accepted.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.correspondence.session_file import read_session_file
from bot.domain.roster_csv import parse_roster
from bot.domain.rules_loader import PRESET_DIR, RuleSetError, load_rule_set, parse_rule_set
from bot.domain.survey_definition import AnswerProblem, parse_definition, read_typed_answer
from bot.i18n import Translator
from bot.linking.codes import normalise_code
from bot.live.convening_file import parse_convening
from bot.surveys.store import check_definition
from bot.timeutil import TimeInputError, parse_duration, parse_local_datetime
from config.settings import SettingsError, load_settings

SL = Translator("sl")
NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # 10.00 in Ljubljana
Render = Callable[[object, Path], str]  # the input and a scratch folder -> the Slovenian answer

# ---- how each kind of input is read and answered ----------------------------------------------

ROSTER_HEADER = "ime;priimek;vloga;organ;e-pošta;telefon;telegram;matrix\n"
ROSTER_ROW = [
    "Ana",
    "Novak",
    "članica",
    "Občinski svet Občine Gornji Grad",
    "ana.novak@gornji-grad.si",
    "041 123 456",
    "ana_novak",
    "@ana.novak:matrix.org",
]
COLUMNS = {
    name: index
    for index, name in enumerate(
        ("name", "surname", "role", "body", "email", "phone", "telegram", "matrix")
    )
}


def roster_with(column: str, value: str) -> bytes:
    """The one-person roster with one value replaced."""
    row = list(ROSTER_ROW)
    row[COLUMNS[column]] = value
    return (ROSTER_HEADER + ";".join(row) + "\n").encode("utf-8")


def roster(data: object, folder: Path) -> str:
    assert isinstance(data, bytes)
    parsed = parse_roster(data)
    assert not parsed.rows
    return "\n".join(problem.render(SL) for problem in parsed.problems)


GOOD_SURVEY = (
    "title: Seje na daljavo\n"
    "deadline: 18. 11. 2026 ob 12.00\n"
    "questions:\n"
    "  - key: izvedba\n"
    "    kind: text\n"
    "    text: Ali ste že izvedli sejo na daljavo?\n"
)


def survey(text: object, folder: Path) -> str:
    assert isinstance(text, str)
    checked = check_definition(text, NOW)
    assert not checked.ok
    return "\n".join(problem.render(SL) for problem in checked.problems)


def typed(kind: str) -> Render:
    document = {
        "title": "t",
        "deadline": "1. 1. 2030 ob 12.00",
        "questions": [{"key": "q", "kind": kind, "text": "?"}],
    }
    parsed = parse_definition(yaml.safe_dump(document))
    assert parsed.definition is not None
    question = parsed.definition.questions[0]

    def answer(text: object, folder: Path) -> str:
        assert isinstance(text, str)
        outcome = read_typed_answer(question, text)
        assert isinstance(outcome, AnswerProblem), outcome
        return SL(outcome.message, **outcome.params)

    return answer


def settings_file(content: object, folder: Path) -> str:
    path = folder / "sejabot.toml"
    path.write_bytes(content if isinstance(content, bytes) else str(content).encode("utf-8"))
    with pytest.raises(SettingsError) as caught:
        load_settings(path, environ={}, language="sl")
    return str(caught.value)


PRESET = tomllib.loads((PRESET_DIR / "gornji-grad-2016.toml").read_text(encoding="utf-8"))


def rule_set(change: object, folder: Path) -> str:
    assert callable(change)
    document = copy.deepcopy(PRESET)
    change(document)
    with pytest.raises(RuleSetError) as caught:
        parse_rule_set(document, "pravila.toml", "sl")
    return str(caught.value)


def rule_set_file(content: object, folder: Path) -> str:
    assert isinstance(content, bytes)
    path = folder / "pravila.toml"
    path.write_bytes(content)
    with pytest.raises(RuleSetError) as caught:
        load_rule_set(path, "sl")
    return str(caught.value)


def date(text: object, folder: Path) -> str:
    assert isinstance(text, str)
    with pytest.raises(TimeInputError) as caught:
        parse_local_datetime(text, now=NOW)
    return caught.value.translate(SL)


def duration(text: object, folder: Path) -> str:
    assert isinstance(text, str)
    with pytest.raises(TimeInputError) as caught:
        parse_duration(text)
    return caught.value.translate(SL)


CORRESPONDENCE = (
    'body = "obcinski-svet-obcine-gornji-grad"\ntitle = "6. dopisna seja"\n'
    '[[motions]]\ntitle = "Poročilo"\nresolution = "Sprejme se poročilo."\n'
)


def correspondence_file(head: object, folder: Path) -> str:
    path = folder / "dopisna-seja.toml"
    path.write_text(f"{head}\n{CORRESPONDENCE}", encoding="utf-8")
    read = read_session_file(path, NOW)
    assert read.session is None
    return "\n".join(problem.text(SL) for problem in read.problems)


CONVENING = 'body = "obcinski-svet-obcine-gornji-grad"\ntitle = "12. redna seja"\n'


def convening_file(head: object, folder: Path) -> str:
    parsed = parse_convening(f"{head}\n{CONVENING}", folder, NOW)
    assert not parsed.ok
    return "\n".join(problem.render(SL) for problem in parsed.problems)


STARTS = 'starts = "10. 12. 2026 ob 17.00"'


# ---- the table --------------------------------------------------------------------------------

OFFICE = "je Excelov delovni zvezek (ali drug pisarniški dokument), ne datoteka CSV"
NOT_TEXT = "ni besedilo v kodiranju UTF-8 ali Windows-1250; shranite jo kot CSV UTF-8"
CONTROL_IN_ROSTER = "vrednost vsebuje neviden kontrolni znak"
CONTROL_IN_SURVEY = "neviden kontrolni ali pokvarjen znak, ki ga vprašalnik ne sme vsebovati"
NOT_A_PATH = "ni uporabna pot. Rešitev: Zapišite jo brez kontrolnih znakov"
NOT_AN_ADDRESS = "ni spletni naslov"
YEAR = "leto je zunaj dovoljenega obsega. Zapišite datum v obliki 18. 11. 2026 ob 12.00."
DATE_UNKNOWN = "ni prepoznan kot datum in ura"
TOO_LONG_DURATION = "je predolgo; trajanje je lahko največ 3650 dni."

CASES = [
    # -- roster CSV: files of the wrong type or size
    pytest.param(
        roster,
        b"PK\x03\x04\x14\x00\x06\x00" + b"xl/workbook.xml",
        OFFICE,
        id="roster-xlsx-workbook",
    ),
    pytest.param(
        roster, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(32), OFFICE, id="roster-old-xls"
    ),
    pytest.param(
        roster, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>>\x00", NOT_TEXT, id="roster-pdf"
    ),
    pytest.param(roster, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", NOT_TEXT, id="roster-png-image"),
    pytest.param(
        roster, ROSTER_HEADER.encode("utf-16-le"), NOT_TEXT, id="roster-utf16-without-bom"
    ),
    pytest.param(
        roster,
        ROSTER_HEADER.encode() + b'"Ana;' + b"x" * 140_000,
        "Vrstica 2: vrednost se nadaljuje čez več kot 131072 znakov; verjetno tam "
        'narekovaj (") ni zaprt.',
        id="roster-unclosed-quotation-mark",
    ),
    pytest.param(
        roster,
        b'""\n"\n',
        "Datoteka s seznamom članov je prazna.",
        id="roster-only-quotation-marks",
    ),
    pytest.param(roster, roster_with("surname", "No\x00vak"), NOT_TEXT, id="roster-nul-byte"),
    # -- roster CSV: control characters and unusual Unicode in values
    pytest.param(
        roster,
        roster_with("name", "Ana\x07"),
        f"Vrstica 2, stolpec »ime«: {CONTROL_IN_ROSTER} U+0007",
        id="roster-bell-in-name",
    ),
    pytest.param(
        roster,
        roster_with("body", "Občinski svet\x1b[31m"),
        f"Vrstica 2, stolpec »organ«: {CONTROL_IN_ROSTER} U+001B",
        id="roster-escape-in-body",
    ),
    pytest.param(
        roster,
        roster_with("email", "ana\u200b.novak@gornji-grad.si"),
        "ni veljaven e-poštni naslov",
        id="roster-zero-width-space-in-email",
    ),
    pytest.param(
        roster,
        roster_with("phone", "０４１ １２３ ４５６"),
        "»０４１ １２３ ４５６« ni telefonska številka",
        id="roster-full-width-phone",
    ),
    pytest.param(
        roster,
        roster_with("telegram", "аna_novak"),
        "»аna_novak« ni uporabniško ime v Telegramu",
        id="roster-cyrillic-letter-in-telegram",
    ),
    pytest.param(
        roster,
        roster_with("matrix", "@ana👍:matrix.org"),
        "»@ana👍:matrix.org« ni Matrix ID",
        id="roster-emoji-in-matrix-id",
    ),
    pytest.param(
        roster,
        roster_with("body", "🏛️🏛️"),
        "ime organa »🏛️🏛️« nima nobene črke ali števke",
        id="roster-body-of-emoji",
    ),
    # -- questionnaire YAML
    pytest.param(
        survey,
        "title: Anketa\x00\n",
        f"Vrstica 1: Datoteka vsebuje znak U+0000, {CONTROL_IN_SURVEY}",
        id="survey-nul",
    ),
    pytest.param(
        survey,
        GOOD_SURVEY.replace("na daljavo?", "na daljavo\x07?"),
        f"Vrstica 6: Datoteka vsebuje znak U+0007, {CONTROL_IN_SURVEY}",
        id="survey-bell-in-question",
    ),
    pytest.param(survey, "title: \ud800\n", "znak U+D800", id="survey-lone-surrogate"),
    pytest.param(
        survey,
        "questions: " + "[" * 5000 + "]" * 5000,
        "Datoteka gnezdi sezname ali pogoje na stotine ravni globoko",
        id="survey-endless-nesting",
    ),
    pytest.param(
        survey,
        GOOD_SURVEY.replace("    kind", "\tkind"),
        "Vrstica 5: To vrstico zamika tabulator; datoteke YAML se zamikajo le s presledki.",
        id="survey-tab-indentation",
    ),
    pytest.param(
        survey,
        GOOD_SURVEY.replace("18. 11. 2026 ob 12.00", "1. 1. 0001 ob 0.30"),
        "Vrstica 2: Rok »1. 1. 0001 ob 0.30« ni datum z uro",
        id="survey-deadline-in-year-1",
    ),
    pytest.param(
        survey,
        GOOD_SURVEY + "reminders: [99999999999999999999d]\n",
        "»99999999999999999999d« ni trajanje",
        id="survey-reminder-of-ages",
    ),
    pytest.param(
        survey,
        "[1, 2, 3]\n",
        "Vrstica 1: Tu mora biti vprašalnik: vrstice oblike »ključ: vrednost«.",
        id="survey-a-list-not-a-questionnaire",
    ),
    pytest.param(
        survey,
        "Spoštovani,\n\nprosimo za odgovore.\n",
        "Tu mora biti vprašalnik",
        id="survey-a-letter-not-a-questionnaire",
    ),
    pytest.param(
        survey,
        GOOD_SURVEY.replace("Ali ste že izvedli sejo na daljavo?", "x" * 5000),
        "Vrstica 6: »text« ima 5000 znakov; dovoljenih je največ 4000.",
        id="survey-question-of-5000-characters",
    ),
    pytest.param(
        survey,
        GOOD_SURVEY.replace("key: izvedba", "key: 👍"),
        "Vrstica 4: Ključ »👍« sme vsebovati le male črke a–z",
        id="survey-emoji-key",
    ),
    pytest.param(
        survey,
        GOOD_SURVEY.replace("key: izvedba", "key: ｉｚｖｅｄｂａ"),
        "Ključ »ｉｚｖｅｄｂａ« sme vsebovati le male črke a–z",
        id="survey-full-width-key",
    ),
    # -- typed survey answers
    pytest.param(
        typed("number"), "1e999999", "»1e999999« ni število", id="answer-number-with-exponent"
    ),
    pytest.param(typed("number"), "12 👍", "»12 👍« ni število", id="answer-number-with-emoji"),
    pytest.param(
        typed("date"), "31. 2. 2020", "»31. 2. 2020« ni datum", id="answer-date-31-february"
    ),
    pytest.param(
        typed("text"),
        "x" * 5000,
        "Vaš odgovor ima 5000 znakov; sprejmemo jih največ 2000.",
        id="answer-text-of-5000-characters",
    ),
    pytest.param(
        typed("text"),
        "\u200b\u200f ",
        "Prosimo, odgovor napišite v sporočilo.",
        id="answer-of-invisible-characters",
    ),
    # -- configuration TOML
    pytest.param(
        settings_file,
        '[bot]\ndatabase_path = "~nosuchuser/sejabot.sqlite3"\n',
        f'bot.database_path: "~nosuchuser/sejabot.sqlite3" {NOT_A_PATH}',
        id="settings-home-of-unknown-user",
    ),
    pytest.param(
        settings_file,
        '[matrix]\nstore_path = "var/\\u0000"\n',
        f'matrix.store_path: "var/\\u0000" {NOT_A_PATH}',
        id="settings-nul-in-path",
    ),
    pytest.param(
        settings_file,
        '[matrix]\nhomeserver = "https://[::1"\n',
        f'"https://[::1" {NOT_AN_ADDRESS}',
        id="settings-unclosed-ipv6-address",
    ),
    pytest.param(
        settings_file,
        '[telegram]\napi_base_url = "https://api.example.org:99999"\n',
        f'"https://api.example.org:99999" {NOT_AN_ADDRESS}',
        id="settings-port-out-of-range",
    ),
    pytest.param(
        settings_file,
        "[invitations]\ncode_ttl_days = " + "1" * 5000 + "\n",
        "število v datoteki ima na tisoče števk. Rešitev: Vsako število zapišite z nekaj števkami.",
        id="settings-number-of-5000-digits",
    ),
    pytest.param(
        settings_file,
        b"\x89PNG\r\n\x1a\n\x00\x00",
        "datoteka ni besedilo v kodiranju UTF-8",
        id="settings-image-instead-of-toml",
    ),
    pytest.param(
        settings_file,
        '[reminders]\nsurvey = ["99999999999d"]\n',
        '"99999999999d" ni trajanje',
        id="settings-reminder-of-ages",
    ),
    pytest.param(
        settings_file,
        '[telegram]\nbot_username = "Seja👍Bot"\n',
        '"Seja👍Bot" ni uporabniško ime bota Telegram',
        id="settings-emoji-in-bot-username",
    ),
    pytest.param(
        settings_file,
        '[telegram]\nwebhook_port = "８４４３"\n',
        '"８４４３" ni celo število',
        id="settings-full-width-port-in-quotes",
    ),
    pytest.param(
        settings_file,
        '[bot]\nlanguage = "' + "x" * 100_000 + '"\n',
        '"' + "x" * 77 + '…" ni ena od dovoljenih vrednosti',
        id="settings-value-of-100k-characters",
    ),
    # -- rule sets
    pytest.param(
        rule_set,
        lambda d: d["live"]["quorum"].update(fraction="1" * 5000),
        '"' + "1" * 77 + '…" ni ulomek',
        id="rules-fraction-of-5000-digits",
    ),
    pytest.param(
        rule_set,
        lambda d: d["correspondence"]["warning_words"].update({"proračun👍": "budget"}),
        "'proračun👍' ni ena sama beseda",
        id="rules-emoji-in-warning-word",
    ),
    pytest.param(
        rule_set_file,
        'title = "Poslovnik občine"\n'.encode("cp1250"),
        "Datoteka ni besedilo v kodiranju UTF-8. Rešitev: v urejevalniku besedil jo shranite",
        id="rules-file-in-windows-1250",
    ),
    pytest.param(
        rule_set_file,
        ("[live]\nnotice_days_regular = " + "7" * 5000 + "\n").encode(),
        "Število v datoteki ima na tisoče števk.",
        id="rules-number-of-5000-digits",
    ),
    pytest.param(
        rule_set_file,
        b"\x89PNG\r\n\x1a\n\x00\x00",
        "Datoteka ni besedilo v kodiranju UTF-8.",
        id="rules-image-instead-of-toml",
    ),
    # -- dates and durations
    pytest.param(date, "1. 1. 0001 ob 0.30", f'"1. 1. 0001 ob 0.30": {YEAR}', id="date-in-year-1"),
    pytest.param(
        date, "31. 12. 9999 ob 24.00", f'"31. 12. 9999 ob 24.00": {YEAR}', id="date-after-year-9999"
    ),
    pytest.param(date, "0001-01-01T00:30", f'"0001-01-01T00:30": {YEAR}', id="date-iso-in-year-1"),
    pytest.param(
        date,
        "18. 11. 2026 ob 12.00 " + "bla " * 12_000,
        '"18. 11. 2026 ob 12.00 bla bla bla bla bla bla bla bla bla bla bla bla bla bla b…" '
        + DATE_UNKNOWN,
        id="date-with-a-pasted-page",
    ),
    pytest.param(date, "18. 11. 2026 ob 12.00 👍", DATE_UNKNOWN, id="date-with-emoji"),
    pytest.param(date, "18. 11. 2026 ob 12\x00.00", DATE_UNKNOWN, id="date-with-nul"),
    pytest.param(duration, "9" * 5000 + "h", TOO_LONG_DURATION, id="duration-of-5000-digits"),
    pytest.param(duration, "3651d", f'"3651d" {TOO_LONG_DURATION}', id="duration-over-ten-years"),
    pytest.param(duration, "24h👍", '"24h👍" ni trajanje', id="duration-with-emoji"),
    # -- session files
    pytest.param(
        correspondence_file,
        "deadline = 0001-01-01T00:30:00",
        f'deadline: "0001-01-01T00:30:00": {YEAR}',
        id="correspondence-deadline-in-year-1",
    ),
    pytest.param(
        correspondence_file,
        'deadline = "' + "x" * 50_000 + '"',
        'deadline: "' + "x" * 79 + '…" ' + DATE_UNKNOWN,
        id="correspondence-deadline-of-50k-characters",
    ),
    pytest.param(
        convening_file,
        f'{STARTS}\nreminders = ["{"9" * 30}d"]',
        f'reminders: "{"9" * 30}d" {TOO_LONG_DURATION}',
        id="convening-reminder-of-ages",
    ),
    # -- session files: odd paths, dates and numbers
    pytest.param(
        correspondence_file,
        'deadline = "18. 11. 2026 ob 12.00"\nmaterials = ["a\\u0000.pdf"]',
        "materials",
        id="correspondence-nul-in-material-name",
    ),
    pytest.param(
        correspondence_file,
        "deadline = 0001-01-01T00:30:00+05:00",
        YEAR,
        id="correspondence-aware-deadline-in-year-1",
    ),
    pytest.param(
        correspondence_file,
        'deadline = "18. 11. 2026 ob 12.00"\nnumber = ' + "6" * 5000,
        "števk",
        id="correspondence-number-of-5000-digits",
    ),
    pytest.param(
        convening_file,
        f'{STARTS}\nmaterials = ["a\\u0000.pdf"]',
        "materials",
        id="convening-nul-in-material-name",
    ),
    pytest.param(
        convening_file,
        "starts = 0001-01-01T00:30:00",
        YEAR,
        id="convening-start-in-year-1",
    ),
    pytest.param(
        convening_file,
        f"{STARTS}\nnumber = " + "1" * 5000,
        "števk",
        id="convening-number-of-5000-digits",
    ),
    pytest.param(
        convening_file,
        "starts = 2026-03-29T02:30:00",
        "ne obstaja",
        id="convening-start-in-the-spring-gap",
    ),
]


@pytest.mark.parametrize(("render", "given", "expected"), CASES)
def test_malformed_input_gets_a_clear_slovenian_answer(
    render: Render, given: object, expected: str, tmp_path: Path
) -> None:
    answer = render(given, tmp_path)
    assert expected in answer, answer[:500]
    assert len(answer) < 2000, "a pasted page is not repeated back whole"


def test_the_table_is_large_enough() -> None:
    passing = [case for case in CASES if not case.marks]
    assert len(passing) >= 50
    assert len({case.id for case in CASES}) == len(CASES)


# ---- looks malformed, means something clear: accepted ------------------------------------------

EIGHTEENTH_NOON = datetime(2026, 11, 18, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("１８. １１. ２０２６ ob １２.００", id="full-width-digits"),
        pytest.param("\u200f18. 11. 2026 ob 12.00", id="right-to-left-mark"),
        pytest.param("18.\u200b11.\u200b2026 ob 12.00", id="zero-width-spaces"),
        pytest.param("\ufeff18. 11. 2026, 12:00", id="byte-order-mark"),
    ],
)
def test_dates_with_invisible_or_wide_characters_are_read(text: str) -> None:
    assert parse_local_datetime(text, now=NOW) == EIGHTEENTH_NOON


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("Ｋ７ＰＭ－３ＱＸＲ－ＷＺ", id="full-width"),
        pytest.param("K7PM\u200b–3QXR—WZ\u200f", id="zero-width-and-long-dashes"),
        pytest.param("\u202ak7pm 3qxr wz\u202c", id="embedding-marks"),
    ],
)
def test_an_invitation_code_as_phones_mangle_it_is_read(typed: str) -> None:
    assert normalise_code(typed) == "K7PM3QXRWZ"


def test_a_code_of_a_pasted_page_is_no_code() -> None:
    assert normalise_code("K7PM-3QXR-WZ " * 10_000) is None


def test_configuration_saved_by_notepad_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "sejabot.toml"
    path.write_bytes('\ufeff[bot]\nlanguage = "en"\n'.encode())
    assert load_settings(path, environ={}).language == "en"


def test_rule_set_saved_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "gornji-grad-2016.toml"
    path.write_bytes(b"\xef\xbb\xbf" + (PRESET_DIR / "gornji-grad-2016.toml").read_bytes())
    assert load_rule_set(path).name == "gornji-grad-2016"


def test_durations_with_invisible_characters_are_read() -> None:
    assert parse_duration("24\u200bh").total_seconds() == 24 * 3600
