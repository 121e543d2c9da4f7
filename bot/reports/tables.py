"""Plain tables for spreadsheets: CSV as Slovenian Excel opens it, and XLSX workbooks.

Slovenian Excel splits CSV on ";" (the comma is the decimal separator) and reads the file as
UTF-8 only with a byte-order mark, so both are used. Cells may hold text typed by councillors or
survey respondents; a text starting with "=" must stay text, never become a formula that runs in
the secretariat's spreadsheet.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.reports.layout import printable

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Cell = str | int | float | None
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+([.,]\d+)?")
SHEET_NAME_LIMIT = 31  # Excel's limit
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
MIN_COLUMN_WIDTH = 6
MAX_COLUMN_WIDTH = 60


@dataclass(frozen=True, slots=True)
class Sheet:
    name: str
    headers: list[str]
    rows: Sequence[Sequence[Cell]] = field(default_factory=list)

    def __post_init__(self) -> None:
        _check_shape(self.headers, self.rows)


def _check_shape(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    for index, row in enumerate(rows):
        if len(row) != len(headers):
            raise ValueError(f"row {index} has {len(row)} cells, expected {len(headers)}")


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    """A ``;``-separated UTF-8 CSV with BOM; numbers with a decimal comma."""
    _check_shape(headers, rows)
    output = io.StringIO(newline="")
    writer = csv.writer(output, delimiter=";", lineterminator="\r\n")
    writer.writerow([_csv_text(header) for header in headers])
    writer.writerows([_csv_text(value) for value in row] for row in rows)
    return output.getvalue().encode("utf-8-sig")


def _csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("a table cell is text or a number, not a bool")
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    if isinstance(value, int):
        return str(value)
    # A spreadsheet runs "=...", "+...", "-..." and "@..." as formulas; the apostrophe is the
    # spreadsheet's own mark for "this is text". Plain numbers such as "-3" stay as they are.
    if value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """A workbook with one worksheet per sheet: bold frozen header row, columns fitted."""
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    # Imported on use: openpyxl is only needed when a spreadsheet is asked for.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    used_names: set[str] = set()
    bold = Font(bold=True)
    for sheet in sheets:
        worksheet = workbook.create_sheet(_unique_sheet_name(sheet.name, used_names))
        worksheet.append([_xlsx_value(header) for header in sheet.headers])
        for cell in worksheet[1]:
            cell.font = bold
        for row in sheet.rows:
            worksheet.append([_xlsx_value(value) for value in row])
        _keep_text_as_text(worksheet)
        worksheet.freeze_panes = "A2"
        for column, width in enumerate(_column_widths(sheet), start=1):
            worksheet.column_dimensions[get_column_letter(column)].width = width
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _xlsx_value(value: Cell) -> Cell:
    if isinstance(value, bool):
        raise TypeError("a table cell is text or a number, not a bool")
    # Control characters are not allowed in the file's XML; they carry no meaning in a cell.
    return printable(value) if isinstance(value, str) else value


def _keep_text_as_text(worksheet: Worksheet) -> None:
    # openpyxl stores any string starting with "=" as a formula; user text must stay text.
    for row in worksheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def _column_widths(sheet: Sheet) -> list[float]:
    widths = []
    for column, header in enumerate(sheet.headers):
        texts = [header, *("" if row[column] is None else str(row[column]) for row in sheet.rows)]
        longest = max(len(line) for text in texts for line in text.split("\n"))
        widths.append(float(min(MAX_COLUMN_WIDTH, max(MIN_COLUMN_WIDTH, longest + 2))))
    return widths


def _unique_sheet_name(name: str, used: set[str]) -> str:
    """A valid Excel sheet name: no []:*?/\\, at most 31 characters, unique in the workbook."""
    base = _SHEET_NAME_FORBIDDEN.sub("_", name).strip("'").strip() or "Sheet"
    candidate = base[:SHEET_NAME_LIMIT]
    number = 2
    while candidate.casefold() in used:
        suffix = f" ({number})"
        candidate = base[: SHEET_NAME_LIMIT - len(suffix)] + suffix
        number += 1
    used.add(candidate.casefold())
    return candidate
