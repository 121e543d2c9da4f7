"""Reading a session's convening from a TOML file (example: config/examples/redna-seja.toml).

Every mistake is reported with the key it concerns ("item 3, majority: ...") and all of them at
once, in the reader's language, so a clerk fixes the file in one go. Materials are files named
relative to the TOML file's folder; a file sent in the chat cannot name files, so there its
materials are sent as files after it.
"""

from __future__ import annotations

import mimetypes
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.domain.models import MotionCategory, SessionKind, SessionMode, VoteKind
from bot.domain.syntax_wording import toml_detail
from bot.i18n import N_
from bot.live.convening import (
    DEFAULT_REMINDERS,
    AgendaEntry,
    CandidateSpec,
    ElectionSpec,
    MaterialSpec,
    MotionSpec,
    Problem,
)
from bot.timeutil import TimeInputError, parse_duration, parse_local_datetime

KIND_WORDS: Mapping[str, SessionKind] = {
    "regular": SessionKind.REGULAR,
    "redna": SessionKind.REGULAR,
    "extraordinary": SessionKind.EXTRAORDINARY,
    "izredna": SessionKind.EXTRAORDINARY,
}
MODE_WORDS: Mapping[str, SessionMode] = {
    "remote": SessionMode.REMOTE,
    "na daljavo": SessionMode.REMOTE,
    "hybrid": SessionMode.HYBRID,
    "hibridna": SessionMode.HYBRID,
}
VOTE_WORDS: Mapping[str, VoteKind] = {
    "public": VoteKind.PUBLIC,
    "javno": VoteKind.PUBLIC,
    "roll_call": VoteKind.ROLL_CALL,
    "poimensko": VoteKind.ROLL_CALL,
    "secret": VoteKind.SECRET,
    "tajno": VoteKind.SECRET,
}
TOP_KEYS = frozenset(
    {
        "body",
        "kind",
        "mode",
        "title",
        "number",
        "starts",
        "ends",
        "hall",
        "video_link",
        "urgent",
        "urgency_reason",
        "reminders",
        "materials",
        "item",
    }
)
MOTION_KEYS = frozenset({"title", "resolution", "majority", "vote", "category", "materials"})
ELECTION_KEYS = frozenset({"title", "posts", "candidates"})


@dataclass
class ParsedConvening:
    """The file's content; ``problems`` lists everything wrong with it."""

    body: str = ""
    kind: SessionKind = SessionKind.REGULAR
    mode: SessionMode = SessionMode.REMOTE
    title: str = ""
    number: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    location: str = ""
    video_link: str = ""
    urgent: bool = False
    urgency_reason: str = ""
    reminders: tuple[timedelta, ...] = DEFAULT_REMINDERS
    agenda: list[AgendaEntry] = field(default_factory=list)
    materials: list[MaterialSpec] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


Key = str | Problem  # a TOML key, or "item 3, key title" as a message to translate


def _problem(key: Key, message: str, **params: object) -> Problem:
    return Problem(N_("{key}: {problem}"), {"key": key, "problem": Problem(message, params)})


class _Reader:
    def __init__(self, parsed: ParsedConvening, base_dir: Path | None, now: datetime) -> None:
        self.parsed = parsed
        self.base_dir = base_dir
        self.now = now

    def add(self, key: Key, message: str, **params: object) -> None:
        self.parsed.problems.append(_problem(key, message, **params))

    def text(self, table: Mapping[str, Any], name: str, key: Key, *, required: bool) -> str:
        value = table.get(name)
        if value is None:
            if required:
                self.add(key, N_("the key is missing."))
            return ""
        if not isinstance(value, str):
            self.add(key, N_("write it as text in quotes."))
            return ""
        if required and not value.strip():
            self.add(key, N_("it must not be empty."))
        return value.strip()

    def word(
        self, table: Mapping[str, Any], name: str, key: Key, words: Mapping[str, Any], default: Any
    ) -> Any:
        value = table.get(name)
        if value is None:
            return default
        found = words.get(str(value).strip().casefold()) if isinstance(value, str) else None
        if found is None:
            self.add(
                key,
                N_('"{value}" is not one of: {choices}.'),
                value=value,
                choices=", ".join(words),
            )
            return default
        return found

    def moment(
        self, table: Mapping[str, Any], name: str, key: Key, *, required: bool
    ) -> datetime | None:
        value = table.get(name)
        if value is None:
            if required:
                self.add(key, N_('the key is missing; write it like "10. 12. 2026 ob 17.00".'))
            return None
        if isinstance(value, datetime):
            # A TOML date-time without an offset is local time, as everything a clerk writes;
            # read it like typed text so the spring-forward gap is refused, not shifted.
            value = value.isoformat()
        if not isinstance(value, str):
            self.add(key, N_('write the date and hour in quotes, like "10. 12. 2026 ob 17.00".'))
            return None
        try:
            return parse_local_datetime(value, self.now)
        except TimeInputError as error:
            self.parsed.problems.append(_problem(key, error.message, **error.params))
            return None

    def materials(self, table: Mapping[str, Any], key: Key) -> list[MaterialSpec]:
        names = table.get("materials", [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            self.add(key, N_('write a list of file names, like ["gradivo/predlog.pdf"].'))
            return []
        if names and self.base_dir is None:
            self.add(
                key,
                N_(
                    "a file sent in the chat cannot name other files; send the materials as files after it."
                ),
            )
            return []
        found: list[MaterialSpec] = []
        for name in names:
            assert self.base_dir is not None
            path = (self.base_dir / name).expanduser()
            try:
                content = path.read_bytes()
            except (OSError, ValueError) as error:  # ValueError: a NUL in the name
                self.add(
                    key,
                    N_("the file {path} cannot be read ({reason})."),
                    path=repr(str(path))[1:-1],
                    reason=getattr(error, "strerror", None) or str(error),
                )
                continue
            if not content:
                self.add(key, N_("the file {path} is empty."), path=str(path))
                continue
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            found.append(MaterialSpec(path.name, media_type, content))
        return found

    def unknown_keys(
        self, table: Mapping[str, Any], allowed: frozenset[str], number: int | None
    ) -> None:
        for name in table:
            if name not in allowed:
                self.add(
                    name if number is None else item_key(number, name),
                    N_("unknown key; allowed here: {allowed}."),
                    allowed=", ".join(sorted(allowed)),
                )


def parse_candidate(text: object) -> CandidateSpec | None:
    """ "Novak, Ana" (surname first, with a comma), "Ana Novak" (the last word is the surname),
    or a table {name = "Ana", surname = "Novak"}."""
    if isinstance(text, dict):
        name, surname = text.get("name", ""), text.get("surname", "")
        if isinstance(name, str) and isinstance(surname, str) and surname.strip():
            return CandidateSpec(name.strip(), surname.strip())
        return None
    if not isinstance(text, str) or not text.strip():
        return None
    if "," in text:
        surname, _, name = text.partition(",")
        return CandidateSpec(name.strip(), surname.strip()) if surname.strip() else None
    words = text.split()
    return CandidateSpec(" ".join(words[:-1]), words[-1])


def parse_convening(text: str, base_dir: Path | None, now: datetime) -> ParsedConvening:
    """Reads the TOML text; ``base_dir`` is the folder material file names are relative to
    (None for a file sent in the chat, which may not name other files)."""
    parsed = ParsedConvening()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = toml_detail(error)
        if found.line is None:
            problem = Problem(
                N_("The file is not valid TOML: {error}"), {"error": found.explanation}
            )
        else:
            problem = Problem(N_("The file is not valid TOML (line {line}, column {column}: {detail})."),
                              {"line": found.line, "column": found.column, "detail": found.explanation})  # fmt: skip
        parsed.problems.append(problem)
        return parsed
    except ValueError:  # tomllib refuses integers of thousands of digits with a plain ValueError
        parsed.problems.append(
            Problem(N_("The file is not valid TOML: a number has too many digits."), {})
        )
        return parsed
    reader = _Reader(parsed, base_dir, now)
    reader.unknown_keys(data, TOP_KEYS, None)
    parsed.body = reader.text(data, "body", "body", required=True)
    parsed.kind = reader.word(data, "kind", "kind", KIND_WORDS, SessionKind.REGULAR)
    parsed.mode = reader.word(data, "mode", "mode", MODE_WORDS, SessionMode.REMOTE)
    parsed.title = reader.text(data, "title", "title", required=True)
    parsed.number = reader.text(data, "number", "number", required=False)
    parsed.starts_at = reader.moment(data, "starts", "starts", required=True)
    parsed.ends_at = reader.moment(data, "ends", "ends", required=False)
    parsed.location = reader.text(data, "hall", "hall", required=False)
    parsed.video_link = reader.text(data, "video_link", "video_link", required=False)
    urgent = data.get("urgent", False)
    if not isinstance(urgent, bool):
        reader.add("urgent", N_("write true or false."))
        urgent = False
    parsed.urgent = urgent
    parsed.urgency_reason = reader.text(data, "urgency_reason", "urgency_reason", required=False)
    parsed.reminders = _reminders(reader, data)
    parsed.materials = reader.materials(data, "materials")
    items = data.get("item", [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        reader.add("item", N_("write each agenda item as an [[item]] table."))
        return parsed
    for number, item in enumerate(items, start=1):
        entry = _item(reader, item, number)
        if entry is not None:
            parsed.agenda.append(entry)
    return parsed


def _reminders(reader: _Reader, data: Mapping[str, Any]) -> tuple[timedelta, ...]:
    values = data.get("reminders")
    if values is None:
        return DEFAULT_REMINDERS
    if not isinstance(values, list):
        reader.add("reminders", N_('write a list of durations, like ["72h", "24h"].'))
        return DEFAULT_REMINDERS
    found: list[timedelta] = []
    for value in values:
        try:
            found.append(parse_duration(value))
        except TimeInputError as error:
            reader.parsed.problems.append(_problem("reminders", error.message, **error.params))
    return tuple(sorted(set(found), reverse=True))


def _item(reader: _Reader, item: Mapping[str, Any], number: int) -> AgendaEntry | None:
    if "candidates" in item or "posts" in item:
        reader.unknown_keys(item, ELECTION_KEYS, number)
        title = reader.text(item, "title", item_key(number, "title"), required=True)
        posts = item.get("posts", 1)
        if not isinstance(posts, int) or isinstance(posts, bool) or posts < 1:
            reader.add(item_key(number, "posts"), N_("write a whole number of at least 1."))
            posts = 1
        raw = item.get("candidates", [])
        if not isinstance(raw, list):
            reader.add(
                item_key(number, "candidates"),
                N_('write a list of candidates, like ["Novak, Ana"].'),
            )
            raw = []
        candidates = []
        for index, value in enumerate(raw, start=1):
            candidate = parse_candidate(value)
            if candidate is None:
                reader.add(
                    item_key(number, "candidates"),
                    N_('candidate {index} needs a surname, like "Novak, Ana".'),
                    index=index,
                )
            else:
                candidates.append(candidate)
        return ElectionSpec(title, posts, tuple(candidates))
    reader.unknown_keys(item, MOTION_KEYS, number)
    title = reader.text(item, "title", item_key(number, "title"), required=True)
    resolution = reader.text(item, "resolution", item_key(number, "resolution"), required=False)
    majority = reader.text(item, "majority", item_key(number, "majority"), required=False)
    vote_kind = reader.word(item, "vote", item_key(number, "vote"), VOTE_WORDS, VoteKind.PUBLIC)
    categories = {category.value: category for category in MotionCategory}
    category = reader.word(
        item, "category", item_key(number, "category"), categories, MotionCategory.GENERAL
    )
    materials = reader.materials(item, item_key(number, "materials"))
    return MotionSpec(title, resolution, majority, vote_kind, category, tuple(materials))


def item_key(number: int, name: str) -> Problem:
    return Problem(N_("item {number}, key {key}"), {"number": number, "key": name})
