"""Files that hold votes or keys are readable by their owner only, whatever the umask."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.domain.models import VoteChoice, VoteKind
from storage.database import Database
from storage.repositories.secret_ballots import new_receipt
from tests.storage.factories import at, correspondence_session, council, motion
from tests.support.keys import TEST_KEYS


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The umask of a careless service manager: new files readable by everyone."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("loose_umask")
async def test_the_database_its_log_and_a_backup_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "var" / "sejabot.sqlite3"
    async with await Database.open(path, TEST_KEYS) as db:
        async with db.transaction() as repos:
            body, (ana, *_) = await council(repos, members=2)
            item = await motion(repos, await correspondence_session(repos, body), VoteKind.SECRET)
            await repos.rounds.open(item.id, VoteKind.SECRET, at(0))
            await repos.secret_ballots.cast(item.id, 1, ana.id, VoteChoice.ZA, new_receipt())
        wal, shm = path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
        assert wal.exists() and shm.exists()
        assert {mode(path), mode(wal), mode(shm)} == {0o600}
        assert mode(path.parent) == 0o700
        await db.backup_to(tmp_path / "backups" / "copy.sqlite3")
    assert mode(tmp_path / "backups" / "copy.sqlite3") == 0o600
    assert not list((tmp_path / "backups").glob("*.partial"))


@pytest.mark.usefixtures("loose_umask")
async def test_a_database_made_readable_earlier_is_narrowed_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "sejabot.sqlite3"
    await (await Database.open(path, TEST_KEYS)).close()
    path.chmod(0o644)
    await (await Database.open(path, TEST_KEYS)).close()
    assert mode(path) == 0o600


@pytest.mark.usefixtures("loose_umask")
def test_what_the_command_line_writes_is_owner_only(tmp_path: Path) -> None:
    config = tmp_path / "sejabot.toml"
    config.write_text('[bot]\ndatabase_path = "db.sqlite3"\n', encoding="utf-8")
    asyncio.run(_create(tmp_path / "db.sqlite3"))
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(config), "backup", str(tmp_path / "b.sqlite3")])
    assert result.exit_code == 0, result.output
    assert mode(tmp_path / "b.sqlite3") == 0o600
    # The command line sets the umask for everything it and its libraries create (exports,
    # minutes, codes, the Matrix store): a plain file written after it is owner-only too.
    plain = tmp_path / "export.csv"
    plain.write_text("x", encoding="utf-8")
    assert mode(plain) == 0o600


async def _create(path: Path) -> None:
    await (await Database.open(path, TEST_KEYS)).close()
