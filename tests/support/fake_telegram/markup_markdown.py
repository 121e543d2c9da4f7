"""``parse_mode=MarkdownV2`` and the legacy ``Markdown``, with the platform's refusals.

MarkdownV2 is strict: outside of entities every one of ``_*[]()~`>#+-=|{}.!`` must be escaped
with a backslash, or the whole message is refused. That refusal is the bug this module exists to
surface (a date "12.3." or a name with a hyphen sent unescaped).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import ApiError, bad_request
from .text import utf16_len

RESERVED_V2 = frozenset("_*[]()~`>#+-=|{}.!")
_V2_MARKERS = {
    "*": ("bold", "Bold"),
    "_": ("italic", "Italic"),
    "__": ("underline", "Underline"),
    "~": ("strikethrough", "Strikethrough"),
    "||": ("spoiler", "Spoiler"),
    "[": ("text_link", "TextUrl"),
}


def _parse_error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


@dataclass
class _Open:
    marker: str
    start16: int
    byte_offset: int


class _Output:
    """Plain text being built, with its length in UTF-16 units for entity offsets."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.position16 = 0
        self.entities: list[dict[str, Any]] = []

    def emit(self, text: str) -> None:
        self.pieces.append(text)
        self.position16 += utf16_len(text)

    def add_entity(self, entity_type: str, start16: int, **extra: Any) -> None:
        length = self.position16 - start16
        if length > 0:
            self.entities.append(
                {"type": entity_type, "offset": start16, "length": length, **extra}
            )

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        self.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return "".join(self.pieces), self.entities


def _reserved(char: str) -> ApiError:
    return _parse_error(
        f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
    )


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _escapable(source: str, index: int) -> bool:
    """Any character with code 1..126 may be escaped anywhere with a preceding backslash."""
    return index + 1 < len(source) and 0 < ord(source[index + 1]) < 127


def _read_until(source: str, index: int, terminator: str) -> tuple[str, int]:
    """Read escaped content up to an unescaped ``terminator``; returns (content, index after)."""
    content: list[str] = []
    while index < len(source):
        if source[index] == "\\" and _escapable(source, index):
            content.append(source[index + 1])
            index += 2
        elif source.startswith(terminator, index):
            return "".join(content), index + len(terminator)
        else:
            content.append(source[index])
            index += 1
    return "".join(content), -1


class _MarkdownV2Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.out = _Output()
        self.stack: list[_Open] = []
        self.quote_start: int | None = None

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        source, index = self.source, 0
        while index < len(source):
            index = self.step(index)
        self.close_quote()
        if self.stack:
            opened = self.stack[-1]
            name = _V2_MARKERS[opened.marker][1]
            raise _parse_error(
                f"Can't find end of {name} entity at byte offset {opened.byte_offset}"
            )
        return self.out.result()

    def step(self, index: int) -> int:
        source = self.source
        char = source[index]
        at_line_start = index == 0 or source[index - 1] == "\n"
        if char == "\\":
            if _escapable(source, index):
                self.out.emit(source[index + 1])
                return index + 2
            raise _reserved("\\")
        if char == "`":
            return self.read_code(index)
        if char == ">" and at_line_start:
            if self.quote_start is None:
                self.quote_start = self.out.position16
            return index + 1
        if char == "\n":
            if self.quote_start is not None and not source.startswith(">", index + 1):
                self.close_quote()
            self.out.emit(char)
            return index + 1
        for marker in ("__", "||", "*", "_", "~", "["):
            if source.startswith(marker, index):
                self.toggle(marker, index)
                return index + len(marker)
        if char == "]":
            return self.close_link(index)
        if char in RESERVED_V2:
            raise _reserved(char)
        self.out.emit(char)
        return index + 1

    def toggle(self, marker: str, index: int) -> None:
        if self.stack and self.stack[-1].marker == marker and marker != "[":
            opened = self.stack.pop()
            self.out.add_entity(_V2_MARKERS[marker][0], opened.start16)
            return
        if any(opened.marker == marker for opened in self.stack):
            opened = self.stack[-1]
            name = _V2_MARKERS[opened.marker][1]
            raise _parse_error(
                f"Can't find end of {name} entity at byte offset {opened.byte_offset}"
            )
        self.stack.append(_Open(marker, self.out.position16, _byte_offset(self.source, index)))

    def close_link(self, index: int) -> int:
        if (
            not self.stack
            or self.stack[-1].marker != "["
            or not self.source.startswith("](", index)
        ):
            raise _reserved("]")
        opened = self.stack.pop()
        url, after = _read_until(self.source, index + 2, ")")
        if after == -1:
            raise _parse_error(
                f"Can't find end of a URL at byte offset {_byte_offset(self.source, index + 2)}"
            )
        self.out.add_entity("text_link", opened.start16, url=url)
        return after

    def read_code(self, index: int) -> int:
        source = self.source
        if source.startswith("```", index):
            body, after = _read_until(source, index + 3, "```")
            kind, name = "pre", "Pre"
        else:
            body, after = _read_until(source, index + 1, "`")
            kind, name = "code", "Code"
        if after == -1:
            raise _parse_error(
                f"Can't find end of {name} entity at byte offset {_byte_offset(source, index)}"
            )
        extra: dict[str, Any] = {}
        if kind == "pre":
            first_line, newline, rest = body.partition("\n")
            if newline and first_line and not first_line.strip(" ").count(" "):
                extra["language"] = first_line.strip()
                body = rest
        start = self.out.position16
        self.out.emit(body)
        self.out.add_entity(kind, start, **extra)
        return after

    def close_quote(self) -> None:
        if self.quote_start is not None:
            self.out.add_entity("blockquote", self.quote_start)
            self.quote_start = None


def parse_markdown_v2(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities of a MarkdownV2 message, or the platform's ApiError."""
    return _MarkdownV2Reader(source).run()


_LEGACY_MARKERS = {"*": "bold", "_": "italic"}


def parse_markdown(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities of a legacy ``Markdown`` message (no nesting, few escapes)."""
    out = _Output()
    index = 0
    while index < len(source):
        char = source[index]
        if char == "\\" and index + 1 < len(source) and source[index + 1] in "_*`[":
            out.emit(source[index + 1])
            index += 2
            continue
        if char in _LEGACY_MARKERS or char == "`" or char == "[":
            index = _legacy_entity(source, index, out)
            continue
        out.emit(char)
        index += 1
    return out.result()


def _legacy_entity(source: str, index: int, out: _Output) -> int:
    char = source[index]
    start = out.position16
    if source.startswith("```", index):
        terminator, kind, content_start = "```", "pre", index + 3
    elif char == "[":
        terminator, kind, content_start = "]", "text_link", index + 1
    else:
        terminator, kind, content_start = char, _LEGACY_MARKERS.get(char, "code"), index + 1
    end = source.find(terminator, content_start)
    if end == -1:
        raise _parse_error(
            f"Can't find end of the entity starting at byte offset {_byte_offset(source, index)}"
        )
    out.emit(source[content_start:end])
    after = end + len(terminator)
    if kind == "text_link":
        if not source.startswith("(", after):
            return after
        url_end = source.find(")", after)
        if url_end == -1:
            raise _parse_error(
                f"Can't find end of a URL at byte offset {_byte_offset(source, after)}"
            )
        out.add_entity("text_link", start, url=source[after + 1 : url_end])
        return url_end + 1
    out.add_entity(kind, start)
    return after
