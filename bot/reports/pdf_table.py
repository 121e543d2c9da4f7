"""Tables in PDF: wrapped cells, the header row repeated on every page, rows split if needed.

Drawn with fpdf2's low-level primitives (text, rect) on lines wrapped here, because fpdf2's own
table lays every cell out through ``multi_cell`` and needs seconds for a survey table of 212
municipalities by 30 questions; it also refuses a row taller than a page, which one long
free-text answer can produce. Here such a row continues on the next page.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from fpdf import FPDF

from bot.reports.document import Table
from bot.reports.layout import column_weights, scaled_widths

PT_TO_MM = 25.4 / 72
LINE_SPACING = 1.25  # line height as a multiple of the font size
CAP_HEIGHT = 0.73  # DejaVu Sans capital height as a share of the font size
PADDING_X_MM = 1.2
PADDING_Y_MM = 1.0
HEADER_FILL = (225, 230, 236)
BORDER_GREY = 110
MIN_LINES_BEFORE_SPLIT = 3  # a split row leaves at least this many lines on the first page


@dataclass(frozen=True, slots=True)
class _Grid:
    font: str
    size: float  # points
    widths: list[float]  # mm, one per column

    @property
    def line_height(self) -> float:
        return self.size * PT_TO_MM * LINE_SPACING

    def row_height(self, line_count: int) -> float:
        return max(1, line_count) * self.line_height + 2 * PADDING_Y_MM


def table_font_size(columns: int) -> float:
    """Wide tables get a smaller type so that each column still holds a few characters."""
    return max(6.0, min(9.0, 9.0 - (columns - 6) * 0.25))


def draw_table(pdf: FPDF, table: Table, font: str) -> None:
    grid = _Grid(
        font, table_font_size(len(table.headers)), scaled_widths(column_weights(table), pdf.epw)
    )
    pdf.set_font(font, "B", grid.size)
    header = _wrapped_row(grid, table.headers, _memoised(pdf.get_string_width))
    # A header repeated on every page may take at most a quarter of one; longer ones are cut.
    most_lines = max(1, math.floor(pdf.eph / 4 / grid.line_height))
    header = [
        cell if len(cell) <= most_lines else [*cell[: most_lines - 1], "…"] for cell in header
    ]
    header_height = grid.row_height(max(map(len, header)))
    pdf.set_font(font, "", grid.size)
    measure = _memoised(pdf.get_string_width)  # survey tables repeat the same words a lot
    rows = [_wrapped_row(grid, row, measure) for row in table.rows]
    pdf.set_draw_color(BORDER_GREY)
    pdf.set_line_width(0.2)
    # The header never stands alone at the foot of a page: room for it and one line is needed.
    if pdf.get_y() + header_height + grid.row_height(1) > pdf.page_break_trigger:
        pdf.add_page()
    _draw_row(pdf, grid, header, bold=True)
    fresh_page_room = pdf.page_break_trigger - pdf.t_margin - header_height
    under_header = True  # nothing drawn yet under the header on this page
    for lines in rows:
        while True:
            room = pdf.page_break_trigger - pdf.get_y()
            if grid.row_height(max(map(len, lines))) <= room:
                _draw_row(pdf, grid, lines, bold=False)
                under_header = False
                break
            # Too tall for what is left of the page. A row that fits on a page starts the next
            # one; a taller row is split, its lines continuing under the next page's header.
            fitting = math.floor((room - 2 * PADDING_Y_MM) / grid.line_height)
            too_tall = grid.row_height(max(map(len, lines))) > fresh_page_room
            if under_header or (too_tall and fitting >= MIN_LINES_BEFORE_SPLIT):
                fitting = max(1, fitting)  # always progress
                _draw_row(pdf, grid, [cell[:fitting] for cell in lines], bold=False)
                lines = [cell[fitting:] for cell in lines]
                under_header = False
            pdf.add_page()
            _draw_row(pdf, grid, header, bold=True)
            under_header = True
    pdf.set_draw_color(0)
    pdf.set_xy(pdf.l_margin, pdf.get_y())


def _draw_row(pdf: FPDF, grid: _Grid, lines: list[list[str]], *, bold: bool) -> None:
    top = pdf.get_y()
    height = grid.row_height(max(map(len, lines)))
    pdf.set_font(grid.font, "B" if bold else "", grid.size)
    if bold:
        pdf.set_fill_color(*HEADER_FILL)
    left = pdf.l_margin
    cap_offset = (grid.line_height + CAP_HEIGHT * grid.size * PT_TO_MM) / 2
    for width, cell_lines in zip(grid.widths, lines):
        pdf.rect(left, top, width, height, style="DF" if bold else "D")
        for index, line in enumerate(cell_lines):
            baseline = top + PADDING_Y_MM + index * grid.line_height + cap_offset
            if line:
                pdf.text(left + PADDING_X_MM, baseline, line)
        left += width
    pdf.set_y(top + height)


def _wrapped_row(grid: _Grid, cells: list[str], measure: Callable[[str], float]) -> list[list[str]]:
    return [
        wrap(text, width - 2 * PADDING_X_MM, measure) for text, width in zip(cells, grid.widths)
    ]


def _memoised(measure: Callable[[str], float]) -> Callable[[str], float]:
    widths: dict[str, float] = {}

    def cached(text: str) -> float:
        if text not in widths:
            widths[text] = measure(text)
        return widths[text]

    return cached


def wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """``text`` in lines no wider than ``width``: at spaces, inside a word only if it must."""
    lines: list[str] = []
    space = measure(" ")
    for paragraph in text.split("\n"):
        line, line_width = "", 0.0
        for word in paragraph.split(" "):
            word_width = measure(word)
            if line and line_width + space + word_width <= width:
                line, line_width = f"{line} {word}", line_width + space + word_width
                continue
            if line:
                lines.append(line)
            if word_width <= width:
                line, line_width = word, word_width
                continue
            pieces = _split_word(word, width, measure)
            lines.extend(pieces[:-1])
            line, line_width = pieces[-1], measure(pieces[-1])
        lines.append(line)
    return lines


def _split_word(word: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """A word too long for one line, cut into pieces that fit (at least one letter each)."""
    pieces, piece, piece_width = [], "", 0.0
    for letter in word:
        letter_width = measure(letter)
        if piece and piece_width + letter_width > width:
            pieces.append(piece)
            piece, piece_width = "", 0.0
        piece, piece_width = piece + letter, piece_width + letter_width
    pieces.append(piece)
    return pieces
