"""Tampering with the votes themselves, and with the audit trail, found by ``sejabot audit verify``.

Each case starts from a database that went through the storage flows of a session (delivery
confirmations, attendance, a public vote, a secret vote, a secret election, a survey response),
changes it with plain SQL as someone holding the file would, and checks that ``verify`` exits
with 1 and says, in the words a clerk reads, which table and row (or which entry) is wrong.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.audit.cli import parse_anchor
from bot.audit.trail import anchor_text, result_head_line
from bot.cli import main
from bot.domain.audit_chain import AuditKind, ChainHead, entry_hash
from bot.domain.models import (
    Attendance,
    AttendanceStatus,
    Candidate,
    DeliveryConfirmation,
    Election,
    Platform,
    Vote,
    VoteChoice,
    VoteKind,
)
from bot.i18n import Translator
from bot.server_keys import SECRET_KEY_ENV
from storage.database import Database
from storage.records import Survey, SurveyAnswer
from tests.storage.factories import at, correspondence_session, council, motion
from tests.support.keys import TEST_KEYS

CONFIG = """\
[bot]
language = "sl"
database_path = "data/sejabot.sqlite3"
"""

RECEIPTS = ("AAAA-1111-2222-3333", "KKKK-1111-2222-3333", "TTTT-1111-2222-3333")
ELECTION_RECEIPTS = ("BBBB-1111-2222-3333", "MMMM-1111-2222-3333", "WWWW-1111-2222-3333")


@dataclass(frozen=True)
class Flows:
    """The database and the ids its flows produced."""

    path: Path
    session: int
    people: tuple[int, ...]
    public: int  # motion with a public vote: ZA, PROTI, ZA
    secret: int  # motion with a closed secret vote: ZA, PROTI, ZA
    election: int
    candidates: tuple[int, ...]
    survey: int
    organisation: int
    head: ChainHead  # the head as the last vote closed, as its result message prints it


async def _populate(path: Path) -> Flows:
    async with await Database.open(path, TEST_KEYS) as db, db.transaction() as repos:
        body, everyone = await council(repos, members=4)
        people = [p.id for p in everyone]
        session = await correspondence_session(repos, body)
        for minute, person in enumerate(people[:2], start=1):
            await repos.deliveries.confirm(
                DeliveryConfirmation(session.id, person, at(minute), Platform.TELEGRAM)
            )
        for person, status, reason in (
            (people[0], AttendanceStatus.PRESENT, ""),
            (people[1], AttendanceStatus.PRESENT, ""),
            (people[2], AttendanceStatus.EXCUSED, "službena pot"),
        ):
            await repos.attendance.record(
                Attendance(session.id, person, status, at(3), Platform.HALL, reason)
            )

        public = await motion(repos, session)
        await repos.rounds.open(public.id, VoteKind.PUBLIC, at(5))
        for minute, (person, choice) in enumerate(
            zip(people, (VoteChoice.ZA, VoteChoice.PROTI, VoteChoice.ZA), strict=False), start=6
        ):
            await repos.votes.cast(
                Vote(public.id, 1, person, choice, at(minute), Platform.TELEGRAM)
            )
        await repos.rounds.close(public.id, 1, at(10))

        secret = await motion(repos, session, VoteKind.SECRET, position=2)
        await repos.rounds.open(secret.id, VoteKind.SECRET, at(11))
        for person, choice, receipt in zip(
            people, (VoteChoice.ZA, VoteChoice.PROTI, VoteChoice.ZA), RECEIPTS, strict=False
        ):
            await repos.secret_ballots.cast(secret.id, 1, person, choice, receipt, at=at(12))
        await repos.rounds.close(secret.id, 1, at(15))

        election = await repos.elections.add(
            Election(
                None,
                session.id,
                "Podžupan",
                candidates=(
                    Candidate(None, 0, "Ana", "Kos"),
                    Candidate(None, 0, "Bor", "Zupan"),
                ),
            )
        )
        candidates = tuple(c.id for c in election.candidates)
        await repos.elections.open_round(election.id, at(16))
        for person, marks, receipt in zip(
            people, ([candidates[0]], [candidates[1]], [candidates[0]]), ELECTION_RECEIPTS,
            strict=False,
        ):  # fmt: skip
            await repos.elections.cast(election.id, 1, person, marks, receipt, at=at(17))
        await repos.elections.close_round(election.id, 1, at(20))

        organisation = await repos.organisations.get_or_create("Občina Gornji Grad")
        survey = await repos.surveys.add(Survey(None, "Seje na daljavo", "title: x\n"))
        await repos.surveys.submit_response(
            survey.id, organisation.id, people[0], at(30),
            [SurveyAnswer("held", "yes"), SurveyAnswer("tool", "Zoom")],
        )  # fmt: skip
        head = await repos.audit.head()
    return Flows(path, session.id, tuple(people), public.id, secret.id, election.id, candidates,
                 survey.id, organisation.id, head)  # fmt: skip


@pytest.fixture
def flows(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Flows:
    for name in ("SEJABOT_CONFIG", "SEJABOT_LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sejabot.toml").write_text(CONFIG, encoding="utf-8")
    return asyncio.run(_populate(tmp_path / "data" / "sejabot.sqlite3"))


def sejabot(*args: str, language: str = "en") -> Result:
    return CliRunner().invoke(main, ["--lang", language, *args], catch_exceptions=False)


def tamper(path: Path, *statements: str) -> None:
    """What someone with the file does: drop the audit log's triggers, then edit rows."""
    with sqlite3.connect(path) as connection:
        for trigger in ("audit_log_no_update", "audit_log_no_delete", "audit_log_append_only"):
            connection.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for statement in statements:
            connection.execute(statement)


def query(path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(sql, params).fetchall()


def seq_of(path: Path, kind: str, subject: str, actor: str | None = None, receipt: str = "") -> int:
    rows = query(
        path,
        "SELECT seq, actor, details FROM audit_log WHERE kind = ? AND subject = ? ORDER BY seq",
        (kind, subject),
    )
    for seq, who, details in rows:
        if (actor is None or who == actor) and receipt in str(details):
            return int(str(seq))
    raise AssertionError(f"no {kind} entry for {subject} {actor} {receipt}")


def detected(*expected: str, anchors: tuple[str, ...] = ()) -> Result:
    args = ["audit", "verify"]
    for anchor in anchors:
        args += ["--anchor", anchor]
    result = sejabot(*args)
    assert result.exit_code == 1, result.output
    for text in expected:
        assert text in result.output, result.output
    return result


# --- nothing changed -----------------------------------------------------------------------


def test_an_untampered_database_verifies_with_signatures_and_facts(flows: Flows) -> None:
    result = sejabot("audit", "verify")
    assert result.exit_code == 0, result.output
    assert f"entries is intact, head {flows.head.hash} (entry {flows.head.seq})." in result.output
    assert "Every entry is signed by this server." in result.output
    assert "agree with the audit trail." in result.output
    slovenian = sejabot("audit", "verify", language="sl")
    assert "Vse zapise je podpisal ta strežnik." in slovenian.output
    assert "v tabelah se ujemajo z revizijsko sledjo" in slovenian.output
    counted = query(flows.path, "SELECT COUNT(*) FROM audit_log WHERE kind = ?",
                    (AuditKind.SECRET_BALLOT_COUNTED.value,))  # fmt: skip
    assert counted == [(3,)]


def test_without_the_key_verify_says_signatures_were_not_checked(
    flows: Flows, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_KEY_ENV)
    result = sejabot("audit", "verify")
    assert result.exit_code == 0, result.output
    assert f"Signatures were not checked: {SECRET_KEY_ENV} is not set." in result.output
    assert "Every entry is signed" not in result.output


# --- votes --------------------------------------------------------------------------------


def test_a_changed_public_vote(flows: Flows) -> None:
    person = flows.people[0]
    tamper(flows.path, f"UPDATE votes SET choice = 'proti' WHERE person_id = {person}")
    seq = seq_of(flows.path, "vote_cast", f"motion:{flows.public}/round:1", f"person:{person}")
    detected(
        f"votes: the vote of person {person} on motion {flows.public}, round 1 has choice PROTI, "
        f"but the audit trail recorded ZA (entry {seq})."
    )
    slovenian = sejabot("audit", "verify", language="sl")
    assert (
        f"votes: glas osebe {person} o predlogu {flows.public} v krogu 1 ima izbiro PROTI, "
        f"revizijska sled pa je zabeležila ZA (zapis {seq})." in slovenian.output
    )


def test_a_deleted_public_vote(flows: Flows) -> None:
    person = flows.people[1]
    tamper(flows.path, f"DELETE FROM votes WHERE person_id = {person}")
    seq = seq_of(flows.path, "vote_cast", f"motion:{flows.public}/round:1", f"person:{person}")
    detected(
        f"votes: the vote of person {person} on motion {flows.public}, round 1, recorded in "
        f"entry {seq}, is missing: it was deleted behind the audit trail's back."
    )


def test_an_inserted_public_vote(flows: Flows) -> None:
    person = flows.people[3]
    tamper(
        flows.path,
        "INSERT INTO votes (motion_id, round, person_id, choice, cast_at, platform) VALUES "
        f"({flows.public}, 1, {person}, 'za', '2020-11-09T10:09:00.000000+00:00', 'telegram')",
    )
    detected(
        f"votes: the vote of person {person} on motion {flows.public}, round 1 is not in the "
        "audit trail: it was inserted behind its back."
    )


def test_public_votes_swapped_between_members(flows: Flows) -> None:
    first, second = flows.people[0], flows.people[1]
    tamper(
        flows.path,
        f"UPDATE votes SET person_id = -1 WHERE person_id = {first}",
        f"UPDATE votes SET person_id = {first} WHERE person_id = {second}",
        f"UPDATE votes SET person_id = {second} WHERE person_id = -1",
    )
    result = detected(
        f"votes: the vote of person {first} on motion {flows.public}, round 1 has choice PROTI",
        f"votes: the vote of person {second} on motion {flows.public}, round 1 has choice ZA",
    )
    assert "rows of the tables disagree with the audit trail" in result.output


def test_a_changed_platform_of_a_vote(flows: Flows) -> None:
    person = flows.people[2]
    tamper(flows.path, f"UPDATE votes SET platform = 'matrix' WHERE person_id = {person}")
    detected(f"the vote of person {person} on motion {flows.public}, round 1 has platform matrix, "
             "but the audit trail recorded telegram")  # fmt: skip


def test_a_reopened_vote_round(flows: Flows) -> None:
    tamper(flows.path, f"UPDATE vote_rounds SET closed_at = NULL WHERE motion_id = {flows.public}")
    detected(f"vote_rounds: round 1 of the vote on motion {flows.public} has time of closing —, "
             "but the audit trail recorded 2020-11-09T10:10:00.000000+00:00")  # fmt: skip


# --- secret votes -------------------------------------------------------------------------


def test_a_changed_secret_ballot(flows: Flows) -> None:
    tamper(
        flows.path, f"UPDATE secret_ballots SET choice = 'proti' WHERE receipt = '{RECEIPTS[0]}'"
    )
    seq = seq_of(flows.path, "secret_ballot_counted", f"motion:{flows.secret}/round:1",
                 receipt=RECEIPTS[0])  # fmt: skip
    detected(
        f"secret_ballots: the ballot with receipt {RECEIPTS[0]} of motion {flows.secret}, round 1 "
        f"has choice PROTI, but the audit trail recorded ZA (entry {seq})."
    )


def test_a_deleted_secret_ballot(flows: Flows) -> None:
    tamper(flows.path, f"DELETE FROM secret_ballots WHERE receipt = '{RECEIPTS[1]}'")
    detected(f"secret_ballots: the ballot with receipt {RECEIPTS[1]} of motion {flows.secret}, "
             "round 1, recorded in entry")  # fmt: skip


def test_an_inserted_secret_ballot(flows: Flows) -> None:
    receipt = "ZZZZ-9999-9999-9999"
    tamper(
        flows.path,
        "INSERT INTO secret_ballots (receipt, motion_id, round, choice) "
        f"VALUES ('{receipt}', {flows.secret}, 1, 'za')",
    )
    detected(
        f"secret_ballots: the ballot with receipt {receipt} of motion {flows.secret}, round 1 is "
        "not in the audit trail: it was inserted behind its back."
    )


def test_secret_ballots_swapped_between_receipts(flows: Flows) -> None:
    tamper(
        flows.path,
        f"UPDATE secret_ballots SET receipt = 'X' WHERE receipt = '{RECEIPTS[0]}'",
        f"UPDATE secret_ballots SET receipt = '{RECEIPTS[0]}' WHERE receipt = '{RECEIPTS[1]}'",
        f"UPDATE secret_ballots SET receipt = '{RECEIPTS[1]}' WHERE receipt = 'X'",
    )
    detected(
        f"receipt {RECEIPTS[0]} of motion {flows.secret}, round 1 has choice PROTI",
        f"receipt {RECEIPTS[1]} of motion {flows.secret}, round 1 has choice ZA",
    )


def test_a_deleted_secret_participation(flows: Flows) -> None:
    person = flows.people[0]
    tamper(flows.path, f"DELETE FROM secret_participation WHERE person_id = {person}")
    detected(f"secret_participation: the participation of person {person} in the secret vote on "
             f"motion {flows.secret}, round 1, recorded in entry")  # fmt: skip


def test_an_inserted_secret_participation(flows: Flows) -> None:
    person = flows.people[3]
    tamper(
        flows.path,
        "INSERT INTO secret_participation (motion_id, round, person_id) "
        f"VALUES ({flows.secret}, 1, {person})",
    )
    detected(f"secret_participation: the participation of person {person} in the secret vote on "
             f"motion {flows.secret}, round 1 is not in the audit trail")  # fmt: skip


# --- elections ----------------------------------------------------------------------------


def test_a_moved_election_mark(flows: Flows) -> None:
    first, second = flows.candidates
    receipt = ELECTION_RECEIPTS[0]
    tamper(
        flows.path,
        f"UPDATE election_ballot_marks SET candidate_id = {second} WHERE receipt = '{receipt}'",
    )
    detected(
        f"election_ballot_marks: the marks of the ballot with receipt {receipt} of election "
        f"{flows.election}, round 1 has marked candidates {second}, but the audit trail recorded "
        f"{first}"
    )


def test_an_election_ballot_made_invalid(flows: Flows) -> None:
    receipt = ELECTION_RECEIPTS[1]
    tamper(flows.path, f"UPDATE election_ballots SET valid = FALSE WHERE receipt = '{receipt}'")
    detected(f"election_ballots: the ballot with receipt {receipt} of election {flows.election}, "
             "round 1 has validity no, but the audit trail recorded yes")  # fmt: skip


def test_an_inserted_election_ballot(flows: Flows) -> None:
    receipt = "YYYY-9999-9999-9999"
    tamper(
        flows.path,
        "INSERT INTO election_ballots (receipt, election_id, round, valid) "
        f"VALUES ('{receipt}', {flows.election}, 1, TRUE)",
        "INSERT INTO election_ballot_marks (receipt, candidate_id, election_id) "
        f"VALUES ('{receipt}', {flows.candidates[1]}, {flows.election})",
    )
    detected(f"election_ballots: the ballot with receipt {receipt} of election {flows.election}, "
             "round 1 is not in the audit trail")  # fmt: skip


def test_a_deleted_election_ballot(flows: Flows) -> None:
    receipt = ELECTION_RECEIPTS[2]
    tamper(
        flows.path,
        f"DELETE FROM election_ballot_marks WHERE receipt = '{receipt}'",
        f"DELETE FROM election_ballots WHERE receipt = '{receipt}'",
    )
    detected(f"election_ballots: the ballot with receipt {receipt} of election {flows.election}, "
             "round 1, recorded in entry")  # fmt: skip


def test_a_deleted_election_participation(flows: Flows) -> None:
    person = flows.people[2]
    tamper(flows.path, f"DELETE FROM election_participation WHERE person_id = {person}")
    detected(f"election_participation: the participation of person {person} in election "
             f"{flows.election}, round 1, recorded in entry")  # fmt: skip


# --- delivery, attendance, survey answers -------------------------------------------------


def test_a_deleted_delivery_confirmation(flows: Flows) -> None:
    person = flows.people[0]
    tamper(flows.path, f"DELETE FROM delivery_confirmations WHERE person_id = {person}")
    detected(f"delivery_confirmations: the delivery confirmation of person {person} for session "
             f"{flows.session}, recorded in entry")  # fmt: skip


def test_an_inserted_delivery_confirmation(flows: Flows) -> None:
    person = flows.people[3]
    tamper(
        flows.path,
        "INSERT INTO delivery_confirmations (session_id, person_id, confirmed_at, platform) "
        f"VALUES ({flows.session}, {person}, '2020-11-09T10:02:00.000000+00:00', 'matrix')",
    )
    detected(f"delivery_confirmations: the delivery confirmation of person {person} for session "
             f"{flows.session} is not in the audit trail")  # fmt: skip


def test_a_backdated_delivery_confirmation(flows: Flows) -> None:
    person = flows.people[1]
    tamper(
        flows.path,
        "UPDATE delivery_confirmations SET confirmed_at = '2020-11-08T10:00:00.000000+00:00' "
        f"WHERE person_id = {person}",
    )
    detected(f"the delivery confirmation of person {person} for session {flows.session} has "
             "time of confirmation 2020-11-08T10:00:00.000000+00:00")  # fmt: skip


def test_a_changed_attendance(flows: Flows) -> None:
    person = flows.people[2]
    tamper(
        flows.path,
        f"UPDATE attendance SET status = 'present', reason = '' WHERE person_id = {person}",
    )
    detected(f"attendance: the attendance of person {person} at presence check 0 of session "
             f"{flows.session} has status present, but the audit trail recorded excused")  # fmt: skip


def test_an_inserted_attendance(flows: Flows) -> None:
    person = flows.people[3]
    tamper(
        flows.path,
        "INSERT INTO attendance (session_id, checkpoint, person_id, status, reason, recorded_at, "
        f"platform) VALUES ({flows.session}, 0, {person}, 'present', '', "
        "'2020-11-09T10:03:00.000000+00:00', 'hall')",
    )
    detected(f"attendance: the attendance of person {person} at presence check 0 of session "
             f"{flows.session} is not in the audit trail")  # fmt: skip


def test_a_changed_survey_answer(flows: Flows) -> None:
    tamper(flows.path, "UPDATE survey_answers SET value = 'MS Teams' WHERE value = 'Zoom'")
    detected(f"survey_answers: the response of organisation {flows.organisation} to survey "
             f"{flows.survey} has answers (digest)")  # fmt: skip


# --- the chain itself ---------------------------------------------------------------------


def chain(path: Path) -> list[tuple[object, ...]]:
    return query(path, "SELECT seq, recorded_at, kind, subject, actor, details, prev_hash, hash, "
                       "mac FROM audit_log ORDER BY seq")  # fmt: skip


def rehashed_from(
    path: Path, first: int, *, keep_macs: bool, details: str | None = None
) -> list[str]:
    """Statements that rewrite entries ``first``.. with hashes computed anew (the first one's
    details replaced), as a forger without the key would."""
    statements = []
    rows = chain(path)
    previous = str(rows[first - 2][7]) if first > 1 else "0" * 64
    for seq, recorded_at, kind, subject, actor, stored_details, _prev, _hash, mac in rows[
        first - 1 :
    ]:
        text = details if (details is not None and seq == first) else str(stored_details)
        digest = entry_hash(int(str(seq)), str(recorded_at), str(kind), str(subject), str(actor),
                            text, previous)  # fmt: skip
        mac_sql = f"'{mac}'" if keep_macs and mac is not None else "NULL"
        statements.append(
            f"UPDATE audit_log SET details = '{text}', prev_hash = '{previous}', "
            f"hash = '{digest}', mac = {mac_sql} WHERE seq = {seq}"
        )
        previous = digest
    return statements


def test_an_edited_entry(flows: Flows) -> None:
    seq = seq_of(flows.path, "vote_cast", f"motion:{flows.public}/round:1",
                 f"person:{flows.people[0]}")  # fmt: skip
    tamper(flows.path, "UPDATE audit_log SET details = '{\"choice\":\"proti\",\"platform\":"
                       f"\"telegram\"}}' WHERE seq = {seq}")  # fmt: skip
    detected(f"Error: Entry {seq} was changed: its content no longer gives its hash")


def test_a_truncated_tail_is_found_with_the_head_of_a_result_message(flows: Flows) -> None:
    tamper(flows.path, f"DELETE FROM audit_log WHERE seq > {flows.head.seq - 3}")
    anchor = result_head_line(flows.head, Translator("en")).rpartition(" ")[2]
    detected(
        f"Error: Entry {flows.head.seq}, whose hash {flows.head.hash[:16]} was published, is no "
        "longer in the log: it was removed.",
        # Without the anchor the facts still show it: the survey response lost its entry.
        "survey_responses: the response of organisation",
        anchors=(anchor,),
    )


def test_a_rehashed_tail_keeping_the_signatures(flows: Flows) -> None:
    seq = seq_of(flows.path, "vote_cast", f"motion:{flows.public}/round:1",
                 f"person:{flows.people[0]}")  # fmt: skip
    forged = '{"choice":"proti","platform":"telegram"}'
    tamper(flows.path, *rehashed_from(flows.path, seq, keep_macs=True, details=forged))
    detected(f"Error: Entry {seq} was changed or added behind the bot's back: its signature "
             "does not match its content")  # fmt: skip


def test_a_rehashed_tail_without_signatures(flows: Flows) -> None:
    seq = seq_of(flows.path, "vote_cast", f"motion:{flows.public}/round:1",
                 f"person:{flows.people[0]}")  # fmt: skip
    forged = '{"choice":"proti","platform":"telegram"}'
    tamper(
        flows.path,
        f"UPDATE votes SET choice = 'proti' WHERE person_id = {flows.people[0]}",
        *rehashed_from(flows.path, seq, keep_macs=False, details=forged),
    )
    detected(f"Error: Entry {seq} is not signed by this server, although every entry from entry 1 "
             "on is")  # fmt: skip


def test_a_whole_chain_rewritten_without_signatures_is_found_by_a_published_head(
    flows: Flows,
) -> None:
    seq = seq_of(flows.path, "vote_cast", f"motion:{flows.public}/round:1",
                 f"person:{flows.people[0]}")  # fmt: skip
    rows = chain(flows.path)
    forged = '{"choice":"proti","platform":"telegram"}'
    statements = rehashed_from(flows.path, 1, keep_macs=False)
    tamper(flows.path, *statements)
    # Consistent in itself, and unsigned from the start: only a published head shows it ...
    tamper(
        flows.path,
        f"UPDATE votes SET choice = 'proti' WHERE person_id = {flows.people[0]}",
        *rehashed_from(flows.path, seq, keep_macs=False, details=forged),
    )
    anchor = anchor_text(flows.head)
    assert parse_anchor(anchor, Translator("en")).seq == flows.head.seq
    result = detected(
        f"Error: Entry {flows.head.seq} no longer has the published hash {flows.head.hash[:16]}",
        anchors=(anchor,),
    )
    assert "Every entry is signed" not in result.output
    assert len(rows) == flows.head.seq


def test_a_forged_entry_appended_with_a_plain_insert(flows: Flows) -> None:
    head = flows.head
    details = '{"choice":"za","platform":"telegram"}'
    stamp = "2020-11-09T10:09:30.000000+00:00"
    subject, actor = f"motion:{flows.public}/round:1", f"person:{flows.people[3]}"
    digest = entry_hash(head.seq + 1, stamp, "vote_cast", subject, actor, details, head.hash)
    tamper(
        flows.path,
        "INSERT INTO audit_log (seq, recorded_at, kind, subject, actor, details, prev_hash, hash) "
        f"VALUES ({head.seq + 1}, '{stamp}', 'vote_cast', '{subject}', '{actor}', '{details}', "
        f"'{head.hash}', '{digest}')",
        "INSERT INTO votes (motion_id, round, person_id, choice, cast_at, platform) VALUES "
        f"({flows.public}, 1, {flows.people[3]}, 'za', '{stamp}', 'telegram')",
    )
    detected(f"Error: Entry {head.seq + 1} is not signed by this server")


def test_a_forged_entry_with_a_copied_signature(flows: Flows) -> None:
    head = flows.head
    mac = chain(flows.path)[-1][8]
    details = '{"choice":"za","platform":"telegram"}'
    stamp = "2020-11-09T10:09:30.000000+00:00"
    subject, actor = f"motion:{flows.public}/round:1", f"person:{flows.people[3]}"
    digest = entry_hash(head.seq + 1, stamp, "vote_cast", subject, actor, details, head.hash)
    tamper(
        flows.path,
        "INSERT INTO audit_log (seq, recorded_at, kind, subject, actor, details, prev_hash, hash, "
        f"mac) VALUES ({head.seq + 1}, '{stamp}', 'vote_cast', '{subject}', '{actor}', "
        f"'{details}', '{head.hash}', '{digest}', '{mac}')",
    )
    detected(f"Error: Entry {head.seq + 1} was changed or added behind the bot's back: its "
             "signature does not match")  # fmt: skip


def test_a_result_message_carries_the_head_verify_accepts() -> None:
    head = ChainHead(41, "3f9a0c2d5e7b8a10" + "0" * 48)
    line = result_head_line(head, Translator("sl"))
    assert line == "Revizijska sled ob zaključku: 41:3f9a0c2d5e7b8a10"
    anchor = parse_anchor(line.rpartition(" ")[2], Translator("sl"))
    assert (anchor.seq, anchor.hash_prefix) == (41, "3f9a0c2d5e7b8a10")
