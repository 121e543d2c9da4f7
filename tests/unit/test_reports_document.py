"""The report document model, its checks, and ``render``'s formats; also the sample document
the renderer tests share."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.reports import (
    FORMATS,
    BulletList,
    Document,
    Heading,
    Image,
    KeyValues,
    PageBreak,
    Paragraph,
    SignatureLines,
    Table,
    render,
)
from bot.reports.charts import DPI, WIDTH_INCHES, bar_chart
from bot.reports.layout import column_weights, png_size, printable, printable_document

VOTERS = ["Ana Čebašek", "Boštjan Šušteršič", "Žiga Žagar", "Đurđa Ćosić"]


def sample_document(language: str = "sl", rows: int = 4) -> Document:
    """A correspondence session's minutes with every kind of block."""
    chart = bar_chart("Izid glasovanja", ["Za", "Proti", "Vzdržani"], [7, 2, 1])
    votes = [
        [VOTERS[i % 4] + f" {i}", "ZA" if i % 2 else "PROTI", f"18. 11. 2026 ob 11.{i % 60:02d}"]
        for i in range(rows)
    ]
    return Document(
        title="Zapisnik 5. dopisne seje Občinskega sveta",
        subtitle="Občina Gornji Grad",
        footer="Občina Gornji Grad · zapisnik",
        language=language,
        blocks=[
            Heading("1. Ugotovitev sklepčnosti", 1),
            Paragraph("Seja je bila sklepčna: glasovalo je 10 od 11 članov."),
            KeyValues([("Rok za glasovanje", "18. 11. 2026 ob 12.00"), ("Predsedujoči", "Župan")]),
            BulletList(["Točka ena — šolstvo", "Točka dva — čistilna naprava"]),
            Heading("2. Glasovi", 2),
            Table(["Član", "Glas", "Čas"], votes, caption="Preglednica 1: Oddani glasovi"),
            Heading("Izid", 3),
            Image(chart, caption="Slika 1: Izid glasovanja", width_cm=14),
            PageBreak(),
            Paragraph("Sklep je bil sprejet.", bold=True, italic=True),
            SignatureLines(["Zapisnikar", "Predsedujoči"]),
        ],
    )


def test_heading_levels_are_one_to_three() -> None:
    Heading("Naslov", 3)
    with pytest.raises(ValueError, match="level"):
        Heading("Naslov", 4)


def test_table_rows_must_match_the_headers() -> None:
    with pytest.raises(ValueError, match="row 1 has 1 cells, expected 2"):
        Table(["Član", "Glas"], [["Ana", "ZA"], ["Boštjan"]])
    with pytest.raises(ValueError, match="column widths"):
        Table(["Član", "Glas"], [], column_widths=[1.0])
    with pytest.raises(ValueError, match="positive"):
        Table(["Član", "Glas"], [], column_widths=[1.0, 0.0])
    with pytest.raises(ValueError, match="at least one column"):
        Table([], [])


def test_image_must_be_png() -> None:
    with pytest.raises(ValueError, match="PNG"):
        Image(b"GIF89a...")


def test_add_appends_and_chains() -> None:
    doc = Document("Poročilo").add(Heading("A"), Paragraph("b"))
    assert [type(block) for block in doc.blocks] == [Heading, Paragraph]
    assert Document("Drugo").blocks == []  # no list shared between documents


@pytest.mark.parametrize(
    ("fmt", "media_type", "magic"),
    [
        (
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            b"PK\x03\x04",
        ),
        ("pdf", "application/pdf", b"%PDF-"),
        ("md", "text/markdown", b"# Zapisnik"),
        ("html", "text/html", b"<!DOCTYPE html>"),
    ],
)
def test_render_returns_content_media_type_and_extension(
    fmt: str, media_type: str, magic: bytes
) -> None:
    content, returned_type, extension = render(sample_document(), fmt)
    assert content.startswith(magic)
    assert returned_type == media_type
    assert extension == fmt
    assert fmt in FORMATS


def test_render_rejects_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="odt"):
        render(sample_document(), "odt")


def test_printable_keeps_line_breaks_and_drops_control_characters() -> None:
    assert printable("a\r\nb\rc\td\x00e\x0bf\x1b") == "a\nb\nc def"
    doc = printable_document(Document("Na\x07slov", blocks=[Table(["A\x01"], [["č\x02"]])]))
    assert doc.title == "Naslov"
    assert doc.blocks[0].headers == ["A"] and doc.blocks[0].rows == [["č"]]


def test_column_weights_follow_the_content_within_limits() -> None:
    table = Table(["Št.", "Odgovor"], [["1", "x" * 300], ["2", "kratko"]])
    assert column_weights(table) == [3.0, 40.0]
    assert column_weights(Table(["a", "b"], [], column_widths=[1, 2])) == [1, 2]


def test_png_size_reads_the_header() -> None:
    assert png_size(bar_chart("T", ["a"], [1])) == (int(WIDTH_INCHES * DPI), int(3.6 * DPI))
    with pytest.raises(ValueError):
        png_size(b"not a png")


def test_the_report_modules_load_no_document_or_chart_library_until_used() -> None:
    # A bot that makes no report must not carry matplotlib, python-docx, openpyxl or fpdf2.
    modules = ["bot.reports", "bot.reports.charts", "bot.reports.tables", "bot.surveys.report_document",
               "bot.correspondence.minutes", "bot.live.minutes"]  # fmt: skip
    heavy = ["matplotlib", "docx", "openpyxl", "fpdf", "PIL"]
    program = f"import sys, {', '.join(modules)}\nprint(*(m for m in {heavy} if m in sys.modules))"
    run = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    assert run.stdout.split() == []
