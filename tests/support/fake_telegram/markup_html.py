"""``parse_mode=HTML``: the tag subset the Bot API accepts, and its refusals.

A bot that puts an unescaped ``<`` from a person's name into an HTML message gets
"can't parse entities" from the platform; this parser refuses the same texts so tests see it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, bad_request
from .text import utf16_len

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_SUPPORTED_TAGS = frozenset(_SIMPLE_TAGS) | {"span", "a", "blockquote", "tg-emoji"}
_ATTRIBUTE = re.compile(r"\s*([a-zA-Z-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")
_CHARACTER_REFERENCE = re.compile(r"&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|lt|gt|amp|quot);")


def _parse_error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


@dataclass
class _OpenTag:
    name: str
    entity: dict[str, Any] | None
    start: int
    language_for_parent: bool = False


class _HtmlReader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.pieces: list[str] = []
        self.position16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode("utf-8"))

    def emit(self, text: str) -> None:
        self.pieces.append(text)
        self.position16 += utf16_len(text)

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        source, index = self.source, 0
        while index < len(source):
            char = source[index]
            if char == "<":
                index = self.read_tag(index)
            elif char == "&" and (match := _CHARACTER_REFERENCE.match(source, index)):
                self.emit(html.unescape(match.group()))
                index = match.end()
            else:
                self.emit(char)
                index += 1
        if self.stack:
            raise _parse_error(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        self.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return "".join(self.pieces), self.entities

    def read_tag(self, index: int) -> int:
        """Read ``<name attr="v">`` or ``</name>`` at ``index``; returns the index after it."""
        source = self.source
        closing = source.startswith("/", index + 1)
        name_end = name_start = index + (2 if closing else 1)
        while name_end < len(source) and not source[name_end].isspace() and source[name_end] != ">":
            name_end += 1
        name = source[name_start:name_end].lower()
        offset = self.byte_offset(index)
        if closing:
            close = name_end
            while close < len(source) and source[close].isspace():
                close += 1
            if close >= len(source) or source[close] != ">":
                raise _parse_error(f"Unclosed end tag at byte offset {offset}")
            self.close_tag(name, offset)
            return close + 1
        if name_end >= len(source):
            raise _parse_error(f"Unclosed start tag at byte offset {offset}")
        if name not in _SUPPORTED_TAGS:
            raise _parse_error(f'Unsupported start tag "{name}" at byte offset {offset}')
        close = _tag_end(source, name_end)
        if close == -1:
            raise _parse_error(f"Unclosed start tag at byte offset {offset}")
        self.open_tag(name, _attributes(source[name_end:close]), offset)
        return close + 1

    def open_tag(self, name: str, attributes: dict[str, str], offset: int) -> None:
        entity: dict[str, Any] | None
        language_for_parent = False
        if name in _SIMPLE_TAGS:
            entity = {"type": _SIMPLE_TAGS[name]}
            language = attributes.get("class", "")
            inside_pre = bool(self.stack) and self.stack[-1].name == "pre"
            if name == "code" and inside_pre and language.startswith("language-"):
                # <pre><code class="language-x"> gives the pre block its language.
                language_for_parent = True
                parent_entity = self.stack[-1].entity
                if parent_entity is not None:
                    parent_entity["language"] = language.removeprefix("language-")
        elif name == "span":
            if attributes.get("class") != "tg-spoiler":
                raise _parse_error(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {offset}'
                )
            entity = {"type": "spoiler"}
        elif name == "a":
            href = attributes.get("href")
            entity = {"type": "text_link", "url": href} if href else None
        elif name == "blockquote":
            expandable = "expandable" in attributes
            entity = {"type": "expandable_blockquote" if expandable else "blockquote"}
        else:  # tg-emoji
            emoji_id = attributes.get("emoji-id")
            if not emoji_id:
                raise _parse_error(
                    f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {offset}'
                )
            entity = {"type": "custom_emoji", "custom_emoji_id": emoji_id}
        self.stack.append(
            _OpenTag(name, entity, self.position16, language_for_parent=language_for_parent)
        )

    def close_tag(self, name: str, offset: int) -> None:
        if not self.stack:
            raise _parse_error(f"Unexpected end tag at byte offset {offset}")
        top = self.stack.pop()
        if name != top.name:
            raise _parse_error(
                f'Unmatched end tag at byte offset {offset}, expected "</{top.name}>", '
                f'found "</{name}>"'
            )
        length = self.position16 - top.start
        if top.entity is None or top.language_for_parent or length == 0:
            return
        self.entities.append({**top.entity, "offset": top.start, "length": length})


def _tag_end(source: str, index: int) -> int:
    """Index of the ``>`` closing a start tag, skipping over quoted attribute values."""
    quote = ""
    while index < len(source):
        char = source[index]
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == ">":
            return index
        index += 1
    return -1


def _attributes(text: str) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text.rstrip("/")):
        value = match.group(2) or ""
        if value[:1] in {'"', "'"}:
            value = value[1:-1]
        attributes[match.group(1).lower()] = html.unescape(value)
    return attributes


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities of an HTML-formatted message, or the platform's ApiError."""
    return _HtmlReader(source).run()
