"""Fixtures: a real SQLite file in tmp_path, opened through Database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from storage.database import Database
from tests.support.keys import TEST_KEYS


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "sejabot.sqlite3"


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(db_path, TEST_KEYS)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def raw(db: Database) -> AsyncIterator[aiosqlite.Connection]:
    """A plain connection to the same file, for checking the schema itself with raw SQL."""
    connection = await aiosqlite.connect(db.path, isolation_level=None)
    await connection.execute("PRAGMA foreign_keys=ON")
    await connection.execute("PRAGMA busy_timeout=5000")
    try:
        yield connection
    finally:
        await connection.close()
