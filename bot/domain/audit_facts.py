"""The facts the minutes rely on, recomputed from the audit trail and compared with the tables.

The chain proves that the log was not rewritten; it proves nothing about the tables beside it,
which anyone with the file can edit without touching the log. Every fact the minutes and the
reports rely on is therefore recorded in the log when it is stored (docs/AUDIT.md), and
``FactLedger`` replays the log into the rows the tables should hold. ``compare`` sets them
against the rows storage read and names every row inserted, changed or deleted behind the
log's back, and ``outcome_discrepancies`` checks each recorded outcome against the ballots the
log counted.

Pure code: no I/O. Rows are keyed tuples of plain values; storage reads them
(storage/repositories/audit_facts.py), ``bot.audit.trail`` words the findings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.domain.audit_chain import AuditKind, ChainEntry
from bot.domain.audit_findings import (
    FIELD_TABLES,
    Discrepancy,
    FactTable,
    FactValue,
    Mismatch,
    RowKey,
)


@dataclass(frozen=True, slots=True)
class FactRow:
    """One row as storage read it: the table's key and the values the log also records."""

    table: FactTable
    key: RowKey
    values: Mapping[str, FactValue]


@dataclass(slots=True)
class _Expected:
    values: dict[str, FactValue]
    seq: int  # the entry that recorded the row
    field_seq: dict[str, int] = field(default_factory=dict)  # later entries changing a field


def answers_digest(answers: Sequence[tuple[str, str]]) -> str:
    """SHA-256 of a response's answers in order, as canonical JSON ``[[key, value], ...]``.

    The log keeps the digest, not the answers: it is permanent, and the answers are the
    municipality's to publish. Storage writes it, verification recomputes it from the rows.
    """
    encoded = json.dumps(
        [[key, value] for key, value in answers], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def reason_digest(reason: str) -> str | None:
    """An absence's reason as a digest (the log keeps no personal text); None when there is none."""
    return hashlib.sha256(reason.encode("utf-8")).hexdigest()[:32] if reason else None


def marks_text(candidate_ids: Iterable[int]) -> str:
    """Marked candidates as the log writes them: ids ascending, comma-separated, "" for none."""
    return ",".join(str(candidate) for candidate in sorted(set(candidate_ids)))


def _ids(subject: str) -> tuple[str, list[int]] | None:
    """``motion:12/round:1`` -> ("motion", [12, 1]); None for a subject of another form."""
    parts = subject.split("/")
    kind = parts[0].partition(":")[0]
    try:
        return kind, [int(part.partition(":")[2]) for part in parts]
    except ValueError:
        return None


def _person(actor: str) -> int | None:
    kind, _, number = actor.partition(":")
    return int(number) if kind == "person" and number.isdigit() else None


class FactLedger:
    """Replays entries, fed in order, into the rows the fact tables should hold.

    ``signed_from_at``: the time of the first signed entry. Attendance and survey answers are
    recorded in the log only by versions that also sign it, so their rows from before that
    time (from an older version) are not expected to have entries.
    """

    def __init__(self) -> None:
        self._rows: dict[tuple[FactTable, RowKey], _Expected] = {}
        self._closed_secret: set[tuple[int, int]] = set()  # secret rounds whose ballots count
        self._secret_rounds: set[tuple[int, int]] = set()
        self._outcomes: dict[tuple[str, int, int], tuple[dict[str, FactValue], int]] = {}
        self.signed_from_at: str | None = None

    def feed(self, entry: ChainEntry) -> None:
        if entry.mac is not None and self.signed_from_at is None:
            self.signed_from_at = entry.recorded_at
        key: RowKey
        try:
            facts = entry.facts
        except (ValueError, TypeError):
            return  # the chain's verification names a malformed entry
        parsed = _ids(entry.subject)
        if parsed is None:
            return
        subject_kind, ids = parsed
        person = _person(entry.actor)
        kind = entry.kind
        at = entry.recorded_at
        if kind == AuditKind.DELIVERY_CONFIRMED and person is not None:
            self._put(FactTable.DELIVERY_CONFIRMATIONS, (ids[0], person), entry,
                      confirmed_at=at, platform=facts.get("platform"))  # fmt: skip
        elif kind == AuditKind.VOTE_ROUND_OPENED and len(ids) == 2:
            self._put(FactTable.VOTE_ROUNDS, tuple(ids), entry, vote_kind=facts.get("vote_kind"),
                      opened_at=at, closes_at=facts.get("closes_at"), closed_at=None)  # fmt: skip
            if facts.get("vote_kind") == "secret":
                self._secret_rounds.add((ids[0], ids[1]))
        elif kind == AuditKind.VOTE_ROUND_CLOSED and len(ids) == 2:
            self._change(FactTable.VOTE_ROUNDS, tuple(ids), entry, closed_at=at)
            if (ids[0], ids[1]) in self._secret_rounds:
                self._closed_secret.add((ids[0], ids[1]))
        elif kind == AuditKind.VOTE_CAST and person is not None and len(ids) == 2:
            self._put(FactTable.VOTES, (*ids, person), entry, choice=facts.get("choice"),
                      platform=facts.get("platform"), cast_at=at)  # fmt: skip
        elif kind == AuditKind.SECRET_PARTICIPATION and person is not None and len(ids) == 2:
            self._put(FactTable.SECRET_PARTICIPATION, (*ids, person), entry)
        elif kind == AuditKind.SECRET_BALLOT_COUNTED and len(ids) == 2:
            self._put(FactTable.SECRET_BALLOTS, (*ids, str(facts.get("receipt"))), entry,
                      choice=facts.get("choice"))  # fmt: skip
        elif kind == AuditKind.ELECTION_ROUND_OPENED and len(ids) == 2:
            self._put(FactTable.ELECTION_ROUNDS, tuple(ids), entry, opened_at=at,
                      closes_at=facts.get("closes_at"), closed_at=None)  # fmt: skip
        elif kind == AuditKind.ELECTION_ROUND_CLOSED and len(ids) == 2:
            self._change(FactTable.ELECTION_ROUNDS, tuple(ids), entry, closed_at=at)
        elif kind == AuditKind.ELECTION_PARTICIPATION and person is not None and len(ids) == 2:
            self._put(FactTable.ELECTION_PARTICIPATION, (*ids, person), entry)
        elif kind == AuditKind.ELECTION_BALLOT_COUNTED and len(ids) == 2:
            self._put(FactTable.ELECTION_BALLOTS, (*ids, str(facts.get("receipt"))), entry,
                      valid=facts.get("valid"), marks=facts.get("marks"))  # fmt: skip
        elif kind == AuditKind.ATTENDANCE_RECORDED and subject_kind == "session":
            key = (ids[0], int(facts.get("checkpoint") or 0), int(facts.get("person") or 0))
            self._put(FactTable.ATTENDANCE, key, entry, status=facts.get("status"),
                      platform=facts.get("platform"), reason_digest=facts.get("reason_digest"),
                      recorded_at=at)  # fmt: skip
        elif kind == AuditKind.ATTENDANCE_WITHDRAWN and subject_kind == "session":
            key = (ids[0], int(facts.get("checkpoint") or 0), int(facts.get("person") or 0))
            self._rows.pop((FactTable.ATTENDANCE, key), None)
        elif kind == AuditKind.SURVEY_RESPONSE_SUBMITTED and subject_kind == "survey":
            key = (ids[0], int(facts.get("organisation") or 0))
            self._put(FactTable.SURVEY_RESPONSES, key, entry, person=facts.get("person"),
                      submitted_at=at, answers_digest=facts.get("answers_digest"))  # fmt: skip
        elif kind == AuditKind.OUTCOME and len(ids) == 2:
            self._outcomes[(subject_kind, ids[0], ids[1])] = (facts, entry.seq)
            if subject_kind == "motion" and "quorum_needed" in facts:
                # Written by the correspondence closing, which also stores the outcome's row.
                self._put(FactTable.CORRESPONDENCE_OUTCOMES, (ids[0],), entry, round=ids[1],
                          **{name: facts.get(name) for name in OUTCOME_FIELDS})  # fmt: skip

    def feed_all(self, entries: Iterable[ChainEntry]) -> None:
        for entry in entries:
            self.feed(entry)

    def _put(self, table: FactTable, key: RowKey, entry: ChainEntry, **values: FactValue) -> None:
        self._rows[(table, key)] = _Expected(dict(values), entry.seq)

    def _change(
        self, table: FactTable, key: RowKey, entry: ChainEntry, **values: FactValue
    ) -> None:
        expected = self._rows.get((table, key))
        if expected is None:
            return  # a round opened before the log began
        expected.values.update(values)
        expected.field_seq.update({name: entry.seq for name in values})

    def expected(self, table: FactTable) -> dict[RowKey, Mapping[str, FactValue]]:
        return {key: row.values for (t, key), row in self._rows.items() if t is table}

    def checks_ballots_of(self, motion_id: int, round: int) -> bool:
        """Whether the ballots of a secret round are in the log: only once the round closed."""
        return (motion_id, round) in self._closed_secret

    def compare(self, rows: Iterable[FactRow]) -> list[Discrepancy]:
        """Every row of ``rows`` that the log does not account for, and every recorded row
        missing from them, in table order. ``rows`` must hold every row of the checked tables
        that the log is expected to cover (storage reads them all)."""
        found: list[Discrepancy] = []
        seen: set[tuple[FactTable, RowKey]] = set()
        for row in rows:
            seen.add((row.table, row.key))
            expected = self._rows.get((row.table, row.key))
            if expected is None:
                if self._covers(row):
                    found.append(Discrepancy(row.table, row.key, Mismatch.INSERTED))
                continue
            for name, recorded in expected.values.items():
                value = row.values.get(name)
                if value != recorded:
                    table = FIELD_TABLES.get((row.table, name), row.table)
                    seq = expected.field_seq.get(name, expected.seq)
                    found.append(Discrepancy(table, row.key, Mismatch.CHANGED, name, value,
                                             recorded, seq))  # fmt: skip
        for (table, key), expected in self._rows.items():
            if (table, key) in seen:
                continue
            if table is FactTable.SECRET_BALLOTS and not self.checks_ballots_of(*key[:2]):  # type: ignore[arg-type]
                continue
            found.append(Discrepancy(table, key, Mismatch.DELETED, seq=expected.seq))
        order = list(FactTable)
        found.sort(key=lambda d: (order.index(d.table), str(d.key), d.field or ""))
        return found

    def _covers(self, row: FactRow) -> bool:
        """Whether the log should have recorded this row."""
        if row.table is FactTable.SECRET_BALLOTS:
            # Ballots of an open round stay sealed (not in this table) until the close.
            return True
        if row.table in (FactTable.ATTENDANCE, FactTable.SURVEY_RESPONSES):
            stamp = row.values.get("recorded_at") or row.values.get("submitted_at")
            return self.signed_from_at is not None and str(stamp) >= self.signed_from_at
        return True

    def outcome_discrepancies(self) -> list[Discrepancy]:
        """Each outcome entry of a secret vote or an election against the ballots the log
        counted at the close: the published totals must be the totals of the ballots."""
        found: list[Discrepancy] = []
        for (kind, target, round), (facts, seq) in sorted(self._outcomes.items()):
            counted = self._counted(kind, target, round)
            if counted is None:
                continue
            names = (
                {"za", "proti"}
                if kind == "motion"
                else {name for name in facts if name.startswith("candidate_")}
            )
            for name in sorted(names | set(counted)):
                if name in facts and facts[name] != counted.get(name, 0):
                    found.append(Discrepancy(FactTable.OUTCOME_ENTRIES, (kind, target, round),
                                             Mismatch.CHANGED, name, facts[name],
                                             counted.get(name, 0), seq))  # fmt: skip
        return found

    def _counted(self, kind: str, target: int, round: int) -> dict[str, int] | None:
        if kind == "motion":
            ballots = self._ballots(FactTable.SECRET_BALLOTS, target, round)
            if not ballots:
                return None
            choices = [values.get("choice") for values in ballots]
            return {"za": choices.count("za"), "proti": choices.count("proti")}
        ballots = self._ballots(FactTable.ELECTION_BALLOTS, target, round)
        if not ballots:
            return None
        totals: dict[str, int] = {}
        for values in ballots:
            if not values.get("valid"):
                continue
            for mark in str(values.get("marks") or "").split(","):
                if mark:
                    totals[f"candidate_{mark}"] = totals.get(f"candidate_{mark}", 0) + 1
        return totals

    def _ballots(self, table: FactTable, target: int, round: int) -> list[Mapping[str, FactValue]]:
        return [
            row.values
            for (t, key), row in self._rows.items()
            if t is table and key[0] == target and key[1] == round
        ]


# What the correspondence closing's outcome entry and its row in correspondence_outcomes share.
OUTCOME_FIELDS = ("reason", "referred", "confirmed", "za", "proti", "vzdrzan")
