"""The audit trail in SQLite: appends in the caller's transaction, hooks on the core repositories,
append-only triggers, and ``sejabot audit`` finding every kind of tampering."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.audit.trail import Anchor, chain_head, verify
from bot.cli import main
from bot.domain.audit_chain import (
    GENESIS_HASH,
    AuditKind,
    BreakProblem,
    ChainEntry,
    InvalidAuditEntry,
    entry_hash,
)
from bot.domain.models import (
    Candidate,
    DeliveryConfirmation,
    Election,
    Platform,
    SessionStatus,
    Vote,
    VoteChoice,
    VoteKind,
)
from storage.database import Database
from storage.errors import DuplicateReceipt, DuplicateVote
from storage.repositories import Repositories
from tests.storage.factories import at, correspondence_session, council, motion
from tests.support.keys import TEST_KEYS

CHOICES = (VoteChoice.ZA, VoteChoice.PROTI, VoteChoice.VZDRZAN)


async def entries(db: Database) -> list[ChainEntry]:
    return await db.read.audit.entries_after(0, 10_000)


async def kinds(db: Database) -> list[str]:
    return [entry.kind for entry in await entries(db)]


async def log_text(path: Path) -> str:
    """Every stored column of the audit log as one text, to search for what must not be there."""
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT * FROM audit_log ORDER BY seq").fetchall()
    return "\n".join("|".join(str(value) for value in row) for row in rows)


# --- appending ---------------------------------------------------------------------------------


async def test_entries_are_numbered_and_chained_from_the_genesis_hash(db: Database) -> None:
    assert await chain_head(db) == (0, GENESIS_HASH)
    async with db.transaction() as repos:
        first = await repos.audit.append(
            "session_invitation_sent", "session:5", "system", {"person": 7}, at(0)
        )
        second = await repos.audit.append(
            "outcome", "motion:12/round:1", "system", {"needed": 6, "got": 7}, at(1)
        )
    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert second.hash == entry_hash(
        2, "2020-11-09T10:01:00.000000+00:00", "outcome", "motion:12/round:1", "system",
        '{"got":7,"needed":6}', first.hash,
    )  # fmt: skip
    assert await entries(db) == [first, second]
    assert await chain_head(db) == (2, second.hash)
    result = await verify(db)
    assert result.intact and result.entries == 2 and result.head == (2, second.hash)


async def test_an_entry_commits_and_rolls_back_with_the_fact_it_records(db: Database) -> None:
    async with db.transaction() as repos:
        body, people = await council(repos, members=2)
        item = await motion(repos, await correspondence_session(repos, body))
        await repos.rounds.open(item.id, VoteKind.PUBLIC, at(0))
    before = len(await entries(db))

    with pytest.raises(RuntimeError):
        async with db.transaction() as repos:
            await repos.votes.cast(
                Vote(item.id, 1, people[0].id, VoteChoice.ZA, at(1), Platform.CLI)
            )
            assert len(await repos.audit.entries_after(0, 100)) == before + 1
            raise RuntimeError("the handler failed after voting")

    assert await db.read.votes.get(item.id, 1, people[0].id) is None
    assert len(await entries(db)) == before
    assert (await verify(db)).intact


async def test_a_transaction_sees_its_own_head(db: Database) -> None:
    async with db.transaction() as repos:
        entry = await repos.audit.append("outcome", "motion:1/round:1", "system", {}, at(0))
        assert await chain_head(repos) == (entry.seq, entry.hash)
        assert await chain_head(db) == (0, GENESIS_HASH)  # not committed yet


async def test_secrets_are_refused_and_nothing_is_written(db: Database) -> None:
    with pytest.raises(InvalidAuditEntry):
        async with db.transaction() as repos:
            await repos.audit.append(
                "invitation_code_issued", "person:1", "system", {"code": "ABCD-EFGH"}, at(0)
            )
    assert await entries(db) == []


# --- append-only in SQL ------------------------------------------------------------------------


async def test_rows_cannot_be_changed_deleted_or_inserted_out_of_chain(db: Database, raw) -> None:
    async with db.transaction() as repos:
        for minute in range(3):
            await repos.audit.append(
                "outcome", f"motion:{minute}/round:1", "system", {}, at(minute)
            )
    for statement in (
        "UPDATE audit_log SET details = '{\"got\":99}' WHERE seq = 2",
        "DELETE FROM audit_log WHERE seq = 3",
        "DELETE FROM audit_log",
        # a row in the middle, and a row at the end that does not link to the newest hash
        f"INSERT INTO audit_log (seq, recorded_at, kind, subject, actor, details, prev_hash, hash) VALUES (0, 't', 'k', 's', 'a', '{{}}', '{GENESIS_HASH}', '{'1' * 64}')",
        f"INSERT INTO audit_log (seq, recorded_at, kind, subject, actor, details, prev_hash, hash) VALUES (4, 't', 'k', 's', 'a', '{{}}', '{GENESIS_HASH}', '{'1' * 64}')",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            await raw.execute(statement)
    assert len(await entries(db)) == 3
    assert (await verify(db)).intact


# --- hooks on the core repositories ------------------------------------------------------------


async def test_a_public_vote_is_logged_with_its_choice_once(db: Database) -> None:
    async with db.transaction() as repos:
        body, people = await council(repos, members=3)
        item = await motion(repos, await correspondence_session(repos, body))
        await repos.rounds.open(item.id, VoteKind.PUBLIC, at(0), at(60), actor="person:99")
        await repos.votes.cast(
            Vote(item.id, 1, people[1].id, VoteChoice.PROTI, at(5), Platform.TELEGRAM)
        )
        with pytest.raises(DuplicateVote):
            await repos.votes.cast(
                Vote(item.id, 1, people[1].id, VoteChoice.ZA, at(6), Platform.MATRIX)
            )

    opened, vote = [e for e in await entries(db) if e.subject == f"motion:{item.id}/round:1"]
    assert (opened.kind, opened.actor) == (AuditKind.VOTE_ROUND_OPENED, "person:99")
    assert opened.facts == {"vote_kind": "public", "closes_at": "2020-11-09T11:00:00.000000+00:00"}
    assert (vote.kind, vote.actor, vote.recorded_at) == (
        AuditKind.VOTE_CAST,
        f"person:{people[1].id}",
        "2020-11-09T10:05:00.000000+00:00",
    )
    assert vote.facts == {"choice": "proti", "platform": "telegram"}


async def test_a_secret_vote_is_logged_as_participation_only(db: Database) -> None:
    async with db.transaction() as repos:
        body, everyone = await council(repos, members=4)
        people, latecomer = everyone[:3], everyone[3]
        item = await motion(repos, await correspondence_session(repos, body), VoteKind.SECRET)
        await repos.rounds.open(item.id, VoteKind.SECRET, at(0))
        receipts = ["ZZZZ-0000-0000-0001", "MMMM-0000-0000-0002", "AAAA-0000-0000-0003"]
        for person, choice, receipt in zip(people, CHOICES, receipts, strict=True):
            await repos.secret_ballots.cast(item.id, 1, person.id, choice, receipt, at=at(10))
        # A receipt collision rolls back the attempt, its participation entry included.
        with pytest.raises(DuplicateReceipt):
            await repos.secret_ballots.cast(item.id, 1, latecomer.id, VoteChoice.ZA, receipts[0])

    participation = [e for e in await entries(db) if e.kind == AuditKind.SECRET_PARTICIPATION]
    assert [e.actor for e in participation] == [f"person:{p.id}" for p in people]
    assert all(e.facts == {} for e in participation)
    text = await log_text(db.path)
    for receipt in receipts:
        assert receipt not in text
    assert "choice" not in text and "proti" not in text and "vzdrzan" not in text


async def test_the_log_offers_no_order_or_time_to_match_secret_ballots_with(
    db: Database, raw
) -> None:
    async with db.transaction() as repos:
        body, people = await council(repos, members=4)
        item = await motion(repos, await correspondence_session(repos, body), VoteKind.SECRET)
        await repos.rounds.open(item.id, VoteKind.SECRET, at(0))
        # Cast in descending receipt order: if ballots kept insertion order, it would show.
        receipts = ["WWWW-0000-0000-0004", "PPPP-0000-0000-0003", "GGGG-0000-0000-0002",
                    "BBBB-0000-0000-0001"]  # fmt: skip
        for minute, (person, receipt) in enumerate(zip(people, receipts, strict=True)):
            await repos.secret_ballots.cast(
                item.id, 1, person.id, CHOICES[minute % 3], receipt, at=at(minute)
            )
    # The log has the participants in the order they voted, with times ...
    participation = [e for e in await entries(db) if e.kind == AuditKind.SECRET_PARTICIPATION]
    assert [e.actor for e in participation] == [f"person:{p.id}" for p in people]
    async with db.transaction() as repos:
        await repos.rounds.close(item.id, 1, at(30))
    # ... and the counted ballots all at the close, in receipt order, naming nobody ...
    counted = [e for e in await entries(db) if e.kind == AuditKind.SECRET_BALLOT_COUNTED]
    assert [e.facts["receipt"] for e in counted] == sorted(receipts)
    assert {e.actor for e in counted} == {"system"}
    assert {e.recorded_at for e in counted} == {counted[0].recorded_at}
    # ... but a plain scan of the ballots, the only order they have, is by receipt, and the
    # ballot table has no column a time or a sequence could be read from.
    scanned = [row[0] for row in await raw.execute_fetchall("SELECT receipt FROM secret_ballots")]
    assert scanned == sorted(receipts)
    columns = [row[1] for row in await raw.execute_fetchall("PRAGMA table_info(secret_ballots)")]
    assert columns == ["receipt", "motion_id", "round", "choice"]
    with pytest.raises(sqlite3.OperationalError):
        await raw.execute("SELECT rowid FROM secret_ballots")


async def test_an_election_vote_is_logged_as_participation_only(db: Database) -> None:
    async with db.transaction() as repos:
        body, people = await council(repos, members=2)
        session = await correspondence_session(repos, body)
        election = await repos.elections.add(
            Election(None, session.id, "Podžupan", candidates=(Candidate(None, 0, "Ana", "Kos"),))
        )
        await repos.elections.open_round(election.id, at(0))
        candidate = election.candidates[0].id
        await repos.elections.cast(election.id, 1, people[0].id, [candidate], "KKKK-0000-0000-0001")
        await repos.elections.close_round(election.id, 1, at(30))
        await repos.elections.close_round(election.id, 1, at(40))

    subject = f"election:{election.id}/round:1"
    logged = [e for e in await entries(db) if e.subject == subject]
    assert [e.kind for e in logged] == [
        AuditKind.ELECTION_ROUND_OPENED,
        AuditKind.ELECTION_PARTICIPATION,
        AuditKind.ELECTION_ROUND_CLOSED,
        AuditKind.ELECTION_BALLOT_COUNTED,
    ]
    assert logged[1].facts == {}
    # The ballot enters the log only as counted at the close, without its voter.
    assert logged[3].actor == "system"
    assert logged[3].facts == {
        "receipt": "KKKK-0000-0000-0001",
        "valid": True,
        "marks": str(candidate),
    }


async def test_deliveries_rounds_and_status_are_logged_once_each(db: Database) -> None:
    async with db.transaction() as repos:
        body, people = await council(repos, members=2)
        session = await correspondence_session(repos, body)  # stored as convened
        item = await motion(repos, session)
        await repos.rounds.open(item.id, VoteKind.PUBLIC, at(0))
        for minute in (1, 2):
            await repos.deliveries.confirm(
                DeliveryConfirmation(session.id, people[0].id, at(minute), Platform.MATRIX)
            )
        await repos.rounds.close(item.id, 1, at(50))
        await repos.rounds.close(item.id, 1, at(55))
        await repos.sessions.set_status(
            session.id, SessionStatus.CLOSED, at=at(60), actor="person:1"
        )
        await repos.sessions.set_status(session.id, SessionStatus.CLOSED, at=at(61))

    assert await kinds(db) == [
        AuditKind.SESSION_STATUS,
        AuditKind.VOTE_ROUND_OPENED,
        AuditKind.DELIVERY_CONFIRMED,
        AuditKind.VOTE_ROUND_CLOSED,
        AuditKind.SESSION_STATUS,
    ]
    convened, _, delivered, closed_round, closed = await entries(db)
    assert convened.facts == {"status": "convened", "previous": None}
    assert (delivered.actor, delivered.facts) == (f"person:{people[0].id}", {"platform": "matrix"})
    assert delivered.recorded_at == "2020-11-09T10:01:00.000000+00:00"
    assert closed_round.recorded_at == "2020-11-09T10:50:00.000000+00:00"
    assert (closed.actor, closed.facts) == (
        "person:1",
        {"status": "closed", "previous": "convened"},
    )


async def test_codes_and_accounts_are_logged_without_the_code_or_the_account(
    db: Database,
) -> None:
    code_hash = "c0de" * 16
    async with db.transaction() as repos:
        _, people = await council(repos, members=1)
        person = people[0].id
        await repos.linking_codes.add(code_hash, person, None, at(0), at(60 * 24))
        await repos.linking_codes.revoke_unused(person, at(10))
        await repos.linking_codes.add("f00d" * 16, person, None, at(11), at(60 * 24))
        await repos.linking_codes.redeem("f00d" * 16, at(12))
        await repos.accounts.link(person, Platform.TELEGRAM, "123456789", at(12))
        await repos.accounts.link(person, Platform.TELEGRAM, "123456789", at(13))
        await repos.accounts.unlink(Platform.TELEGRAM, "123456789", at=at(14))

    assert await kinds(db) == [
        AuditKind.INVITATION_CODE_ISSUED,
        AuditKind.INVITATION_CODES_REVOKED,
        AuditKind.INVITATION_CODE_ISSUED,
        AuditKind.ACCOUNT_LINKED,
        AuditKind.ACCOUNT_UNLINKED,
    ]
    issued = (await entries(db))[0]
    assert (issued.subject, issued.facts) == (
        f"person:{person}",
        {"organisation": None, "expires_at": "2020-11-10T10:00:00.000000+00:00"},
    )
    text = await log_text(db.path)
    for secret in (code_hash, "f00d" * 16, "123456789"):
        assert secret not in text


# --- tampering, found by `sejabot audit verify` ------------------------------------------------

CONFIG = """\
[bot]
language = "sl"
database_path = "data/sejabot.sqlite3"
"""


@pytest.fixture
def deployment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A configuration in tmp_path and its database with six entries; returns the database."""
    for name in ("SEJABOT_CONFIG", "SEJABOT_LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sejabot.toml").write_text(CONFIG, encoding="utf-8")
    path = tmp_path / "data" / "sejabot.sqlite3"

    async def populate(repos: Repositories) -> None:
        body, people = await council(repos, members=3)
        item = await motion(repos, await correspondence_session(repos, body))
        await repos.rounds.open(item.id, VoteKind.PUBLIC, at(0))
        for minute, person in enumerate(people, start=1):
            await repos.votes.cast(
                Vote(item.id, 1, person.id, VoteChoice.ZA, at(minute), Platform.CLI)
            )
        await repos.rounds.close(item.id, 1, at(30))

    in_transaction(path, populate)
    return path


def in_transaction(path: Path, work: Callable[[Repositories], Awaitable[None]]) -> None:
    async def run() -> None:
        async with await Database.open(path, TEST_KEYS) as db, db.transaction() as repos:
            await work(repos)

    asyncio.run(run())


def tamper(path: Path, *statements: str) -> None:
    """What someone with the file does: drop the triggers, then edit the rows."""
    with sqlite3.connect(path) as connection:
        for trigger in ("audit_log_no_update", "audit_log_no_delete", "audit_log_append_only"):
            connection.execute(f"DROP TRIGGER {trigger}")
        for statement in statements:
            connection.execute(statement)


def rows(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT * FROM audit_log ORDER BY seq").fetchall()


def sejabot(*args: str) -> Result:
    return CliRunner().invoke(main, ["--lang", "en", *args], catch_exceptions=False)


def test_verify_reports_an_intact_chain_with_its_head(deployment: Path) -> None:
    head = rows(deployment)[-1]
    result = sejabot("audit", "verify")
    assert result.exit_code == 0, result.output
    assert f"The chain of 6 entries is intact, head {head[7]} (entry 6)." in result.output

    slovenian = CliRunner().invoke(main, ["audit", "verify"])
    assert (
        f"Veriga iz 6 zapisov je nepoškodovana; zadnji zapis 6 ima zgoščeno vrednost {head[7]}."
        in slovenian.output
    )


def test_verify_finds_a_changed_row(deployment: Path) -> None:
    tamper(
        deployment,
        'UPDATE audit_log SET details = \'{"choice":"proti","platform":"cli"}\' WHERE seq = 4',
    )
    result = sejabot("audit", "verify")
    assert result.exit_code == 1
    assert "Error: Entry 4 was changed: its content no longer gives its hash" in result.output


def test_verify_finds_a_removed_row(deployment: Path) -> None:
    tamper(deployment, "DELETE FROM audit_log WHERE seq = 3")
    result = sejabot("audit", "verify")
    assert result.exit_code == 1
    assert (
        "Error: Entry 3 was removed: the log goes from entry 2 straight to entry 4."
        in result.output
    )


def test_verify_finds_an_inserted_row(deployment: Path) -> None:
    # A forged vote slipped in as entry 3, correctly hashed and linked to entry 2; the entries
    # after it renumbered to make room.
    before = rows(deployment)
    stamp = "2020-11-09T10:01:30.000000+00:00"
    details = json.dumps({"choice": "proti", "platform": "cli"}, separators=(",", ":"))
    forged_hash = entry_hash(
        3, stamp, "vote_cast", "motion:1/round:1", "person:9", details, str(before[1][7])
    )
    tamper(
        deployment,
        "UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 3",
        "UPDATE audit_log SET seq = seq - 999 WHERE seq > 1000",
        f"INSERT INTO audit_log (seq, recorded_at, kind, subject, actor, details, prev_hash, hash) VALUES (3, '{stamp}', 'vote_cast', 'motion:1/round:1', 'person:9', "
        f"'{details}', '{before[1][7]}', '{forged_hash}')",
    )
    result = sejabot("audit", "verify")
    assert result.exit_code == 1
    # The forged entry links and hashes correctly, but it lacks the server's signature.
    assert "Error: Entry 3 is not signed by this server" in result.output


def test_verify_finds_a_rewritten_tail_with_the_head_from_the_minutes(deployment: Path) -> None:
    published = rows(deployment)[-1]
    tamper(deployment, "DELETE FROM audit_log WHERE seq = 6")
    # The rest is consistent in itself; the closing of the round it recorded is now a fact
    # the trail does not know of.
    alone = sejabot("audit", "verify")
    assert alone.exit_code == 1 and "Entry 6" not in alone.output
    assert "vote_rounds: round 1 of the vote on motion 1 has time of closing" in alone.output
    anchor = f"6:{str(published[7])[:16]}"
    result = sejabot("audit", "verify", "--anchor", anchor)
    assert result.exit_code == 1
    assert "Error: Entry 6, whose hash" in result.output and "it was removed" in result.output


def test_a_malformed_anchor_is_explained(deployment: Path) -> None:
    result = sejabot("audit", "verify", "--anchor", "6-abc")
    assert result.exit_code == 1
    assert "write the entry number and at least 16 hex digits" in result.output


def test_head_and_show(deployment: Path) -> None:
    head = rows(deployment)[-1]
    result = sejabot("audit", "head")
    assert result.exit_code == 0
    assert f"Head of the audit trail: entry 6, hash {head[7]}." in result.output

    shown = sejabot("audit", "show", "--last", "2").output.splitlines()
    assert len(shown) == 2
    assert shown[0].split()[0] == "5" and "vote_cast" in shown[0] and '"choice":"za"' in shown[0]
    assert shown[1].split()[0] == "6" and "vote_round_closed" in shown[1]
    assert len(sejabot("audit", "show").output.splitlines()) == 6


def test_an_empty_trail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEJABOT_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sejabot.toml").write_text(CONFIG, encoding="utf-8")
    assert (
        "The audit trail is empty; there is nothing to verify yet."
        in sejabot("audit", "verify").output
    )
    assert "The audit trail is empty." in sejabot("audit", "head").output


async def test_verification_reads_a_long_log_in_pages(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.audit.trail.PAGE_SIZE", 7)
    async with db.transaction() as repos:
        for n in range(30):
            await repos.audit.append("outcome", f"motion:{n}/round:1", "system", {"got": n}, at(n))
    head = await chain_head(db)
    result = await verify(
        db, [Anchor(head.seq, head.hash[:16]), Anchor(10, (await entries(db))[9].hash)]
    )
    assert result.intact and result.entries == 30 and result.head == head
    bad = await verify(db, [Anchor(31, "0" * 16)])
    assert bad.broken is not None and bad.broken.problem is BreakProblem.REMOVED
