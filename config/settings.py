"""Deployment settings: one TOML file for everything but secrets, which come from the environment.

``load_settings(path)`` reads the file, checks every key and returns frozen ``Settings``; any
mistake raises ``SettingsError`` listing every problem found, each naming the file, the dotted
key, what is wrong and how to fix it, in the user's language. ``load_settings(None)`` gives the
built-in defaults (both transports off), so the bot and its tests run without a file.

Relative paths in a file are relative to that file's folder, so a deployment works from any
working directory.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from bot.domain.syntax_wording import toml_detail
from bot.i18n import DEFAULT_LANGUAGE, N_, SUPPORTED_LANGUAGES, Translator
from bot.server_keys import SECRET_KEY_ENV, InvalidSecretKey, ServerKeys
from bot.timeutil import TimeInputError, parse_duration

EXAMPLE_PATH = Path(__file__).with_name("sejabot.example.toml")
BUILTIN_RULES_DIR = Path(__file__).with_name("rules")
# The association's 2020 questionnaire, offered to the secretariat as a model.
EXAMPLE_SURVEY_PATH = Path(__file__).with_name("surveys") / "sos-2020-seje-na-daljavo.yaml"

TELEGRAM_TOKEN_ENV = "SEJABOT_TELEGRAM_TOKEN"
MATRIX_PASSWORD_ENV = "SEJABOT_MATRIX_PASSWORD"
MATRIX_ACCESS_TOKEN_ENV = "SEJABOT_MATRIX_ACCESS_TOKEN"

# Keys that hold secrets: refused in the file, read only from these variables.
SECRET_KEYS: Mapping[tuple[str, str], str] = {
    ("bot", "secret_key"): SECRET_KEY_ENV,
    ("telegram", "token"): TELEGRAM_TOKEN_ENV,
    ("matrix", "password"): MATRIX_PASSWORD_ENV,
    ("matrix", "access_token"): MATRIX_ACCESS_TOKEN_ENV,
}


# --- field types -------------------------------------------------------------------------------


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    """Relative paths in a file are taken from the file's folder, not the working directory."""
    if "\x00" in str(value):
        raise PydanticCustomError("sejabot_path", "not a usable path")
    try:
        value = value.expanduser()
    except RuntimeError:  # "~someone" without such a user
        raise PydanticCustomError("sejabot_path", "not a usable path") from None
    base_dir = (info.context or {}).get("base_dir")
    if base_dir is not None and not value.is_absolute():
        return Path(base_dir) / value
    return value


def _timezone_name(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError("sejabot_timezone", "unknown time zone") from None
    return value


def _web_address(value: str) -> str:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - reading it checks the port's range
    except ValueError:  # e.g. an unclosed "[" of an IPv6 address, port 99999
        raise PydanticCustomError("sejabot_url", "not a web address") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PydanticCustomError("sejabot_url", "not a web address")
    return value.rstrip("/")


def _duration(value: object) -> timedelta:
    if not isinstance(value, str):
        raise PydanticCustomError("sejabot_duration", "not a duration")
    try:
        return parse_duration(value)
    except TimeInputError:
        raise PydanticCustomError("sejabot_duration", "not a duration") from None


def _latest_first(values: tuple[timedelta, ...]) -> tuple[timedelta, ...]:
    """Reminders in the order they go out; the order written in the file does not matter."""
    return tuple(sorted(set(values), reverse=True))


def _pattern(error_type: str, regex: str, *, strip: str = "") -> AfterValidator:
    compiled = re.compile(regex)

    def check(value: str) -> str:
        value = value.strip().lstrip(strip)
        if not compiled.fullmatch(value):
            raise PydanticCustomError(error_type, "does not match the expected form")
        return value

    return AfterValidator(check)


ConfigPath = Annotated[Path, AfterValidator(_resolve_path)]
TimezoneName = Annotated[StrictStr, AfterValidator(_timezone_name)]
WebAddress = Annotated[StrictStr, AfterValidator(_web_address)]
Duration = Annotated[timedelta, BeforeValidator(_duration)]
Reminders = Annotated[tuple[Duration, ...], AfterValidator(_latest_first)]
RuleSetName = Annotated[StrictStr, _pattern("sejabot_rule_set", r"[a-z0-9][a-z0-9_-]*")]
BotUsername = Annotated[
    StrictStr, _pattern("sejabot_bot_username", r"[A-Za-z][A-Za-z0-9_]{4,31}", strip="@")
]
_SERVER_NAME = r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?"
MatrixUserId = Annotated[StrictStr, _pattern("sejabot_matrix_user", rf"@[^:\s]+:{_SERVER_NAME}")]
ServerName = Annotated[StrictStr, _pattern("sejabot_server_name", _SERVER_NAME)]
Port = Annotated[StrictInt, Field(ge=1, le=65535)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- sections ----------------------------------------------------------------------------------


class BotSettings(_Section):
    language: Literal["sl", "en"] = "sl"
    timezone: TimezoneName = "Europe/Ljubljana"
    database_path: ConfigPath = Field(default=Path("var/sejabot.sqlite3"), validate_default=True)
    default_rule_set: RuleSetName = "gornji-grad-2016"
    # Extra folders searched for rule sets (<name>.toml) before the built-in config/rules.
    rules_dirs: tuple[ConfigPath, ...] = ()
    # Only from SEJABOT_SECRET_KEY: seals secret ballots, signs the audit trail (bot/server_keys.py).
    secret_key: SecretStr | None = Field(default=None, repr=False)

    @field_validator("secret_key")
    @classmethod
    def _secret_key_form(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                ServerKeys.from_secret(value.get_secret_value())
            except InvalidSecretKey:
                raise PydanticCustomError(
                    "sejabot_secret_key", "not a secret key as sejabot init prints it"
                ) from None
        return value


class TelegramSettings(_Section):
    enabled: StrictBool = False
    bot_username: BotUsername | None = None  # for deep links https://t.me/<name>?start=CODE
    mode: Literal["polling", "webhook"] = "polling"
    api_base_url: WebAddress | None = None  # None: Telegram's own Bot API server
    webhook_url: WebAddress | None = None
    webhook_listen: StrictStr = "127.0.0.1"
    webhook_port: Port = 8443
    token: SecretStr | None = Field(default=None, repr=False)  # only from SEJABOT_TELEGRAM_TOKEN

    def deep_link(self, code: str) -> str | None:
        """The link that opens the bot with an invitation code, if the username is known."""
        if self.bot_username is None:
            return None
        return f"https://t.me/{self.bot_username}?start={code}"


class MatrixSettings(_Section):
    enabled: StrictBool = False
    homeserver: WebAddress | None = None
    user_id: MatrixUserId | None = None
    device_id: StrictStr | None = None
    store_path: ConfigPath = Field(default=Path("var/matrix-store"), validate_default=True)
    # Users of other homeservers are refused unless their server is listed here.
    allowed_servers: tuple[ServerName, ...] = ()
    password: SecretStr | None = Field(
        default=None, repr=False
    )  # only from SEJABOT_MATRIX_PASSWORD
    access_token: SecretStr | None = Field(default=None, repr=False)  # only from ..._ACCESS_TOKEN

    @property
    def server_name(self) -> str | None:
        """The bot's own server, the part of user_id after the first colon."""
        return self.user_id.split(":", 1)[1].lower() if self.user_id else None

    def accepts_user(self, user_id: str) -> bool:
        """Whether a Matrix user may talk to the bot: its own server or a listed one."""
        _, _, server = user_id.partition(":")
        server = server.lower()
        if not server:
            return False
        return server == self.server_name or server in {s.lower() for s in self.allowed_servers}


class LinkingSettings(_Section):
    # How many days a linking code (what links a chat account to the roster) is valid.
    code_ttl_days: Annotated[StrictInt, Field(ge=1, le=365)] = 14


class ReminderSettings(_Section):
    # How long before the deadline a reminder goes to those who have not yet acted.
    correspondence: Reminders = (timedelta(hours=24), timedelta(hours=2))
    survey: Reminders = (timedelta(hours=48), timedelta(hours=24))


def _section_default() -> Any:
    # A missing section is validated like an empty one, so its relative default paths are
    # resolved against the file's folder too.
    return Field(default={}, validate_default=True)


class Settings(_Section):
    bot: BotSettings = _section_default()
    telegram: TelegramSettings = _section_default()
    matrix: MatrixSettings = _section_default()
    # Named [invitations] before the linking codes had a name of their own; still read.
    linking: LinkingSettings = Field(
        default={}, validate_default=True, validation_alias=AliasChoices("linking", "invitations")
    )
    reminders: ReminderSettings = _section_default()

    @property
    def language(self) -> str:
        return self.bot.language

    @property
    def timezone(self) -> str:
        return self.bot.timezone

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.bot.timezone)

    @property
    def database_path(self) -> Path:
        return self.bot.database_path

    @property
    def default_rule_set(self) -> str:
        return self.bot.default_rule_set

    @property
    def server_keys(self) -> ServerKeys | None:
        """The keys derived from SEJABOT_SECRET_KEY, or None when it is not set."""
        secret = self.bot.secret_key
        return None if secret is None else ServerKeys.from_secret(secret.get_secret_value())

    @property
    def rules_search_path(self) -> tuple[Path, ...]:
        """Folders searched for rule sets, the deployment's own first."""
        return (*self.bot.rules_dirs, BUILTIN_RULES_DIR)


# --- errors ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingsProblem:
    """One mistake: where it is (a dotted key, or a line and column), what is wrong, the fix.

    ``problem`` and ``fix`` are English message ids; ``params`` fill their placeholders.
    """

    problem: str
    fix: str
    key: str | None = None
    line: int | None = None
    column: int | None = None
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self, translator: Translator, file_label: str) -> str:
        problem = translator(self.problem, **self.params)
        fix = translator(self.fix, **self.params)
        if self.line is not None:
            return translator(
                "{file}, line {line}, column {column}: {problem} Fix: {fix}",
                file=file_label,
                line=self.line,
                column=self.column,
                problem=problem,
                fix=fix,
            )
        if self.key is not None:
            return translator(
                "{file}: {key}: {problem} Fix: {fix}",
                file=file_label,
                key=self.key,
                problem=problem,
                fix=fix,
            )
        return translator("{file}: {problem} Fix: {fix}", file=file_label, problem=problem, fix=fix)


class SettingsError(Exception):
    """The configuration cannot be used; ``messages`` has one translated line per problem."""

    def __init__(self, messages: Sequence[str], problems: Sequence[SettingsProblem] = ()) -> None:
        self.messages = tuple(messages)
        self.problems = tuple(problems)
        super().__init__("\n".join(self.messages))


# --- loading -----------------------------------------------------------------------------------


def load_settings(
    path: Path | None = None,
    environ: Mapping[str, str] = os.environ,
    *,
    language: str | None = None,
) -> Settings:
    """Read and check the configuration file (None: built-in defaults), secrets from ``environ``.

    ``language`` is the language of error messages; by default the file's own [bot] language.
    """
    if path is None:
        file_label = Translator(language or DEFAULT_LANGUAGE)("built-in defaults")
        return _validate({}, None, environ, language or DEFAULT_LANGUAGE, file_label)
    path = Path(path)
    text, problem = _read(path)
    data: dict[str, Any] = {}
    if problem is None:
        data, problem = _parse(text)
    translator_language = language or _language_of(data) or DEFAULT_LANGUAGE
    if problem is not None:
        raise _error([problem], translator_language, str(path))
    return _validate(data, path.parent.absolute(), environ, translator_language, str(path))


def peek_language(path: Path | None) -> str | None:
    """The [bot] language written in a file, if it can be read; never raises."""
    if path is None:
        return None
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):  # unreadable, not UTF-8, not TOML, an endless number
        return None
    return _language_of(data)


def starter_configuration(database_path: str | None = None) -> str:
    """The commented example file, optionally with another database path, for ``sejabot init``."""
    text = EXAMPLE_PATH.read_text(encoding="utf-8")
    if database_path is None:
        return text
    line = f"database_path = {json.dumps(database_path, ensure_ascii=False)}"
    return re.sub(r"(?m)^database_path = .*$", lambda _: line, text, count=1)


def _language_of(data: Mapping[str, Any]) -> str | None:
    section = data.get("bot")
    value = section.get("language") if isinstance(section, Mapping) else None
    return value if value in SUPPORTED_LANGUAGES else None


def _read(path: Path) -> tuple[str, SettingsProblem | None]:
    try:
        return path.read_text(encoding="utf-8-sig"), None  # Notepad writes a BOM
    except FileNotFoundError:
        return "", SettingsProblem(
            N_("the file does not exist."),
            N_("Run `sejabot init` to write one, or give the right path with --config."),
        )
    except UnicodeDecodeError:
        return "", SettingsProblem(
            N_("the file is not UTF-8 text."), N_("Save it as UTF-8 in a text editor.")
        )
    except OSError as error:
        return "", SettingsProblem(
            N_("the file cannot be read ({reason})."),
            N_("Check that the path is a file and that you may read it."),
            params={"reason": error.strerror or error.__class__.__name__},
        )


def _parse(text: str) -> tuple[dict[str, Any], SettingsProblem | None]:
    try:
        return tomllib.loads(text), None
    except tomllib.TOMLDecodeError as error:
        return {}, _syntax_problem(text, error)
    except ValueError:  # tomllib lets Python's limit on the digits of a number through
        return {}, SettingsProblem(
            N_("a number in the file has thousands of digits."),
            N_("Write each number with at most a few digits."),
        )


def _syntax_problem(text: str, error: tomllib.TOMLDecodeError) -> SettingsProblem:
    found = toml_detail(error)
    detail = found.explanation
    if found.line is not None and found.column is not None:
        line, column = found.line, found.column
    else:  # at the end of the file
        line, column = text.count("\n") + 1, len(text.rsplit("\n", 1)[-1]) + 1
    return SettingsProblem(
        N_("this is not valid TOML ({detail})."),
        N_(
            'Correct that line; text values need double quotes, e.g. language = "sl", '
            "and each section starts with a heading such as [bot]."
        ),
        line=line,
        column=column,
        params={"detail": detail},
    )


def _validate(
    data: dict[str, Any],
    base_dir: Path | None,
    environ: Mapping[str, str],
    language: str,
    file_label: str,
) -> Settings:
    data, problems = _without_secrets(data)
    _add_environment_secrets(data, environ)
    try:
        settings = Settings.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as error:
        problems += [_problem_from_pydantic(entry) for entry in error.errors()]
        raise _error(problems, language, file_label) from None
    problems += _consistency_problems(settings)
    if problems:
        raise _error(problems, language, file_label)
    return settings


def _error(problems: Sequence[SettingsProblem], language: str, file_label: str) -> SettingsError:
    translator = Translator(language)
    return SettingsError([p.render(translator, file_label) for p in problems], problems)


def _without_secrets(data: dict[str, Any]) -> tuple[dict[str, Any], list[SettingsProblem]]:
    """Drop secrets written in the file, each reported: they belong in the environment."""
    cleaned = dict(data)
    problems = []
    for (section, key), env_name in SECRET_KEYS.items():
        table = cleaned.get(section)
        if isinstance(table, dict) and key in table:
            cleaned[section] = {k: v for k, v in table.items() if k != key}
            problems.append(
                SettingsProblem(
                    N_("secrets must not be written in the configuration file."),
                    N_(
                        "Delete this line and set the environment variable instead: "
                        "export {env}=<secret>."
                    ),
                    key=f"{section}.{key}",
                    params={"env": env_name},
                )
            )
    return cleaned, problems


def _add_environment_secrets(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    for (section, key), env_name in SECRET_KEYS.items():
        value = environ.get(env_name, "").strip()
        if not value:
            continue
        table = data.setdefault(section, {})
        if isinstance(table, dict):  # a non-table is reported by validation
            data[section] = {**table, key: SecretStr(value)}


def _consistency_problems(settings: Settings) -> list[SettingsProblem]:
    problems = []
    telegram, matrix = settings.telegram, settings.matrix
    if telegram.enabled and telegram.token is None:
        problems.append(
            SettingsProblem(
                N_("the Telegram transport is enabled, but {env} is not set."),
                N_("export {env}=<token from @BotFather>, or set enabled = false."),
                key="telegram.enabled",
                params={"env": TELEGRAM_TOKEN_ENV},
            )
        )
    if telegram.enabled and telegram.mode == "webhook" and telegram.webhook_url is None:
        problems.append(
            SettingsProblem(
                N_('mode = "webhook" needs the address Telegram should call.'),
                N_(
                    'Set webhook_url = "https://..." to the public address of this bot, '
                    'or use mode = "polling".'
                ),
                key="telegram.webhook_url",
            )
        )
    if matrix.enabled:
        for key, value, example in (
            ("homeserver", matrix.homeserver, '"https://matrix.example.org"'),
            ("user_id", matrix.user_id, '"@sejabot:example.org"'),
        ):
            if value is None:
                problems.append(
                    SettingsProblem(
                        N_("the Matrix transport is enabled, but {name} is not set."),
                        N_("Set {name} = {example}, or set enabled = false."),
                        key=f"matrix.{key}",
                        params={"name": key, "example": example},
                    )
                )
        if matrix.password is None and matrix.access_token is None:
            problems.append(
                SettingsProblem(
                    N_(
                        "the Matrix transport is enabled, but neither {token_env} nor "
                        "{password_env} is set."
                    ),
                    N_(
                        "export {token_env}=<access token> or {password_env}=<password>, "
                        "or set enabled = false."
                    ),
                    key="matrix.enabled",
                    params={
                        "token_env": MATRIX_ACCESS_TOKEN_ENV,
                        "password_env": MATRIX_PASSWORD_ENV,
                    },
                )
            )
    for folder in settings.bot.rules_dirs:
        if not folder.is_dir():
            problems.append(
                SettingsProblem(
                    N_("the folder {path} does not exist."),
                    N_("Create it, or remove it from the list."),
                    key="bot.rules_dirs",
                    params={"path": str(folder)},
                )
            )
    if settings.database_path.is_dir():
        problems.append(
            SettingsProblem(
                N_("{path} is a folder, not a database file."),
                N_('Give a file name, e.g. database_path = "var/sejabot.sqlite3".'),
                key="bot.database_path",
                params={"path": str(settings.database_path)},
            )
        )
    return problems


# --- pydantic errors -> problems ---------------------------------------------------------------

# Error type -> (problem, fix). Placeholders: {value} the value written, {expected} the choices,
# {limit} a bound, {section} the section name.
_PROBLEMS: Mapping[str, tuple[str, str]] = {
    "bool_type": (N_("{value} is not true or false."), N_("Write true or false, without quotes.")),
    "int_type": (N_("{value} is not a whole number."), N_("Write a whole number, without quotes.")),
    "string_type": (N_("{value} is not text."), N_("Put the value in double quotes.")),
    "literal_error": (
        N_("{value} is not one of the allowed values."),
        N_("Use one of: {expected}."),
    ),
    "greater_than_equal": (N_("{value} is too small."), N_("Use at least {limit}.")),
    "less_than_equal": (N_("{value} is too large."), N_("Use at most {limit}.")),
    "tuple_type": (
        N_("{value} is not a list."),
        N_('Write a list in square brackets, e.g. ["first", "second"].'),
    ),
    "model_type": (
        N_("this should be a section, not a single value."),
        N_("Write it as a heading [{section}] with its keys on the lines below."),
    ),
    "path_type": (N_("{value} is not a path."), N_("Write the path in double quotes.")),
    "sejabot_path": (
        N_("{value} is not a usable path."),
        N_("Write it without control characters, and a home folder by its full path, not ~name."),
    ),
    "sejabot_duration": (
        N_("{value} is not a duration."),
        N_(
            "Write a number with a unit: m (minutes), h (hours) or d (days), "
            'e.g. "24h", "90m" or "2d".'
        ),
    ),
    "sejabot_timezone": (
        N_("{value} is not a known time zone."),
        N_('Use a name from the tz database, e.g. "Europe/Ljubljana".'),
    ),
    "sejabot_url": (
        N_("{value} is not a web address."),
        N_("Write a full address starting with https:// (http:// only for a local test server)."),
    ),
    "sejabot_matrix_user": (
        N_("{value} is not a Matrix user ID."),
        N_('Write it like "@sejabot:example.org".'),
    ),
    "sejabot_server_name": (
        N_("{value} is not a Matrix server name."),
        N_('Write only the server name, e.g. "matrix.example.org".'),
    ),
    "sejabot_secret_key": (
        N_("the value of {env} is not a secret key (32 random bytes in base64)."),
        N_("Export the value sejabot init printed, or a new one from: sejabot secret-key"),
    ),
    "sejabot_bot_username": (
        N_("{value} is not a Telegram bot username."),
        N_(
            'Write the name @BotFather gave the bot, e.g. "ObcinaGornjiGradBot" '
            "(5 to 32 letters, digits or underscores)."
        ),
    ),
    "sejabot_rule_set": (
        N_("{value} is not a rule set name."),
        N_('Use the rule set\'s file name without .toml, e.g. "gornji-grad-2016".'),
    ),
}
_SAME_PROBLEM = {
    "bool_parsing": "bool_type",
    "int_parsing": "int_type",
    "int_from_float": "int_type",
    "greater_than": "greater_than_equal",
    "less_than": "less_than_equal",
    "list_type": "tuple_type",
    "dict_type": "model_type",
    "model_attributes_type": "model_type",
}
_OTHER = (
    N_("the value is not accepted ({detail})."),
    N_("Compare the value with the commented example sejabot.example.toml."),
)


def _problem_from_pydantic(entry: Mapping[str, Any]) -> SettingsProblem:
    loc = tuple(part for part in entry["loc"] if isinstance(part, str))
    key = ".".join(loc)
    error_type = _SAME_PROBLEM.get(entry["type"], entry["type"])
    context = entry.get("ctx") or {}
    if error_type == "extra_forbidden":
        return _unknown_key(loc)
    problem, fix = _PROBLEMS.get(error_type, _OTHER)
    params = {
        "value": _shown(entry.get("input")),
        "expected": ", ".join(re.findall(r"'([^']*)'", str(context.get("expected", "")))),
        "limit": context.get("ge", context.get("le", context.get("gt", context.get("lt", "")))),
        "section": key,
        "detail": entry.get("msg", ""),
        "env": SECRET_KEY_ENV,
    }
    return SettingsProblem(problem, fix, key=key, params=params)


def _field_read_as(model: type[BaseModel], key: str) -> FieldInfo:
    """The field a key of the file fills: by its name, or by a name it is also read under."""
    for name, info in model.model_fields.items():
        alias = info.validation_alias
        if key == name or (isinstance(alias, AliasChoices) and key in alias.choices):
            return info
    raise KeyError(key)


def _unknown_key(loc: tuple[str, ...]) -> SettingsProblem:
    model: type[BaseModel] = Settings
    for part in loc[:-1]:
        annotation = _field_read_as(model, part).annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            break
        model = annotation
    secret_keys = {key for (_section, key) in SECRET_KEYS}
    known = [name for name in model.model_fields if name not in secret_keys]
    suggestion = difflib.get_close_matches(loc[-1], known, n=1)
    params = {"known": ", ".join(known), "suggestion": suggestion[0] if suggestion else ""}
    key = ".".join(loc)
    if len(loc) == 1:
        problem = N_("[{section}] is not a known section.")
        fix = (
            N_("Did you mean [{suggestion}]? Known sections: {known}.")
            if suggestion
            else N_("Remove it, or use one of the known sections: {known}.")
        )
        return SettingsProblem(problem, fix, key=key, params={**params, "section": key})
    fix = (
        N_("Did you mean {suggestion}? Known keys here: {known}.")
        if suggestion
        else N_("Remove it, or use one of the known keys here: {known}.")
    )
    return SettingsProblem(N_("unknown key."), fix, key=key, params=params)


def _shown(value: object) -> str:
    """A value as it was written in TOML, so the message quotes the user's own text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = json.dumps(value, ensure_ascii=False)
        return shown if len(shown) <= 80 else shown[:78] + '…"'  # not a pasted page in full
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return "[" + ", ".join(_shown(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{...}"
    return str(value)
