"""Documents as A4 PDF files (fpdf2) with a Unicode font, so č, š and ž print correctly.

DejaVu Sans ships inside matplotlib (a dependency anyway), so no font has to be installed on the
server. Tables wrap long cells and repeat their header row on every page; the footer carries the
document's footer line and "Stran 1 od 3" in the document's language.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from bot.i18n import Translator
from bot.reports.document import (
    Block,
    BulletList,
    Document,
    Heading,
    Image,
    KeyValues,
    PageBreak,
    Paragraph,
    SignatureLines,
    Table,
    language_tag,
)
from bot.reports.layout import png_size, printable_document
from bot.reports.pdf_table import draw_table

FONT = "DejaVu"
_FONT_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}
MARGIN_MM = 20.0
BODY_SIZE = 10.5
LINE_MM = 5.5
HEADING_SIZES = {1: 15.0, 2: 13.0, 3: 11.5}
HEADING_KEEP_MM = 30.0  # a heading with less room than this under it starts the next page
SIGNATURES_PER_ROW = 3
SIGNATURE_HEIGHT_MM = 28.0
MUTED = 90  # grey level for captions, subtitle and footer


def font_directory() -> Path:
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


class _ReportPDF(FPDF):
    """FPDF with the report's footer on every page."""

    def __init__(self, footer_text: str, translator: Translator) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.translate = translator
        self.outline_level = -1  # the last heading's outline level, so levels never jump

    def footer(self) -> None:
        self.set_y(-MARGIN_MM + 5)
        self.set_font(FONT, "", 8)
        self.set_text_color(MUTED)
        label = self.translate("Page {page} of {pages}", page=self.page_no(), pages="{nb}")
        label_width = self.get_string_width(label) + 2
        text = _shortened(self, self.footer_text, self.epw - label_width - 4)
        self.cell(self.epw - label_width, 5, text, align=Align.L)
        self.cell(label_width, 5, label, align=Align.R)
        self.set_text_color(0)


def to_pdf(doc: Document) -> bytes:
    doc = printable_document(doc)
    pdf = _ReportPDF(doc.footer, Translator(doc.language))
    fonts = font_directory()
    for style, filename in _FONT_FILES.items():
        pdf.add_font(FONT, style, str(fonts / filename))
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(True, margin=MARGIN_MM)
    pdf.alias_nb_pages("{nb}", align=Align.L)
    pdf.set_title(doc.title)
    pdf.set_subject(doc.subtitle)
    pdf.set_lang(language_tag(doc.language))
    pdf.set_creator("Sejabot")
    pdf.add_page()
    _title(pdf, doc)
    for index, block in enumerate(doc.blocks):
        following = doc.blocks[index + 1] if index + 1 < len(doc.blocks) else None
        _add_block(pdf, block, following)
    return bytes(pdf.output())


def _title(pdf: _ReportPDF, doc: Document) -> None:
    pdf.set_font(FONT, "B", 18)
    _text(pdf, doc.title, 8.5)
    if doc.subtitle:
        pdf.set_font(FONT, "", 12)
        pdf.set_text_color(MUTED)
        _text(pdf, doc.subtitle, 6.5)
        pdf.set_text_color(0)
    pdf.ln(4)


def _add_block(pdf: _ReportPDF, block: Block, following: Block | None) -> None:
    match block:
        case Heading(text=text, level=level):
            # A heading stays on the page of what it introduces (a chart: the whole chart).
            room = HEADING_KEEP_MM
            if isinstance(following, Image):
                room = min(pdf.eph - 20, 15 + sum(_image_box(pdf, following)[1:]))
            if pdf.will_page_break(room):
                pdf.add_page()
            pdf.ln(3)
            pdf.outline_level = min(level - 1, pdf.outline_level + 1)
            pdf.start_section(text, level=pdf.outline_level)  # the PDF viewer's bookmarks
            pdf.set_font(FONT, "B", HEADING_SIZES[level])
            _text(pdf, text, HEADING_SIZES[level] * 0.5)
            pdf.ln(1.5)
        case Paragraph(text=text, bold=bold, italic=italic):
            pdf.set_font(FONT, ("B" if bold else "") + ("I" if italic else ""), BODY_SIZE)
            _text(pdf, text, LINE_MM)
            pdf.ln(2)
        case BulletList(items=items):
            pdf.set_font(FONT, "", BODY_SIZE)
            for item in items:
                pdf.set_x(pdf.l_margin + 3)
                pdf.cell(5, LINE_MM, "•")
                pdf.multi_cell(
                    pdf.epw - 8, LINE_MM, item, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT
                )
            pdf.ln(2)
        case KeyValues(pairs=pairs):
            for label, value in pairs:
                pdf.set_font(FONT, "B", BODY_SIZE)
                pdf.write(LINE_MM, f"{label}: ")
                pdf.set_font(FONT, "", BODY_SIZE)
                pdf.write(LINE_MM, value)
                pdf.ln(LINE_MM)
            pdf.ln(2)
        case Table():
            _table(pdf, block)
        case Image():
            _image(pdf, block)
        case PageBreak():
            pdf.add_page()
        case SignatureLines(labels=labels):
            _signature_lines(pdf, labels)


def _text(pdf: FPDF, text: str, line_height: float) -> None:
    pdf.multi_cell(0, line_height, text, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _table(pdf: _ReportPDF, table: Table) -> None:
    if table.caption:
        if pdf.will_page_break(HEADING_KEEP_MM):
            pdf.add_page()
        pdf.set_font(FONT, "I", 9.5)
        _text(pdf, table.caption, 5)
        pdf.ln(1)
    draw_table(pdf, table, FONT)
    pdf.ln(4)


def _image_box(pdf: FPDF, image: Image) -> tuple[float, float, float]:
    """Width and height of the image in mm, and the height its caption needs under it."""
    pixels_wide, pixels_high = png_size(image.png)
    width = min(image.width_cm * 10, pdf.epw)
    height = width * pixels_high / pixels_wide
    caption_room = 8 if image.caption else 0
    if height > pdf.eph - caption_room:  # a very tall image is shrunk to fit one page
        height = pdf.eph - caption_room
        width = height * pixels_wide / pixels_high
    return width, height, caption_room


def _image(pdf: _ReportPDF, image: Image) -> None:
    width, height, caption_room = _image_box(pdf, image)
    if pdf.will_page_break(height + caption_room):
        pdf.add_page()
    pdf.image(BytesIO(image.png), x=(pdf.w - width) / 2, w=width, h=height)
    if image.caption:
        pdf.ln(1)
        pdf.set_font(FONT, "I", 9)
        pdf.set_text_color(MUTED)
        pdf.multi_cell(0, 4.5, image.caption, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0)
    pdf.ln(3)


def _signature_lines(pdf: _ReportPDF, labels: list[str]) -> None:
    columns = min(SIGNATURES_PER_ROW, max(1, len(labels)))
    column_width = pdf.epw / columns
    pdf.set_font(FONT, "", BODY_SIZE)
    for start in range(0, len(labels), columns):
        if pdf.will_page_break(SIGNATURE_HEIGHT_MM):
            pdf.add_page()
        line_y = pdf.get_y() + 16  # room to sign above the line
        bottom = line_y
        for index, label in enumerate(labels[start : start + columns]):
            left = pdf.l_margin + index * column_width + 5
            pdf.line(left, line_y, left + column_width - 10, line_y)
            pdf.set_xy(left, line_y + 1)
            pdf.multi_cell(column_width - 10, 5, label, align=Align.C)
            bottom = max(bottom, pdf.get_y())
        pdf.set_xy(pdf.l_margin, bottom + 4)


def _shortened(pdf: FPDF, text: str, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` on one line (footers have one line)."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"
