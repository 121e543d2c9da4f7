"""A bot 'world' for end-to-end tests: a real database with the example roster, codes issued."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.domain.roster_csv import parse_roster
from bot.linking.codes import issue_codes
from bot.linking.roster_import import import_roster
from bot.timeutil import utc_now
from storage.database import Database
from tests.support.keys import TEST_KEYS

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_ROSTER = REPO_ROOT / "config" / "roster.example.csv"


@dataclass
class RosterWorld:
    db: Database
    codes: dict[str, str]  # e-mail -> invitation code
    person_ids: dict[str, int]  # e-mail -> person id
    issued_at: datetime

    def code_of(self, email: str) -> str:
        return self.codes[email]


async def roster_world(db_path: Path, roster: Path = EXAMPLE_ROSTER) -> RosterWorld:
    db = await Database.open(db_path, TEST_KEYS)
    parsed = parse_roster(roster.read_bytes())
    assert parsed.ok, parsed.problems
    await import_roster(db, parsed.rows, "gornji-grad-2016")
    now = utc_now()
    issued = await issue_codes(db, now, 14)
    return RosterWorld(
        db=db,
        codes={item.person.email: item.code for item in issued},
        person_ids={item.person.email: item.person.id for item in issued if item.person.id},
        issued_at=now,
    )
