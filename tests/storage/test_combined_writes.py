"""Small writes arriving together share a transaction; a bad one fails alone."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import pytest

from storage.combined_writes import CombinedWrites
from storage.database import Database
from storage.repositories import Repositories


class Refused(Exception):
    pass


def _writes(db: Database, bodies: list[int]) -> CombinedWrites[str]:
    async def add(repos: Repositories, names: Sequence[str]) -> None:
        bodies.append(len(names))
        for name in names:
            if name.startswith("x"):
                raise Refused(name)
            await repos.organisations.get_or_create(name)

    return CombinedWrites(db, add, "organisations")


async def _names(db: Database) -> set[str]:
    return {organisation.name for organisation in await db.read.organisations.list()}


async def test_writes_requested_together_share_one_body(db: Database) -> None:
    bodies: list[int] = []
    writes = _writes(db, bodies)
    await asyncio.gather(*(writes.write([f"Občina {n}"]) for n in range(40)))
    assert await _names(db) == {f"Občina {n}" for n in range(40)}
    assert sum(bodies) == 40
    assert len(bodies) <= 2  # the first alone, then everything requested meanwhile


async def test_a_failing_request_fails_only_its_caller(db: Database) -> None:
    writes = _writes(db, [])
    results = await asyncio.gather(
        *(writes.write([name]) for name in ("Občina Ig", "x-slaba", "Občina Bled", "Občina Kranj")),
        return_exceptions=True,
    )
    assert [type(result) for result in results] == [type(None), Refused, type(None), type(None)]
    assert await _names(db) == {"Občina Ig", "Občina Bled", "Občina Kranj"}


async def test_submitted_writes_are_written_by_drain_and_failures_logged(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    writes = _writes(db, [])
    writes.submit(["Občina Žiri"])
    writes.submit(["x-slaba"])
    writes.submit(["Občina Šentjur"])
    with caplog.at_level(logging.ERROR, logger="storage.combined_writes"):
        await writes.drain()
    assert await _names(db) == {"Občina Žiri", "Občina Šentjur"}
    assert [record.message for record in caplog.records] == ["could not record organisations"]
