"""Online backups: consistent while writes go on, usable as a database afterwards."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main
from bot.domain.models import Body, BodyKind
from storage.database import Database
from tests.support.keys import TEST_KEYS


async def test_backup_while_writing_is_a_consistent_database(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "live.sqlite3", TEST_KEYS)
    try:
        async with db.transaction() as repos:
            body = await repos.bodies.upsert(
                Body(None, "svet", "Občinski svet", BodyKind.COUNCIL, "gornji-grad-2016")
            )

        async def keep_writing() -> None:
            for number in range(200):
                async with db.transaction() as repos:
                    await repos.bodies.upsert(
                        replace(body, id=None, slug=f"odbor-{number}", name=f"Odbor {number}")
                    )
                await asyncio.sleep(0)

        writer = asyncio.create_task(keep_writing())
        await db.backup_to(tmp_path / "copy.sqlite3")
        await writer
    finally:
        await db.close()

    copy = await Database.open(tmp_path / "copy.sqlite3", TEST_KEYS)
    try:
        slugs = {body.slug for body in await copy.read.bodies.list()}
        assert "svet" in slugs
        numbers = sorted(int(slug.split("-")[1]) for slug in slugs if slug.startswith("odbor-"))
        assert numbers == list(range(len(numbers)))  # a prefix of the writes, never a torn state
    finally:
        await copy.close()


def test_backup_command(tmp_path: Path) -> None:
    config = tmp_path / "sejabot.toml"
    config.write_text('[bot]\ndatabase_path = "db.sqlite3"\n', encoding="utf-8")
    runner = CliRunner()
    missing = runner.invoke(
        main, ["--config", str(config), "--lang", "en", "backup", str(tmp_path / "b.sqlite3")]
    )
    assert missing.exit_code == 1 and "There is no database" in missing.output

    async def create() -> None:
        await (await Database.open(tmp_path / "db.sqlite3", TEST_KEYS)).close()

    asyncio.run(create())
    done = runner.invoke(
        main, ["--config", str(config), "--lang", "sl", "backup", str(tmp_path / "b.sqlite3")]
    )
    assert done.exit_code == 0, done.output
    assert "je kopirana v" in done.output
    assert (tmp_path / "b.sqlite3").is_file()
    same = runner.invoke(
        main, ["--config", str(config), "--lang", "en", "backup", str(tmp_path / "db.sqlite3")]
    )
    assert same.exit_code == 1 and "must not overwrite" in same.output
