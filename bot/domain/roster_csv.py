"""The roster file: who sits in which body with which role, as a spreadsheet exports it.

Format
------
One person per line, one body per line; a person who sits in two bodies has two lines with the
same e-mail address. The first line is the header. Column names are matched without regard to
case, accents, spaces or dashes, in English or Slovenian:

============  ===================================  ==========================================
column        also accepted                        value
============  ===================================  ==========================================
name          ime                                  required
surname       priimek                              required
role          vloga, funkcija                      required, see the roles below
body          organ                                required, e.g. "Občinski svet Občine Gornji
                                                   Grad"
email         e-pošta, eposta, e-mail, mail        required; identifies the person on re-import
phone         telefon, tel, gsm                    optional; digits, spaces, +, / and -
telegram      telegram                             optional Telegram username, with or without @
matrix        matrix, matrix id                    optional Matrix ID, e.g. @ana.novak:matrix.org
organisation  organizacija, občina                 the municipality a respondent answers for;
                                                   required for the role respondent
body_kind     vrsta organa, vrsta                  optional: council/svet, committee/odbor,
                                                   commission/komisija, presidency/predsedstvo
============  ===================================  ==========================================

Roles: member (član, članica, svetnik, svetnica), chair (predsedujoči, župan, županja,
predsednik, predsednica), clerk (tajnik, tajnica, direktor/direktorica občinske uprave),
secretariat (sekretariat), respondent (kontaktna oseba, kontakt).

The body's short name (slug) is derived from its name, e.g. "obcinski-svet-obcine-gornji-grad".
Its kind comes from the body_kind column or else from the name, tried in this order: "odbor"
is a committee, "komisija" a commission, "predsedstvo" a presidency, "svet" a council, and an
association's name ("skupnost", "združenje", "zveza") a presidency. So "Odbor za finance
Občinskega sveta" is a committee and "Svet krajevne skupnosti" a council.

The file is UTF-8 (with or without BOM) or, when it is not valid UTF-8, Windows-1250 as
Slovenian Excel saves it (a UTF-16 "Unicode text" export is read too); values are separated by
``;`` or ``,``, whichever the header uses. Blank lines are skipped; a column without a header
is allowed while it stays empty.

Every line is checked (required values, e-mail, phone, Telegram and Matrix syntax, role, body,
the same person twice in one body, one e-mail address with two names, one chat account given
for two people, a respondent without organisation, the number of values) and every problem is
reported with its line and column; a file with any problem is imported not at all.

The file is the roster of record. On re-import people are recognised by e-mail address
(without regard to case) and their name, phone, Telegram and Matrix are replaced by the file's
(an empty cell clears the value; a person's optional details may be written on one of their
lines only). People no longer listed for a body the file names lose their seat there; bodies
the file does not name are left as they are.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.models import BodyKind, Role
from bot.i18n import N_


class Column(StrEnum):
    NAME = "name"
    SURNAME = "surname"
    ROLE = "role"
    BODY = "body"
    EMAIL = "email"
    PHONE = "phone"
    TELEGRAM = "telegram"
    MATRIX = "matrix"
    ORGANISATION = "organisation"
    BODY_KIND = "body_kind"


REQUIRED_COLUMNS = (Column.NAME, Column.SURNAME, Column.ROLE, Column.BODY, Column.EMAIL)

# Labels shown to the user; the Slovenian translations are themselves accepted header names.
COLUMN_LABELS: Mapping[Column, str] = {
    Column.NAME: N_("name"),
    Column.SURNAME: N_("surname"),
    Column.ROLE: N_("role"),
    Column.BODY: N_("body"),
    Column.EMAIL: N_("email"),
    Column.PHONE: N_("phone"),
    Column.TELEGRAM: N_("telegram"),
    Column.MATRIX: N_("matrix"),
    Column.ORGANISATION: N_("organisation"),
    Column.BODY_KIND: N_("body_kind"),
}


def fold(text: str) -> str:
    """Lower-case ASCII form of ``text``: "Občina Žalec" -> "obcina zalec"."""
    text = text.replace("đ", "d").replace("Đ", "D").replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return stripped.encode("ascii", "ignore").decode("ascii").casefold()


def _key(text: str) -> str:
    """Form used to compare header names and role words: folded, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", fold(text))


_HEADER_ALIASES: Mapping[str, Column] = {
    _key(alias): column
    for column, aliases in {
        Column.NAME: ("name", "first name", "ime"),
        Column.SURNAME: ("surname", "last name", "family name", "priimek"),
        Column.ROLE: ("role", "vloga", "funkcija"),
        Column.BODY: ("body", "organ"),
        Column.EMAIL: (
            "email",
            "e-mail",
            "mail",
            "e-pošta",
            "eposta",
            "elektronska pošta",
            "e-poštni naslov",
        ),
        Column.PHONE: ("phone", "telephone", "telefon", "tel", "gsm", "mobitel", "telefonska"),
        Column.TELEGRAM: ("telegram", "telegram username", "uporabniško ime telegram"),
        Column.MATRIX: ("matrix", "matrix id"),
        Column.ORGANISATION: ("organisation", "organization", "organizacija", "občina"),
        Column.BODY_KIND: ("body_kind", "body kind", "kind", "vrsta organa", "vrsta"),
    }.items()
    for alias in aliases
}

_ROLE_ALIASES: Mapping[str, Role] = {
    _key(alias): role
    for role, aliases in {
        Role.MEMBER: (
            "member",
            "councillor",
            "član",
            "članica",
            "član sveta",
            "članica sveta",
            "svetnik",
            "svetnica",
        ),
        Role.CHAIR: (
            "chair",
            "mayor",
            "predsedujoči",
            "predsedujoča",
            "župan",
            "županja",
            "predsednik",
            "predsednica",
        ),
        Role.CLERK: (
            "clerk",
            "tajnik",
            "tajnica",
            "direktor občinske uprave",
            "direktorica občinske uprave",
        ),
        Role.SECRETARIAT: ("secretariat", "sekretariat"),
        Role.RESPONDENT: ("respondent", "kontakt", "kontaktna oseba"),
    }.items()
    for alias in aliases
}

_BODY_KIND_ALIASES: Mapping[str, BodyKind] = {
    _key(alias): kind
    for kind, aliases in {
        BodyKind.COUNCIL: ("council", "svet", "občinski svet"),
        BodyKind.COMMITTEE: ("committee", "odbor"),
        BodyKind.COMMISSION: ("commission", "komisija"),
        BodyKind.PRESIDENCY: ("presidency", "predsedstvo", "združenje"),
    }.items()
    for alias in aliases
}

# Word stems in a body's name that tell its kind, in the order they are tried: "Odbor za finance
# Občinskega sveta" is a committee although it names the council.
_BODY_KIND_STEMS: tuple[tuple[tuple[str, ...], BodyKind], ...] = (
    (("odbor",), BodyKind.COMMITTEE),
    (("komisij",), BodyKind.COMMISSION),
    (("predsedstv",), BodyKind.PRESIDENCY),
    (("svet",), BodyKind.COUNCIL),
    # An association's own body (e.g. Skupnost občin Slovenije) is treated as its presidency.
    (("skupnost", "zdruzenj", "zveza", "zvez"), BodyKind.PRESIDENCY),
)
_COUNCIL_WORDS = frozenset({"svet", "sveta", "svetu", "svetom"})


def parse_role(text: str) -> Role | None:
    return _ROLE_ALIASES.get(_key(text))


def parse_body_kind(text: str) -> BodyKind | None:
    return _BODY_KIND_ALIASES.get(_key(text))


def infer_body_kind(body_name: str) -> BodyKind | None:
    words = re.findall(r"[a-z]+", fold(body_name))
    for stems, kind in _BODY_KIND_STEMS:
        if kind is BodyKind.COUNCIL:
            if any(word in _COUNCIL_WORDS for word in words):
                return kind
        elif any(word.startswith(stems) for word in words):
            return kind
    return None


def body_slug(body_name: str) -> str:
    """Short ASCII name of a body.

    "Občinski svet Občine Gornji Grad" -> "obcinski-svet-obcine-gornji-grad".
    """
    return re.sub(r"[^a-z0-9]+", "-", fold(body_name)).strip("-")


_EMAIL = re.compile(
    r"^(?!\.)(?!.*\.\.)[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+(?<!\.)"
    r"@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}$"
)
_PHONE = re.compile(r"^\+?[0-9][0-9 /-]*[0-9]$")
_TELEGRAM = re.compile(r"^@?[A-Za-z][A-Za-z0-9_]{4,31}$")
# Matrix user IDs: @localpart:server[:port]; the localpart may hold any printable ASCII except
# ":" (historical IDs), the server is a host name, an IPv4 address or a bracketed IPv6 address.
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
_MATRIX = re.compile(
    rf"^@[!-9;-~]+:(?:{_HOST_LABEL}(?:\.{_HOST_LABEL})*|\[[0-9A-Fa-f:.]{{2,45}}\])"
    r"(?::[0-9]{1,5})?$"
)


def is_valid_email(text: str) -> bool:
    return len(text) <= 254 and _EMAIL.match(text) is not None


def is_valid_phone(text: str) -> bool:
    digits = sum(char.isdigit() for char in text)
    return _PHONE.match(text) is not None and 6 <= digits <= 15


def is_valid_telegram_username(text: str) -> bool:
    return _TELEGRAM.match(text) is not None


def is_valid_matrix_id(text: str) -> bool:
    return len(text) <= 255 and _MATRIX.match(text) is not None


class ProblemCode(StrEnum):
    EMPTY_FILE = "empty_file"
    UNDECODABLE = "undecodable"
    NO_ROWS = "no_rows"
    MISSING_COLUMNS = "missing_columns"
    UNKNOWN_COLUMN = "unknown_column"
    DUPLICATE_COLUMN = "duplicate_column"
    WRONG_COLUMN_COUNT = "wrong_column_count"
    REQUIRED_MISSING = "required_missing"
    INVALID_EMAIL = "invalid_email"
    INVALID_PHONE = "invalid_phone"
    INVALID_TELEGRAM = "invalid_telegram"
    INVALID_MATRIX = "invalid_matrix"
    UNKNOWN_ROLE = "unknown_role"
    UNKNOWN_BODY_KIND = "unknown_body_kind"
    BODY_KIND_NOT_INFERRED = "body_kind_not_inferred"
    INVALID_BODY_NAME = "invalid_body_name"
    CONFLICTING_BODY = "conflicting_body"
    RESPONDENT_WITHOUT_ORGANISATION = "respondent_without_organisation"
    DUPLICATE_PERSON = "duplicate_person"
    CONFLICTING_PERSON = "conflicting_person"
    SHARED_ACCOUNT = "shared_account"
    UNNAMED_COLUMN = "unnamed_column"
    SPREADSHEET_FILE = "spreadsheet_file"
    CONTROL_CHARACTER = "control_character"
    VALUE_TOO_LONG = "value_too_long"


PROBLEM_MESSAGES: Mapping[ProblemCode, str] = {
    ProblemCode.EMPTY_FILE: N_("The roster file is empty."),
    ProblemCode.UNDECODABLE: N_(
        "The roster file is neither UTF-8 nor Windows-1250 text; save it as CSV UTF-8."
    ),
    ProblemCode.NO_ROWS: N_("The roster file has a header but no people."),
    ProblemCode.MISSING_COLUMNS: N_("Line {line}: the header lacks the columns: {columns}."),
    ProblemCode.UNKNOWN_COLUMN: N_(
        "Line {line}: the column '{column}' is not known; the known columns are: {known}."
    ),
    ProblemCode.DUPLICATE_COLUMN: N_("Line {line}: the column '{column}' appears twice."),
    ProblemCode.WRONG_COLUMN_COUNT: N_(
        "Line {line}: expected {expected} values separated by '{delimiter}', found {found}."
    ),
    ProblemCode.REQUIRED_MISSING: N_("Line {line}, column '{column}': a value is required."),
    ProblemCode.INVALID_EMAIL: N_(
        "Line {line}, column '{column}': '{value}' is not a valid e-mail address."
    ),
    ProblemCode.INVALID_PHONE: N_(
        "Line {line}, column '{column}': '{value}' is not a phone number "
        "(use digits, spaces, +, / and -)."
    ),
    ProblemCode.INVALID_TELEGRAM: N_(
        "Line {line}, column '{column}': '{value}' is not a Telegram username "
        "(5 to 32 letters, digits or underscores, starting with a letter)."
    ),
    ProblemCode.INVALID_MATRIX: N_(
        "Line {line}, column '{column}': '{value}' is not a Matrix ID (like @ana.novak:matrix.org)."
    ),
    ProblemCode.UNKNOWN_ROLE: N_(
        "Line {line}, column '{column}': the role '{value}' is unknown; "
        "use member, chair, clerk, secretariat or respondent."
    ),
    ProblemCode.UNKNOWN_BODY_KIND: N_(
        "Line {line}, column '{column}': the body kind '{value}' is unknown; "
        "use council, committee, commission or presidency."
    ),
    ProblemCode.BODY_KIND_NOT_INFERRED: N_(
        "Line {line}, column '{column}': cannot tell what kind of body '{value}' is; "
        "add the column body_kind with council, committee, commission or presidency."
    ),
    ProblemCode.INVALID_BODY_NAME: N_(
        "Line {line}, column '{column}': the body name '{value}' has no letters or digits."
    ),
    ProblemCode.CONFLICTING_BODY: N_(
        "Line {line}, column '{column}': '{value}' differs from '{other}' on line {first_line} "
        "for the same body."
    ),
    ProblemCode.RESPONDENT_WITHOUT_ORGANISATION: N_(
        "Line {line}, column '{column}': a respondent needs the organisation "
        "(municipality) they answer for."
    ),
    ProblemCode.DUPLICATE_PERSON: N_(
        "Line {line}: {person} ({email}) is already listed for {body} on line {first_line}."
    ),
    ProblemCode.CONFLICTING_PERSON: N_(
        "Line {line}, column '{column}': '{value}' differs from '{other}' given for the same "
        "e-mail address on line {first_line}."
    ),
    ProblemCode.SHARED_ACCOUNT: N_(
        "Line {line}, column '{column}': '{value}' is already given for another person "
        "on line {first_line}."
    ),
    ProblemCode.UNNAMED_COLUMN: N_(
        "Line {line}: column {position} holds '{value}' but has no name in the header."
    ),
    ProblemCode.SPREADSHEET_FILE: N_(
        "The roster file is an Excel workbook (or another office document), not a CSV file. "
        "In Excel choose File, Save as, the type CSV UTF-8, and import that file."
    ),
    ProblemCode.CONTROL_CHARACTER: N_(
        "Line {line}, column '{column}': the value holds the invisible control character "
        "{character}; delete it (retype the value)."
    ),
    ProblemCode.VALUE_TOO_LONG: N_(
        "Line {line}: a value runs on for more than {limit} characters; probably a quotation "
        'mark (") there is not closed.'
    ),
}


@dataclass(frozen=True, slots=True)
class RosterProblem:
    """One problem of the file. ``column`` is the header as the file spells it, or a Column
    (translated when rendered) when the file lacks that column."""

    line: int
    column: str | Column
    code: ProblemCode
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self, translate: Callable[..., str]) -> str:
        params: dict[str, object] = {"line": self.line}
        params["column"] = (
            translate(COLUMN_LABELS[self.column])
            if isinstance(self.column, Column)
            else self.column
        )
        for name, value in self.params.items():
            if isinstance(value, Column):
                value = translate(COLUMN_LABELS[value])
            elif isinstance(value, tuple) and all(isinstance(item, Column) for item in value):
                value = ", ".join(translate(COLUMN_LABELS[item]) for item in value)
            params[name] = value
        return translate(PROBLEM_MESSAGES[self.code], **params)


@dataclass(frozen=True, slots=True)
class RosterRow:
    """A valid line: a person's seat in a body."""

    line: int
    name: str
    surname: str
    email: str
    role: Role
    body_name: str
    body_slug: str
    body_kind: BodyKind
    phone: str = ""
    telegram: str = ""  # without the leading @
    matrix: str = ""
    organisation: str = ""

    @property
    def email_key(self) -> str:
        return self.email.casefold()

    @property
    def full_name(self) -> str:
        return f"{self.name} {self.surname}"


@dataclass(frozen=True, slots=True)
class ParsedRoster:
    """The rows of a file, or (when ``problems`` is not empty) why it cannot be imported."""

    rows: tuple[RosterRow, ...]
    problems: tuple[RosterProblem, ...]
    encoding: str = ""
    delimiter: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


UTF8 = "UTF-8"
UTF8_BOM = "UTF-8 (BOM)"
UTF16 = "UTF-16"
WINDOWS_1250 = "Windows-1250"


def decode_roster(data: bytes) -> tuple[str, str] | None:
    """Text and the name of its encoding, or None when the bytes are no text we know."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), UTF8_BOM
        except UnicodeDecodeError:
            return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # "Unicode text" export of Excel
        try:
            return data.decode("utf-16"), UTF16
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8"), UTF8
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1250"), WINDOWS_1250
    except UnicodeDecodeError:
        return None


# Workbooks saved as .xlsx/.ods (ZIP) or .xls/.doc (OLE2) instead of CSV; read as Windows-1250
# they would turn into a header of garbage.
_OFFICE_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


def parse_roster(data: bytes) -> ParsedRoster:
    if data.startswith(_OFFICE_SIGNATURES):
        return ParsedRoster((), (RosterProblem(0, "", ProblemCode.SPREADSHEET_FILE),))
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # NUL never occurs in a text file outside UTF-16 (a PDF, an image, a program ...).
        return ParsedRoster((), (RosterProblem(0, "", ProblemCode.UNDECODABLE),))
    decoded = decode_roster(data)
    if decoded is None:
        return ParsedRoster((), (RosterProblem(0, "", ProblemCode.UNDECODABLE),))
    text, encoding = decoded
    return parse_roster_text(text, encoding=encoding)


def sniff_delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ";"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # and lone surrogates


def _clean(value: str) -> str:
    return " ".join(value.replace("\u00a0", " ").split())


def parse_roster_text(text: str, *, encoding: str = UTF8) -> ParsedRoster:
    text = text.removeprefix("\ufeff")
    header_line = next((line for line in text.splitlines() if line.strip()), None)
    if header_line is None:
        return ParsedRoster((), (RosterProblem(0, "", ProblemCode.EMPTY_FILE),), encoding)
    delimiter = sniff_delimiter(header_line)
    try:
        records = list(_records(text, delimiter))
    except _RunawayValue as runaway:
        problem = RosterProblem(
            runaway.line, "", ProblemCode.VALUE_TOO_LONG, {"limit": csv.field_size_limit()}
        )
        return ParsedRoster((), (problem,), encoding, delimiter)
    if not records:  # nothing but quotation marks and spaces
        return ParsedRoster((), (RosterProblem(0, "", ProblemCode.EMPTY_FILE),), encoding)
    header_number, header = records[0]
    columns, problems = _read_header(header_number, header)
    if problems:
        return ParsedRoster((), tuple(problems), encoding, delimiter)

    labels = {column: label for column, (_, label) in columns.items()}
    rows: list[RosterRow] = []
    for number, cells in records[1:]:
        if len(cells) != len(header):
            problems.append(
                RosterProblem(
                    number,
                    "",
                    ProblemCode.WRONG_COLUMN_COUNT,
                    {"expected": len(header), "found": len(cells), "delimiter": delimiter},
                )
            )
            continue
        named = {index for index, _ in columns.values()}
        problems.extend(
            RosterProblem(
                number,
                "",
                ProblemCode.UNNAMED_COLUMN,
                {"position": index + 1, "value": _clean(cell)},
            )
            for index, cell in enumerate(cells)
            if index not in named and _clean(cell)
        )
        values = {column: _clean(cells[index]) for column, (index, _) in columns.items()}
        row, row_problems = _read_row(number, values, labels)
        problems.extend(row_problems)
        if row is not None:
            rows.append(row)
    if len(records) == 1:
        problems.append(RosterProblem(0, "", ProblemCode.NO_ROWS))
    problems.extend(_cross_check(rows, labels))
    problems.sort(key=lambda problem: problem.line)
    if problems:
        return ParsedRoster((), tuple(problems), encoding, delimiter)
    return ParsedRoster(tuple(rows), (), encoding, delimiter)


class _RunawayValue(Exception):
    """A value longer than the csv module reads: mostly an opening quotation mark never closed."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Non-blank records with the file line each starts on (quoted values may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next_line = 1
    try:
        for cells in reader:
            start, next_line = next_line, reader.line_num + 1
            if any(cell.strip() for cell in cells):
                yield start, cells
    except csv.Error as error:  # "field larger than field limit"
        raise _RunawayValue(next_line) from error


def _read_header(
    number: int, header: list[str]
) -> tuple[dict[Column, tuple[int, str]], list[RosterProblem]]:
    columns: dict[Column, tuple[int, str]] = {}
    problems: list[RosterProblem] = []
    for index, raw in enumerate(header):
        label = _clean(raw)
        column = _HEADER_ALIASES.get(_key(label))
        if column is None:
            if label:
                problems.append(
                    RosterProblem(
                        number, label, ProblemCode.UNKNOWN_COLUMN, {"known": tuple(Column)}
                    )
                )
            # A column without a name (spreadsheets export one for a stray cell) is allowed
            # as long as it stays empty; each line checks that.
            continue
        if column in columns:
            problems.append(RosterProblem(number, label, ProblemCode.DUPLICATE_COLUMN))
            continue
        columns[column] = (index, label)
    missing = tuple(column for column in REQUIRED_COLUMNS if column not in columns)
    if missing:
        problems.insert(
            0, RosterProblem(number, "", ProblemCode.MISSING_COLUMNS, {"columns": missing})
        )
    return columns, problems


def _read_row(
    number: int, values: Mapping[Column, str], labels: Mapping[Column, str]
) -> tuple[RosterRow | None, list[RosterProblem]]:
    problems: list[RosterProblem] = []

    def problem(column: Column, code: ProblemCode, **params: object) -> None:
        problems.append(RosterProblem(number, labels.get(column, column), code, params))

    for column in REQUIRED_COLUMNS:
        if not values[column]:
            problem(column, ProblemCode.REQUIRED_MISSING)
    # Names and bodies end up in minutes and reports, whose formats refuse control characters.
    for column, value in values.items():
        if control := _CONTROL.search(value):
            problem(column, ProblemCode.CONTROL_CHARACTER, character=f"U+{ord(control[0]):04X}")

    email = values[Column.EMAIL]
    if email and not is_valid_email(email):
        problem(Column.EMAIL, ProblemCode.INVALID_EMAIL, value=email)
    phone = values.get(Column.PHONE, "")
    if phone and not is_valid_phone(phone):
        problem(Column.PHONE, ProblemCode.INVALID_PHONE, value=phone)
    telegram = values.get(Column.TELEGRAM, "")
    if telegram and not is_valid_telegram_username(telegram):
        problem(Column.TELEGRAM, ProblemCode.INVALID_TELEGRAM, value=telegram)
    matrix = values.get(Column.MATRIX, "")
    if matrix and not is_valid_matrix_id(matrix):
        problem(Column.MATRIX, ProblemCode.INVALID_MATRIX, value=matrix)

    role = parse_role(values[Column.ROLE]) if values[Column.ROLE] else None
    if values[Column.ROLE] and role is None:
        problem(Column.ROLE, ProblemCode.UNKNOWN_ROLE, value=values[Column.ROLE])

    organisation = values.get(Column.ORGANISATION, "")
    if role is Role.RESPONDENT and not organisation:
        problem(Column.ORGANISATION, ProblemCode.RESPONDENT_WITHOUT_ORGANISATION)

    body_name = values[Column.BODY]
    slug = body_slug(body_name)
    kind: BodyKind | None = None
    if body_name and not slug:
        problem(Column.BODY, ProblemCode.INVALID_BODY_NAME, value=body_name)
    kind_text = values.get(Column.BODY_KIND, "")
    if kind_text:
        kind = parse_body_kind(kind_text)
        if kind is None:
            problem(Column.BODY_KIND, ProblemCode.UNKNOWN_BODY_KIND, value=kind_text)
    elif slug:
        kind = infer_body_kind(body_name)
        if kind is None:
            problem(Column.BODY, ProblemCode.BODY_KIND_NOT_INFERRED, value=body_name)

    if problems or role is None or kind is None:
        return None, problems
    return (
        RosterRow(
            line=number,
            name=values[Column.NAME],
            surname=values[Column.SURNAME],
            email=email,
            role=role,
            body_name=body_name,
            body_slug=slug,
            body_kind=kind,
            phone=phone,
            telegram=telegram.removeprefix("@"),
            matrix=matrix,
            organisation=organisation,
        ),
        [],
    )


def _cross_check(rows: list[RosterRow], labels: Mapping[Column, str]) -> list[RosterProblem]:
    """Problems between lines: the same person twice in a body, one person described two ways,
    one chat account given for two people, one body named or typed two ways."""
    problems: list[RosterProblem] = []

    def problem(row: RosterRow, column: Column, code: ProblemCode, **params: object) -> None:
        problems.append(RosterProblem(row.line, labels.get(column, column), code, params))

    seats: dict[tuple[str, str], RosterRow] = {}
    people: dict[str, RosterRow] = {}
    bodies: dict[str, RosterRow] = {}
    accounts: dict[tuple[Column, str], RosterRow] = {}
    for row in rows:
        seat = (row.body_slug, row.email_key)
        if seat in seats:
            problems.append(
                RosterProblem(
                    row.line,
                    "",
                    ProblemCode.DUPLICATE_PERSON,
                    {
                        "person": row.full_name,
                        "email": row.email,
                        "body": row.body_name,
                        "first_line": seats[seat].line,
                    },
                )
            )
        else:
            seats[seat] = row

        first = bodies.setdefault(row.body_slug, row)
        if row.body_name != first.body_name:
            problem(
                row,
                Column.BODY,
                ProblemCode.CONFLICTING_BODY,
                value=row.body_name,
                other=first.body_name,
                first_line=first.line,
            )
        elif row.body_kind is not first.body_kind:
            problem(
                row,
                Column.BODY_KIND,
                ProblemCode.CONFLICTING_BODY,
                value=row.body_kind.value,
                other=first.body_kind.value,
                first_line=first.line,
            )

        earlier = people.setdefault(row.email_key, row)
        if earlier is not row:
            for column, mine, theirs, must_match in (
                (Column.NAME, row.name, earlier.name, True),
                (Column.SURNAME, row.surname, earlier.surname, True),
                (Column.PHONE, row.phone, earlier.phone, False),
                (Column.TELEGRAM, row.telegram, earlier.telegram, False),
                (Column.MATRIX, row.matrix, earlier.matrix, False),
            ):
                # Optional details may be written on one of a person's lines only.
                if mine != theirs and (must_match or (mine and theirs)):
                    problem(
                        row,
                        column,
                        ProblemCode.CONFLICTING_PERSON,
                        value=mine,
                        other=theirs,
                        first_line=earlier.line,
                    )

        for column, account in ((Column.TELEGRAM, row.telegram), (Column.MATRIX, row.matrix)):
            if not account:
                continue
            owner = accounts.setdefault((column, account.casefold()), row)
            if owner.email_key != row.email_key:
                problem(
                    row,
                    column,
                    ProblemCode.SHARED_ACCOUNT,
                    value=account,
                    first_line=owner.line,
                )
    return problems
