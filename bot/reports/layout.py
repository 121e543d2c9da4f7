"""What the renderers share: column widths, image sizes, and text made safe to print."""

from __future__ import annotations

import re
import struct
from dataclasses import replace

from bot.reports.document import (
    PNG_SIGNATURE,
    Block,
    BulletList,
    Document,
    Heading,
    Image,
    KeyValues,
    Paragraph,
    SignatureLines,
    Table,
)

# Column weights are measured in characters but capped: one long free-text answer must not
# squeeze every other column to nothing; it wraps instead.
_MIN_WEIGHT = 3
_MAX_WEIGHT = 40


def column_weights(table: Table) -> list[float]:
    """Relative column widths: the table's own, or fitted to the longest line of each column."""
    if table.column_widths is not None:
        return list(table.column_widths)
    weights = []
    for column, header in enumerate(table.headers):
        texts = [header, *(row[column] for row in table.rows)]
        longest = max(len(line) for text in texts for line in text.split("\n"))
        weights.append(float(min(_MAX_WEIGHT, max(_MIN_WEIGHT, longest))))
    return weights


def scaled_widths(weights: list[float], total: float) -> list[float]:
    """Widths proportional to ``weights`` that add up to ``total``."""
    weight_sum = sum(weights)
    return [total * weight / weight_sum for weight in weights]


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, read from the PNG header (the IHDR chunk comes first)."""
    if not png.startswith(PNG_SIGNATURE) or png[12:16] != b"IHDR":
        raise ValueError("not PNG data")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def printable(text: str) -> str:
    """Text without control characters (XML forbids most; fonts have no glyphs for them).

    Line breaks are kept (all spellings become "\\n") and a tab becomes a space.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _CONTROL_CHARACTERS.sub("", text)


def printable_document(doc: Document) -> Document:
    """A copy of ``doc`` whose every text is ``printable``."""
    return Document(
        title=printable(doc.title),
        subtitle=printable(doc.subtitle),
        blocks=[_printable_block(block) for block in doc.blocks],
        footer=printable(doc.footer),
        language=doc.language,
    )


def _printable_block(block: Block) -> Block:
    match block:
        case Heading() | Paragraph():
            return replace(block, text=printable(block.text))
        case BulletList(items=items):
            return BulletList([printable(item) for item in items])
        case Table(headers=headers, rows=rows, caption=caption):
            return replace(
                block,
                headers=[printable(text) for text in headers],
                rows=[[printable(text) for text in row] for row in rows],
                caption=printable(caption),
            )
        case KeyValues(pairs=pairs):
            return KeyValues([(printable(label), printable(value)) for label, value in pairs])
        case Image(caption=caption):
            return replace(block, caption=printable(caption))
        case SignatureLines(labels=labels):
            return SignatureLines([printable(label) for label in labels])
    return block
