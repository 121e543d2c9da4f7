"""Rule-set presets (config/rules/<name>.toml) read into :class:`bot.domain.rules.RuleSet`.

Presets are edited by hand by operators, so every problem is reported as a
:class:`RuleSetError` that names the file, the dotted key, what is wrong and how to fix it, in
the reader's language. Unknown keys are errors: a misspelt key would otherwise leave a default
silently in force. The rule set's name is its file name without ``.toml``, the name a body
refers to (``Body.rule_set``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any, Final, TypeVar

from bot.domain.models import MotionCategory, Platform
from bot.domain.rules import (
    CHAT_PLATFORMS,
    Basis,
    Comparison,
    CorrespondenceAdoption,
    CorrespondenceRules,
    ElectionRules,
    LiveRules,
    RuleSet,
    Threshold,
)
from bot.domain.syntax_wording import not_toml
from bot.i18n import DEFAULT_LANGUAGE, N_, Translator

E = TypeVar("E", bound=StrEnum)

# The shipped presets: the package directory config/rules.
PRESET_DIR: Final[Path] = Path(str(resources.files("config.rules")))
DEFAULT_RULE_SET: Final[str] = "gornji-grad-2016"

_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
_FRACTION = re.compile(r"\s*(\d{1,9})\s*(?:/\s*(\d{1,9})\s*)?")  # 1/2, 2/3, 1/1
_SINGLE_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Message:
    """A text still to be translated: an English message id and its named parameters."""

    msgid: str
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self, translate: Translator) -> str:
        values = {
            name: value.render(translate) if isinstance(value, Message) else value
            for name, value in self.params.items()
        }
        return translate(self.msgid, **values)


def _msg(msgid: str, **params: object) -> Message:
    return Message(msgid, params)


class RuleSetError(ValueError):
    """A preset that cannot be used, with what a person needs to repair it.

    ``file`` and ``key`` locate the problem (``key`` is dotted, "" for the file as a whole);
    ``problem`` and ``fix`` are texts in ``language``; ``problem_message`` and ``fix_message``
    keep them untranslated so the error can be shown in another language with :meth:`translated`.
    """

    def __init__(
        self,
        file: str,
        key: str,
        problem: Message,
        fix: Message,
        language: str = DEFAULT_LANGUAGE,
    ) -> None:
        self.file = file
        self.key = key
        self.problem_message = problem
        self.fix_message = fix
        self.language = language
        super().__init__(self.translated(language))

    @property
    def problem(self) -> str:
        return self.problem_message.render(Translator(self.language))

    @property
    def fix(self) -> str:
        return self.fix_message.render(Translator(self.language))

    def translated(self, language: str) -> str:
        translate = Translator(language)
        problem = self.problem_message.render(translate)
        fix = self.fix_message.render(translate)
        if self.key:
            return translate(
                "{file}: key '{key}': {problem} Fix: {fix}",
                file=self.file,
                key=self.key,
                problem=problem,
                fix=fix,
            )
        return translate("{file}: {problem} Fix: {fix}", file=self.file, problem=problem, fix=fix)


# --- reading helpers -----------------------------------------------------------------------


_MISSING: Final = object()

_TEXT = N_("text in quotes")
_WHOLE_NUMBER = N_("a whole number")
_TRUE_OR_FALSE = N_("true or false")
_TABLE = N_("a table")
_LIST = N_("a list")


def _show(value: object) -> object:
    """A value as it would appear in the TOML file, or a translatable word for a container."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"' if len(value) <= 78 else f'"{value[:77]}…"'  # not a pasted page
    if isinstance(value, Mapping):
        return Message(_TABLE)
    if isinstance(value, list):
        return Message(_LIST)
    return str(value)


@dataclass(frozen=True, slots=True)
class _Context:
    file: str
    language: str

    def error(self, key: str, problem: Message, fix: Message) -> RuleSetError:
        return RuleSetError(self.file, key, problem, fix, self.language)


class _Table:
    """One TOML table being read; rejects keys it does not know as soon as it is opened."""

    def __init__(
        self, data: Mapping[str, Any], path: str, context: _Context, allowed: Sequence[str] | None
    ) -> None:
        self.data = data
        self.path = path
        self.context = context
        if allowed is not None:
            for key in data:
                if key not in allowed:
                    raise context.error(
                        self.key(key),
                        _msg(N_("Unknown key.")),
                        _msg(
                            N_("correct the spelling or remove it; allowed here: {allowed}."),
                            allowed=", ".join(allowed),
                        ),
                    )

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def error(self, name: str, problem: Message, fix: Message) -> RuleSetError:
        return self.context.error(self.key(name), problem, fix)

    def value(self, name: str, default: object, example: str) -> object:
        if name in self.data:
            return self.data[name]
        if default is _MISSING:
            raise self.error(
                name,
                _msg(N_("The key is missing.")),
                _msg(N_("add it, for example: {example}"), example=example),
            )
        return default

    def wrong_type(self, name: str, expected: str, value: object, example: str) -> RuleSetError:
        return self.error(
            name,
            _msg(
                N_("Expected {expected}, found {found}."),
                expected=Message(expected),
                found=_show(value),
            ),
            _msg(N_("write it as in this example: {example}"), example=example),
        )

    def text(self, name: str, example: str, default: object = _MISSING) -> str:
        value = self.value(name, default, example)
        if not isinstance(value, str):
            raise self.wrong_type(name, _TEXT, value, example)
        return value

    def boolean(self, name: str, default: bool) -> bool:
        example = f"{name} = {'true' if default else 'false'}"
        value = self.value(name, default, example)
        if not isinstance(value, bool):
            raise self.wrong_type(name, _TRUE_OR_FALSE, value, example)
        return value

    def integer(self, name: str, default: int, minimum: int) -> int:
        example = f"{name} = {default}"
        value = self.value(name, default, example)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.wrong_type(name, _WHOLE_NUMBER, value, example)
        if value < minimum:
            raise self.error(
                name,
                _msg(N_("{value} is less than {minimum}."), value=value, minimum=minimum),
                _msg(N_("use a whole number of at least {minimum}."), minimum=minimum),
            )
        return value

    def choice(self, name: str, kind: type[E], example: str, default: object = _MISSING) -> E:
        value = self.value(name, default, example)
        if not isinstance(value, str):
            raise self.wrong_type(name, _TEXT, value, example)
        return _member(kind, value, self, name)

    def table(self, name: str, allowed: Sequence[str] | None) -> _Table:
        """A required sub-table; ``allowed`` None accepts any key (e.g. names of majorities)."""
        found = self.optional_table(name, allowed, required=True)
        assert found is not None  # a required table is present or has raised
        return found

    def optional_table(
        self, name: str, allowed: Sequence[str] | None, required: bool = False
    ) -> _Table | None:
        example = f"[{self.key(name)}]"
        value = self.value(name, _MISSING if required else None, example)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self.wrong_type(name, _TABLE, value, example)
        return _Table(value, self.key(name), self.context, allowed)

    def text_list(self, name: str, example: str, default: Sequence[str] = ()) -> list[str]:
        value = self.value(name, list(default), example)
        if not isinstance(value, list):
            raise self.wrong_type(name, _LIST, value, example)
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise self.wrong_type(f"{name}[{index}]", _TEXT, item, example)
        return value


def _member(kind: type[E], value: str, table: _Table, name: str) -> E:
    """The enum member spelt ``value``, or an error naming the allowed spellings."""
    try:
        return kind(value)
    except ValueError:
        raise table.error(name, *_not_one_of(value, kind)) from None


def _not_one_of(value: str, kind: type[StrEnum]) -> tuple[Message, Message]:
    return (
        _msg(
            N_("'{value}' is not one of {choices}."),
            value=value,
            choices=", ".join(member.value for member in kind),
        ),
        _msg(N_("use one of those.")),
    )


# --- the schema --------------------------------------------------------------------------

_THRESHOLD_KEYS = ("basis", "fraction", "comparison", "label")


def _fraction(table: _Table, name: str) -> Fraction:
    value = table.value(name, _MISSING, f'{name} = "1/2"')
    match = _FRACTION.fullmatch(value) if isinstance(value, str) else None
    if match is None or int(match.group(2) or 1) == 0:
        raise table.error(
            name,
            _msg(N_("{value} is not a fraction."), value=_show(value)),
            _msg(N_('write it in quotes as numerator/denominator, e.g. "1/2" or "2/3".')),
        )
    fraction = Fraction(int(match.group(1)), int(match.group(2) or 1))
    if not 0 < fraction <= 1:
        raise table.error(
            name,
            _msg(
                N_("The fraction {value} is not greater than 0 and at most 1."), value=_show(value)
            ),
            _msg(N_('use a fraction in that range, e.g. "1/2" or "2/3".')),
        )
    return fraction


def _threshold(table: _Table, *, quorum: bool = False) -> Threshold:
    basis = table.choice("basis", Basis, 'basis = "votes_cast"')
    if quorum and basis is not Basis.ALL_MEMBERS:
        raise table.error(
            "basis",
            _msg(
                N_("A quorum is counted against all members, so '{value}' cannot be its basis."),
                value=basis.value,
            ),
            _msg(N_('use basis = "all_members".')),
        )
    fraction = _fraction(table, "fraction")
    comparison = table.choice("comparison", Comparison, 'comparison = "more_than"')
    if comparison is Comparison.MORE_THAN and fraction == 1:
        raise table.error(
            "comparison",
            _msg(N_("More than the whole can never be reached.")),
            _msg(N_('for unanimity write comparison = "at_least" with fraction = "1/1".')),
        )
    label = table.text("label", 'label = "večina opravljenih glasov"', default="")
    return Threshold(basis=basis, fraction=fraction, comparison=comparison, label=label)


def _sub_threshold(table: _Table, name: str, *, quorum: bool = False) -> Threshold:
    return _threshold(table.table(name, _THRESHOLD_KEYS), quorum=quorum)


def _categories(table: _Table, name: str) -> frozenset[MotionCategory]:
    example = f'{name} = ["budget", "final_account"]'
    categories = set()
    for index, value in enumerate(table.text_list(name, example)):
        categories.add(_member(MotionCategory, value, table, f"{name}[{index}]"))
    return frozenset(categories)


def _warning_words(table: _Table) -> tuple[tuple[str, MotionCategory], ...]:
    words = table.optional_table("warning_words", None)
    if words is None:
        return ()
    pairs = []
    for word, value in words.data.items():
        if not _SINGLE_WORD.fullmatch(word):
            raise words.error(
                word,
                _msg(
                    N_("'{value}' is not a single word; warning words are matched word by word."),
                    value=word,
                ),
                _msg(N_('use one word or its stem, e.g. "zaključn".')),
            )
        example = f'"{word}" = "budget"'
        if not isinstance(value, str):
            raise words.wrong_type(word, _TEXT, value, example)
        pairs.append((word, _member(MotionCategory, value, words, word)))
    return tuple(pairs)


def _correspondence(root: _Table) -> CorrespondenceRules:
    table = root.table(
        "correspondence",
        (
            "quorum",
            "adoption",
            "adoption_threshold",
            "voting_counts_as_confirmation",
            "allow_abstention",
            "forbidden_categories",
            "warning_words",
        ),
    )
    quorum = _sub_threshold(table, "quorum", quorum=True)
    adoption = table.choice("adoption", CorrespondenceAdoption, 'adoption = "no_votes_against"')
    threshold_table = table.optional_table("adoption_threshold", _THRESHOLD_KEYS)
    if adoption is CorrespondenceAdoption.MAJORITY and threshold_table is None:
        raise table.error(
            "adoption_threshold",
            _msg(N_("Required when correspondence.adoption is 'majority'.")),
            _msg(
                N_(
                    "add a table [correspondence.adoption_threshold] with basis, fraction and "
                    "comparison."
                )
            ),
        )
    if adoption is not CorrespondenceAdoption.MAJORITY and threshold_table is not None:
        raise table.error(
            "adoption_threshold",
            _msg(N_("Only used when correspondence.adoption is 'majority'.")),
            _msg(N_('remove it or set correspondence.adoption = "majority".')),
        )
    return CorrespondenceRules(
        quorum=quorum,
        adoption=adoption,
        adoption_threshold=_threshold(threshold_table) if threshold_table else None,
        voting_counts_as_confirmation=table.boolean("voting_counts_as_confirmation", True),
        allow_abstention=table.boolean("allow_abstention", False),
        forbidden_categories=_categories(table, "forbidden_categories"),
        warning_words=_warning_words(table),
    )


def _live(root: _Table) -> LiveRules:
    table = root.table(
        "live",
        (
            "quorum",
            "allow_abstention",
            "abstention_counts_as_cast",
            "max_votes_on_same_matter",
            "roll_call_repeatable",
            "notice_days_regular",
            "notice_days_extraordinary",
            "secret_vote_transports",
        ),
    )
    return LiveRules(
        quorum=_sub_threshold(table, "quorum", quorum=True),
        allow_abstention=table.boolean("allow_abstention", False),
        abstention_counts_as_cast=table.boolean("abstention_counts_as_cast", False),
        max_votes_on_same_matter=table.integer("max_votes_on_same_matter", 2, minimum=1),
        roll_call_repeatable=table.boolean("roll_call_repeatable", False),
        notice_days_regular=table.integer("notice_days_regular", 7, minimum=0),
        notice_days_extraordinary=table.integer("notice_days_extraordinary", 5, minimum=0),
        secret_vote_transports=_transports(table, "secret_vote_transports"),
    )


def _transports(table: _Table, name: str) -> frozenset[Platform]:
    """Chat platforms named in a list (each at most once, at least one); default all."""
    example = f'{name} = ["matrix", "telegram"]'
    names = table.text_list(name, example, default=sorted(CHAT_PLATFORMS))
    chosen: set[Platform] = set()
    for index, value in enumerate(names):
        if value not in CHAT_PLATFORMS:
            raise table.error(
                f"{name}[{index}]",
                _msg(
                    N_("'{value}' is not one of {choices}."),
                    value=value,
                    choices=", ".join(sorted(CHAT_PLATFORMS)),
                ),
                _msg(N_("use one of those.")),
            )
        chosen.add(Platform(value))
    if not chosen:
        raise table.error(
            name,
            _msg(N_("No transport is left for secret votes and elections.")),
            _msg(N_("name at least one, for example: {example}"), example=example),
        )
    return frozenset(chosen)


def _elections(root: _Table) -> ElectionRules:
    table = root.table(
        "elections",
        (
            "majority",
            "runoff_candidates",
            "ties_by_lot",
            "alphabet_start_by_lot",
            "secret_requires_quorum_of_ballots",
        ),
    )
    return ElectionRules(
        majority=_sub_threshold(table, "majority"),
        runoff_candidates=table.integer("runoff_candidates", 2, minimum=2),
        ties_by_lot=table.boolean("ties_by_lot", True),
        alphabet_start_by_lot=table.boolean("alphabet_start_by_lot", True),
        secret_requires_quorum_of_ballots=table.boolean("secret_requires_quorum_of_ballots", True),
    )


def _majorities(root: _Table) -> dict[str, Threshold]:
    table = root.table("majorities", None)
    if not table.data:
        raise root.error(
            "majorities",
            _msg(N_("No majority is defined.")),
            _msg(
                N_(
                    "add at least one table [majorities.<name>] with basis, fraction and "
                    "comparison."
                )
            ),
        )
    return {name: _sub_threshold(table, name) for name in table.data}


def parse_rule_set(
    mapping: Mapping[str, Any], source_name: str, language: str = DEFAULT_LANGUAGE
) -> RuleSet:
    """Build a rule set from parsed TOML; ``source_name`` is the file name shown in errors."""
    root = _Table(
        mapping,
        "",
        _Context(source_name, language),
        (
            "title",
            "source",
            "default_majority",
            "correspondence",
            "live",
            "elections",
            "majorities",
        ),
    )
    title = root.text("title", 'title = "Poslovnik Občinskega sveta Občine Gornji Grad (2016)"')
    source = root.text("source", 'source = "Uradno glasilo slovenskih občin, št. 7/2016"')
    correspondence = _correspondence(root)
    live = _live(root)
    elections = _elections(root)
    majorities = _majorities(root)
    default_majority = root.text(
        "default_majority", 'default_majority = "votes_cast"', default="votes_cast"
    )
    if default_majority not in majorities:
        raise root.error(
            "default_majority",
            _msg(
                N_("'{value}' is not a majority defined in this file ({names})."),
                value=default_majority,
                names=", ".join(majorities),
            ),
            _msg(
                N_("use one of those names or add a table [majorities.{value}]."),
                value=default_majority,
            ),
        )
    return RuleSet(
        name=Path(source_name).stem,
        title=title,
        source=source,
        correspondence=correspondence,
        live=live,
        elections=elections,
        majorities=majorities,
        default_majority=default_majority,
    )


def display_name(path: Path) -> str:
    """Presets are named as in the repository (config/rules/x.toml), other files as given."""
    try:
        return path.resolve().relative_to(PRESET_DIR.parent.parent).as_posix()
    except ValueError:
        return str(path)


def load_rule_set(path: Path | str, language: str = DEFAULT_LANGUAGE) -> RuleSet:
    """Read and check one rule-set file."""
    path = Path(path)
    context = _Context(display_name(path), language)
    try:
        content = path.read_bytes()
    except (OSError, ValueError) as error:  # ValueError: a NUL in the path
        detail = getattr(error, "strerror", None) or str(error)
        raise context.error(
            "",
            _msg(N_("The file cannot be read ({detail})."), detail=detail),
            _msg(N_("check the path and the file permissions.")),
        ) from error
    try:
        data = tomllib.loads(content.decode("utf-8-sig"))  # Notepad writes a BOM
    except UnicodeDecodeError as error:
        raise context.error(
            "",
            _msg(N_("The file is not UTF-8 text.")),
            _msg(N_("save it as UTF-8 in a text editor.")),
        ) from error
    except tomllib.TOMLDecodeError as error:
        message, params = not_toml(error)
        raise context.error(
            "",
            _msg(message, **params),
            _msg(N_("correct the syntax at the position shown.")),
        ) from error
    except ValueError as error:  # tomllib lets Python's limit on a number's digits through
        raise context.error(
            "",
            _msg(N_("A number in the file has thousands of digits.")),
            _msg(N_("write each number with at most a few digits.")),
        ) from error
    return parse_rule_set(data, context.file, language)


def available_rule_sets(search_dirs: Iterable[Path] = (PRESET_DIR,)) -> tuple[str, ...]:
    """Names of the rule sets found in ``search_dirs``, sorted."""
    names = {
        path.stem
        for directory in search_dirs
        if directory.is_dir()
        for path in directory.glob("*.toml")
        if _NAME.fullmatch(path.stem)
    }
    return tuple(sorted(names))


def rule_set_path(
    name: str, search_dirs: Sequence[Path] = (PRESET_DIR,), language: str = DEFAULT_LANGUAGE
) -> Path:
    """The file of the named rule set: the first ``<name>.toml`` in ``search_dirs``."""
    dirs = tuple(search_dirs)
    if not _NAME.fullmatch(name):
        raise RuleSetError(
            f"{name}.toml",
            "",
            _msg(N_("'{name}' is not a valid rule-set name."), name=name),
            _msg(N_("use lower-case letters, digits and hyphens only, e.g. gornji-grad-2016.")),
            language,
        )
    for directory in dirs:
        candidate = directory / f"{name}.toml"
        if candidate.is_file():
            return candidate
    raise RuleSetError(
        display_name(dirs[0] / f"{name}.toml") if dirs else f"{name}.toml",
        "",
        _msg(
            N_("No rule set named '{name}' was found in {directories}."),
            name=name,
            directories=", ".join(display_name(directory) for directory in dirs),
        ),
        _msg(
            N_("use one of: {available}; or add {name}.toml to one of those folders."),
            available=", ".join(available_rule_sets(dirs)),
            name=name,
        ),
        language,
    )


def load_named_rule_set(
    name: str = DEFAULT_RULE_SET,
    search_dirs: Sequence[Path] = (PRESET_DIR,),
    language: str = DEFAULT_LANGUAGE,
) -> RuleSet:
    """Load ``config/rules/<name>.toml`` (or the first match in ``search_dirs``)."""
    return load_rule_set(rule_set_path(name, search_dirs, language), language)
