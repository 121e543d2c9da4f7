"""`sejabot live convene|list|report` through click's test runner on a real SQLite file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main

ROOT = Path(__file__).parents[3]
EXAMPLES = ROOT / "config" / "examples"
ROSTER = ROOT / "config" / "roster.example.csv"
CONFIG = '[bot]\nlanguage = "sl"\ndatabase_path = "data/sejabot.sqlite3"\n'
ENVIRONMENT = ("SEJABOT_TELEGRAM_TOKEN", "SEJABOT_MATRIX_PASSWORD", "SEJABOT_MATRIX_ACCESS_TOKEN",
               "SEJABOT_CONFIG", "SEJABOT_LANG")  # fmt: skip


@pytest.fixture(autouse=True)
def deployment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sejabot.toml").write_text(CONFIG, encoding="utf-8")
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def example(tmp_path: Path, starts: str) -> Path:
    path = tmp_path / "examples" / "redna-seja.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('starts = "10. 12. 2026 ob 17.00"', f'starts = "{starts}"')
    text = text.replace('ends = "10. 12. 2026 ob 20.00"', "")
    path.write_text(text, encoding="utf-8")
    return path


def test_convene_from_the_example_then_list_and_write_the_minutes(deployment: Path) -> None:
    assert run("roster", "import", str(ROSTER)).exit_code == 0
    convened = run("live", "convene", str(example(deployment, "10. 12. 2099 ob 17.00")))
    assert convened.exit_code == 0, convened.output
    assert (
        "Sklicana seja 1: 12. redna seja" in convened.output
        and "Vabljenih članov: 11" in convened.output
    )

    listing = run("live", "list")
    assert "12. redna seja — Občinski svet Občine Gornji Grad" in listing.output
    assert "sklicana" in listing.output and "točk: 5" in listing.output
    assert "vabilo še ni dostavljeno: 11" in listing.output  # the running bot has not sent them

    for fmt in ("docx", "pdf", "md", "csv"):
        written = run("live", "report", "1", "--format", fmt)
        assert written.exit_code == 0, written.output
        assert (deployment / f"zapisnik-seja-1.{fmt}").stat().st_size > 0
    markdown = (deployment / "zapisnik-seja-1.md").read_text(encoding="utf-8")
    assert "Spremembe Poslovnika" in markdown and "Novak Ana" in markdown


def test_a_date_too_soon_is_refused_with_the_reason_and_nothing_is_stored(deployment: Path) -> None:
    assert run("roster", "import", str(ROSTER)).exit_code == 0
    refused = run("live", "convene", str(example(deployment, "1. 1. 2020 ob 17.00")))
    assert refused.exit_code == 1
    assert "že minil" in refused.output and "nič ni bilo shranjeno" in refused.output
    assert "Ni nobene seje v živo." in run("live", "list").output


def test_an_unknown_body_and_a_missing_session_are_explained(deployment: Path) -> None:
    refused = run("live", "convene", str(example(deployment, "10. 12. 2099 ob 17.00")))
    assert (
        refused.exit_code == 1 and "organa »Občinski svet Občine Gornji Grad« ni" in refused.output
    )
    missing = run("live", "report", "42")
    assert missing.exit_code == 1 and "Seje v živo 42 ni" in missing.output
