"""An attacker with the files, and no key, tries to pair secret ballots with their voters.

A council of 11 holds 150 secret votes and 60 secret elections, members voting in random order
with random choices, each vote in its own transaction as the bot stores them. The attacker
reads the database file, its write-ahead log and a backup as raw bytes (tests/security/
raw_sqlite.py): while rounds are open and after they closed. Knowing the exact order in which
members voted (the audit trail shows it), they pair the i-th ballot of every ordering the bytes
offer (cell offsets, pointer slots, pages, WAL frames, byte positions, the audit log) with the
i-th voter, and with the voters in reverse. The pairings must stay at chance: the total of
right guesses within five standard deviations of what random pairings give (simulated with
the same ballots). A control database written the way earlier versions wrote ballots (in the
order they were cast) shows that the same attacker does pair them there.
"""

from __future__ import annotations

import random
import re
import shutil
import sqlite3
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.domain.models import Candidate, Election, VoteChoice, VoteKind
from storage.database import Database
from storage.repositories.secret_ballots import new_receipt
from tests.security.raw_sqlite import RawRecord, database_records, wal_records
from tests.storage.factories import at, correspondence_session, council, motion
from tests.support.keys import TEST_KEYS

MEMBERS = 11
MOTION_ROUNDS = 150
ELECTION_ROUNDS = 60
MID_ROUND_EVERY = 15  # rounds whose files are also taken while half the members have voted
SIMULATIONS = 300
SIGMAS = 5
RECEIPT = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}")
RECEIPT_BYTES = re.compile(RECEIPT.pattern.encode())


@dataclass
class HeldRound:
    """What the test knows and the attacker wants: who voted when, and each receipt's choice."""

    key: tuple[str, int, int]
    voters: list[int] = field(default_factory=list)  # in the order they voted
    choice_of_voter: dict[int, str] = field(default_factory=dict)
    choice_of_receipt: dict[str, str] = field(default_factory=dict)


@dataclass
class Files:
    database: bytes
    wal: bytes
    backup: bytes


def read_files(path: Path, backup: Path) -> Files:
    wal = path.with_name(path.name + "-wal")
    return Files(path.read_bytes(), wal.read_bytes() if wal.exists() else b"", backup.read_bytes())


# --- the attacker ----------------------------------------------------------------------------


Position = Callable[[RawRecord], tuple[int, ...]]
ORDERINGS: dict[str, Position] = {
    "frame, page, newest cell first": lambda r: (r.frame, r.page, -r.offset),
    "frame, page, oldest cell first": lambda r: (r.frame, r.page, r.offset),
    "frame, page, pointer slot": lambda r: (r.frame, r.page, r.slot),
    "page, newest cell first, ignoring frames": lambda r: (r.page, -r.offset, r.frame),
}


def receipts_in(record: RawRecord) -> list[str]:
    found = []
    for value in record.values:
        if isinstance(value, str):
            found.extend(RECEIPT.findall(value))
    return found


def record_orders(records: Iterable[RawRecord]) -> dict[str, list[str]]:
    """Receipts in the order each way of reading the records gives, per record shape (records
    of the ballot table, of its index, of the marks and of the audit log are read apart)."""
    by_shape: dict[tuple[int, int], list[tuple[RawRecord, str]]] = defaultdict(list)
    for record in records:
        for receipt in receipts_in(record):
            column = next(
                i for i, v in enumerate(record.values) if isinstance(v, str) and receipt in v
            )
            by_shape[(len(record.values), column)].append((record, receipt))
    orders = {}
    for shape, found in by_shape.items():
        for name, position in ORDERINGS.items():
            ordered = [receipt for record, receipt in sorted(found, key=lambda f: position(f[0]))]
            orders[f"{shape}: {name}"] = list(dict.fromkeys(ordered))
    return orders


def byte_order(data: bytes) -> list[str]:
    """Receipts by the position of their first appearance anywhere in the bytes, free space and
    stale frames included."""
    return list(dict.fromkeys(m.group().decode() for m in RECEIPT_BYTES.finditer(data)))


def attacker_orders(files: Files) -> dict[str, list[str]]:
    orders: dict[str, list[str]] = {}
    for source, records in (
        ("database", database_records(files.database)),
        ("wal", wal_records(files.wal)),
        ("backup", database_records(files.backup)),
    ):
        for name, order in record_orders(records).items():
            orders[f"{source} {name}"] = order
    for source, data in (
        ("database", files.database),
        ("wal", files.wal),
        ("backup", files.backup),
    ):
        orders[f"{source} bytes"] = byte_order(data)
    return {name: order for name, order in orders.items() if order}


def pairing_hits(order: list[str], held: list[HeldRound], reverse: bool) -> tuple[int, int]:
    """Right guesses when the i-th ballot of each round (in ``order``) is given to the i-th
    voter; and how many were paired."""
    hits = paired = 0
    position = {receipt: index for index, receipt in enumerate(order)}
    for round_ in held:
        ranked = sorted((r for r in round_.choice_of_receipt if r in position), key=position.get)
        voters = list(reversed(round_.voters)) if reverse else round_.voters
        for receipt, voter in zip(ranked, voters, strict=False):
            hits += round_.choice_of_receipt[receipt] == round_.choice_of_voter[voter]
            paired += 1
    return hits, paired


def chance(order: list[str], held: list[HeldRound], rng: random.Random) -> tuple[float, float]:
    """Mean and standard deviation of the hits of random pairings of the same ballots."""
    found = set(order)
    totals = []
    for _ in range(SIMULATIONS):
        total = 0
        for round_ in held:
            choices = [c for r, c in round_.choice_of_receipt.items() if r in found]
            rng.shuffle(choices)
            total += sum(
                choice == round_.choice_of_voter[voter]
                for choice, voter in zip(choices, round_.voters, strict=False)
            )
        totals.append(total)
    return statistics.fmean(totals), statistics.pstdev(totals)


@dataclass(frozen=True)
class Attempt:
    name: str
    hits: int
    paired: int
    mean: float
    sd: float

    @property
    def sigmas(self) -> float:
        return (self.hits - self.mean) / self.sd if self.sd else 0.0


def best_of(attempts: list[Attempt], count: int) -> str:
    """The ``count`` most successful pairings, one line each."""
    return "\n".join(
        f"{a.name}: {a.hits}/{a.paired} right, chance {a.mean:.1f} ± {a.sd:.1f} ({a.sigmas:+.1f} σ)"
        for a in sorted(attempts, key=lambda a: -a.sigmas)[:count]
    )


def attack(files: Files, held: list[HeldRound], rng: random.Random) -> list[Attempt]:
    attempts = []
    for name, order in attacker_orders(files).items():
        mean, sd = chance(order, held, rng)
        for reverse in (False, True):
            hits, paired = pairing_hits(order, held, reverse)
            label = f"{name}{' (voters reversed)' if reverse else ''}"
            attempts.append(Attempt(label, hits, paired, mean, sd))
    return attempts


# --- the council ------------------------------------------------------------------------------


async def hold_rounds(
    db: Database, backup: Path, rng: random.Random, on_mid_round: Callable
) -> list[HeldRound]:
    async with db.transaction() as repos:
        body, people = await council(repos, members=MEMBERS)
        session = await correspondence_session(repos, body)
    held = []
    for number in range(MOTION_ROUNDS + ELECTION_ROUNDS):
        is_motion = number < MOTION_ROUNDS
        async with db.transaction() as repos:
            if is_motion:
                item = await motion(repos, session, VoteKind.SECRET)
                await repos.rounds.open(item.id, VoteKind.SECRET, at(number))
                key = ("motion", item.id, 1)
                options = [VoteChoice.ZA.value, VoteChoice.PROTI.value]
            else:
                election = await repos.elections.add(
                    Election(
                        None,
                        session.id,
                        f"Volitve {number}",
                        candidates=tuple(Candidate(None, 0, "Ime", s) for s in "ABC"),
                    )
                )
                await repos.elections.open_round(election.id, at(number))
                key = ("election", election.id, 1)
                options = ["", *(str(c.id) for c in election.candidates)]
        round_ = HeldRound(key)
        voters = [p.id for p in people]
        rng.shuffle(voters)
        for position, voter in enumerate(voters):
            choice, receipt = rng.choice(options), new_receipt()
            async with db.transaction() as repos:
                if is_motion:
                    await repos.secret_ballots.cast(
                        key[1], 1, voter, VoteChoice(choice), receipt, at=at(number)
                    )
                else:
                    marks = [int(choice)] if choice else []
                    await repos.elections.cast(key[1], 1, voter, marks, receipt, at=at(number))
            round_.voters.append(voter)
            round_.choice_of_voter[voter] = choice
            round_.choice_of_receipt[receipt] = choice
            if number % MID_ROUND_EVERY == 0 and position == MEMBERS // 2:
                await db.backup_to(backup)
                await on_mid_round(round_)
        async with db.transaction() as repos:
            if is_motion:
                await repos.rounds.close(key[1], 1, at(number + 0.5))
            else:
                await repos.elections.close_round(key[1], 1, at(number + 0.5))
        held.append(round_)
    return held


def written_as_cast(held: list[HeldRound], path: Path) -> None:
    """The control: ballots stored the way earlier versions stored them, as they were cast,
    one council's table per round (as in a municipality's own database, where one vote's
    ballots share a page)."""
    connection = sqlite3.connect(path)
    try:
        for number, round_ in enumerate(held):
            connection.execute(
                f"CREATE TABLE secret_ballots_{number} (receipt TEXT PRIMARY KEY, "
                "motion_id INTEGER, round INTEGER, choice TEXT) WITHOUT ROWID"
            )
            receipt_of = {
                v: r for r, v in zip(round_.choice_of_receipt, round_.voters, strict=True)
            }
            for voter in round_.voters:
                receipt = receipt_of[voter]
                connection.execute(
                    f"INSERT INTO secret_ballots_{number} VALUES (?, ?, 1, ?)",
                    (receipt, round_.key[1], round_.choice_of_receipt[receipt]),
                )
                connection.commit()
    finally:
        connection.close()


# --- the tests --------------------------------------------------------------------------------


@pytest.fixture
def keep_the_log(monkeypatch: pytest.MonkeyPatch) -> None:
    """The log is not truncated after a close: the attacker gets every frame ever written."""

    async def keep(self: Database) -> None:
        return None

    monkeypatch.setattr(Database, "_erase_unsealed_traces", keep)


@pytest.mark.usefixtures("keep_the_log")
async def test_no_ordering_of_the_files_pairs_ballots_with_voters(tmp_path: Path) -> None:
    rng = random.Random(20261207)
    path, backup = tmp_path / "sejabot.sqlite3", tmp_path / "backup.sqlite3"
    db = await Database.open(path, TEST_KEYS)
    mid_round_checks = 0

    async def while_open(round_: HeldRound) -> None:
        nonlocal mid_round_checks
        files = read_files(path, backup)
        everything = files.database + files.wal + files.backup
        # No ballot of the open round is anywhere in clear: not its receipt, so no order ...
        for receipt in round_.choice_of_receipt:
            assert receipt.encode() not in everything
        # ... and its sealed records are all of one size.
        sizes = await db.read.secret_ballots._all(  # the attacker's own query
            "SELECT DISTINCT length(sealed) AS size FROM sealed_ballots "
            "WHERE vote = ? AND target_id = ?",
            round_.key[:2],
        )
        assert len(sizes) == 1
        mid_round_checks += 1

    try:
        held = await hold_rounds(db, backup, rng, while_open)
        await db.backup_to(backup)
        files = read_files(path, backup)
    finally:
        await db.close()
    assert (
        mid_round_checks
        == (MOTION_ROUNDS + ELECTION_ROUNDS + MID_ROUND_EVERY - 1) // MID_ROUND_EVERY
    )

    attempts = attack(files, held, rng)
    ballots = sum(len(r.voters) for r in held)
    assert ballots == MEMBERS * (MOTION_ROUNDS + ELECTION_ROUNDS) >= 2000
    # The attacker finds every counted ballot in the file and the log (and in the backup), so
    # the test is not vacuous: only their order is useless.
    every_receipt = {receipt for r in held for receipt in r.choice_of_receipt}
    assert set().union(*attacker_orders(files).values()) >= every_receipt
    assert max(a.paired for a in attempts if a.name.startswith("backup")) == ballots
    best = max(attempts, key=lambda a: a.sigmas)
    report = best_of(attempts, 8)
    print(f"{len(attempts)} pairings tried on {ballots} ballots; the best:\n{report}")
    assert best.sigmas < SIGMAS, report

    # The control: the same attacker against ballots kept in the order they were cast.
    control = tmp_path / "as-cast.sqlite3"
    written_as_cast(held[:MOTION_ROUNDS], control)
    shutil.copy(control, tmp_path / "as-cast-backup.sqlite3")
    control_files = read_files(control, tmp_path / "as-cast-backup.sqlite3")
    control_attempts = attack(control_files, held[:MOTION_ROUNDS], rng)
    control_best = max(control_attempts, key=lambda a: a.sigmas)
    print("control:\n" + best_of(control_attempts, 6))
    assert control_best.hits == control_best.paired == MEMBERS * MOTION_ROUNDS


async def test_a_closed_round_leaves_no_log_behind(tmp_path: Path) -> None:
    """With the truncation in place, the write-ahead log is empty after a secret round closes,
    so not even a holder of the key finds the sealed records in the order they were cast."""
    path = tmp_path / "sejabot.sqlite3"
    async with await Database.open(path, TEST_KEYS) as db:
        async with db.transaction() as repos:
            body, people = await council(repos, members=5)
            item = await motion(repos, await correspondence_session(repos, body), VoteKind.SECRET)
            await repos.rounds.open(item.id, VoteKind.SECRET, at(0))
        for person in people:
            async with db.transaction() as repos:
                await repos.secret_ballots.cast(item.id, 1, person.id, VoteChoice.ZA, new_receipt())
        wal = path.with_name(path.name + "-wal")
        assert wal.stat().st_size > 0
        async with db.transaction() as repos:
            await repos.rounds.close(item.id, 1, at(1))
        assert wal.stat().st_size == 0
        assert len(await db.read.secret_ballots.ballots(item.id, 1)) == 5
        assert await db.read.secret_ballots._all("SELECT * FROM sealed_ballots") == []
