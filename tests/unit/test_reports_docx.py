"""DOCX: read back with python-docx; opened by LibreOffice when it is installed."""

from __future__ import annotations

import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import docx
import pypdf
import pytest
from docx.shared import Cm

from bot.reports import Document, Image, Paragraph, Table
from bot.reports.charts import bar_chart
from bot.reports.render_docx import TEXT_WIDTH_CM, to_docx
from tests.unit.test_reports_document import VOTERS, sample_document

W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WP_NS = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"


def reread(doc: Document) -> docx.document.Document:
    return docx.Document(BytesIO(to_docx(doc)))


def test_title_and_headings_use_word_styles() -> None:
    word = reread(sample_document())
    styled = [
        (p.style.name, p.text) for p in word.paragraphs if p.style.name != "Normal" and p.text
    ]
    assert styled[:3] == [
        ("Title", "Zapisnik 5. dopisne seje Občinskega sveta"),
        ("Subtitle", "Občina Gornji Grad"),
        ("Heading 1", "1. Ugotovitev sklepčnosti"),
    ]
    assert ("Heading 2", "2. Glasovi") in styled
    assert ("Heading 3", "Izid") in styled
    assert ("List Bullet", "Točka dva — čistilna naprava") in styled
    assert ("Caption", "Preglednica 1: Oddani glasovi") in styled


def test_table_has_grid_style_bold_repeating_header_and_cell_texts() -> None:
    word = reread(sample_document(rows=8))
    table = word.tables[0]
    assert table.style.name == "Table Grid"
    assert [cell.text for cell in table.rows[0].cells] == ["Član", "Glas", "Čas"]
    assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)
    assert table.rows[0]._tr.find(f"{W_NS}trPr/{W_NS}tblHeader") is not None
    assert len(table.rows) == 9
    assert [cell.text for cell in table.rows[3].cells] == [
        f"{VOTERS[2]} 2",
        "PROTI",
        "18. 11. 2026 ob 11.02",
    ]
    body_runs = [
        run for row in table.rows[1:] for cell in row.cells for run in cell.paragraphs[0].runs
    ]
    assert not any(run.bold for run in body_runs)


def test_cells_keep_line_breaks_spaces_and_lose_control_characters() -> None:
    rows = [["prva\ndruga vrstica", " z robom ", "", "nič\x07 posebnega"]]
    word = reread(Document("T", blocks=[Table(["a", "b", "c", "d"], rows)]))
    assert [cell.text for cell in word.tables[0].rows[1].cells] == [
        "prva\ndruga vrstica",
        " z robom ",
        "",
        "nič posebnega",
    ]


def test_image_is_embedded_within_the_text_width() -> None:
    word = reread(sample_document())
    shapes = word.inline_shapes
    assert len(shapes) == 1
    assert shapes[0].width == Cm(14)
    chart = bar_chart("Izid", ["Za"], [1])
    wide = Document("Široka slika", blocks=[Image(chart, width_cm=40)])
    assert reread(wide).inline_shapes[0].width == Cm(TEXT_WIDTH_CM)


def test_each_picture_has_its_own_drawing_id_and_image() -> None:
    charts = [bar_chart(f"Vprašanje {number}", ["Da", "Ne"], [number, 3]) for number in range(3)]
    word = reread(Document("Slike", blocks=[Image(chart, caption="Graf") for chart in charts]))
    assert len(word.inline_shapes) == 3
    drawing_ids = {element.get("id") for element in word.element.body.iter(f"{WP_NS}docPr")}
    assert len(drawing_ids) == 3
    images = {
        shape._inline.graphic.graphicData.pic.blipFill.blip.embed for shape in word.inline_shapes
    }
    assert len(images) == 3
    assert [p.style.name for p in word.paragraphs if p.text == "Graf"] == ["Caption"] * 3


def test_paragraph_emphasis_signatures_and_page_break() -> None:
    word = reread(sample_document())
    emphasised = next(p for p in word.paragraphs if p.text == "Sklep je bil sprejet.")
    assert emphasised.runs[0].bold and emphasised.runs[0].italic
    signatures = word.tables[-1]
    assert [cell.text.strip().splitlines()[-1] for cell in signatures.rows[0].cells] == [
        "Zapisnikar",
        "Predsedujoči",
    ]
    assert word.element.body.xml.count('w:type="page"') == 1


def test_metadata_page_size_and_proofing_language() -> None:
    word = reread(sample_document())
    assert word.core_properties.title == "Zapisnik 5. dopisne seje Občinskega sveta"
    assert word.core_properties.language == "sl-SI"
    section = word.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert 'w:val="sl-SI"' in word.styles.element.xml
    assert reread(sample_document("en")).core_properties.language == "en-GB"


@pytest.mark.parametrize(
    ("language", "words"), [("sl", ["Stran ", " od "]), ("en", ["Page ", " of "])]
)
def test_footer_has_text_and_page_number_fields(language: str, words: list[str]) -> None:
    footer = reread(sample_document(language)).sections[0].footer.paragraphs[0]
    xml = footer._p.xml
    assert 'w:instr="PAGE"' in xml and 'w:instr="NUMPAGES"' in xml
    assert footer.runs[0].text == "Občina Gornji Grad · zapisnik"
    texts = [run.text for run in footer.runs]
    assert all(word in texts for word in words)


def test_a_document_with_only_a_title_renders() -> None:
    word = reread(Document("Prazno poročilo", blocks=[Paragraph("")]))
    assert word.paragraphs[0].text == "Prazno poročilo"


LIBREOFFICE = shutil.which("libreoffice") or shutil.which("soffice")


@pytest.mark.skipif(LIBREOFFICE is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_it_and_fills_in_page_numbers(tmp_path: Path) -> None:
    source = tmp_path / "zapisnik.docx"
    source.write_bytes(to_docx(sample_document(rows=120)))
    subprocess.run(
        [
            LIBREOFFICE,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    reader = pypdf.PdfReader(tmp_path / "zapisnik.pdf")
    pages = len(reader.pages)
    assert pages >= 3
    text = [" ".join(page.extract_text().split()) for page in reader.pages]
    assert "Zapisnik 5. dopisne seje Občinskega sveta" in text[0]
    assert "Boštjan Šušteršič" in text[0] and "Žiga Žagar" in text[0]
    assert f"Stran 1 od {pages}" in text[0]
    assert "Član" in text[1]  # the header row repeats on the next page
