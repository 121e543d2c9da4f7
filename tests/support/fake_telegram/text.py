"""Message text as the platform stores it: UTF-16 entity offsets, trimmed, commands detected."""

from __future__ import annotations

import re
from typing import Any

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024

# A command starts the text or follows whitespace; "@botname" may follow, as in groups.
_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@/])")


def utf16_len(text: str) -> int:
    """Entity offsets and lengths count UTF-16 code units, not code points."""
    return len(text.encode("utf-16-le")) // 2


def strip_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim surrounding whitespace as the platform does, moving and clipping the entities."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    end = utf16_len(stripped)
    kept: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        stop = min(entity["offset"] + entity["length"] - shift, end)
        if stop > start:
            kept.append({**entity, "offset": start, "length": stop - start})
    return stripped, kept


def command_entities(text: str) -> list[dict[str, Any]]:
    """The ``bot_command`` entities Telegram attaches to a user's message."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for match in _COMMAND.finditer(text)
    ]


def entity_text(text: str, entity: dict[str, Any]) -> str:
    """The slice of ``text`` an entity covers (offsets are UTF-16)."""
    encoded = text.encode("utf-16-le")
    start = entity["offset"] * 2
    return encoded[start : start + entity["length"] * 2].decode("utf-16-le")
