"""Markdown and HTML: structure, and user text that never turns into markup."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from bot.reports import BulletList, Document, Heading, Image, KeyValues, Paragraph, Table
from bot.reports.render_text import escape_markdown, to_html, to_markdown
from tests.unit.test_reports_document import sample_document


def test_markdown_structure() -> None:
    markdown = to_markdown(sample_document())
    assert markdown.startswith(
        "# Zapisnik 5. dopisne seje Občinskega sveta\n\n*Občina Gornji Grad*"
    )
    assert "\n## 1. Ugotovitev sklepčnosti\n" in markdown
    assert "\n### 2. Glasovi\n" in markdown
    assert "\n#### Izid\n" in markdown
    assert "**Rok za glasovanje:** 18. 11. 2026 ob 12.00  \n**Predsedujoči:** Župan" in markdown
    assert "\n- Točka ena — šolstvo\n- Točka dva — čistilna naprava\n" in markdown
    assert "| Član | Glas | Čas |\n| --- | --- | --- |\n| Ana Čebašek 0 | PROTI |" in markdown
    assert "*\\[Slika: Slika 1: Izid glasovanja\\]*" in markdown
    assert "***Sklep je bil sprejet.***" in markdown
    assert re.search(r"Zapisnikar: _{25}", markdown)
    assert markdown.endswith("---\n\n*Občina Gornji Grad · zapisnik*\n")


def test_markdown_image_placeholder_in_english_and_without_caption() -> None:
    png = sample_document().blocks[7].png
    doc = Document("Chart", language="en", blocks=[Image(png, "Turnout"), Image(png)])
    assert "*\\[Image: Turnout\\]*\n\n*\\[Image\\]*" in to_markdown(doc)


def test_markdown_table_cells_escape_pipes_and_keep_line_breaks() -> None:
    table = Table(["A | B", "C"], [["da | ne", "prva\ndruga"], ["", "*x*"]])
    markdown = to_markdown(Document("T", blocks=[table]))
    assert "| A \\| B | C |" in markdown
    assert "| da \\| ne | prva<br>druga |" in markdown
    assert "|   | \\*x\\* |" in markdown


def test_markdown_escapes_what_would_become_markup() -> None:
    assert escape_markdown("**krepko** _ležeče_ `koda` [povezava](x) <b>") == (
        "\\*\\*krepko\\*\\* \\_ležeče\\_ \\`koda\\` \\[povezava\\](x) \\<b\\>"
    )
    assert escape_markdown("# ni naslov") == "\\# ni naslov"
    assert escape_markdown("- ni alineja") == "\\- ni alineja"
    assert escape_markdown("1. ni seznam") == "1\\. ni seznam"
    assert escape_markdown("navadno besedilo, 3 - 1 = 2") == "navadno besedilo, 3 - 1 = 2"
    assert escape_markdown("- 1. ne na začetku", starts_line=False) == "- 1. ne na začetku"
    doc = Document("T", blocks=[Paragraph("# a\n- b"), BulletList(["1. c"]), Heading("_d_\ne")])
    assert to_markdown(doc) == "# T\n\n\\# a  \n\\- b\n\n- 1\\. c\n\n## \\_d\\_ e\n"


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_a_self_contained_page_with_the_structure() -> None:
    page = to_html(sample_document())
    assert page.startswith('<!DOCTYPE html>\n<html lang="sl-SI">')
    assert "<title>Zapisnik 5. dopisne seje Občinskega sveta</title>" in page
    assert '<img src="data:image/png;base64,iVBORw0KGgo' in page
    assert "http" not in page  # nothing to fetch
    collector = _Collector()
    collector.feed(page)
    for tag in (
        "h1",
        "h2",
        "h3",
        "h4",
        "ul",
        "li",
        "table",
        "caption",
        "th",
        "td",
        "figure",
        "figcaption",
        "footer",
    ):
        assert tag in collector.tags
    assert collector.tags.count("tr") == 5
    assert "Točka dva — čistilna naprava" in collector.text


def test_html_escapes_all_user_text() -> None:
    attack = '<script>alert("x")</script> & "q"'
    doc = Document(
        attack,
        subtitle=attack,
        footer=attack,
        blocks=[
            Heading(attack),
            Paragraph(attack + "\n2. vrstica", bold=True),
            BulletList([attack]),
            KeyValues([(attack, attack)]),
            Table([attack], [[attack]], caption=attack),
            Image(sample_document().blocks[7].png, caption=attack),
        ],
    )
    page = to_html(doc)
    assert "<script>" not in page
    # title twice (<title>, <h1>), key and value, image alt text and caption: 14 places
    assert page.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;q&quot;") == 14
    assert "<strong>" in page and "<br>2. vrstica" in page
