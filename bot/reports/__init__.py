"""Reports: one document model rendered to DOCX, PDF, Markdown or HTML; tables; charts.

Build a ``Document`` from the blocks in ``bot.reports.document`` and render it::

    content, media_type, extension = await asyncio.to_thread(render, doc, "pdf")

Rendering is CPU-bound (tens to hundreds of milliseconds), hence ``asyncio.to_thread`` from
async code. Spreadsheets come from ``bot.reports.tables`` and charts from ``bot.reports.charts``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

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
)
from bot.reports.render_text import to_html, to_markdown

Format = Literal["docx", "pdf", "md", "html"]
FORMATS: tuple[Format, ...] = ("docx", "pdf", "md", "html")
MEDIA_TYPES: dict[str, str] = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "md": "text/markdown",
    "html": "text/html",
}


def render(doc: Document, fmt: str) -> tuple[bytes, str, str]:
    """The document as ``(content, media_type, extension)``; the extension has no dot ("pdf")."""
    return _renderer(fmt)(doc), MEDIA_TYPES[fmt], fmt


def _renderer(fmt: str) -> Callable[[Document], bytes]:
    # Imported on use: python-docx and fpdf2 are heavy, and most callers never need them.
    if fmt == "docx":
        from bot.reports.render_docx import to_docx

        return to_docx
    if fmt == "pdf":
        from bot.reports.render_pdf import to_pdf

        return to_pdf
    if fmt == "md":
        return lambda doc: to_markdown(doc).encode("utf-8")
    if fmt == "html":
        return lambda doc: to_html(doc).encode("utf-8")
    raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")


__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "Block",
    "BulletList",
    "Document",
    "Format",
    "Heading",
    "Image",
    "KeyValues",
    "PageBreak",
    "Paragraph",
    "SignatureLines",
    "Table",
    "render",
]
