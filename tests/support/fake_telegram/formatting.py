"""Turns a send call's ``text``/``parse_mode``/``entities`` into what the recipient sees."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import bad_request
from .markup_html import parse_html
from .markup_markdown import parse_markdown, parse_markdown_v2
from .text import strip_text, utf16_len

_PARSERS: dict[str, Callable[[str], tuple[str, list[dict[str, Any]]]]] = {
    "html": parse_html,
    "markdownv2": parse_markdown_v2,
    "markdown": parse_markdown,
}


def formatted_text(
    source: str, parse_mode: str | None, entities: Any
) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities; explicit ``entities`` win over ``parse_mode`` as on the platform."""
    if entities is not None:
        text, found = source, _checked_entities(source, entities)
    elif parse_mode:
        parser = _PARSERS.get(str(parse_mode).lower())
        if parser is None:
            raise bad_request(f'unsupported parse_mode "{parse_mode}"')
        text, found = parser(source)
    else:
        text, found = source, []
    return strip_text(text, found)


def _checked_entities(text: str, entities: Any) -> list[dict[str, Any]]:
    if not isinstance(entities, list) or not all(isinstance(item, dict) for item in entities):
        raise bad_request("can't parse entities JSON object")
    size = utf16_len(text)
    checked: list[dict[str, Any]] = []
    for entity in entities:
        offset, length = entity.get("offset"), entity.get("length")
        if not isinstance(offset, int) or not isinstance(length, int) or "type" not in entity:
            raise bad_request("can't parse entities JSON object")
        if offset < 0 or length <= 0 or offset + length > size:
            continue  # the platform silently drops entities outside the text
        checked.append(dict(entity))
    return sorted(checked, key=lambda entity: (entity["offset"], -entity["length"]))
