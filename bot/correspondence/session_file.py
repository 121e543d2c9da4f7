"""A correspondence session described in a TOML file, for ``sejabot session create FILE``.

See config/examples/dopisna-seja.toml. The file names the body by its short name, the title,
the deadline (as the clerk writes it, "18. 11. 2026 ob 12.00", or a TOML date-time), the
proposed resolutions with their categories, and the materials as paths relative to the file.
Reading it collects every mistake at once, each naming the key and the fix; the session's
rules (forbidden categories, deadline in the future) are checked afterwards against the body's
rule set by ``correspondence_create.review_draft``.
"""

from __future__ import annotations

import mimetypes
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.correspondence.create import MaterialDraft, MotionDraft
from bot.domain.correspondence_check import CATEGORY_LABELS
from bot.domain.models import MotionCategory
from bot.domain.syntax_wording import not_toml
from bot.i18n import N_, Translator
from bot.timeutil import LJUBLJANA, TimeInputError, parse_local_datetime

TOP_KEYS = frozenset({"body", "title", "number", "deadline", "materials", "motions"})
MOTION_KEYS = frozenset({"title", "resolution", "category", "materials"})


@dataclass(frozen=True, slots=True)
class FileProblem:
    key: str  # dotted, e.g. "motions[2].category"
    message: str  # an English message id with {named} placeholders
    params: dict[str, object] = field(default_factory=dict)
    lists_categories: bool = False  # the message has {categories}: every category, explained

    def text(self, _: Translator) -> str:
        params = dict(self.params)
        if self.lists_categories:
            params["categories"] = ", ".join(
                f"{category.value} ({_(CATEGORY_LABELS[category])})" for category in MotionCategory
            )
        where = self.key or _("the file")
        return _("{key}: {problem}", key=where, problem=_(self.message, **params))


@dataclass(frozen=True, slots=True)
class SessionFile:
    body_slug: str
    title: str
    number: str
    deadline: datetime | None
    motions: tuple[MotionDraft, ...]
    materials: tuple[MaterialDraft, ...]


@dataclass(frozen=True, slots=True)
class ReadResult:
    session: SessionFile | None
    problems: tuple[FileProblem, ...]


def read_session_file(path: Path, now: datetime, zone: ZoneInfo = LJUBLJANA) -> ReadResult:
    """Read and check ``path``; materials are read from files next to it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))  # Notepad writes a BOM
    except OSError as error:
        return _failed("", N_("The file cannot be read ({detail})."),
                       detail=error.strerror or str(error))  # fmt: skip
    except UnicodeDecodeError:
        return _failed("", N_("The file is not UTF-8 text; save it as UTF-8."))
    except tomllib.TOMLDecodeError as error:
        message, params = not_toml(error)
        return _failed("", message, **params)
    except ValueError:  # tomllib refuses integers of thousands of digits with a plain ValueError
        return _failed("", N_("The file is not valid TOML: a number has too many digits."))
    return parse_session_mapping(data, path.parent, now, zone)


def _failed(key: str, message: str, **params: object) -> ReadResult:
    return ReadResult(None, (FileProblem(key, message, params),))


def parse_session_mapping(
    data: dict[str, Any], base_dir: Path, now: datetime, zone: ZoneInfo = LJUBLJANA
) -> ReadResult:
    problems: list[FileProblem] = []
    for key in sorted(set(data) - TOP_KEYS):
        problems.append(FileProblem(key, N_("Unknown key; the keys are: {keys}."),
                                    {"keys": ", ".join(sorted(TOP_KEYS))}))  # fmt: skip
    body = _text(data, "body", problems, required=True)
    title = _text(data, "title", problems, required=True)
    number = _text(data, "number", problems)
    deadline = _deadline(data.get("deadline"), problems, now, zone)
    materials = list(_materials(data.get("materials", []), "materials", None, base_dir, problems))
    motions: list[MotionDraft] = []
    raw_motions = data.get("motions")
    if not isinstance(raw_motions, list) or not raw_motions:
        problems.append(FileProblem("motions", N_(
            "Add at least one proposed resolution as a table [[motions]] with title, "
            "resolution and category.")))  # fmt: skip
        raw_motions = []
    for index, raw in enumerate(raw_motions, start=1):
        key = f"motions[{index}]"
        if not isinstance(raw, dict):
            problems.append(FileProblem(key, N_("Write each resolution as a table [[motions]].")))
            continue
        for unknown in sorted(set(raw) - MOTION_KEYS):
            problems.append(FileProblem(f"{key}.{unknown}", N_("Unknown key; the keys are: {keys}."),
                                        {"keys": ", ".join(sorted(MOTION_KEYS))}))  # fmt: skip
        motion_title = _text(raw, "title", problems, required=True, prefix=key)
        resolution = _text(raw, "resolution", problems, required=True, prefix=key)
        category = _category(raw.get("category", MotionCategory.GENERAL.value), key, problems)
        motions.append(MotionDraft(motion_title, resolution, category))
        materials.extend(_materials(raw.get("materials", []), f"{key}.materials", index,
                                    base_dir, problems))  # fmt: skip
    if problems:
        return ReadResult(None, tuple(problems))
    return ReadResult(
        SessionFile(body, title, number, deadline, tuple(motions), tuple(materials)), ()
    )


def _text(
    data: dict[str, Any], key: str, problems: list[FileProblem], *, required: bool = False,
    prefix: str = "",
) -> str:  # fmt: skip
    where = f"{prefix}.{key}" if prefix else key
    value = data.get(key)
    if value is None:
        if required:
            problems.append(FileProblem(where, N_("This key is required.")))
        return ""
    if not isinstance(value, str):
        problems.append(FileProblem(where, N_("Write this as text in quotation marks.")))
        return ""
    if required and not value.strip():
        problems.append(FileProblem(where, N_("This key must not be empty.")))
    return value.strip()


def _deadline(
    value: object, problems: list[FileProblem], now: datetime, zone: ZoneInfo
) -> datetime | None:
    if value is None:
        problems.append(FileProblem("deadline", N_(
            "This key is required: the date and hour until which the session runs, e.g. "
            "deadline = \"18. 11. 2026 ob 12.00\".")))  # fmt: skip
        return None
    if isinstance(value, datetime):
        # Read like typed text: a local date-time as Ljubljana time (DST-checked), an offset
        # honoured, a year out of range refused with the usual message.
        value = value.isoformat()
    elif isinstance(value, date):
        problems.append(FileProblem("deadline", N_(
            "A date alone is not enough: add the hour, e.g. \"18. 11. 2026 ob 12.00\".")))  # fmt: skip
        return None
    if not isinstance(value, str):
        problems.append(FileProblem("deadline", N_("Write this as text in quotation marks.")))
        return None
    try:
        return parse_local_datetime(value, now=now, zone=zone)
    except TimeInputError as error:
        problems.append(FileProblem("deadline", error.message, error.params))
        return None


def _category(value: object, key: str, problems: list[FileProblem]) -> MotionCategory:
    try:
        return MotionCategory(str(value).strip())
    except ValueError:
        problems.append(FileProblem(f"{key}.category", N_(
            "'{value}' is not a category; use one of: {categories}."),
            {"value": value}, lists_categories=True))  # fmt: skip
        return MotionCategory.GENERAL


def _materials(
    value: object, key: str, position: int | None, base_dir: Path, problems: list[FileProblem]
) -> list[MaterialDraft]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        problems.append(FileProblem(key, N_(
            "Write the materials as a list of file paths, e.g. materials = [\"gradivo.pdf\"].")))  # fmt: skip
        return []
    found = []
    for item in value:
        path = (base_dir / item).expanduser()
        try:
            content = path.read_bytes()
        except (OSError, ValueError) as error:  # ValueError: a NUL in the name
            detail = getattr(error, "strerror", None) or str(error)
            problems.append(FileProblem(key, N_("The file {path} cannot be read ({detail})."),
                                        {"path": repr(str(path))[1:-1], "detail": detail}))  # fmt: skip
            continue
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        found.append(MaterialDraft(path.name, media_type, content, position))
    return found
