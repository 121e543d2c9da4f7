"""The small HTML subset of outgoing messages, its plain-text form for clients without HTML, and
splitting a long text into parts a platform accepts one by one.

A platform that limits a message's length (Telegram: 4,096 characters) parses every part on its
own, so a part must be valid HTML by itself: a cut never falls inside a tag or a character
reference, and a tag still open at a cut (a resolution in ``<i>`` that runs over many lines) is
closed at the end of the part and opened again at the start of the next.
"""

from __future__ import annotations

import re
from html import escape, unescape

# Neither the address nor the label may run past the next tag or anchor, so an unclosed <a>
# costs one scan to there, not one to the end of the text (quadratic on long texts).
_LINK = re.compile(r'<a\s+href="([^"<>]*)"\s*>((?:[^<]|<(?!/?a[\s>]))*)</a>', re.IGNORECASE)
_TAG = re.compile(r"<[^<>]+>")  # a stray "<" ends no tag: no scan to the end of the text
# One indivisible piece of the text: a tag, a character reference, or one character.
_ATOM = re.compile(r"<[^<>]+>|&(?:#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});|.", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z][a-zA-Z0-9-]*)")
# A short last paragraph (the status under an invitation or a ballot, where its buttons are) is
# kept apart in a message near the limit, so an edit of that paragraph touches that part only.
TAIL_ROOM = 512
MAX_DEPTH = 8


def html_to_plain(html: str) -> str:
    """Strip tags, keeping each link's address after its text."""

    def link(match: re.Match[str]) -> str:
        url, label = match.group(1), match.group(2)
        return label if unescape(url) == unescape(label) else f"{label} ({url})"

    return unescape(_TAG.sub("", _LINK.sub(link, html)))


def text_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class _Atoms:
    """The text cut into atoms, with the tags open after each atom (as their opening tags).
    ``too_deep``: more than ``MAX_DEPTH`` tags open at once, which no message of the bot has;
    such a text is split as plain text."""

    def __init__(self, html: str) -> None:
        self.atoms: list[str] = _ATOM.findall(html)
        self.sizes = [
            1 if len(atom) == 1 and atom < "\ud800" else text_length(atom) for atom in self.atoms
        ]
        self.open_after: list[tuple[str, ...]] = []
        self.too_deep = False
        stack: list[str] = []
        current: tuple[str, ...] = ()
        for atom in self.atoms:
            if atom[0] != "<" or len(atom) <= 2:
                self.open_after.append(current)
                continue
            match = _TAG_NAME.match(atom)
            if match is not None and not atom.endswith("/>"):
                name = match.group(1).lower()
                if atom.startswith("</"):
                    for depth in range(len(stack) - 1, -1, -1):  # tolerate a stray closer
                        if _name(stack[depth]) == name:
                            del stack[depth:]
                            break
                else:
                    stack.append(atom)
                    if len(stack) > MAX_DEPTH:
                        self.too_deep = True
                        return
            current = tuple(stack)
            self.open_after.append(current)

    def open_before(self, index: int) -> tuple[str, ...]:
        return self.open_after[index - 1] if index > 0 else ()


def _name(opening_tag: str) -> str:
    match = _TAG_NAME.match(opening_tag)
    return match.group(1).lower() if match else ""


def _closers(tags: tuple[str, ...]) -> str:
    return "".join(f"</{_name(tag)}>" for tag in reversed(tags))


def split_html(html: str, limit: int) -> list[str]:
    """Parts of at most ``limit`` characters (UTF-16 units), each valid HTML on its own.

    A part ends at the last paragraph break that fits, else the last line break, else after
    the last space, else between two characters (a break less than half the limit into the
    part is passed over for a lesser one further on); the line breaks at a cut are dropped.
    Tags open at the cut are closed at the end of the part and reopened in the next one."""
    if text_length(html) <= limit:
        return [html]
    cut = _Atoms(html)
    if cut.too_deep:
        cut = _Atoms(escape(html_to_plain(html), quote=False))
    atoms, count = cut.atoms, len(cut.atoms)
    totals = [0]
    for size in cut.sizes:
        totals.append(totals[-1] + size)
    parts: list[str] = []
    closing_sizes: dict[tuple[str, ...], int] = {}
    start = 0
    while start < count:
        while start < count and atoms[start] == "\n":
            start += 1  # a part never begins with the line breaks of the cut before it
        if start == count:
            break
        reopened = "".join(cut.open_before(start))
        budget = limit - text_length(reopened)
        best: dict[str, int] = {}
        position = start + 1
        while position <= count and totals[position] - totals[start] <= budget:
            tags = cut.open_before(position)
            closing = closing_sizes.get(tags)
            if closing is None:
                closing = closing_sizes[tags] = text_length(_closers(tags))
            if totals[position] - totals[start] + closing <= budget:
                best[_cut_kind(atoms, position)] = position
            position += 1
        if best.get("end"):
            stop = best["end"]
        else:
            half = start + 1 + (position - start) // 2
            stop = next(
                (
                    best[kind]
                    for kind in ("paragraph", "line", "space")
                    if best.get(kind, 0) >= half
                ),
                best.get("char")
                or best.get("space")
                or best.get("line")
                or best.get("paragraph")
                or start + 1,
            )
        part = reopened + "".join(atoms[start:stop]).rstrip("\n") + _closers(cut.open_before(stop))
        if text_length(part) > limit:  # only with a limit below a tag's length: cut anyhow
            parts.extend(part[i : i + limit] for i in range(0, len(part), limit))
        elif html_to_plain(part).strip():
            parts.append(part)
        start = stop
    return parts or [html[:limit]]


def _cut_kind(atoms: list[str], position: int) -> str:
    """What a cut before ``atoms[position]`` falls on."""
    if position == len(atoms):
        return "end"
    if atoms[position] == "\n":
        following = atoms[position + 1] if position + 1 < len(atoms) else ""
        return "paragraph" if following == "\n" else "line"
    return "space" if atoms[position - 1] == " " else "char"


def message_parts(html: str, limit: int, tail_room: int = TAIL_ROOM) -> list[str]:
    """The parts a message is sent in, chosen so that an edit of its last paragraph (the status
    line under an invitation or a ballot: "You confirmed receipt ...") finds the same parts
    before it: a message whose text before that paragraph leaves less than ``tail_room`` for
    it is sent with the paragraph as a part of its own. The choices go under the last part, and
    an edit replaces the last part only (see ``last_part``)."""
    atoms = _Atoms(html)
    if atoms.too_deep:
        return split_html(html, limit)
    paragraph = _last_paragraph(atoms)
    if paragraph is None:
        return split_html(html, limit)
    head = "".join(atoms.atoms[: paragraph - 2])
    tail = "".join(atoms.atoms[paragraph:])
    if text_length(tail) > tail_room:
        return split_html(html, limit)
    if text_length(head) + 2 + tail_room <= limit:
        return [html]
    return [*split_html(head, limit), tail]


def last_part(html: str, limit: int, tail_room: int = TAIL_ROOM) -> str:
    """What an edit puts into the last part of a message sent with ``message_parts``."""
    return message_parts(html, limit, tail_room)[-1]


def _last_paragraph(atoms: _Atoms) -> int | None:
    """Index of the first atom after the last paragraph break outside any tag, if any."""
    items = atoms.atoms
    for index in range(len(items) - 1, 0, -1):
        if (
            items[index] == "\n"
            and items[index - 1] == "\n"
            and not atoms.open_after[index]
            and index + 1 < len(items)
            and html_to_plain("".join(items[index + 1 :])).strip()
        ):
            return index + 1
    return None
