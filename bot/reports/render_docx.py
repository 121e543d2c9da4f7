"""Documents as editable Word files: real Title/Heading styles, real tables, page-number fields.

A clerk opens the minutes in Word or LibreOffice and edits them further, so the structure must be
Word's own (styles, not formatted runs) and the page numbers must be fields, not fixed text.

A survey report has hundreds of styled paragraphs, tables and pictures. python-docx looks a style
up by name by scanning every style of the document, and numbers a picture by scanning every id
in the document, each time; both are done once per document here (``_WordWriter``).
"""

from __future__ import annotations

from copy import deepcopy
from datetime import UTC, datetime
from io import BytesIO

import docx
from docx.document import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.shape import CT_Inline
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm, Length, Pt
from docx.table import Table as WordTable
from docx.text.paragraph import Paragraph as WordParagraph

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
from bot.reports.layout import column_weights, printable_document, scaled_widths

PAGE_WIDTH_CM = 21.0  # A4
PAGE_HEIGHT_CM = 29.7
MARGIN_CM = 2.0
TEXT_WIDTH_CM = PAGE_WIDTH_CM - 2 * MARGIN_CM
SIGNATURES_PER_ROW = 3
FOOTER_SIZE = Pt(9)
_FIELD_MARK = "\x00"  # splits the translated page label around its field placeholders


def to_docx(doc: Document) -> bytes:
    doc = printable_document(doc)
    word = docx.Document()
    _set_up_page(word)
    _set_metadata(word, doc)
    writer = _WordWriter(word)
    writer.paragraph(doc.title, "Title")
    if doc.subtitle:
        writer.paragraph(doc.subtitle, "Subtitle")
    for block in doc.blocks:
        _add_block(writer, block)
    _add_footer(word, doc)
    output = BytesIO()
    word.save(output)
    return output.getvalue()


class _WordWriter:
    """Adds paragraphs, tables and pictures to one Word document, remembering what python-docx
    would look up again for each: style ids by name and the next free drawing id."""

    def __init__(self, word: WordDocument) -> None:
        self.word = word
        self._style_ids: dict[tuple[str, WD_STYLE_TYPE], str | None] = {}
        self._next_drawing_id: int | None = None

    def style_id(self, name: str, kind: WD_STYLE_TYPE = WD_STYLE_TYPE.PARAGRAPH) -> str | None:
        """The id of the named style; None for the default style, which is left unnamed."""
        key = (name, kind)
        if key not in self._style_ids:
            self._style_ids[key] = self.word.part.get_style_id(self.word.styles[name], kind)
        return self._style_ids[key]

    def paragraph(self, text: str = "", style: str | None = None) -> WordParagraph:
        paragraph = self.word.add_paragraph(text)
        if style is not None:
            paragraph._p.style = self.style_id(style)
        return paragraph

    def table(self, rows: int, columns: int, style: str | None = None) -> WordTable:
        grid = self.word.add_table(rows=rows, cols=columns)
        if style is not None:
            grid._tbl.tblPr.style = self.style_id(style, WD_STYLE_TYPE.TABLE)
        return grid

    def picture(self, png: bytes, width: Length) -> WordParagraph:
        """A paragraph holding the picture, ``width`` wide with its proportions kept."""
        paragraph = self.paragraph()
        run = paragraph.add_run()
        part = run.part
        relation_id, image = part.get_or_add_image(BytesIO(png))
        if self._next_drawing_id is None:
            self._next_drawing_id = part.next_id  # the one scan of the document's ids
        drawing_id, self._next_drawing_id = self._next_drawing_id, self._next_drawing_id + 1
        cx, cy = image.scaled_dimensions(width, None)
        run._r.add_drawing(CT_Inline.new_pic_inline(drawing_id, relation_id, image.filename,
                                                    cx, cy))  # fmt: skip
        return paragraph


def _set_up_page(word: WordDocument) -> None:
    section = word.sections[0]
    section.page_width, section.page_height = Cm(PAGE_WIDTH_CM), Cm(PAGE_HEIGHT_CM)
    section.left_margin = section.right_margin = Cm(MARGIN_CM)
    section.top_margin = section.bottom_margin = Cm(MARGIN_CM)


def _set_metadata(word: WordDocument, doc: Document) -> None:
    tag = language_tag(doc.language)
    properties = word.core_properties
    properties.title = doc.title
    properties.subject = doc.subtitle
    properties.language = tag
    properties.author = properties.last_modified_by = "Sejabot"
    properties.comments = ""
    properties.created = properties.modified = datetime.now(UTC).replace(microsecond=0)
    # The proofing language of all text, so Word checks Slovenian spelling in Slovenian reports.
    defaults = word.styles.element.find(qn("w:docDefaults"))
    language = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
    language.set(qn("w:val"), tag)


def _add_block(writer: _WordWriter, block: Block) -> None:
    match block:
        case Heading(text=text, level=level):
            writer.paragraph(text, f"Heading {level}")
        case Paragraph(text=text, bold=bold, italic=italic):
            run = writer.paragraph().add_run(text)
            run.bold, run.italic = bold or None, italic or None
        case BulletList(items=items):
            for item in items:
                writer.paragraph(item, "List Bullet")
        case KeyValues(pairs=pairs):
            for label, value in pairs:
                paragraph = writer.paragraph()
                paragraph.paragraph_format.space_after = Pt(2)
                paragraph.add_run(f"{label}: ").bold = True
                paragraph.add_run(value)
        case Table():
            _add_table(writer, block)
        case Image(png=png, caption=caption, width_cm=width_cm):
            picture = writer.picture(png, Cm(min(width_cm, TEXT_WIDTH_CM)))
            picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
            if caption:
                writer.paragraph(caption, "Caption").alignment = WD_ALIGN_PARAGRAPH.CENTER
        case PageBreak():
            writer.word.add_page_break()
        case SignatureLines(labels=labels):
            _add_signature_lines(writer, labels)


def _add_table(writer: _WordWriter, table: Table) -> None:
    if table.caption:
        # Slovenian convention: a table's caption stands above it, a figure's below.
        caption = writer.paragraph(table.caption, "Caption")
        caption.paragraph_format.keep_with_next = True
    widths: list[Length] = [
        Cm(width) for width in scaled_widths(column_weights(table), TEXT_WIDTH_CM)
    ]
    grid = writer.table(1, len(table.headers), "Table Grid")
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    for column, width in zip(grid.columns, widths):
        column.width = width
    header = grid.rows[0]
    # Word and LibreOffice repeat a header row on every page the table spans.
    header._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for cell, text, width in zip(header.cells, table.headers, widths):
        cell.width = width
        cell.paragraphs[0].add_run(text).bold = True
    _add_rows(grid, table.rows, widths)
    writer.paragraph()  # Word glues consecutive tables together without a paragraph between


def _add_rows(grid: WordTable, rows: list[list[str]], widths: list[Length]) -> None:
    """The body rows, each a copy of one prepared row: python-docx's per-cell API takes seconds
    for a survey table of 212 municipalities by 30 questions, copying XML takes milliseconds."""
    template = grid.add_row()
    for cell, width in zip(template.cells, widths):
        cell.width = width
        cell.paragraphs[0].add_run()
    prepared = template._tr
    for row in rows:
        copy = deepcopy(prepared)
        for run, text in zip(copy.iter(qn("w:r")), row):
            if "\n" in text:
                run.text = text  # python-docx's setter turns line breaks into w:br
            else:
                _set_run_text(run, text)
        prepared.addprevious(copy)
    grid._tbl.remove(prepared)


def _set_run_text(run: BaseOxmlElement, text: str) -> None:
    if not text:
        return
    element = OxmlElement("w:t")
    element.text = text
    if text != text.strip():  # Word drops leading and trailing spaces unless told to keep them
        element.set(qn("xml:space"), "preserve")
    run.append(element)


def _add_signature_lines(writer: _WordWriter, labels: list[str]) -> None:
    columns = min(SIGNATURES_PER_ROW, max(1, len(labels)))
    grid = writer.table(0, columns)  # no style: no borders
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for start in range(0, len(labels), columns):
        cells = grid.add_row().cells
        for cell, label in zip(cells, labels[start : start + columns]):
            line = cell.paragraphs[0]
            line.paragraph_format.space_before = Cm(1.5)  # room to sign above the line
            line.paragraph_format.space_after = Pt(0)
            line.alignment = WD_ALIGN_PARAGRAPH.CENTER
            line.add_run("_" * 25)
            cell.add_paragraph(label).alignment = WD_ALIGN_PARAGRAPH.CENTER


def _add_footer(word: WordDocument, doc: Document) -> None:
    paragraph = word.sections[0].footer.paragraphs[0]
    paragraph.style = word.styles["Normal"]  # the Footer style's tab stops suit Letter paper
    paragraph.paragraph_format.tab_stops.add_tab_stop(Cm(TEXT_WIDTH_CM), WD_TAB_ALIGNMENT.RIGHT)
    if doc.footer:
        paragraph.add_run(doc.footer)
    paragraph.add_run("\t")
    _ = Translator(doc.language)
    label = _(
        "Page {page} of {pages}",
        page=f"{_FIELD_MARK}PAGE{_FIELD_MARK}",
        pages=f"{_FIELD_MARK}NUMPAGES{_FIELD_MARK}",
    )
    # "Stran {page} od {pages}": the odd pieces are field names, the even ones plain text.
    for index, piece in enumerate(label.split(_FIELD_MARK)):
        if index % 2:
            _add_field(paragraph, piece)
        elif piece:
            paragraph.add_run(piece)
    for run in paragraph.runs:
        run.font.size = FOOTER_SIZE


def _add_field(paragraph: WordParagraph, instruction: str) -> None:
    """A field such as PAGE; its run is an ordinary run moved inside a w:fldSimple element."""
    run = paragraph.add_run("1")  # shown until fields update; Word and LibreOffice do on opening
    run.font.size = FOOTER_SIZE
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run._r.addprevious(field)
    field.append(run._r)
