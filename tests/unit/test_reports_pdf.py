"""PDF: text read back with pypdf (č š ž survive), pages, repeated table headers, metadata."""

from __future__ import annotations

import re
from io import BytesIO

import pypdf
import pytest

from bot.reports import Document, Heading, Paragraph, Table
from bot.reports.pdf_table import wrap
from bot.reports.render_pdf import to_pdf
from tests.unit.test_reports_document import VOTERS, sample_document


def read(doc: Document) -> pypdf.PdfReader:
    return pypdf.PdfReader(BytesIO(to_pdf(doc)))


def page_texts(reader: pypdf.PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def test_slovenian_letters_survive_in_every_kind_of_block() -> None:
    text = "\n".join(page_texts(read(sample_document())))
    for expected in [
        "Zapisnik 5. dopisne seje Občinskega sveta",
        "1. Ugotovitev sklepčnosti",
        "Rok za glasovanje: 18. 11. 2026 ob 12.00",
        "Točka dva — čistilna naprava",
        "Preglednica 1: Oddani glasovi",
        *VOTERS,
        "Slika 1: Izid glasovanja",
        "Sklep je bil sprejet.",
        "Predsedujoči",
    ]:
        assert expected in text


@pytest.mark.parametrize(("language", "label"), [("sl", "Stran {} od {}"), ("en", "Page {} of {}")])
def test_every_page_has_the_footer_and_its_number(language: str, label: str) -> None:
    pages = page_texts(read(sample_document(language)))
    assert len(pages) == 2  # the document has a page break
    for number, text in enumerate(pages, start=1):
        assert label.format(number, len(pages)) in text
        assert "Občina Gornji Grad · zapisnik" in text


def test_a_long_table_repeats_its_header_and_loses_no_row() -> None:
    rows = [[f"Občina {i:03d}", f"Odgovor št. {i}: čšž"] for i in range(212)]
    pages = page_texts(read(Document("Anketa", blocks=[Table(["Občina", "Odgovor"], rows)])))
    assert len(pages) >= 5
    for text in pages:
        assert text.count("Občina Odgovor") == 1  # the header row, once on every page
    found = [int(number) for text in pages for number in re.findall(r"Občina (\d{3})", text)]
    assert found == list(range(212))


def test_a_row_taller_than_a_page_continues_on_the_next_pages() -> None:
    words = [f"beseda{i:04d}" for i in range(1500)]
    doc = Document(
        "Dolg odgovor",
        blocks=[Table(["Vprašanje", "Odgovor"], [["Pripombe", " ".join(words)], ["Konec", "ž"]])],
    )
    pages = page_texts(read(doc))
    assert len(pages) >= 2
    found = re.findall(r"beseda\d{4}", "\n".join(pages))
    assert found == words
    assert all("Vprašanje Odgovor" in text for text in pages)
    assert "Konec" in pages[-1]


def test_an_absurdly_long_header_is_cut_rather_than_looping() -> None:
    doc = Document("Glava", blocks=[Table(["glava " * 3000, "b"], [["x", "y"]])])
    assert len(read(doc).pages) == 1


def test_many_narrow_columns_still_render() -> None:
    headers = [f"Vprašanje {i}" for i in range(30)]
    doc = Document("Široko", blocks=[Table(headers, [["Nadškofijskega" * 3] * 30] * 3)])
    letters = "".join(page_texts(read(doc))[0].split())  # words are cut into 2-3 letter lines
    assert letters.count("Nadškofijskega") == 3 * 30 * 3


def test_metadata_and_the_embedded_image() -> None:
    reader = read(sample_document())
    assert reader.metadata.title == "Zapisnik 5. dopisne seje Občinskega sveta"
    assert reader.trailer["/Root"]["/Lang"] == "sl-SI"
    assert len(reader.pages[0].images) == 1
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.1)  # A4 in points


def test_headings_become_bookmarks_even_when_levels_jump() -> None:
    doc = Document(
        "Kazalo", blocks=[Heading("Tretja raven", 3), Heading("Prva", 1), Paragraph("x")]
    )
    outline = read(doc).outline
    assert outline[0].title == "Tretja raven" and outline[1].title == "Prva"


def test_wrap_breaks_at_spaces_and_inside_a_word_only_when_it_must() -> None:
    def measure(text: str) -> float:
        return float(len(text))

    assert wrap("ena dva tri", 7, measure) == ["ena dva", "tri"]
    assert wrap("a\n\nb", 7, measure) == ["a", "", "b"]
    assert wrap("nadškofijskega x", 5, measure) == ["nadšk", "ofijs", "kega", "x"]
    assert wrap("", 5, measure) == [""]
