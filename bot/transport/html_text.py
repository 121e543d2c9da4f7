"""The small HTML subset of outgoing messages, and its plain-text form for clients without HTML."""

from __future__ import annotations

import re
from html import unescape

# Neither the address nor the label may run past the next tag or anchor, so an unclosed <a>
# costs one scan to there, not one to the end of the text (quadratic on long texts).
_LINK = re.compile(r'<a\s+href="([^"<>]*)"\s*>((?:[^<]|<(?!/?a[\s>]))*)</a>', re.IGNORECASE)
_TAG = re.compile(r"<[^<>]+>")  # a stray "<" ends no tag: no scan to the end of the text


def html_to_plain(html: str) -> str:
    """Strip tags, keeping each link's address after its text."""

    def link(match: re.Match[str]) -> str:
        url, label = match.group(1), match.group(2)
        return label if unescape(url) == unescape(label) else f"{label} ({url})"

    return unescape(_TAG.sub("", _LINK.sub(link, html)))


def split_html(html: str, limit: int) -> list[str]:
    """Split at line breaks into chunks of at most ``limit`` characters (tags never span lines)."""
    chunks: list[str] = []
    current = ""
    for line in html.split("\n"):
        while len(line) > limit:  # a single overlong line: hard split
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current or not chunks:
        chunks.append(current)
    return chunks
