"""Association surveys (povpraševanje): the YAML questionnaire, its checks and its logic.

Pure: no I/O, no clock. ``parse_definition(text)`` reads a questionnaire and reports every
problem with the line it is on (the YAML is composed into nodes, whose marks carry the lines);
``resolve_deadline`` turns the deadline into an instant once the caller knows "now". The rest
answers the questions a respondent's flow asks: which questions are visible given the answers
so far (conditions on earlier answers), which comes next, what a typed answer means, and which
rows store the answers. The format is documented in docs/SURVEY_FORMAT.md.

Problems carry English message ids with parameters; they are translated where shown.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.domain.syntax_wording import yaml_detail
from bot.i18n import N_, Phrase
from bot.timeutil import TimeInputError, parse_duration, parse_local_datetime

# ---- limits -------------------------------------------------------------------------------------

MAX_QUESTIONS = 100
# Matrix shows at most 20 poll answers; a question may add "skip" (and "next" for multiple choice).
MAX_OPTIONS = 18
MAX_TEXT_LENGTH = 4000
DEFAULT_TEXT_LENGTH = 2000
MAX_LABEL_LENGTH = 60  # a button's text stays readable on a phone
MAX_KEY_LENGTH = 32
OTHER_SUFFIX = ".other"  # row key of the text given for an "other, please specify" option
SKIPPED_VALUE = ""  # row value recording an optional question the respondent passed over

YES, NO = "yes", "no"
YES_NO_LABELS = {"sl": ("Da", "Ne"), "en": ("Yes", "No")}
_YES_WORDS = frozenset({"yes", "da", "true", "y", "d"})
_NO_WORDS = frozenset({"no", "ne", "false", "n"})

_KEY = re.compile(r"[a-z][a-z0-9_]*")
_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"


class QuestionKind(StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    YES_NO = "yes_no"

    @property
    def has_options(self) -> bool:
        return self in (
            QuestionKind.SINGLE_CHOICE,
            QuestionKind.MULTIPLE_CHOICE,
            QuestionKind.YES_NO,
        )

    @property
    def is_typed(self) -> bool:
        """Answered by typing a message rather than by pressing buttons."""
        return self in (QuestionKind.TEXT, QuestionKind.NUMBER, QuestionKind.DATE)


class ConditionOp(StrEnum):
    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    ONE_OF = "one_of"
    INCLUDES = "includes"
    ANSWERED = "answered"
    AT_LEAST = "at_least"
    AT_MOST = "at_most"


# ---- the model ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Option:
    key: str
    label: str
    other: bool = False  # "other, please specify": choosing it asks for a text
    heading: str = ""  # heading of this option's group in the report
    line: int = 0


@dataclass(frozen=True, slots=True)
class Compare:
    """A test on the answer to an earlier question."""

    question: str
    op: ConditionOp
    values: tuple[str, ...] = ()  # option keys, or one number as text
    expected: bool = True  # for ``answered``


@dataclass(frozen=True, slots=True)
class AllOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    conditions: tuple[Condition, ...]


Condition = Compare | AllOf | AnyOf


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    kind: QuestionKind
    text: str
    short: str = ""  # column heading in reports; the text when empty
    help: str = ""
    required: bool = True
    options: tuple[Option, ...] = ()
    when: Condition | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    integer: bool = False
    max_length: int = DEFAULT_TEXT_LENGTH
    max_choices: int | None = None
    line: int = 0

    @property
    def label(self) -> str:
        return self.short or self.text

    def option(self, key: str) -> Option | None:
        return next((option for option in self.options if option.key == key), None)

    @property
    def other_option(self) -> Option | None:
        return next((option for option in self.options if option.other), None)


@dataclass(frozen=True, slots=True)
class SurveyDefinition:
    title: str
    questions: tuple[Question, ...]
    deadline_text: str
    introduction: str = ""
    language: str = "sl"
    reminders: tuple[timedelta, ...] | None = None  # None: the deployment's settings decide
    group_by: str | None = None  # question key the report groups by
    deadline_line: int = 0

    def question(self, key: str) -> Question | None:
        return next((question for question in self.questions if question.key == key), None)

    def index(self, key: str) -> int:
        for position, question in enumerate(self.questions):
            if question.key == key:
                return position
        raise KeyError(key)

    @property
    def report_group_by(self) -> Question | None:
        """The question the report groups by: the configured one, else the first choice question."""
        if self.group_by is not None:
            return self.question(self.group_by)
        return next(
            (
                q
                for q in self.questions
                if q.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.YES_NO)
            ),
            None,
        )


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in a questionnaire: where (line, 1-based; 0 = the whole file) and what."""

    line: int
    message: str  # English message id with {named} placeholders
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self, translate: object) -> str:
        """``translate`` is a Translator; the line is prefixed the same way in every language."""
        text = translate(self.message, **self.params)  # type: ignore[operator]
        if self.line:
            return translate(N_("Line {line}: {problem}"), line=self.line, problem=text)  # type: ignore[operator]
        return text


@dataclass(frozen=True, slots=True)
class ParseResult:
    definition: SurveyDefinition | None
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.definition is not None and not self.problems


# ---- parsing ------------------------------------------------------------------------------------

TOP_KEYS = ("title", "introduction", "deadline", "language", "reminders", "report", "questions")
QUESTION_KEYS = (
    "key", "kind", "text", "short", "help", "required", "options", "when",
    "min", "max", "integer", "max_length", "max_choices",
)  # fmt: skip
OPTION_KEYS = ("key", "label", "other", "heading")
REPORT_KEYS = ("group_by",)
COMPARE_OPS = tuple(op.value for op in ConditionOp)


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class _Reader:
    """Walks the composed YAML, collecting problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        # Keys of questions that have problems of their own: conditions naming them are not
        # reported again as naming an unknown question.
        self.flawed_keys: set[str] = set()

    def problem(self, node: Node | int, message: str, **params: object) -> None:
        line = node if isinstance(node, int) else _line(node)
        self.problems.append(Problem(line, message, params))

    # -- shapes --

    def mapping(
        self, node: Node, allowed: Sequence[str], what: str
    ) -> dict[str, tuple[Node, Node]] | None:
        """The mapping's entries by key (key node, value node); unknown and repeated keys noted."""
        if not isinstance(node, MappingNode):
            self.problem(
                node,
                N_("Here {what} is expected: lines of the form 'key: value'."),
                what=Phrase(what),
            )
            return None
        entries: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, N_("A key must be a plain word."))
                continue
            key = key_node.value
            if key in entries:
                self.problem(
                    key_node,
                    N_("The key '{key}' appears twice (first on line {first})."),
                    key=key,
                    first=_line(entries[key][0]),
                )
                continue
            if key not in allowed:
                self.problem(
                    key_node,
                    N_("The key '{key}' is unknown here. Allowed keys: {allowed}."),
                    key=key,
                    allowed=", ".join(allowed),
                )
                continue
            entries[key] = (key_node, value_node)
        return entries

    def text(self, entries: Mapping[str, tuple[Node, Node]], key: str, *, required: bool = False,
             parent: Node | None = None, max_length: int | None = None) -> str:  # fmt: skip
        if key not in entries:
            if required:
                self.problem(
                    parent if parent is not None else 0, N_("'{key}' is missing."), key=key
                )
            return ""
        _, node = entries[key]
        if not isinstance(node, ScalarNode) or node.tag == _NULL_TAG:
            self.problem(node, N_("'{key}' must be a text."), key=key)
            return ""
        value = node.value.strip()
        if required and not value:
            self.problem(node, N_("'{key}' is empty."), key=key)
        if max_length is not None and len(value) > max_length:
            self.problem(
                node,
                N_("'{key}' is {length} characters long; at most {limit} are allowed."),
                key=key,
                length=len(value),
                limit=max_length,
            )
        return value

    def flag(self, entries: Mapping[str, tuple[Node, Node]], key: str, default: bool) -> bool:
        if key not in entries:
            return default
        _, node = entries[key]
        if not isinstance(node, ScalarNode) or node.tag != _BOOL_TAG:
            self.problem(node, N_("'{key}' must be true or false."), key=key)
            return default
        return node.value.strip().lower() in ("true", "yes", "on", "y")

    def number(self, entries: Mapping[str, tuple[Node, Node]], key: str) -> Decimal | None:
        if key not in entries:
            return None
        _, node = entries[key]
        if not isinstance(node, ScalarNode) or node.tag not in (_INT_TAG, _FLOAT_TAG):
            self.problem(node, N_("'{key}' must be a number."), key=key)
            return None
        try:
            value = Decimal(node.value.replace("_", ""))
        except InvalidOperation:
            self.problem(node, N_("'{key}' must be a number."), key=key)
            return None
        return value if value.is_finite() else None

    def whole(
        self, entries: Mapping[str, tuple[Node, Node]], key: str, low: int, high: int
    ) -> int | None:
        if key not in entries:
            return None
        _, node = entries[key]
        if not isinstance(node, ScalarNode) or node.tag != _INT_TAG:
            self.problem(node, N_("'{key}' must be a whole number."), key=key)
            return None
        try:
            value = int(node.value.replace("_", ""))
        except ValueError:
            self.problem(node, N_("'{key}' must be a whole number."), key=key)
            return None
        if not low <= value <= high:
            self.problem(
                node, N_("'{key}' must be between {low} and {high}."), key=key, low=low, high=high
            )
            return None
        return value

    def key_value(self, node: Node, what_key: str) -> str | None:
        if not isinstance(node, ScalarNode) or node.tag == _NULL_TAG or not node.value.strip():
            self.problem(node, N_("'{key}' must be a text."), key=what_key)
            return None
        value = node.value.strip()
        if not _KEY.fullmatch(value) or len(value) > MAX_KEY_LENGTH:
            self.problem(
                node,
                N_("The key '{value}' may contain only lower-case letters a-z, digits and "
                   "underscores, start with a letter and have at most {limit} characters."),
                value=value,
                limit=MAX_KEY_LENGTH,
            )  # fmt: skip
            return None
        return value


def parse_definition(text: str) -> ParseResult:
    """Read a questionnaire; every problem found is reported, each with its line."""
    return _parse_cached(text)


@functools.lru_cache(maxsize=64)
def _parse_cached(text: str) -> ParseResult:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        detail = error.problem or error.context or ""
        line = mark.line + 1 if mark else 0
        if "'\\t'" in detail:  # the most common slip, said plainly rather than in YAML's words
            tab = N_("A tab indents this line; YAML files are indented with spaces only.")
            return ParseResult(None, (Problem(line, tab, {}),))
        return ParseResult(
            None,
            (Problem(line, N_("The file is not valid YAML: {detail}."),
                     {"detail": yaml_detail(detail)}),),
        )  # fmt: skip
    except yaml.reader.ReaderError as error:  # a control character, e.g. from a word processor
        character = error.character if isinstance(error.character, int) else 0
        return ParseResult(
            None,
            (Problem(text.count("\n", 0, max(error.position, 0)) + 1,
                     N_("The file holds the character {code}, an invisible control character "
                        "or a broken one, which a questionnaire cannot hold; delete it or save "
                        "the file again as plain text."),
                     {"code": f"U+{character:04X}"}),),
        )  # fmt: skip
    except yaml.YAMLError as error:
        return ParseResult(
            None, (Problem(0, N_("The file is not valid YAML: {detail}."), {"detail": str(error)}),)
        )
    except RecursionError:
        return _too_deep()
    if root is None:
        return ParseResult(None, (Problem(0, N_("The file is empty."), {}),))
    reader = _Reader()
    try:
        definition = _read_definition(reader, root)
    except RecursionError:  # conditions nested hundreds deep
        return _too_deep()
    problems = tuple(sorted(reader.problems, key=lambda p: p.line))
    return ParseResult(definition if not problems else None, problems)


def _too_deep() -> ParseResult:
    return ParseResult(
        None,
        (Problem(0, N_("The file nests lists or conditions hundreds of levels deep; no "
                       "questionnaire needs that. Check the brackets."), {}),),
    )  # fmt: skip


def _read_definition(reader: _Reader, root: Node) -> SurveyDefinition | None:
    entries = reader.mapping(root, TOP_KEYS, N_("a questionnaire"))
    if entries is None:
        return None
    title = reader.text(entries, "title", required=True, parent=root, max_length=200)
    introduction = reader.text(entries, "introduction", max_length=MAX_TEXT_LENGTH)
    deadline_text = reader.text(entries, "deadline", required=True, parent=root)
    deadline_line = _line(entries["deadline"][1]) if "deadline" in entries else 0
    if deadline_text:
        try:
            parse_local_datetime(deadline_text, now=_SYNTAX_CHECK_NOW)
        except TimeInputError:
            reader.problem(
                deadline_line,
                N_("The deadline '{text}' is not a date and hour; write it like {example}."),
                text=deadline_text,
                example="11. 11. 2020 ob 24.00",
            )
    language = reader.text(entries, "language") or "sl"
    if language not in YES_NO_LABELS:
        reader.problem(
            entries["language"][1], N_("The language '{value}' is not sl or en."), value=language
        )
        language = "sl"
    reminders = _read_reminders(reader, entries)
    questions = _read_questions(reader, entries, root, language)
    group_by = _read_report(reader, entries, questions)
    return SurveyDefinition(
        title=title,
        questions=tuple(questions),
        deadline_text=deadline_text,
        introduction=introduction,
        language=language,
        reminders=reminders,
        group_by=group_by,
        deadline_line=deadline_line,
    )


# A fixed reference for checking a deadline's form: whether "11. 11. ob 12.00" is a date does
# not depend on today; ``resolve_deadline`` places it with the real "now".
_SYNTAX_CHECK_NOW = datetime.fromisoformat("2020-06-15T12:00:00+00:00")


def _read_reminders(
    reader: _Reader, entries: Mapping[str, tuple[Node, Node]]
) -> tuple[timedelta, ...] | None:
    if "reminders" not in entries:
        return None
    _, node = entries["reminders"]
    if not isinstance(node, SequenceNode):
        reader.problem(node, N_("'reminders' must be a list of durations, e.g. [48h, 24h]."))
        return None
    durations: list[timedelta] = []
    for item in node.value:
        if not isinstance(item, ScalarNode):
            reader.problem(item, N_("'reminders' must be a list of durations, e.g. [48h, 24h]."))
            continue
        try:
            durations.append(parse_duration(item.value))
        except TimeInputError:
            reader.problem(
                item,
                N_("'{text}' is not a duration; write a number with m, h or d, e.g. 24h."),
                text=item.value,
            )
    return tuple(sorted(set(durations), reverse=True))


def _read_report(reader: _Reader, entries: Mapping[str, tuple[Node, Node]],
                 questions: Sequence[Question]) -> str | None:  # fmt: skip
    if "report" not in entries:
        return None
    _, node = entries["report"]
    report = reader.mapping(node, REPORT_KEYS, N_("the report settings"))
    if report is None or "group_by" not in report:
        return None
    value_node = report["group_by"][1]
    key = reader.key_value(value_node, "group_by")
    if key is None:
        return None
    question = next((q for q in questions if q.key == key), None)
    if question is None:
        reader.problem(
            value_node, N_("The report groups by '{key}', which is not a question."), key=key
        )
        return None
    if question.kind not in (QuestionKind.SINGLE_CHOICE, QuestionKind.YES_NO):
        reader.problem(
            value_node,
            N_(
                "The report can group only by a single-choice or yes/no question; '{key}' is not one."
            ),
            key=key,
        )
        return None
    return key


def _read_questions(reader: _Reader, entries: Mapping[str, tuple[Node, Node]], root: Node,
                    language: str) -> list[Question]:  # fmt: skip
    if "questions" not in entries:
        reader.problem(root, N_("'{key}' is missing."), key="questions")
        return []
    _, node = entries["questions"]
    if not isinstance(node, SequenceNode) or not node.value:
        reader.problem(node, N_("'questions' must be a list with at least one question."))
        return []
    if len(node.value) > MAX_QUESTIONS:
        reader.problem(
            node, N_("A questionnaire may have at most {limit} questions."), limit=MAX_QUESTIONS
        )
    questions: list[Question] = []
    first_line: dict[str, int] = {}
    for item in node.value:
        question = _read_question(reader, item, questions, language)
        if question is None:
            reader.flawed_keys.add(_declared_key(item))
            continue
        if question.key in first_line:
            reader.problem(
                question.line,
                N_("The question key '{key}' is used twice (first on line {first})."),
                key=question.key,
                first=first_line[question.key],
            )
            continue
        first_line[question.key] = question.line
        questions.append(question)
    return questions


def _read_question(reader: _Reader, node: Node, earlier: Sequence[Question],
                   language: str) -> Question | None:  # fmt: skip
    entries = reader.mapping(node, QUESTION_KEYS, N_("a question"))
    if entries is None:
        return None
    problems_before = len(reader.problems)
    key = reader.key_value(entries["key"][1], "key") if "key" in entries else None
    if "key" not in entries:
        reader.problem(node, N_("'{key}' is missing."), key="key")
    kind = _read_kind(reader, entries, node)
    text = reader.text(entries, "text", required=True, parent=node, max_length=MAX_TEXT_LENGTH)
    short = reader.text(entries, "short", max_length=80)
    help_text = reader.text(entries, "help", max_length=MAX_TEXT_LENGTH)
    required = reader.flag(entries, "required", True)
    options = _read_options(reader, entries, node, kind, language)
    _check_kind_specific_keys(reader, entries, kind)
    minimum = reader.number(entries, "min")
    maximum = reader.number(entries, "max")
    if minimum is not None and maximum is not None and minimum > maximum:
        reader.problem(entries["min"][1], N_("'min' is larger than 'max'."))
    integer = reader.flag(entries, "integer", False)
    max_length = reader.whole(entries, "max_length", 1, MAX_TEXT_LENGTH) or DEFAULT_TEXT_LENGTH
    max_choices = reader.whole(entries, "max_choices", 1, MAX_OPTIONS)
    when = _read_condition(reader, entries["when"][1], earlier) if "when" in entries else None
    if key is None or kind is None or len(reader.problems) > problems_before:
        return None
    return Question(
        key=key,
        kind=kind,
        text=text,
        short=short,
        help=help_text,
        required=required,
        options=options,
        when=when,
        minimum=minimum,
        maximum=maximum,
        integer=integer,
        max_length=max_length,
        max_choices=max_choices,
        line=_line(node),
    )


def _declared_key(node: Node) -> str:
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if (
                isinstance(key_node, ScalarNode)
                and key_node.value == "key"
                and isinstance(value_node, ScalarNode)
            ):
                return value_node.value.strip()
    return ""


def _read_kind(
    reader: _Reader, entries: Mapping[str, tuple[Node, Node]], node: Node
) -> QuestionKind | None:
    if "kind" not in entries:
        reader.problem(node, N_("'{key}' is missing."), key="kind")
        return None
    _, kind_node = entries["kind"]
    value = kind_node.value.strip() if isinstance(kind_node, ScalarNode) else ""
    try:
        return QuestionKind(value)
    except ValueError:
        reader.problem(
            kind_node,
            N_("The question kind '{kind}' is unknown. Use one of: {kinds}."),
            kind=value,
            kinds=", ".join(kind.value for kind in QuestionKind),
        )
        return None


_KIND_ONLY_KEYS = {
    "min": (QuestionKind.NUMBER,),
    "max": (QuestionKind.NUMBER,),
    "integer": (QuestionKind.NUMBER,),
    "max_length": (QuestionKind.TEXT,),
    "max_choices": (QuestionKind.MULTIPLE_CHOICE,),
}


def _check_kind_specific_keys(reader: _Reader, entries: Mapping[str, tuple[Node, Node]],
                              kind: QuestionKind | None) -> None:  # fmt: skip
    if kind is None:
        return
    for key, kinds in _KIND_ONLY_KEYS.items():
        if key in entries and kind not in kinds:
            reader.problem(
                entries[key][0],
                N_("'{key}' applies only to questions of kind {kinds}."),
                key=key,
                kinds=", ".join(k.value for k in kinds),
            )


def _read_options(reader: _Reader, entries: Mapping[str, tuple[Node, Node]], node: Node,
                  kind: QuestionKind | None, language: str) -> tuple[Option, ...]:  # fmt: skip
    if kind is QuestionKind.YES_NO:
        if "options" in entries:
            reader.problem(
                entries["options"][0],
                N_("A yes/no question has its own two options; remove 'options'."),
            )
        yes_label, no_label = YES_NO_LABELS[language]
        return (Option(YES, yes_label), Option(NO, no_label))
    if kind is None or not kind.has_options:
        if "options" in entries and kind is not None:
            reader.problem(
                entries["options"][0],
                N_("A question of kind {kind} has no options; remove 'options'."),
                kind=kind.value,
            )
        return ()
    if "options" not in entries:
        reader.problem(node, N_("'{key}' is missing."), key="options")
        return ()
    _, options_node = entries["options"]
    if not isinstance(options_node, SequenceNode) or len(options_node.value) < 2:
        reader.problem(options_node, N_("A choice question needs a list of at least two options."))
        return ()
    if len(options_node.value) > MAX_OPTIONS:
        reader.problem(
            options_node, N_("A question may have at most {limit} options."), limit=MAX_OPTIONS
        )
    options: list[Option] = []
    for item in options_node.value:
        option = _read_option(reader, item)
        if option is None:
            continue
        if any(existing.key == option.key for existing in options):
            reader.problem(
                item, N_("The option key '{key}' is used twice in this question."), key=option.key
            )
            continue
        if option.other and any(existing.other for existing in options):
            reader.problem(item, N_("Only one option of a question may be 'other: true'."))
            continue
        options.append(option)
    return tuple(options)


def _read_option(reader: _Reader, node: Node) -> Option | None:
    if isinstance(node, ScalarNode):
        label = node.value.strip()
        if not label:
            reader.problem(node, N_("An option needs a label."))
            return None
        if len(label) > MAX_LABEL_LENGTH:
            reader.problem(
                node,
                N_("The option '{label}' is longer than {limit} characters; shorten it."),
                label=label,
                limit=MAX_LABEL_LENGTH,
            )
            return None
        return Option(option_key_from_label(label), label, line=_line(node))
    entries = reader.mapping(node, OPTION_KEYS, N_("an option"))
    if entries is None:
        return None
    before = len(reader.problems)
    label = reader.text(entries, "label", required=True, parent=node, max_length=MAX_LABEL_LENGTH)
    key = (
        reader.key_value(entries["key"][1], "key")
        if "key" in entries
        else option_key_from_label(label)
    )
    other = reader.flag(entries, "other", False)
    heading = reader.text(entries, "heading", max_length=300)
    if key is None or not label or len(reader.problems) > before:
        return None
    return Option(key, label, other=other, heading=heading, line=_line(node))


def option_key_from_label(label: str) -> str:
    """A stable key for an option written as a plain label: "Cisco Webex" -> "cisco_webex"."""
    folded = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    key = re.sub(r"[^a-z0-9]+", "_", folded).strip("_")
    if not key or not key[0].isalpha():
        key = f"o_{key}" if key else "option"
    return key[:MAX_KEY_LENGTH]


# ---- conditions ---------------------------------------------------------------------------------


def _read_condition(reader: _Reader, node: Node, earlier: Sequence[Question]) -> Condition | None:
    if isinstance(node, SequenceNode):  # a list means: all of these
        parts = [_read_condition(reader, item, earlier) for item in node.value]
        if not parts or any(part is None for part in parts):
            if not parts:
                reader.problem(node, N_("'{key}' needs a list of conditions."), key="when")
            return None
        return AllOf(tuple(part for part in parts if part is not None))
    entries = reader.mapping(node, ("question", "all", "any", *COMPARE_OPS), N_("a condition"))
    if entries is None:
        return None
    for combinator in ("all", "any"):
        if combinator in entries:
            if len(entries) > 1:
                reader.problem(node, N_("'{key}' stands alone in a condition."), key=combinator)
                return None
            _, items = entries[combinator]
            if not isinstance(items, SequenceNode) or not items.value:
                reader.problem(items, N_("'{key}' needs a list of conditions."), key=combinator)
                return None
            parts = [_read_condition(reader, item, earlier) for item in items.value]
            if any(part is None for part in parts):
                return None
            conditions = tuple(p for p in parts if p is not None)
            return AllOf(conditions) if combinator == "all" else AnyOf(conditions)
    if "question" not in entries:
        reader.problem(node, N_("A condition names the earlier 'question' it tests."))
        return None
    key_node = entries["question"][1]
    key = key_node.value.strip() if isinstance(key_node, ScalarNode) else ""
    target = next((q for q in earlier if q.key == key), None)
    if target is None and key in reader.flawed_keys:
        return None
    if target is None:
        reader.problem(
            key_node,
            N_("The condition refers to '{key}', which is not an earlier question."),
            key=key,
        )
        return None
    ops = [op for op in COMPARE_OPS if op in entries]
    if len(ops) != 1:
        reader.problem(
            node,
            N_("A condition needs exactly one test: {ops}."),
            ops=", ".join(COMPARE_OPS),
        )
        return None
    op = ConditionOp(ops[0])
    return _read_compare(reader, target, op, entries[op.value][1])


def _read_compare(reader: _Reader, target: Question, op: ConditionOp, node: Node) -> Compare | None:
    if op is ConditionOp.ANSWERED:
        if not isinstance(node, ScalarNode) or node.tag != _BOOL_TAG:
            reader.problem(node, N_("'{key}' must be true or false."), key=op.value)
            return None
        return Compare(target.key, op, expected=node.value.lower() in ("true", "yes", "on", "y"))
    if op in (ConditionOp.AT_LEAST, ConditionOp.AT_MOST):
        if target.kind is not QuestionKind.NUMBER:
            reader.problem(
                node,
                N_("'{op}' compares numbers, but '{key}' is not a number question."),
                op=op.value,
                key=target.key,
            )
            return None
        number = parse_number(node.value) if isinstance(node, ScalarNode) else None
        if number is None:
            reader.problem(node, N_("'{key}' must be a number."), key=op.value)
            return None
        return Compare(target.key, op, (str(number),))
    if not target.kind.has_options:
        reader.problem(
            node,
            N_("'{op}' compares options, but '{key}' is a question without options."),
            op=op.value,
            key=target.key,
        )
        return None
    if op is ConditionOp.INCLUDES and target.kind is not QuestionKind.MULTIPLE_CHOICE:
        reader.problem(
            node,
            N_("'includes' tests a multiple-choice question; for '{key}' use 'equals'."),
            key=target.key,
        )
        return None
    if (
        op in (ConditionOp.EQUALS, ConditionOp.NOT_EQUALS)
        and target.kind is QuestionKind.MULTIPLE_CHOICE
    ):
        reader.problem(
            node,
            N_("'{key}' is a multiple-choice question; test it with 'includes'."),
            key=target.key,
        )
        return None
    raw: list[Node]
    if op is ConditionOp.ONE_OF:
        if not isinstance(node, SequenceNode) or not node.value:
            reader.problem(node, N_("'one_of' needs a list of option keys."))
            return None
        raw = list(node.value)
    else:
        raw = [node]
    values: list[str] = []
    for item in raw:
        value = _option_reference(reader, target, item)
        if value is None:
            return None
        values.append(value)
    return Compare(target.key, op, tuple(values))


def _option_reference(reader: _Reader, target: Question, node: Node) -> str | None:
    text = node.value.strip() if isinstance(node, ScalarNode) else ""
    if target.kind is QuestionKind.YES_NO:
        word = text.lower()
        if word in _YES_WORDS:
            return YES
        if word in _NO_WORDS:
            return NO
    elif target.option(text) is not None:
        return text
    reader.problem(
        node,
        N_("'{value}' is not an option of '{key}'. Options: {options}."),
        value=text,
        key=target.key,
        options=", ".join(option.key for option in target.options),
    )
    return None


# ---- answers ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """What an organisation answered to one question.

    ``values`` are option keys for choice questions and the one typed value otherwise; an empty
    tuple records an optional question passed over. ``other`` is the text given for the
    "other, please specify" option.
    """

    values: tuple[str, ...] = ()
    other: str = ""

    @property
    def skipped(self) -> bool:
        return not self.values


Answers = Mapping[str, Answer]


def holds(condition: Condition | None, answers: Answers) -> bool:
    """Whether a condition holds. A test on a question without an answer (not shown, or
    passed over) is false, except ``answered: false``."""
    if condition is None:
        return True
    if isinstance(condition, AllOf):
        return all(holds(part, answers) for part in condition.conditions)
    if isinstance(condition, AnyOf):
        return any(holds(part, answers) for part in condition.conditions)
    answer = answers.get(condition.question)
    given = answer is not None and not answer.skipped
    if condition.op is ConditionOp.ANSWERED:
        return given == condition.expected
    if not given:
        return False
    assert answer is not None
    if condition.op is ConditionOp.EQUALS:
        return answer.values[0] == condition.values[0]
    if condition.op is ConditionOp.NOT_EQUALS:
        return answer.values[0] != condition.values[0]
    if condition.op is ConditionOp.ONE_OF:
        return answer.values[0] in condition.values
    if condition.op is ConditionOp.INCLUDES:
        return condition.values[0] in answer.values
    number = parse_number(answer.values[0])
    if number is None:
        return False
    bound = Decimal(condition.values[0])
    return number >= bound if condition.op is ConditionOp.AT_LEAST else number <= bound


def visible_questions(definition: SurveyDefinition, answers: Answers) -> list[Question]:
    """The questions shown for these answers; conditions look only at earlier questions, so one
    pass in order settles them, ignoring answers to questions that are hidden."""
    shown: list[Question] = []
    effective: dict[str, Answer] = {}
    for question in definition.questions:
        if holds(question.when, effective):
            shown.append(question)
            if question.key in answers:
                effective[question.key] = answers[question.key]
    return shown


def effective_answers(definition: SurveyDefinition, answers: Answers) -> dict[str, Answer]:
    """Only the answers to visible questions: what a submission keeps."""
    return {
        q.key: answers[q.key] for q in visible_questions(definition, answers) if q.key in answers
    }


def next_question(
    definition: SurveyDefinition, answers: Answers, after: str | None = None
) -> Question | None:
    """The next visible question without an answer, after ``after`` first, then from the top.

    None means every visible question has an answer (or was passed over): time for the summary.
    """
    shown = visible_questions(definition, answers)
    if after is not None:
        position = definition.index(after)
        for question in shown:
            if definition.index(question.key) > position and question.key not in answers:
                return question
    return next((q for q in shown if q.key not in answers), None)


def missing_required(definition: SurveyDefinition, answers: Answers) -> list[Question]:
    return [
        q
        for q in visible_questions(definition, answers)
        if q.required and (q.key not in answers or answers[q.key].skipped)
    ]


@dataclass(frozen=True, slots=True)
class AnswerProblem:
    """Why a typed answer cannot be used; an English message id with parameters."""

    message: str
    params: Mapping[str, object] = field(default_factory=dict)


def _has_visible(text: str) -> bool:
    """Whether anything shows: zero-width and direction marks alone are no answer."""
    return any(not char.isspace() and unicodedata.category(char) not in ("Cc", "Cf")
               for char in text)  # fmt: skip


def read_typed_answer(question: Question, text: str) -> Answer | AnswerProblem:
    """A typed answer to a text, number or date question, checked against the question."""
    stripped = text.strip()
    if not _has_visible(stripped):
        return AnswerProblem(N_("Please write your answer as a message."))
    if question.kind is QuestionKind.TEXT:
        if len(stripped) > question.max_length:
            return AnswerProblem(
                N_(
                    "Your answer is {length} characters long; at most {limit} fit. Please shorten it."
                ),
                {"length": len(stripped), "limit": question.max_length},
            )
        return Answer((stripped,))
    if question.kind is QuestionKind.NUMBER:
        number = parse_number(stripped)
        if number is None:
            return AnswerProblem(
                N_('"{text}" is not a number. Write only the number, for example 12 or 3,5.'),
                {"text": stripped},
            )
        if question.integer and number != number.to_integral_value():
            return AnswerProblem(N_("Please write a whole number."))
        if question.minimum is not None and number < question.minimum:
            return AnswerProblem(
                N_("The number must be at least {minimum}."),
                {"minimum": format_number(question.minimum)},
            )
        if question.maximum is not None and number > question.maximum:
            return AnswerProblem(
                N_("The number must be at most {maximum}."),
                {"maximum": format_number(question.maximum)},
            )
        return Answer((format_number(number, canonical=True),))
    if question.kind is QuestionKind.DATE:
        day = parse_date(stripped)
        if day is None:
            return AnswerProblem(
                N_('"{text}" is not a date. Write it like {example}.'),
                {"text": stripped, "example": "12. 11. 2020"},
            )
        return Answer((day.isoformat(),))
    raise ValueError(f"question {question.key} of kind {question.kind} is answered with buttons")


def answer_for_other(question: Question, current: Answer, text: str) -> Answer | AnswerProblem:
    """The text given for the "other, please specify" option chosen in ``current``."""
    stripped = text.strip()
    if not _has_visible(stripped):
        return AnswerProblem(N_("Please write your answer as a message."))
    if len(stripped) > MAX_LABEL_LENGTH * 4:
        return AnswerProblem(
            N_("Your answer is {length} characters long; at most {limit} fit. Please shorten it."),
            {"length": len(stripped), "limit": MAX_LABEL_LENGTH * 4},
        )
    return Answer(current.values, stripped)


def needs_other_text(question: Question, answer: Answer) -> bool:
    other = question.other_option
    return other is not None and other.key in answer.values and not answer.other


def parse_number(text: str) -> Decimal | None:
    """ "12", "3,5", "3.5", "1 250", "-2": Slovenian decimal comma or a dot."""
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", cleaned):
        return None
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def format_number(number: Decimal, canonical: bool = False) -> str:
    """Canonical form for storage (dot), or Slovenian form for display (comma)."""
    text = format(number.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if canonical else text.replace(".", ",")


_DATE_DOTS = re.compile(r"^\s*(\d{1,2})\s*\.\s*(\d{1,2})\s*\.\s*(\d{4})\s*\.?\s*$")
_DATE_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")


def parse_date(text: str) -> date | None:
    """ "12. 11. 2020", "12.11.2020" or "2020-11-12"."""
    match = _DATE_DOTS.match(text)
    if match is not None:
        day, month, year = (int(part) for part in match.groups())
    else:
        match = _DATE_ISO.match(text)
        if match is None:
            return None
        year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def format_date(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.day}. {day.month}. {day.year}"


def answer_texts(question: Question, answer: Answer) -> list[str]:
    """The answer as people read it: option labels (with the "other" text), the typed value."""
    if answer.skipped:
        return []
    if question.kind.has_options:
        texts = []
        for key in answer.values:
            option = question.option(key)
            if option is None:
                continue
            if option.other and answer.other:
                texts.append(f"{option.label}: {answer.other}")
            else:
                texts.append(option.label)
        return texts
    value = answer.values[0]
    if question.kind is QuestionKind.NUMBER:
        number = parse_number(value)
        return [format_number(number) if number is not None else value]
    if question.kind is QuestionKind.DATE:
        return [format_date(value)]
    return [value]


# ---- rows ---------------------------------------------------------------------------------------


def answer_rows(definition: SurveyDefinition, answers: Answers) -> list[tuple[str, str]]:
    """(question key, value) rows in questionnaire order, as storage keeps them."""
    rows: list[tuple[str, str]] = []
    for question in definition.questions:
        answer = answers.get(question.key)
        if answer is None:
            continue
        if answer.skipped:
            rows.append((question.key, SKIPPED_VALUE))
            continue
        ordered = _ordered_values(question, answer.values)
        rows.extend((question.key, value) for value in ordered)
        if answer.other:
            rows.append((question.key + OTHER_SUFFIX, answer.other))
    return rows


def answers_from_rows(
    definition: SurveyDefinition, rows: Iterable[tuple[str, str]]
) -> dict[str, Answer]:
    """The inverse of :func:`answer_rows`; rows of questions no longer defined are ignored."""
    values: dict[str, list[str]] = {}
    others: dict[str, str] = {}
    for key, value in rows:
        if key.endswith(OTHER_SUFFIX):
            others[key.removesuffix(OTHER_SUFFIX)] = value
        else:
            values.setdefault(key, [])
            if value != SKIPPED_VALUE:
                values[key].append(value)
    answers: dict[str, Answer] = {}
    for question in definition.questions:
        if question.key in values:
            ordered = _ordered_values(question, tuple(values[question.key]))
            answers[question.key] = Answer(ordered, others.get(question.key, ""))
    return answers


def _ordered_values(question: Question, values: tuple[str, ...]) -> tuple[str, ...]:
    if not question.kind.has_options:
        return values[:1]
    order = {option.key: index for index, option in enumerate(question.options)}
    return tuple(sorted(dict.fromkeys(v for v in values if v in order), key=order.__getitem__))


# ---- the deadline -------------------------------------------------------------------------------


def resolve_deadline(definition: SurveyDefinition, now: datetime) -> datetime | Problem:
    """The deadline as an instant (UTC), or the problem with it; must lie after ``now``."""
    try:
        deadline = parse_local_datetime(definition.deadline_text, now=now)
    except TimeInputError:
        return Problem(
            definition.deadline_line,
            N_("The deadline '{text}' is not a date and hour; write it like {example}."),
            {"text": definition.deadline_text, "example": "11. 11. 2020 ob 24.00"},
        )
    if deadline <= now:
        return Problem(
            definition.deadline_line,
            N_("The deadline '{text}' has already passed; set a later one."),
            {"text": definition.deadline_text},
        )
    return deadline


def reminder_times(
    deadline: datetime, before: Iterable[timedelta], opened_at: datetime
) -> list[datetime]:
    """When reminders go out: each offset before the deadline that still lies after opening."""
    return sorted({deadline - offset for offset in before if deadline - offset > opened_at})
