"""`sejabot roster import|invite|list` through click's test runner on a real SQLite file."""

from __future__ import annotations

import asyncio
import csv
import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.domain.models import Platform
from bot.linking.cli import roster
from bot.linking.codes import redeem_code
from bot.timeutil import utc_now
from storage.database import Database
from tests.support.keys import TEST_KEYS

EXAMPLE = Path(__file__).parents[3] / "config" / "roster.example.csv"
ENVIRONMENT = (
    "SEJABOT_TELEGRAM_TOKEN",
    "SEJABOT_MATRIX_PASSWORD",
    "SEJABOT_MATRIX_ACCESS_TOKEN",
    "SEJABOT_CONFIG",
    "SEJABOT_LANG",
)
CONFIG = """\
[bot]
language = "sl"
database_path = "data/sejabot.sqlite3"

[telegram]
bot_username = "SejaGornjiGradBot"

[matrix]
user_id = "@sejabot:matrix.example"

[invitations]
code_ttl_days = 10
"""


def sejabot() -> click.Group:
    """The real root command with the roster group, whether or not it is registered yet."""
    if "roster" in main.commands:
        return main
    root = click.Group(
        main.name, params=main.params, callback=main.callback, commands=dict(main.commands)
    )
    root.add_command(roster)
    return root


@pytest.fixture(autouse=True)
def deployment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sejabot.toml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(sejabot(), list(args), catch_exceptions=False)


def database(tmp_path: Path) -> Path:
    return tmp_path / "data" / "sejabot.sqlite3"


def count(tmp_path: Path, table: str) -> int:
    if not database(tmp_path).exists():
        return 0
    with sqlite3.connect(database(tmp_path)) as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_import_of_the_example_prints_the_report(tmp_path: Path) -> None:
    result = run("roster", "import", str(EXAMPLE))

    assert result.exit_code == 0, result.output
    assert f"Prebrano {EXAMPLE}: vrstic: 26, kodiranje UTF-8, ločilo »;«." in result.output
    assert (
        "Občinski svet Občine Gornji Grad (obcinski-svet-obcine-gornji-grad), nov organ: "
        "dodanih: 13, posodobljenih: 0, nespremenjenih: 0, deaktiviranih: 0"
    ) in result.output
    assert (
        "Skupaj dodanih: 26, posodobljenih: 0, nespremenjenih: 0, deaktiviranih: 0" in result.output
    )
    assert "Seznam članov je uvožen." in result.output
    assert count(tmp_path, "persons") == 22
    assert count(tmp_path, "memberships") == 26


def test_reimport_after_a_removal_in_english(tmp_path: Path) -> None:
    run("roster", "import", str(EXAMPLE))
    smaller = tmp_path / "roster.csv"
    smaller.write_text(
        "\n".join(
            line for line in EXAMPLE.read_text(encoding="utf-8").splitlines() if "Rakun" not in line
        ),
        encoding="utf-8",
    )

    result = run("--lang", "en", "roster", "import", str(smaller))

    assert result.exit_code == 0, result.output
    assert (
        "Občinski svet Občine Gornji Grad (obcinski-svet-obcine-gornji-grad): added: 0, "
        "updated: 0, unchanged: 12, deactivated: 1"
    ) in result.output
    assert "People no longer listed keep their votes and confirmations" in result.output
    assert count(tmp_path, "persons") == 22


def test_a_bad_file_is_refused_whole_with_every_problem(tmp_path: Path) -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("joze.suster@gornji-grad.example", "joze.suster(at)gornji-grad")
    lines[20] = lines[20].replace("kontaktna oseba", "blagajnik")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines), encoding="utf-8")

    result = run("roster", "import", str(bad))

    assert result.exit_code == 1
    assert (
        "Vrstica 4, stolpec »e-pošta«: »joze.suster(at)gornji-grad« ni veljaven e-poštni naslov."
        in result.output
    )
    assert "Vrstica 21, stolpec »vloga«: vloga »blagajnik« ni znana" in result.output
    assert f"{bad}: 2 napaki; nič ni bilo uvoženo." in result.output
    assert count(tmp_path, "persons") == 0
    assert count(tmp_path, "bodies") == 0
    assert count(tmp_path, "memberships") == 0


def test_a_bad_reimport_leaves_the_roster_as_it_was(tmp_path: Path) -> None:
    run("roster", "import", str(EXAMPLE))
    text = EXAMPLE.read_text(encoding="utf-8").replace("041 555 101", "041 555 999")
    text += "\n"  # a blank line 28, skipped but counted
    text += "Cene;Kos;svetnik;Občinski svet Občine Gornji Grad;cene@example.org;;@cene;;\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(text, encoding="utf-8")

    result = run("--lang", "en", "roster", "import", str(bad))

    assert result.exit_code == 1
    assert "Line 29, column 'telegram': '@cene' is not a Telegram username" in result.output
    assert "1 problem; nothing was imported." in result.output
    with sqlite3.connect(database(tmp_path)) as connection:
        phones = {row[0] for row in connection.execute("SELECT phone FROM persons")}
    assert "041 555 101" in phones and "041 555 999" not in phones
    assert count(tmp_path, "persons") == 22


def test_dry_run_saves_nothing(tmp_path: Path) -> None:
    result = run("roster", "import", "--dry-run", str(EXAMPLE))

    assert result.exit_code == 0, result.output
    assert "Skupaj dodanih: 26" in result.output
    assert "Preizkus: nič ni bilo shranjeno." in result.output
    assert count(tmp_path, "persons") == 0


def test_import_of_a_missing_file(tmp_path: Path) -> None:
    result = run("roster", "import", "nowhere.csv")

    assert result.exit_code == 1
    assert "Napaka: Datoteke nowhere.csv ni mogoče prebrati" in result.output


def test_invite_writes_the_codes_and_reminds_of_expiry(tmp_path: Path) -> None:
    run("roster", "import", str(EXAMPLE))

    result = run("roster", "invite", "--out", "codes/kode.csv")

    assert result.exit_code == 0, result.output
    assert f"Izdanih je 22 vabilnih kod, zapisanih v {Path('codes/kode.csv')}." in result.output
    assert "Vsaka koda velja le enkrat in poteče " in result.output
    with (tmp_path / "codes" / "kode.csv").open(encoding="utf-8-sig", newline="") as file:
        table = list(csv.reader(file, delimiter=";"))
    assert table[0][:6] == ["ime", "priimek", "organ", "organizacija", "koda", "velja do"]
    assert len(table) == 23
    marko = next(row for row in table if row[1] == "Zupančič")
    assert marko[6].startswith("https://t.me/SejaGornjiGradBot?start=")
    assert "@sejabot:matrix.example" in marko[7]
    assert count(tmp_path, "invitation_codes") == 22

    # The codes in the file are the ones that work.
    async def redeem() -> Platform | None:
        db = await Database.open(database(tmp_path), TEST_KEYS)
        try:
            outcome = await redeem_code(db, marko[4], Platform.TELEGRAM, "42", utc_now())
            return Platform.TELEGRAM if outcome.linked else None
        finally:
            await db.close()

    assert asyncio.run(redeem()) is Platform.TELEGRAM


def test_invite_for_one_body_in_english(tmp_path: Path) -> None:
    run("roster", "import", str(EXAMPLE))

    result = run("--lang", "en", "roster", "invite", "--body", "obcinski-svet-obcine-gornji-grad")

    assert result.exit_code == 0, result.output
    assert "Issued 13 invitation codes and wrote them to codes.csv." in result.output
    assert "Each code works once and expires on " in result.output
    with (tmp_path / "codes.csv").open(encoding="utf-8-sig", newline="") as file:
        assert len(list(csv.reader(file, delimiter=";"))) == 14


def test_invite_for_an_unknown_body(tmp_path: Path) -> None:
    run("roster", "import", str(EXAMPLE))

    result = run("roster", "invite", "--body", "obcinski-svet")

    assert result.exit_code == 1
    assert "Organa s kratkim imenom »obcinski-svet« ni. Organi so: " in result.output
    assert "skupnost-obcin-slovenije" in result.output
    assert not (tmp_path / "codes.csv").exists()
    assert count(tmp_path, "invitation_codes") == 0


def test_invite_with_an_empty_roster(tmp_path: Path) -> None:
    result = run("roster", "invite")

    assert result.exit_code == 1
    assert "Nikogar ni mogoče povabiti" in result.output
    assert not (tmp_path / "codes.csv").exists()


def test_list_shows_roles_and_linked_accounts(tmp_path: Path) -> None:
    run("roster", "import", str(EXAMPLE))
    run("roster", "invite")
    with (tmp_path / "codes.csv").open(encoding="utf-8-sig", newline="") as file:
        codes = {row[1]: row[4] for row in csv.reader(file, delimiter=";")}

    async def link() -> None:
        db = await Database.open(database(tmp_path), TEST_KEYS)
        try:
            now = utc_now()
            await redeem_code(db, codes["Krznar"], Platform.TELEGRAM, "100", now)
            await redeem_code(db, codes["Kočevar"], Platform.MATRIX, "@tanja:matrix.example", now)
        finally:
            await db.close()

    asyncio.run(link())

    result = run("roster", "list", "--body", "obcinski-svet-obcine-gornji-grad")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "Občinski svet Občine Gornji Grad (obcinski-svet-obcine-gornji-grad), svet, "
        "poslovnik: gornji-grad-2016"
    )
    assert len(lines) == 14
    assert lines[1].split() == ["Čretnik", "Anton", "član", "Telegram:", "ne,", "Matrix:", "ne"]
    krznar = next(line for line in lines if "Krznar" in line)
    assert krznar.split()[2:] == ["predsedujoči", "Telegram:", "da,", "Matrix:", "ne"]
    kocevar = next(line for line in lines if "Kočevar" in line)
    assert kocevar.endswith("Telegram: ne, Matrix: da")
    hribernik = next(line for line in lines if "Hribernik" in line)
    assert "tajnik" in hribernik


def test_list_of_all_bodies_in_english_shows_respondents_organisations(tmp_path: Path) -> None:
    run("roster", "import", str(EXAMPLE))

    result = run("--lang", "en", "roster", "list")

    assert result.exit_code == 0, result.output
    assert "Skupnost občin Slovenije (skupnost-obcin-slovenije), presidency" in result.output
    assert (
        "Odbor za gospodarstvo in kmetijstvo (odbor-za-gospodarstvo-in-kmetijstvo), committee"
        in result.output
    )
    oblak = next(line for line in result.output.splitlines() if "Oblak" in line)
    assert "respondent, Občina Škofja Loka" in oblak
    assert oblak.endswith("Telegram: no, Matrix: no")


def test_list_of_an_empty_roster() -> None:
    result = run("roster", "list")

    assert result.exit_code == 0
    assert "Seznam članov je prazen." in result.output


def test_help_is_translated() -> None:
    result = run("roster", "--help")

    assert result.exit_code == 0
    assert "Seznam članov: kdo sedi v katerem organu" in result.output
    assert "Uvozi seznam članov iz datoteke CSV" in result.output
