"""Settings: defaults, the example file, secrets from the environment, and every mistake explained."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from config.settings import (
    EXAMPLE_PATH,
    Settings,
    SettingsError,
    load_settings,
    peek_language,
    starter_configuration,
)

TOKEN = "123456:telegram-secret-value"


def write(folder: Path, text: str, name: str = "sejabot.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path: Path, language: str, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(path, environ or {}, language=language)
    assert str(caught.value) == "\n".join(caught.value.messages)
    return list(caught.value.messages)


# --- happy paths --------------------------------------------------------------------------------


def test_embedded_defaults() -> None:
    settings = load_settings(None, {})
    assert settings.language == "sl"
    assert settings.timezone == "Europe/Ljubljana"
    assert settings.zone.key == "Europe/Ljubljana"
    assert settings.database_path == Path("var/sejabot.sqlite3")
    assert settings.default_rule_set == "gornji-grad-2016"
    assert settings.linking.code_ttl_days == 14
    assert settings.telegram.enabled is False and settings.telegram.token is None
    assert settings.matrix.enabled is False
    assert settings.matrix.password is None and settings.matrix.access_token is None
    assert settings.reminders.correspondence == (timedelta(hours=24), timedelta(hours=2))
    assert settings.reminders.survey == (timedelta(hours=48), timedelta(hours=24))


def test_example_file_loads_and_its_paths_are_relative_to_its_folder() -> None:
    settings = load_settings(EXAMPLE_PATH, {})
    assert settings.database_path == EXAMPLE_PATH.parent / "var" / "sejabot.sqlite3"
    assert settings.matrix.store_path == EXAMPLE_PATH.parent / "var" / "matrix-store"
    assert settings.telegram.mode == "polling"
    assert settings.rules_search_path[-1] == EXAMPLE_PATH.parent / "rules"


@pytest.mark.parametrize("section", ["linking", "invitations"])
def test_the_linking_code_lifetime_is_read_also_under_its_earlier_section_name(
    tmp_path: Path, section: str
) -> None:
    settings = load_settings(write(tmp_path, f"[{section}]\ncode_ttl_days = 30\n"), {})
    assert settings.linking.code_ttl_days == 30


def test_settings_are_frozen() -> None:
    settings = load_settings(None, {})
    with pytest.raises(ValueError):
        settings.bot.language = "en"  # type: ignore[misc]


def test_secrets_come_from_the_environment_and_are_never_shown(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[telegram]\nenabled = true\nbot_username = "@ObcinaGornjiGradBot"\n'
        '[matrix]\nenabled = true\nhomeserver = "https://matrix.gornji-grad.si/"\n'
        'user_id = "@sejabot:gornji-grad.si"\n',
    )
    environ = {
        "SEJABOT_TELEGRAM_TOKEN": TOKEN,
        "SEJABOT_MATRIX_ACCESS_TOKEN": "syt_matrix_secret",
        "SEJABOT_MATRIX_PASSWORD": "  ",  # blank counts as not set
    }
    settings = load_settings(path, environ)
    assert isinstance(settings.telegram.token, SecretStr)
    assert settings.telegram.token.get_secret_value() == TOKEN
    assert settings.matrix.access_token is not None
    assert settings.matrix.access_token.get_secret_value() == "syt_matrix_secret"
    assert settings.matrix.password is None
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    assert TOKEN not in shown and "syt_matrix_secret" not in shown
    assert settings.telegram.bot_username == "ObcinaGornjiGradBot"
    assert settings.telegram.deep_link("ABC123") == "https://t.me/ObcinaGornjiGradBot?start=ABC123"
    assert settings.matrix.homeserver == "https://matrix.gornji-grad.si"


def test_matrix_accepts_own_and_listed_servers_only(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[matrix]\nuser_id = "@sejabot:Gornji-Grad.si"\n'
        'allowed_servers = ["matrix.skupnostobcin.si", "localhost:8448"]\n',
    )
    matrix = load_settings(path, {}).matrix
    assert matrix.server_name == "gornji-grad.si"
    assert matrix.accepts_user("@ana.novak:gornji-grad.si")
    assert matrix.accepts_user("@sekretariat:matrix.skupnostobcin.si")
    assert matrix.accepts_user("@test:localhost:8448")
    assert not matrix.accepts_user("@stranger:matrix.org")
    assert not matrix.accepts_user("no-server")


def test_relative_paths_use_the_file_folder_absolute_paths_stay(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    absolute = tmp_path / "elsewhere" / "db.sqlite3"
    path = write(
        tmp_path,
        f'[bot]\ndatabase_path = "{absolute.as_posix()}"\nrules_dirs = ["rules"]\n',
    )
    settings = load_settings(path, {})
    assert settings.database_path == absolute
    assert settings.bot.rules_dirs == (tmp_path / "rules",)
    assert settings.rules_search_path[0] == tmp_path / "rules"
    # A section left out entirely still resolves its default path against the file's folder.
    assert settings.matrix.store_path == tmp_path / "var" / "matrix-store"


def test_reminders_accept_units_and_go_out_latest_first(tmp_path: Path) -> None:
    path = write(tmp_path, '[reminders]\ncorrespondence = ["90m", "2d", "24h", "24h"]\n')
    settings = load_settings(path, {})
    assert settings.reminders.correspondence == (
        timedelta(days=2),
        timedelta(hours=24),
        timedelta(minutes=90),
    )


def test_webhook_mode_with_address(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[telegram]\nenabled = true\nmode = "webhook"\n'
        'webhook_url = "https://sejabot.gornji-grad.si/telegram"\nwebhook_port = 8080\n'
        'api_base_url = "http://127.0.0.1:8081/bot"\n',
    )
    telegram = load_settings(path, {"SEJABOT_TELEGRAM_TOKEN": TOKEN}).telegram
    assert telegram.webhook_port == 8080
    assert telegram.api_base_url == "http://127.0.0.1:8081/bot"


def test_starter_configuration_names_the_database_and_loads(tmp_path: Path) -> None:
    text = starter_configuration('data/občina "GG".sqlite3')
    path = write(tmp_path, text)
    assert load_settings(path, {}).database_path == tmp_path / "data" / 'občina "GG".sqlite3'
    assert starter_configuration() == EXAMPLE_PATH.read_text(encoding="utf-8")


def test_peek_language_never_raises(tmp_path: Path) -> None:
    assert peek_language(write(tmp_path, '[bot]\nlanguage = "en"\n')) == "en"
    assert peek_language(write(tmp_path, "[bot\n", "broken.toml")) is None
    assert peek_language(tmp_path / "missing.toml") is None
    assert peek_language(None) is None


# --- mistakes -----------------------------------------------------------------------------------

# (file text, environment, expected messages in English, expected messages in Slovenian);
# "{f}" stands for the file's path.
CASES = {
    "syntax error": (
        '[bot]\nlanguage = "sl"\ntimezone = Europe/Ljubljana\n',
        {},
        [
            (
                "{f}, line 3, column 12: this is not valid TOML (a value is missing or not valid; "
                "a text needs double quotes). Fix: Correct that "
                'line; text values need double quotes, e.g. language = "sl", and each section starts '
                "with a heading such as [bot]."
            )
        ],
        [
            (
                "{f}, vrstica 3, stolpec 12: to ni veljaven TOML (vrednost manjka ali ni veljavna; "
                "besedilo mora biti v dvojnih narekovajih). Rešitev: Popravite to "
                'vrstico; besedilne vrednosti morajo biti v dvojnih narekovajih, npr. language = "sl", '
                "vsak razdelek pa se začne z naslovom, kot je [bot]."
            )
        ],
    ),
    "unknown key": (
        "[telegram]\nenabeld = true\n",
        {},
        [
            (
                "{f}: telegram.enabeld: unknown key. Fix: Did you mean enabled? Known keys here: "
                "enabled, bot_username, mode, api_base_url, webhook_url, webhook_listen, webhook_port."
            )
        ],
        [
            (
                "{f}: telegram.enabeld: neznan ključ. Rešitev: Ste mislili enabled? Znani ključi v tem "
                "razdelku: enabled, bot_username, mode, api_base_url, webhook_url, webhook_listen, "
                "webhook_port."
            )
        ],
    ),
    "unknown section": (
        "[reminder]\n",
        {},
        [
            (
                "{f}: reminder: [reminder] is not a known section. Fix: Did you mean [reminders]? "
                "Known sections: bot, telegram, matrix, linking, reminders."
            )
        ],
        [
            (
                "{f}: reminder: [reminder] ni znan razdelek. Rešitev: Ste mislili [reminders]? "
                "Znani razdelki: bot, telegram, matrix, linking, reminders."
            )
        ],
    ),
    "wrong type": (
        '[telegram]\nwebhook_port = "8443"\n[invitations]\ncode_ttl_days = 0\n',
        {},
        [
            (
                '{f}: telegram.webhook_port: "8443" is not a whole number. Fix: Write a whole number, '
                "without quotes."
            ),
            "{f}: invitations.code_ttl_days: 0 is too small. Fix: Use at least 1.",
        ],
        [
            (
                '{f}: telegram.webhook_port: "8443" ni celo število. Rešitev: Zapišite celo število, '
                "brez narekovajev."
            ),
            "{f}: invitations.code_ttl_days: vrednost 0 je premajhna. Rešitev: Uporabite najmanj 1.",
        ],
    ),
    "bad duration": (
        '[reminders]\nsurvey = ["48h", "1 teden"]\n',
        {},
        [
            (
                '{f}: reminders.survey: "1 teden" is not a duration. Fix: Write a number with a unit: '
                'm (minutes), h (hours) or d (days), e.g. "24h", "90m" or "2d".'
            )
        ],
        [
            (
                '{f}: reminders.survey: "1 teden" ni trajanje. Rešitev: Zapišite število z enoto: '
                'm (minute), h (ure) ali d (dnevi), npr. "24h", "90m" ali "2d".'
            )
        ],
    ),
    "bad timezone": (
        '[bot]\ntimezone = "Europe/Lubljana"\n',
        {},
        [
            (
                '{f}: bot.timezone: "Europe/Lubljana" is not a known time zone. Fix: Use a name from '
                'the tz database, e.g. "Europe/Ljubljana".'
            )
        ],
        [
            (
                '{f}: bot.timezone: "Europe/Lubljana" ni znan časovni pas. Rešitev: Uporabite ime iz '
                'baze časovnih pasov tz, npr. "Europe/Ljubljana".'
            )
        ],
    ),
    "secret in file": (
        '[telegram]\ntoken = "123456:abc"\n',
        {},
        [
            (
                "{f}: telegram.token: secrets must not be written in the configuration file. Fix: "
                "Delete this line and set the environment variable instead: "
                "export SEJABOT_TELEGRAM_TOKEN=<secret>."
            )
        ],
        [
            (
                "{f}: telegram.token: skrivnosti ne smejo biti zapisane v konfiguracijski datoteki. "
                "Rešitev: Izbrišite to vrstico in namesto tega nastavite spremenljivko okolja: "
                "export SEJABOT_TELEGRAM_TOKEN=<skrivnost>."
            )
        ],
    ),
    "missing telegram secret": (
        "[telegram]\nenabled = true\n",
        {"SEJABOT_TELEGRAM_TOKEN": ""},
        [
            (
                "{f}: telegram.enabled: the Telegram transport is enabled, but SEJABOT_TELEGRAM_TOKEN "
                "is not set. Fix: export SEJABOT_TELEGRAM_TOKEN=<token from @BotFather>, or set "
                "enabled = false."
            )
        ],
        [
            (
                "{f}: telegram.enabled: povezava s Telegramom je vklopljena, spremenljivka "
                "SEJABOT_TELEGRAM_TOKEN pa ni nastavljena. Rešitev: Izvedite export "
                "SEJABOT_TELEGRAM_TOKEN=<žeton od @BotFather> ali nastavite enabled = false."
            )
        ],
    ),
    "missing matrix secret and homeserver": (
        '[matrix]\nenabled = true\nuser_id = "@sejabot:gornji-grad.si"\n',
        {},
        [
            (
                "{f}: matrix.homeserver: the Matrix transport is enabled, but homeserver is not set. "
                'Fix: Set homeserver = "https://matrix.example.org", or set enabled = false.'
            ),
            (
                "{f}: matrix.enabled: the Matrix transport is enabled, but neither "
                "SEJABOT_MATRIX_ACCESS_TOKEN nor SEJABOT_MATRIX_PASSWORD is set. Fix: export "
                "SEJABOT_MATRIX_ACCESS_TOKEN=<access token> or SEJABOT_MATRIX_PASSWORD=<password>, "
                "or set enabled = false."
            ),
        ],
        [
            (
                "{f}: matrix.homeserver: povezava z Matrixom je vklopljena, ključ homeserver pa ni "
                'nastavljen. Rešitev: Nastavite homeserver = "https://matrix.example.org" ali '
                "nastavite enabled = false."
            ),
            (
                "{f}: matrix.enabled: povezava z Matrixom je vklopljena, vendar ni nastavljena niti "
                "spremenljivka SEJABOT_MATRIX_ACCESS_TOKEN niti SEJABOT_MATRIX_PASSWORD. Rešitev: "
                "Izvedite export SEJABOT_MATRIX_ACCESS_TOKEN=<dostopni žeton> ali "
                "SEJABOT_MATRIX_PASSWORD=<geslo> ali nastavite enabled = false."
            ),
        ],
    ),
    "bad language": (
        '[bot]\nlanguage = "de"\n',
        {},
        ['{f}: bot.language: "de" is not one of the allowed values. Fix: Use one of: sl, en.'],
        [
            (
                '{f}: bot.language: "de" ni ena od dovoljenih vrednosti. Rešitev: Uporabite eno od '
                "teh vrednosti: sl, en."
            )
        ],
    ),
    "webhook without address": (
        '[telegram]\nenabled = true\nmode = "webhook"\n',
        {"SEJABOT_TELEGRAM_TOKEN": TOKEN},
        [
            (
                '{f}: telegram.webhook_url: mode = "webhook" needs the address Telegram should call. '
                'Fix: Set webhook_url = "https://..." to the public address of this bot, or use '
                'mode = "polling".'
            )
        ],
        [
            (
                '{f}: telegram.webhook_url: mode = "webhook" potrebuje naslov, ki ga bo klical '
                'Telegram. Rešitev: Nastavite webhook_url = "https://..." na javni naslov tega bota '
                'ali uporabite mode = "polling".'
            )
        ],
    ),
    "section written as a value": (
        "matrix = true\n",
        {},
        [
            (
                "{f}: matrix: this should be a section, not a single value. Fix: Write it as a heading "
                "[matrix] with its keys on the lines below."
            )
        ],
        [
            (
                "{f}: matrix: to mora biti razdelek, ne posamezna vrednost. Rešitev: Zapišite ga kot "
                "naslov [matrix], njegove ključe pa v vrstice pod njim."
            )
        ],
    ),
}


@pytest.mark.parametrize("language", ["en", "sl"])
@pytest.mark.parametrize("case", CASES)
def test_each_mistake_is_explained(tmp_path: Path, case: str, language: str) -> None:
    text, environ, english, slovenian = CASES[case]
    path = write(tmp_path, text)
    expected = english if language == "en" else slovenian
    assert errors_of(path, language, environ) == [line.format(f=path) for line in expected]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[telegram]\nenabled = "yes"\n', '"yes" is not true or false.'),
        ('[matrix]\nuser_id = "sejabot"\n', '"sejabot" is not a Matrix user ID.'),
        (
            '[matrix]\nhomeserver = "matrix.example.org"\n',
            '"matrix.example.org" is not a web address.',
        ),
        ('[matrix]\nallowed_servers = "a.si"\n', '"a.si" is not a list.'),
        (
            '[matrix]\nallowed_servers = ["https://a.si"]\n',
            '"https://a.si" is not a Matrix server name.',
        ),
        ('[telegram]\nbot_username = "ab"\n', '"ab" is not a Telegram bot username.'),
        ('[bot]\ndefault_rule_set = "Gornji Grad"\n', '"Gornji Grad" is not a rule set name.'),
        ("[bot]\ndatabase_path = 5\n", "5 is not a path."),
        ("[reminders]\ncorrespondence = [24]\n", "24 is not a duration."),
        ('[reminders]\ncorrespondence = ["0h"]\n', '"0h" is not a duration.'),
        ("[telegram]\nwebhook_port = 70000\n", "70000 is too large."),
        ('[matrix]\npassword = "x"\naccess_token = "y"\n', "secrets must not be written"),
        ('[bot]\nrules_dirs = ["no-such-folder"]\n', "no-such-folder does not exist."),
    ],
)
def test_more_value_mistakes(tmp_path: Path, text: str, message: str) -> None:
    messages = errors_of(write(tmp_path, text), "en")
    assert any(message in line for line in messages), messages


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[bot]\nlanguage = "de"\ntimezone = "Mars/Base"\n[telegram]\ntoken = "x"\nenable = 1\n',
    )
    messages = errors_of(path, "en")
    keys = [line.split(": ")[1] for line in messages]
    assert keys == ["telegram.token", "bot.language", "bot.timezone", "telegram.enable"]


def test_messages_follow_the_file_language_unless_asked(tmp_path: Path) -> None:
    path = write(tmp_path, '[bot]\nlanguage = "en"\ntimezone = "Nowhere"\n')
    with pytest.raises(SettingsError, match="is not a known time zone"):
        load_settings(path, {})
    with pytest.raises(SettingsError, match="ni znan časovni pas"):
        load_settings(path, {}, language="sl")
    broken = write(tmp_path, "[bot\n", "broken.toml")
    with pytest.raises(SettingsError, match=r"vrstica 1, stolpec 5: to ni veljaven TOML"):
        load_settings(broken, {})


def test_syntax_error_at_the_end_of_the_file_names_the_last_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[bot]\nlanguage = "sl')
    (message,) = errors_of(path, "en")
    assert message.startswith(
        f"{path}, line 2, column 15: this is not valid TOML (a text is missing its closing quote)"
    )


def test_missing_file_is_explained(tmp_path: Path) -> None:
    (message,) = errors_of(tmp_path / "sejabot.toml", "sl")
    assert message == (
        f"{tmp_path / 'sejabot.toml'}: datoteka ne obstaja. Rešitev: Ustvarite jo z ukazom "
        "`sejabot init` ali podajte pravo pot z --config."
    )


def test_database_path_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (message,) = errors_of(write(tmp_path, '[bot]\ndatabase_path = "data"\n'), "en")
    assert f"bot.database_path: {tmp_path / 'data'} is a folder, not a database file." in message


def test_settings_model_rejects_unknown_keys_directly() -> None:
    with pytest.raises(ValueError):
        Settings.model_validate({"bot": {"langauge": "sl"}})
