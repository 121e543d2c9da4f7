"""`sejabot init` and `sejabot check-config`, run through click's test runner on real files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from config.settings import EXAMPLE_PATH
from storage import sqlite as sqlite_adapter

ROSTER = EXAMPLE_PATH.with_name("roster.example.csv")

SECRET_VARIABLES = (
    "SEJABOT_TELEGRAM_TOKEN",
    "SEJABOT_MATRIX_PASSWORD",
    "SEJABOT_MATRIX_ACCESS_TOKEN",
    "SEJABOT_CONFIG",
    "SEJABOT_LANG",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in SECRET_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def tables(database: Path) -> set[str]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}


# --- init ---------------------------------------------------------------------------------------


def test_init_writes_the_configuration_and_creates_the_database(tmp_path: Path) -> None:
    result = run("init")
    assert result.exit_code == 0, result.output
    config = tmp_path / "sejabot.toml"
    database = tmp_path / "var" / "sejabot.sqlite3"
    assert config.read_text(encoding="utf-8") == EXAMPLE_PATH.read_text(encoding="utf-8")
    assert database.is_file()
    assert "schema_version" in tables(database)
    assert f"Konfiguracija je zapisana v {Path('sejabot.toml')}." in result.output
    assert f"Baza podatkov {database} je ustvarjena." in result.output
    assert "Naslednji koraki:" in result.output
    assert "1. Uredite sejabot.toml" in result.output
    assert "sejabot --config sejabot.toml check-config" in result.output
    assert "SEJABOT_TELEGRAM_TOKEN" in result.output


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    config = tmp_path / "sejabot.toml"
    config.write_text('[bot]\nlanguage = "en"\n', encoding="utf-8")
    refused = run("init")
    assert refused.exit_code == 1
    assert refused.stdout == ""
    assert refused.stderr == (
        "Error: sejabot.toml already exists; nothing was changed. Fix: add --force to overwrite "
        "it, or choose another file with --path.\n"
    )  # the existing file's language is used for the message
    assert config.read_text(encoding="utf-8") == '[bot]\nlanguage = "en"\n'
    assert not (tmp_path / "var").exists()

    forced = run("init", "--force")
    assert forced.exit_code == 0, forced.output
    assert config.read_text(encoding="utf-8") == EXAMPLE_PATH.read_text(encoding="utf-8")
    assert not list(tmp_path.glob(".*.partial"))


def test_init_with_path_and_database_in_english(tmp_path: Path) -> None:
    result = run(
        "--lang", "en", "init", "--path", "deploy/gornji-grad.toml", "--database", "data/gg.db"
    )
    assert result.exit_code == 0, result.output
    config = tmp_path / "deploy" / "gornji-grad.toml"
    database = tmp_path / "deploy" / "data" / "gg.db"
    assert 'database_path = "data/gg.db"' in config.read_text(encoding="utf-8")
    assert database.is_file()
    assert f"Wrote the configuration {Path('deploy/gornji-grad.toml')}." in result.output
    assert f"Created the database {database}." in result.output
    assert "Next steps:" in result.output

    again = run(
        "--lang",
        "en",
        "init",
        "--path",
        "deploy/gornji-grad.toml",
        "--force",
        "--database",
        "data/gg.db",
    )
    assert again.exit_code == 0, again.output
    assert f"The database {database} already existed; its schema is up to date." in again.output


def test_init_writes_where_config_points(tmp_path: Path) -> None:
    result = run("init", env={"SEJABOT_CONFIG": "etc/sejabot.toml"})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "etc" / "sejabot.toml").is_file()
    assert (tmp_path / "etc" / "var" / "sejabot.sqlite3").is_file()


# --- check-config -------------------------------------------------------------------------------


def test_check_config_on_a_good_file_shows_a_summary_without_secrets(tmp_path: Path) -> None:
    (tmp_path / "sejabot.toml").write_text(
        '[bot]\nlanguage = "en"\n[telegram]\nenabled = true\nbot_username = "ObcinaGGBot"\n'
        "[invitations]\ncode_ttl_days = 1\n",
        encoding="utf-8",
    )
    secret = "123456:very-secret-token"
    result = run("check-config", env={"SEJABOT_TELEGRAM_TOKEN": secret})
    assert result.exit_code == 0, result.output
    assert secret not in result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "The configuration sejabot.toml is valid."
    assert (
        "  Telegram: enabled; bot: ObcinaGGBot; mode: polling; SEJABOT_TELEGRAM_TOKEN: set" in lines
    )
    assert (
        "  Matrix: disabled; homeserver: -; user: -; SEJABOT_MATRIX_ACCESS_TOKEN: not set; "
        "SEJABOT_MATRIX_PASSWORD: not set"
    ) in lines
    assert "  Invitation codes are valid for 1 day." in lines
    assert "  Reminders before a correspondence session's deadline: 24h, 2h" in lines
    assert f"  Database: {tmp_path / 'var' / 'sejabot.sqlite3'} (will be created)" in lines


def test_check_config_summary_in_slovenian_with_plural(tmp_path: Path) -> None:
    config = tmp_path / "gg.toml"
    config.write_text("[invitations]\ncode_ttl_days = 3\n", encoding="utf-8")
    result = run("--config", str(config), "check-config")
    assert result.exit_code == 0, result.output
    assert f"Konfiguracija {config} je veljavna." in result.stdout
    assert "  Vabilne kode veljajo 3 dni." in result.stdout
    assert "  Opomniki pred rokom ankete: 48h, 24h" in result.stdout
    assert "SEJABOT_TELEGRAM_TOKEN: ni nastavljena" in result.stdout


def test_check_config_without_a_file_uses_the_defaults() -> None:
    result = run("--lang", "en", "check-config")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "No configuration file; the built-in defaults are in use and valid."
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            (
                "Error: sejabot.toml: telegram.enabled: the Telegram transport is enabled, but "
                "SEJABOT_TELEGRAM_TOKEN is not set. Fix: export SEJABOT_TELEGRAM_TOKEN=<token "
                "from @BotFather>, or set enabled = false.\n"
            ),
        ),
        (
            "sl",
            (
                "Napaka: sejabot.toml: telegram.enabled: povezava s Telegramom je vklopljena, "
                "spremenljivka SEJABOT_TELEGRAM_TOKEN pa ni nastavljena. Rešitev: Izvedite export "
                "SEJABOT_TELEGRAM_TOKEN=<žeton od @BotFather> ali nastavite enabled = false.\n"
            ),
        ),
    ],
)
def test_check_config_on_a_bad_file_fails_with_exit_code_2(
    tmp_path: Path, language: str, expected: str
) -> None:
    (tmp_path / "sejabot.toml").write_text("[telegram]\nenabled = true\n", encoding="utf-8")
    result = run("--lang", language, "check-config")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == expected


def test_check_config_lists_every_problem_on_its_own_line(tmp_path: Path) -> None:
    (tmp_path / "sejabot.toml").write_text(
        '[bot]\nlanguage = "en"\ntimezone = "Mars"\n[reminders]\nsurvey = ["soon"]\n',
        encoding="utf-8",
    )
    result = run("check-config")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(
        'Error: sejabot.toml: bot.timezone: "Mars" is not a known time zone.'
    )
    assert lines[1].startswith('Error: sejabot.toml: reminders.survey: "soon" is not a duration.')


def test_check_config_reports_a_toml_syntax_error_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "sejabot.toml").write_text("[bot]\n\nlanguage = sl\n", encoding="utf-8")
    result = run("check-config")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "Napaka: sejabot.toml, vrstica 3, stolpec 12: to ni veljaven TOML (vrednost manjka ali "
        "ni veljavna; besedilo mora biti v dvojnih narekovajih)."
    )


def test_missing_explicit_config_is_an_error() -> None:
    result = run("--lang", "en", "--config", "nowhere.toml", "check-config")
    assert result.exit_code == 2
    assert "nowhere.toml: the file does not exist." in result.stderr


def test_unknown_rule_set_is_a_warning_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "sejabot.toml").write_text(
        '[bot]\nlanguage = "en"\ndefault_rule_set = "obcina-nikjer"\n', encoding="utf-8"
    )
    result = run("check-config")
    assert result.exit_code == 0
    assert result.stderr.startswith("Warning: the rule set obcina-nikjer was not found in ")


# --- help ---------------------------------------------------------------------------------------


def test_help_is_translated() -> None:
    slovenian = run("--help")
    assert slovenian.exit_code == 0
    assert slovenian.output.startswith("Uporaba: ")
    assert "Možnosti" in slovenian.output and "Ukazi" in slovenian.output
    assert "init          Zapiše začetno konfiguracijo in ustvari bazo podatkov" in slovenian.output
    assert "Prikaže to sporočilo in konča." in slovenian.output

    english = run("--lang", "en", "init", "--help")
    assert english.output.startswith("Usage: ")
    assert "Overwrite an existing configuration file." in english.output

    from_environment = run("--help", env={"SEJABOT_LANG": "en"})
    assert "Write a starter configuration and create the database" in from_environment.output


def test_a_file_that_is_not_a_database_is_named_not_a_traceback(tmp_path: Path) -> None:
    assert run("init").exit_code == 0
    database = tmp_path / "var" / "sejabot.sqlite3"
    database.write_bytes(b"This is a letter to the council, not a database. " * 100)
    result = run("--config", "sejabot.toml", "--lang", "en", "audit", "head")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: The database {database} cannot be opened (")
    assert "not a database" in result.stderr
    assert "Fix: check that its folder exists" in result.stderr


def test_a_database_kept_busy_by_another_writer_gets_advice_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("init").exit_code == 0
    monkeypatch.setattr(sqlite_adapter, "BUSY_TIMEOUT_MS", 50)  # not the 5 s a person waits
    database = tmp_path / "var" / "sejabot.sqlite3"
    other = sqlite3.connect(database, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # as a running bot in the middle of a transaction
        result = run("--config", "sejabot.toml", "--lang", "en", "roster", "import", str(ROSTER))
    finally:
        other.close()
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: The database {database} stayed busy (the running bot was writing), so nothing "
        "was changed. Fix: run the command again in a moment.\n"
    )
