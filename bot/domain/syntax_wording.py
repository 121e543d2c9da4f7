"""What the TOML and YAML readers say about a broken file, in words the catalogs translate.

tomllib and PyYAML explain a syntax error in English ("Invalid value (at line 3, column 9)",
"mapping values are not allowed here"). The explanations people meet most are mapped to
message ids here, so that a clerk using the bot in Slovenian reads Slovenian. An explanation
not listed is shown as the library gave it: better in English than not at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.i18n import N_, Phrase


@dataclass(frozen=True, slots=True)
class SyntaxDetail:
    """A reader's explanation (a ``Phrase`` when known) and where it points, if it says."""

    explanation: str
    line: int | None = None
    column: int | None = None


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END = re.compile(r"\s*\(at end of document\)\s*$")

Explanations = tuple[tuple[re.Pattern[str], str], ...]


def _explanations(*pairs: tuple[str, str]) -> Explanations:
    """(pattern of the reader's words, message id), first match wins."""
    return tuple((re.compile(pattern), phrase) for pattern, phrase in pairs)


_TOML_EXPLANATIONS = _explanations(
    (r"^Invalid value$",
     N_("a value is missing or not valid; a text needs double quotes")),
    (r"^Expected '=' after a key",
     N_("a key is not followed by =")),
    (r"^Expected newline or end of document after a statement",
     N_("the line goes on after its value; write one key = value per line")),
    (r"^(Invalid statement|Invalid initial character for a key part)",
     N_("the line is neither key = value nor a [section] heading")),
    (r"^Cannot (declare|overwrite|mutate|redefine)|^Duplicate inline table key",
     N_("a key or section is given twice")),
    (r"^Unclosed array",
     N_("a list [ … ] is not closed")),
    (r"^Unclosed inline table",
     N_("braces { … } are not closed")),
    (r"^Unterminated string|^Illegal character '\\n'",  # a line break inside "…"
     N_("a text is missing its closing quote")),
    (r"^Expected '\]+' at the end of",
     N_("a [section] heading is missing its closing bracket")),
    (r"^(Illegal character|Found invalid character)",
     N_("a character that is not allowed here")),
    (r"^Invalid date or datetime",
     N_("a date or time that is not valid")),
    (r"^(Unescaped '\\'|Escaped character|Invalid hex value)",
     N_("a backslash in a text: write it twice (\\\\) or use single quotes")),
)  # fmt: skip

_YAML_EXPLANATIONS = _explanations(
    (r"^mapping values are not allowed here",
     N_("a colon where none is expected; put quotes around a text that holds a colon")),
    (r"^could not find expected ':'",
     N_("a colon (:) is missing after a key")),
    (r"^(did not find expected key|expected <block end>|did not find expected '-')",
     N_("this line is not indented like the lines it belongs with")),
    (r"^found character .* that cannot start any token",
     N_("a character that cannot start a value here; put the text in quotes")),
    (r"^found unexpected end of stream",
     N_("a text is missing its closing quote")),
    (r"^expected ',' or '[\]}]'",
     N_("a list or mapping in brackets is not closed")),
    (r"^found (undefined alias|unknown escape character)",
     N_("an * or a backslash that YAML reads as special; put the text in single quotes")),
)  # fmt: skip


def _explained(text: str, explanations: Explanations) -> str:
    for pattern, phrase in explanations:
        if pattern.search(text):
            return Phrase(phrase)
    return text


def toml_detail(error: Exception) -> SyntaxDetail:
    """tomllib's explanation of ``error`` and its position ("at line 3, column 9")."""
    text = str(error)
    if position := _TOML_POSITION.search(text):
        return SyntaxDetail(
            _explained(text[: position.start()], _TOML_EXPLANATIONS),
            int(position[1]),
            int(position[2]),
        )
    return SyntaxDetail(_explained(_TOML_END.sub("", text), _TOML_EXPLANATIONS))


def yaml_detail(problem: str) -> str:
    """PyYAML's ``problem`` (or ``context``) of a marked error, as a Phrase where known."""
    return _explained(problem, _YAML_EXPLANATIONS)


def not_toml(error: Exception) -> tuple[str, dict[str, object]]:
    """The message (an id) and its parameters for a file tomllib refused."""
    found = toml_detail(error)
    if found.line is None:
        return N_("The file is not valid TOML ({detail})."), {"detail": found.explanation}
    return (
        N_("The file is not valid TOML (line {line}, column {column}: {detail})."),
        {"line": found.line, "column": found.column, "detail": found.explanation},
    )
