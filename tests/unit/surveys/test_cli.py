"""`sejabot survey validate|create|list|status|report` through click's test runner on a real
SQLite file; the bot's own side (opening, answering) through the services it runs."""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.domain.roster_csv import parse_roster
from bot.linking.roster_import import import_roster
from storage.database import Database
from storage.records import SurveyAnswer
from tests.support.keys import TEST_KEYS

ROOT = Path(__file__).resolve().parents[3]
SOS_2020 = ROOT / "config" / "surveys" / "sos-2020-seje-na-daljavo.yaml"
EXAMPLE_ROSTER = ROOT / "config" / "roster.example.csv"
ENVIRONMENT = ("SEJABOT_TELEGRAM_TOKEN", "SEJABOT_MATRIX_PASSWORD", "SEJABOT_MATRIX_ACCESS_TOKEN",
               "SEJABOT_CONFIG", "SEJABOT_LANG")  # fmt: skip
CONFIG = '[bot]\nlanguage = "sl"\ndatabase_path = "data/sejabot.sqlite3"\n'


@pytest.fixture(autouse=True)
def deployment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sejabot.toml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def with_roster(tmp_path: Path) -> Path:
    async def load() -> None:
        db = await Database.open(tmp_path / "data" / "sejabot.sqlite3", TEST_KEYS)
        try:
            parsed = parse_roster(EXAMPLE_ROSTER.read_bytes())
            await import_roster(db, parsed.rows, "gornji-grad-2016")
        finally:
            await db.close()

    asyncio.run(load())
    return tmp_path / "data" / "sejabot.sqlite3"


def test_validate_lists_the_questions_and_warns_of_a_past_deadline() -> None:
    result = run("survey", "validate", str(SOS_2020))
    assert result.exit_code == 0, result.output
    assert (
        "je veljaven vprašalnik: »Izvedba sej občinskih svetov na daljavo«, število vprašanj: 7."
        in result.output
    )
    assert "2. [orodje] Katero IKT orodje ste uporabili? *" in result.output
    assert "Rok »11. 11. 2020 ob 24.00« je že potekel" in result.output


def test_validate_names_file_and_line_of_every_problem(deployment: Path) -> None:
    broken = deployment / "napaka.yaml"
    broken.write_text("title: Seje\ndeadline: jutri\nquestions:\n  - key: a\n    kind: radio\n    text: x\n",
                      encoding="utf-8")  # fmt: skip
    result = run("survey", "validate", str(broken))
    assert result.exit_code == 1
    assert f"{broken}:2: Rok »jutri« ni datum z uro" in result.output
    assert f"{broken}:5: Vrsta vprašanja »radio« ni znana" in result.output
    assert "2 napaki" in result.output


def test_create_needs_a_future_deadline_and_stores_the_survey_as_ready(deployment: Path) -> None:
    database = with_roster(deployment)
    refused = run("survey", "create", str(SOS_2020))
    assert refused.exit_code == 1 and "je že potekel" in refused.output
    created = run("survey", "create", str(SOS_2020), "--deadline", "18. 11. 2040 ob 12.00")
    assert created.exit_code == 0, created.output
    assert (
        "Povpraševanje #1 »Izvedba sej občinskih svetov na daljavo« je shranjeno" in created.output
    )
    assert "(skupaj 7)" in created.output
    listed = run("survey", "list")
    assert (
        "#1 Izvedba sej občinskih svetov na daljavo — pripravljeno za pošiljanje; rok 18. 11. 2040 ob 12.00"
        in listed.output
    )

    async def stored() -> tuple[list[int], object]:
        db = await Database.open(database, TEST_KEYS)
        try:
            return await db.read.survey_progress.ready_to_open(), await db.read.surveys.get(1)
        finally:
            await db.close()

    ready, survey = asyncio.run(stored())
    assert ready == [1] and survey.deadline == datetime(2040, 11, 18, 11, 0, tzinfo=UTC)
    unknown = run(
        "survey", "create", str(SOS_2020), "--deadline", "18. 11. 2040 ob 12.00", "--body", "nobody"
    )
    assert unknown.exit_code == 1 and "kratkim imenom »nobody« ni" in unknown.output


def test_status_and_report_of_an_open_survey(deployment: Path) -> None:
    database = with_roster(deployment)
    assert (
        run("survey", "create", str(SOS_2020), "--deadline", "18. 11. 2040 ob 12.00").exit_code == 0
    )

    async def open_and_answer() -> None:
        # What the running bot does: open it; then Ajdovščina answers.
        from bot.surveys.distribution import open_survey

        db = await Database.open(database, TEST_KEYS)
        try:
            now = datetime(2040, 11, 10, 9, 0, tzinfo=UTC)
            async with db.transaction() as repos:
                assert await open_survey(repos, 1, now, ()) is not None
                organisation = await repos.organisations.get_by_name("Občina Ajdovščina")
                answers = [SurveyAnswer("izvedba", "da"), SurveyAnswer("orodje", "zoom"),
                           SurveyAnswer("izkusnje", "Težav ni bilo.")]  # fmt: skip
                await repos.surveys.submit_response(1, organisation.id, None, now, answers)
        finally:
            await db.close()

    asyncio.run(open_and_answer())
    status = run("survey", "status", "1")
    assert status.exit_code == 0, status.output
    assert "Stanje: odprto" in status.output
    assert "Odgovori občin: 1 od 7 (14 %)." in status.output
    assert "Niso odgovorili: Občina Bohinj, Občina Gornji Grad" in status.output

    report = run("survey", "report", "1", "--format", "md", "--out", "-")
    assert report.exit_code == 0
    assert "AJDOVŠČINA" in report.output and "Težav ni bilo." in report.output
    assert "še odprto: vmesni podatki" in report.output
    written = run("survey", "report", "1", "--format", "docx")
    assert (
        written.exit_code == 0
        and "anketa-1-izvedba-sej-obcinskih-svetov-na-daljavo.docx" in written.output
    )
    with zipfile.ZipFile(
        io.BytesIO(
            (deployment / "anketa-1-izvedba-sej-obcinskih-svetov-na-daljavo.docx").read_bytes()
        )
    ) as docx:
        assert "AJDOVŠČINA" in docx.read("word/document.xml").decode()
    grouped = run(
        "survey", "report", "1", "--format", "csv", "--group-by", "izkusnje", "--out", "x.csv"
    )
    assert grouped.exit_code == 0  # grouping matters only to documents
    refused = run("survey", "report", "1", "--format", "html", "--group-by", "izkusnje")
    assert refused.exit_code == 1 and "združuje le po vprašanju" in refused.output
    missing = run("survey", "status", "9")
    assert missing.exit_code == 1 and "Povpraševanja #9 ni." in missing.output
