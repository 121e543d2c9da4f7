"""`sejabot session create|list|show|report` through click's test runner on a real SQLite file.

The command only stores a session as ready: nothing is sent from this process (the running
bot's outbox does that), so the tests check what is stored and what the clerk reads.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.domain.models import SessionStatus
from bot.timeutil import utc_now
from storage.database import Database
from tests.support.keys import TEST_KEYS

ROOT = Path(__file__).parents[3]
EXAMPLE_ROSTER = ROOT / "config" / "roster.example.csv"
EXAMPLE_SESSION = ROOT / "config" / "examples" / "dopisna-seja.toml"
ENVIRONMENT = ("SEJABOT_TELEGRAM_TOKEN", "SEJABOT_MATRIX_PASSWORD", "SEJABOT_MATRIX_ACCESS_TOKEN",
               "SEJABOT_CONFIG", "SEJABOT_LANG")  # fmt: skip
FUTURE = f"1. 3. {utc_now().year + 2} ob 12.00"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["--config", "sejabot.toml", *args])


@pytest.fixture(autouse=True)
def deployment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sejabot.toml").write_text(
        '[bot]\nlanguage = "sl"\ndatabase_path = "data/sejabot.sqlite3"\n', encoding="utf-8"
    )
    imported = run("roster", "import", str(EXAMPLE_ROSTER))
    assert imported.exit_code == 0, imported.output
    return tmp_path


def session_file(folder: Path, category: str = "appointment", title: str = "Imenovanje") -> Path:
    path = folder / "seja.toml"
    path.write_text(
        'body = "Občinski svet Občine Gornji Grad"\n'
        'title = "7. dopisna seja"\n'
        f'deadline = "{FUTURE}"\n'
        "[[motions]]\n"
        f'title = "{title}"\n'
        'resolution = "Občinski svet imenuje člana nadzornega odbora."\n'
        f'category = "{category}"\n',
        encoding="utf-8",
    )
    return path


def stored_statuses(folder: Path) -> list[SessionStatus]:
    async def read() -> list[SessionStatus]:
        db = await Database.open(folder / "data" / "sejabot.sqlite3", TEST_KEYS)
        try:
            ids = await db.read.correspondence.progress.all_ids()
            return [(await db.read.sessions.get(i)).status for i in ids]  # type: ignore[union-attr]
        finally:
            await db.close()

    return asyncio.run(read())


def test_the_example_file_is_stored_ready_for_the_bot(deployment: Path) -> None:
    example_dir = deployment / "primer"
    shutil.copytree(EXAMPLE_SESSION.parent, example_dir)
    text = (example_dir / "dopisna-seja.toml").read_text(encoding="utf-8")
    (example_dir / "dopisna-seja.toml").write_text(
        text.replace('deadline = "1. 2. 2027 ob 12.00"', f'deadline = "{FUTURE}"'), encoding="utf-8"
    )
    dry = run("session", "create", str(example_dir / "dopisna-seja.toml"), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "predlogov sklepov: 2, datotek gradiva: 1, članov za vabilo: 11" in dry.output
    assert "Preizkus: nič ni bilo shranjeno." in dry.output
    assert stored_statuses(deployment) == []

    stored = run("session", "create", str(example_dir / "dopisna-seja.toml"))
    assert stored.exit_code == 0, stored.output
    assert "Shranjeno kot seja 1" in stored.output
    assert stored_statuses(deployment) == [SessionStatus.CONVENED]

    listed = run("session", "list")
    assert "pripravljena, čaka, da jo bot pošlje" in listed.output
    shown = run("session", "show", "1")
    assert "Prejem potrjen: 0 od 11 (za sklepčnost potrebno 6)" in shown.output


def test_a_forbidden_category_is_refused_and_nothing_is_stored(deployment: Path) -> None:
    refused = run("session", "create", str(session_file(deployment, "budget")))
    assert refused.exit_code == 1
    assert "Na dopisni seji ni mogoče odločati o tej vrsti zadev: proračun." in refused.output
    assert stored_statuses(deployment) == []


def test_warning_words_stop_the_command_until_they_are_accepted(deployment: Path) -> None:
    path = session_file(deployment, "general", title="Določitev takse za dvorano")
    warned = run("session", "create", str(path))
    assert warned.exit_code == 1
    assert "Beseda 'takse'" in warned.output and "--accept-warnings" in warned.output
    assert stored_statuses(deployment) == []
    accepted = run("session", "create", str(path), "--accept-warnings")
    assert accepted.exit_code == 0, accepted.output
    assert stored_statuses(deployment) == [SessionStatus.CONVENED]


def test_mistakes_in_the_file_are_listed_by_key(deployment: Path) -> None:
    path = deployment / "seja.toml"
    path.write_text('body = "ni-takega"\ntitle = "T"\ndeadline = "jutri"\n', encoding="utf-8")
    result = run("session", "create", str(path))
    assert result.exit_code == 1
    assert "deadline:" in result.output and "motions:" in result.output
    valid = session_file(deployment)
    valid.write_text(valid.read_text(encoding="utf-8").replace(
        'body = "Občinski svet Občine Gornji Grad"', 'body = "ni-takega"'), encoding="utf-8")  # fmt: skip
    unknown_body = run("session", "create", str(valid))
    assert unknown_body.exit_code == 1
    assert (
        "ni-takega" in unknown_body.output
        and "obcinski-svet-obcine-gornji-grad" in unknown_body.output
    )


def test_reports_in_every_format(deployment: Path) -> None:
    assert run("session", "create", str(session_file(deployment))).exit_code == 0
    for fmt, start in (("pdf", b"%PDF"), ("docx", b"PK"), ("csv", b"\xef\xbb\xbf"), ("md", b"# ")):
        out = deployment / "izvoz" / f"zapisnik.{fmt}"
        result = run("session", "report", "1", "--format", fmt, "--out", str(out))
        assert result.exit_code == 0, result.output
        assert out.read_bytes().startswith(start)
    markdown = (deployment / "izvoz" / "zapisnik.md").read_text(encoding="utf-8")
    assert "Vmesno stanje" in markdown and "Čretnik Anton" in markdown
    default = run("session", "report", "1", "--format", "md")
    assert default.exit_code == 0 and (deployment / "zapisnik-dopisna-seja-1.md").exists()
    missing = run("session", "show", "42")
    assert missing.exit_code == 1 and "Dopisne seje 42 ni" in missing.output
