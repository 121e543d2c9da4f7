"""A small document model that every report is built from, independent of the output format.

Features build a ``Document`` out of blocks (headings, paragraphs, tables, images, ...) and hand it
to ``bot.reports.render``; the same document becomes DOCX, PDF, Markdown or HTML. All text is
plain text: renderers escape it for their format, so user input can never inject markup.
Everything here is pure data; the constructors only check what would otherwise fail later,
far from the mistake (a table row with the wrong number of cells, a heading level of 4).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.i18n import normalise_language

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, slots=True)
class Heading:
    text: str
    level: int = 1

    def __post_init__(self) -> None:
        if self.level not in (1, 2, 3):
            raise ValueError(f"heading level must be 1, 2 or 3, not {self.level!r}")


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str  # may contain line breaks ("\n"), kept as such
    bold: bool = False
    italic: bool = False


@dataclass(frozen=True, slots=True)
class BulletList:
    items: list[str]


@dataclass(frozen=True, slots=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    caption: str = ""
    # Relative widths, one per column (e.g. [1, 3, 1]); None fits the widths to the content.
    column_widths: list[float] | None = None

    def __post_init__(self) -> None:
        if not self.headers:
            raise ValueError("a table needs at least one column")
        width = len(self.headers)
        for index, row in enumerate(self.rows):
            if len(row) != width:
                raise ValueError(f"table row {index} has {len(row)} cells, expected {width}")
        if self.column_widths is not None:
            if len(self.column_widths) != width:
                raise ValueError(f"{len(self.column_widths)} column widths for {width} columns")
            if any(not weight > 0 for weight in self.column_widths):
                raise ValueError("column widths must be positive")


@dataclass(frozen=True, slots=True)
class KeyValues:
    """Label: value lines, e.g. the date, place and chair of a session."""

    pairs: list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Image:
    png: bytes = field(repr=False)
    caption: str = ""
    width_cm: float = 15.0  # renderers shrink it to the text width if it is wider

    def __post_init__(self) -> None:
        if not self.png.startswith(PNG_SIGNATURE):
            raise ValueError("an image must be PNG data")
        if not self.width_cm > 0:
            raise ValueError("an image width must be positive")


@dataclass(frozen=True, slots=True)
class PageBreak:
    pass


@dataclass(frozen=True, slots=True)
class SignatureLines:
    """Blank lines to sign, each with its label under it (e.g. "Zapisnikar", "Predsedujoči")."""

    labels: list[str]


Block = Heading | Paragraph | BulletList | Table | KeyValues | Image | PageBreak | SignatureLines


@dataclass(slots=True)
class Document:
    """A report: a title, optional subtitle, blocks in reading order, and a footer line.

    Text is passed in already translated; ``language`` ("sl" or "en") selects only the
    renderers' own words (such as "Stran 1 od 3") and the files' language metadata. Not frozen, so a feature can append blocks as it goes.
    """

    title: str
    subtitle: str = ""
    blocks: list[Block] = field(default_factory=list)
    footer: str = ""
    language: str = "sl"

    def add(self, *blocks: Block) -> Document:
        """Append blocks; returns the document so calls can be chained."""
        self.blocks.extend(blocks)
        return self


# Language tags for the files' metadata (Word's proofing language, PDF /Lang, HTML lang).
LANGUAGE_TAGS = {"sl": "sl-SI", "en": "en-GB"}


def language_tag(language: str) -> str:
    return LANGUAGE_TAGS[normalise_language(language)]
