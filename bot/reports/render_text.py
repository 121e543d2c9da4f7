"""Documents as Markdown (for chats and plain files) and as one self-contained HTML page.

All document text is plain text and is escaped here, so a councillor's answer such as
"**<b>ne</b>** | da" shows literally and cannot break a table or inject markup. Chats show no
pictures inside Markdown, so an image becomes a caption line (the chat sends the picture as a
separate file); HTML embeds them as data URLs so the page needs nothing else.
"""

from __future__ import annotations

import base64
import html
import re

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
from bot.reports.layout import printable_document

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
# Characters that start a block construct only at the beginning of a line.
_LINE_START = re.compile(r"^([ \t]*)([#>+\-=]|\d+[.)])")
SIGNATURE_LINE = "_" * 25


def escape_markdown(text: str, *, starts_line: bool = True) -> str:
    """One line of plain text as Markdown that shows exactly that text.

    ``starts_line``: the text begins a Markdown line, where "# ", "- " or "1. " would start a
    heading or a list; after a label or inside a table cell they are ordinary text.
    """
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return _LINE_START.sub(_escape_line_start, escaped) if starts_line else escaped


def _escape_line_start(match: re.Match[str]) -> str:
    indent, marker = match.group(1), match.group(2)
    if marker[0].isdigit():  # "1. točka" would start a numbered list: escape the dot
        return f"{indent}{marker[:-1]}\\{marker[-1]}"
    return f"{indent}\\{marker}"


def _inline(text: str, *, starts_line: bool = False) -> str:
    """Escaped text; its line breaks become Markdown hard breaks, so later lines start lines."""
    lines = text.split("\n")
    first = escape_markdown(lines[0], starts_line=starts_line)
    return "  \n".join([first, *(escape_markdown(line) for line in lines[1:])])


def _heading(text: str) -> str:
    return escape_markdown(" ".join(text.split("\n")), starts_line=False)  # one line only


def _cell(text: str) -> str:
    # Inside a pipe table a line break would end the row; <br> is what table renderers accept.
    return "<br>".join(escape_markdown(line, starts_line=False) for line in text.split("\n")) or " "


def to_markdown(doc: Document) -> str:
    doc = printable_document(doc)
    _ = Translator(doc.language)
    parts = [f"# {_heading(doc.title)}"]
    if doc.subtitle:
        parts.append(f"*{_inline(doc.subtitle)}*")
    parts.extend(_markdown_block(block, _) for block in doc.blocks)
    if doc.footer:
        parts.append(f"---\n\n*{_inline(doc.footer)}*")
    return "\n\n".join(part for part in parts if part) + "\n"


def _markdown_block(block: Block, _: Translator) -> str:
    match block:
        case Heading(text=text, level=level):
            return f"{'#' * (level + 1)} {_heading(text)}"
        case Paragraph(text=text, bold=bold, italic=italic):
            marker = ("**" if bold else "") + ("*" if italic else "")
            starts_line = not marker
            return f"{marker}{_inline(text, starts_line=starts_line)}{marker[::-1]}" if text else ""
        case BulletList(items=items):
            # "- 1. x" would nest a numbered list in the item: items start a line too.
            return "\n".join(f"- {_inline(item, starts_line=True)}" for item in items)
        case KeyValues(pairs=pairs):
            return "  \n".join(f"**{_inline(label)}:** {_inline(value)}" for label, value in pairs)
        case Table(headers=headers, rows=rows, caption=caption):
            lines = [f"*{_inline(caption)}*", ""] if caption else []
            lines.append("| " + " | ".join(_cell(text) for text in headers) + " |")
            lines.append("|" + "|".join(" --- " for _header in headers) + "|")
            lines.extend("| " + " | ".join(_cell(text) for text in row) + " |" for row in rows)
            return "\n".join(lines)
        case Image(caption=caption):
            placeholder = _("[Image: {caption}]", caption=caption) if caption else _("[Image]")
            return f"*{escape_markdown(placeholder, starts_line=False)}*"
        case PageBreak():
            return "---"
        case SignatureLines(labels=labels):
            return "  \n".join(
                f"{_inline(label, starts_line=True)}: {SIGNATURE_LINE}" for label in labels
            )
    raise TypeError(f"not a document block: {block!r}")


_STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.45; color: #111; }
.subtitle { color: #555; font-size: 1.15rem; margin-top: -0.5rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1.2rem; }
th, td { border: 1px solid #888; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #e1e6ec; }
caption { caption-side: top; font-style: italic; text-align: left; padding-bottom: 0.3rem; }
figure { text-align: center; margin: 1rem 0; }
figure img { max-width: 100%; }
figcaption { font-style: italic; color: #555; }
.page-break { break-after: page; border: 0; }
.signatures { display: flex; gap: 3rem; flex-wrap: wrap; margin-top: 2rem; }
.signature { border-top: 1px solid #111; min-width: 12rem; margin-top: 3rem; text-align: center; }
footer { border-top: 1px solid #ccc; margin-top: 2rem; color: #555; font-size: 0.9rem; }
"""


def _text_html(text: str) -> str:
    return "<br>".join(html.escape(line) for line in text.split("\n"))


def to_html(doc: Document) -> str:
    doc = printable_document(doc)
    body = [f"<h1>{_text_html(doc.title)}</h1>"]
    if doc.subtitle:
        body.append(f'<p class="subtitle">{_text_html(doc.subtitle)}</p>')
    body.extend(_html_block(block) for block in doc.blocks)
    if doc.footer:
        body.append(f"<footer>{_text_html(doc.footer)}</footer>")
    return (
        f'<!DOCTYPE html>\n<html lang="{language_tag(doc.language)}">\n<head>\n'
        f'<meta charset="utf-8">\n<title>{html.escape(doc.title)}</title>\n'
        f"<style>{_STYLE}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )


def _html_block(block: Block) -> str:
    match block:
        case Heading(text=text, level=level):
            return f"<h{level + 1}>{_text_html(text)}</h{level + 1}>"
        case Paragraph(text=text, bold=bold, italic=italic):
            inner = _text_html(text)
            inner = f"<strong>{inner}</strong>" if bold else inner
            inner = f"<em>{inner}</em>" if italic else inner
            return f"<p>{inner}</p>"
        case BulletList(items=items):
            return "<ul>" + "".join(f"<li>{_text_html(item)}</li>" for item in items) + "</ul>"
        case KeyValues(pairs=pairs):
            lines = (
                f"<strong>{_text_html(label)}:</strong> {_text_html(value)}"
                for label, value in pairs
            )
            return "<p>" + "<br>\n".join(lines) + "</p>"
        case Table(headers=headers, rows=rows, caption=caption):
            head = "".join(f"<th>{_text_html(text)}</th>" for text in headers)
            body_rows = "\n".join(
                "<tr>" + "".join(f"<td>{_text_html(text)}</td>" for text in row) + "</tr>"
                for row in rows
            )
            title = f"<caption>{_text_html(caption)}</caption>" if caption else ""
            return (
                f"<table>{title}<thead><tr>{head}</tr></thead>\n"
                f"<tbody>\n{body_rows}\n</tbody></table>"
            )
        case Image(png=png, caption=caption):
            source = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
            figcaption = f"<figcaption>{_text_html(caption)}</figcaption>" if caption else ""
            return f'<figure><img src="{source}" alt="{html.escape(caption)}">{figcaption}</figure>'
        case PageBreak():
            return '<hr class="page-break">'
        case SignatureLines(labels=labels):
            boxes = "".join(f'<div class="signature">{_text_html(label)}</div>' for label in labels)
            return f'<div class="signatures">{boxes}</div>'
    raise TypeError(f"not a document block: {block!r}")
