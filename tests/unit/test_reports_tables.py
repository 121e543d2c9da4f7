"""CSV and XLSX: round trips with č š ž, separators and line breaks; text never becomes a formula."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from bot.reports.tables import Sheet, to_csv, to_xlsx

HEADERS = ["Občina", "Odgovor", "Število"]
ROWS = [
    ["Gornji Grad", "Da; a le deloma", "3"],
    ["Šentjur", 'Pripomba v "navednicah"\nin v dveh vrsticah', "12"],
    ["Žalec", "čšž ČŠŽ đ ć", ""],
]


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_csv_round_trip_with_slovenian_letters_semicolons_quotes_and_newlines() -> None:
    content = to_csv(HEADERS, ROWS)
    assert content.startswith(b"\xef\xbb\xbf" + "Občina;Odgovor;".encode())
    assert read_csv(content) == [HEADERS, *ROWS]


def test_csv_numbers_use_the_decimal_comma_and_none_is_empty() -> None:
    content = to_csv(["a", "b", "c"], [[1, 2.5, None]])
    assert read_csv(content)[1] == ["1", "2,5", ""]


def test_csv_text_that_a_spreadsheet_would_run_is_marked_as_text() -> None:
    values = ['=HYPERLINK("http://x")', "+1+1", "@SUM(A1)", "-2+3", "-3", "+4,5", "- alineja"]
    assert read_csv(to_csv(["v"] * len(values), [values]))[1] == [
        '\'=HYPERLINK("http://x")',
        "'+1+1",
        "'@SUM(A1)",
        "'-2+3",
        "-3",
        "+4,5",
        "'- alineja",
    ]


def test_csv_rejects_rows_that_do_not_match_the_headers() -> None:
    with pytest.raises(ValueError, match="row 0 has 1 cells, expected 3"):
        to_csv(HEADERS, [["samo ena"]])


def test_xlsx_round_trip_header_bold_frozen_and_widths_fitted() -> None:
    numbers = Sheet("Števila", ["Vprašanje", "Da", "Delež"], [["Ali podpirate?", 12, 0.75]])
    workbook = load_workbook(io.BytesIO(to_xlsx([Sheet("Odgovori", HEADERS, ROWS), numbers])))
    assert workbook.sheetnames == ["Odgovori", "Števila"]
    answers = workbook["Odgovori"]
    assert [[cell.value for cell in row] for row in answers.iter_rows()] == [
        HEADERS,
        *[[value or None for value in row] for row in ROWS],
    ]
    assert all(cell.font.bold for cell in answers[1])
    assert not any(cell.font.bold for cell in answers[2])
    assert answers.freeze_panes == "A2"
    widths = [answers.column_dimensions[letter].width for letter in "ABC"]
    assert widths[0] == len("Gornji Grad") + 2
    assert widths[1] == len('Pripomba v "navednicah"') + 2  # the longest line, not the cell
    assert widths[2] == 9  # "Število" plus room
    assert [cell.value for cell in workbook["Števila"][2]] == ["Ali podpirate?", 12, 0.75]


def test_xlsx_keeps_formula_like_text_as_text_and_drops_control_characters() -> None:
    sheet = Sheet("Odgovori", ["=glava"], [["=1+1"], ["zvonec\x07"]])
    worksheet = load_workbook(io.BytesIO(to_xlsx([sheet]))).active
    assert [(cell.value, cell.data_type) for cell in worksheet["A"]] == [
        ("=glava", "s"),
        ("=1+1", "s"),
        ("zvonec", "s"),
    ]


def test_xlsx_sheet_names_are_made_valid_and_unique() -> None:
    sheets = [
        Sheet(name, ["a"])
        for name in ["Seja 1/2026: glasovi?", "x" * 40, "x" * 40, "Odgovori", "odgovori", ""]
    ]
    names = load_workbook(io.BytesIO(to_xlsx(sheets))).sheetnames
    assert names == [
        "Seja 1_2026_ glasovi_",
        "x" * 31,
        "x" * 27 + " (2)",
        "Odgovori",
        "odgovori (2)",
        "Sheet",
    ]


def test_xlsx_needs_a_sheet_and_matching_rows() -> None:
    with pytest.raises(ValueError, match="at least one sheet"):
        to_xlsx([])
    with pytest.raises(ValueError, match="row 0"):
        Sheet("a", ["a", "b"], [["samo ena"]])
