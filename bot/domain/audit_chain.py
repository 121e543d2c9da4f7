"""The audit trail as a hash chain: how an entry is encoded and hashed, and how a chain is checked.

Every entry stores the hash of the entry before it, and its own hash covers that link, so
changing, removing, inserting or reordering entries breaks the chain somewhere after the edit.
The hash is plain SHA-256, which anyone can recompute: someone able to rewrite the database can
also rewrite every hash after an edit. What such a rewrite cannot undo is a head already
published elsewhere (the minutes carry one), hence the anchors ``verify_chain`` accepts.

Pure code: no I/O; breaks are returned as codes with parameters, worded where they are shown.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from bot.domain.audit_findings import Discrepancy

GENESIS_HASH = "0" * 64  # the prev_hash of the first entry
SYSTEM_ACTOR = "system"

DetailValue = str | int | bool | None

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_HEX_HASH = re.compile(r"^[0-9a-f]{64}$")
# Never part of an entry's facts: the log is permanent and readable by auditors.
FORBIDDEN_DETAIL_KEYS = frozenset(
    {"receipt", "code", "code_hash", "password", "token", "secret", "access_token"}
)
# What a secret vote or an election ballot says; participation entries must not carry it.
BALLOT_CONTENT_KEYS = frozenset({"choice", "candidates", "marks", "valid", "ballot"})


class AuditKind(StrEnum):
    """Kinds written by the storage hooks and the features; docs/AUDIT.md describes each."""

    DELIVERY_CONFIRMED = "delivery_confirmed"
    VOTE_CAST = "vote_cast"
    SECRET_PARTICIPATION = "secret_participation"
    ELECTION_PARTICIPATION = "election_participation"
    VOTE_ROUND_OPENED = "vote_round_opened"
    VOTE_ROUND_CLOSED = "vote_round_closed"
    ELECTION_ROUND_OPENED = "election_round_opened"
    ELECTION_ROUND_CLOSED = "election_round_closed"
    SESSION_STATUS = "session_status"
    INVITATION_CODE_ISSUED = "invitation_code_issued"
    INVITATION_CODES_REVOKED = "invitation_codes_revoked"
    ACCOUNT_LINKED = "account_linked"
    ACCOUNT_UNLINKED = "account_unlinked"
    # Appended by the features themselves through ``repos.audit.append``:
    SESSION_INVITATION_SENT = "session_invitation_sent"
    SESSION_CLOSED = "session_closed"
    OUTCOME = "outcome"
    # Written by storage when a secret round closes, one per ballot, in receipt order: the
    # ballot as counted (receipt and choice or marks), so a later change to a ballot is found.
    SECRET_BALLOT_COUNTED = "secret_ballot_counted"
    ELECTION_BALLOT_COUNTED = "election_ballot_counted"
    # Written by storage with every change of attendance and every standing survey response,
    # so that the minutes' presence lists and the survey report can be checked against the log.
    ATTENDANCE_RECORDED = "attendance_recorded"
    ATTENDANCE_WITHDRAWN = "attendance_withdrawn"
    SURVEY_RESPONSE_SUBMITTED = "survey_response_submitted"


# The only kinds that may name a receipt: a counted ballot is published with it anyway, and
# these entries are written all at once at the close, in receipt order, naming nobody.
RECEIPT_KINDS = frozenset(
    {AuditKind.SECRET_BALLOT_COUNTED.value, AuditKind.ELECTION_BALLOT_COUNTED.value}
)


PARTICIPATION_KINDS = frozenset(
    {AuditKind.SECRET_PARTICIPATION.value, AuditKind.ELECTION_PARTICIPATION.value}
)


def person_actor(person_id: int) -> str:
    return f"person:{person_id}"


def session_subject(session_id: int) -> str:
    return f"session:{session_id}"


def person_subject(person_id: int) -> str:
    return f"person:{person_id}"


def motion_round_subject(motion_id: int, round: int) -> str:
    return f"motion:{motion_id}/round:{round}"


def election_round_subject(election_id: int, round: int) -> str:
    return f"election:{election_id}/round:{round}"


def survey_subject(survey_id: int) -> str:
    return f"survey:{survey_id}"


class InvalidAuditEntry(ValueError):
    """An entry the code tried to append breaks the rules of the log (a programming error)."""


def canonical_details(kind: str, details: Mapping[str, DetailValue]) -> str:
    """The facts of an entry as canonical JSON: keys sorted, no spaces, UTF-8 characters as is.

    Only a flat object of strings, integers, booleans and nulls is accepted: floats have no
    single textual form, and nested data would invite storing relational facts here. Keys that
    would carry a secret, or a ballot's content in a participation entry, are refused.
    """
    for key, value in details.items():
        if not isinstance(key, str) or not _NAME.match(key):
            raise InvalidAuditEntry(f"detail key {key!r} is not a lower-case name")
        if key in FORBIDDEN_DETAIL_KEYS and not (key == "receipt" and kind in RECEIPT_KINDS):
            raise InvalidAuditEntry(f"detail {key!r} would put a secret into the audit trail")
        if kind in PARTICIPATION_KINDS and key in BALLOT_CONTENT_KEYS:
            raise InvalidAuditEntry(f"a {kind} entry must not say what was voted ({key!r})")
        if value is not None and not isinstance(value, str | int):  # bool is an int
            raise InvalidAuditEntry(f"detail {key!r} has type {type(value).__name__}")
    return _json(dict(details), sort_keys=True)


def parse_details(text: str) -> dict[str, DetailValue]:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise TypeError("details are not a JSON object")
    return value


# Matches RFC 8785 (JCS) for the values allowed here: strings, integers, booleans, null.
# Built once: json.dumps with options builds a new encoder at every call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_SORTED_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _json(value: object, *, sort_keys: bool = False) -> str:
    return (_SORTED_ENCODER if sort_keys else _ENCODER).encode(value)


@dataclass(frozen=True, slots=True)
class ChainEntry:
    """One row of ``audit_log`` exactly as stored: the hash covers these texts, not parsed values."""

    seq: int
    recorded_at: str  # fixed-width ISO-8601 UTC, as storage writes timestamps
    kind: str
    subject: str
    actor: str
    details: str  # canonical JSON of a flat object
    prev_hash: str
    hash: str
    # HMAC of ``hash`` under the server's audit key (bot/server_keys.py); outside the hash, so
    # anyone can check the chain, and only the server can sign a new entry. None: unsigned.
    mac: str | None = None

    @property
    def facts(self) -> dict[str, DetailValue]:
        return parse_details(self.details)

    @property
    def recorded_at_utc(self) -> datetime:
        return datetime.fromisoformat(self.recorded_at)


class ChainHead(NamedTuple):
    """The newest entry: its number and hash. An empty log has head (0, GENESIS_HASH)."""

    seq: int
    hash: str


EMPTY_HEAD = ChainHead(0, GENESIS_HASH)


def encode_entry(
    seq: int, recorded_at: str, kind: str, subject: str, actor: str, details: str, prev_hash: str
) -> bytes:
    """The bytes that are hashed: a JSON array of the seven fields, no spaces, UTF-8."""
    return _json([seq, recorded_at, kind, subject, actor, details, prev_hash]).encode("utf-8")


def entry_hash(
    seq: int, recorded_at: str, kind: str, subject: str, actor: str, details: str, prev_hash: str
) -> str:
    encoded = encode_entry(seq, recorded_at, kind, subject, actor, details, prev_hash)
    return hashlib.sha256(encoded).hexdigest()


def computed_hash(entry: ChainEntry) -> str:
    return entry_hash(
        entry.seq,
        entry.recorded_at,
        entry.kind,
        entry.subject,
        entry.actor,
        entry.details,
        entry.prev_hash,
    )


def next_entry(
    head: ChainHead,
    recorded_at: str,
    kind: str,
    subject: str,
    actor: str,
    details: Mapping[str, DetailValue],
) -> ChainEntry:
    """The entry that follows ``head``: numbered one higher, linked to its hash, hashed."""
    if not _NAME.match(kind):
        raise InvalidAuditEntry(f"kind {kind!r} is not a lower-case name")
    if not subject or not actor:
        raise InvalidAuditEntry("an audit entry needs a subject and an actor")
    details_text = canonical_details(kind, details)
    seq = head.seq + 1
    digest = entry_hash(seq, recorded_at, kind, subject, actor, details_text, head.hash)
    return ChainEntry(seq, recorded_at, kind, subject, actor, details_text, head.hash, digest)


# --- verification ------------------------------------------------------------------------------


class BreakProblem(StrEnum):
    CHANGED = "changed"
    REMOVED = "removed"
    INSERTED = "inserted"


class BreakReason(StrEnum):
    HASH_MISMATCH = "hash_mismatch"  # the fields no longer give the stored hash
    MALFORMED = "malformed"  # a field is not in the form the bot writes (param: field)
    SEQUENCE_GAP = "sequence_gap"  # numbers jump (params: previous, next)
    # links to a hash not in the log (params: previous, linked_hash)
    PREVIOUS_UNKNOWN = "previous_unknown"
    LINKS_TO_EARLIER = "links_to_earlier"  # skips entries (params: following, linked, last)
    SEQUENCE_REPEATED = "sequence_repeated"  # a number at or below one already seen
    ANCHOR_MISSING = "anchor_missing"  # a published entry is gone (param: published)
    ANCHOR_MISMATCH = "anchor_mismatch"  # a published entry has another hash (published, found)
    # An entry without a MAC after signed ones: added behind the bot's back (param: signed_from)
    UNSIGNED = "unsigned"
    BAD_SIGNATURE = "bad_signature"  # its MAC is not the server's MAC of its hash


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first entry at which the chain is broken, what happened to it and the evidence."""

    seq: int
    problem: BreakProblem
    reason: BreakReason
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Anchor:
    """A head published outside the database (e.g. in minutes): entry ``seq`` had this hash.

    ``hash_prefix`` may be shortened, as minutes print it; at least 16 hex digits.
    """

    seq: int
    hash_prefix: str

    MIN_PREFIX = 16

    def __post_init__(self) -> None:
        if self.seq < 1:
            raise ValueError("an anchor names an entry from 1 on")
        if len(self.hash_prefix) < self.MIN_PREFIX or not re.fullmatch(
            r"[0-9a-f]+", self.hash_prefix
        ):
            raise ValueError("an anchor needs at least 16 lower-case hex digits of the hash")


@dataclass(frozen=True, slots=True)
class VerificationResult:
    entries: int
    head: ChainHead
    broken: ChainBreak | None = None
    signatures_checked: bool = False  # the server's key was at hand to check the MACs
    signed: int = 0  # entries that carry a MAC (checked or not)
    # Rows of the fact tables that disagree with the log (bot/domain/audit_facts.py).
    discrepancies: tuple[Discrepancy, ...] = ()
    facts_checked: bool = False

    @property
    def chain_intact(self) -> bool:
        return self.broken is None

    @property
    def intact(self) -> bool:
        """The chain holds and every fact the minutes rely on agrees with it."""
        return self.broken is None and not self.discrepancies


class ChainVerifier:
    """Checks entries fed in ascending order of ``seq``; keeps the first break found.

    Feeding one entry at a time lets storage read a long log in batches. The hashes seen so far
    are kept so that an entry linking past its predecessor shows which entries were inserted.
    """

    def __init__(
        self,
        anchors: Iterable[Anchor] = (),
        sign: Callable[[bytes], str] | None = None,
    ) -> None:
        self._anchors = {anchor.seq: anchor for anchor in anchors}
        self._anchored: dict[int, str] = {}
        self._seen: dict[str, int] = {GENESIS_HASH: 0}  # hash -> seq of the entry that has it
        self._head = EMPTY_HEAD
        self._entries = 0
        self._broken: ChainBreak | None = None
        # The server's MAC function (ServerKeys.sign); None: MACs are not checked, but an
        # unsigned entry after a signed one is still found.
        self._sign = sign
        self._signed = 0
        self._signed_from: int | None = None  # the first signed entry

    def feed(self, entry: ChainEntry) -> None:
        self._entries += 1
        if entry.seq in self._anchors:
            self._anchored[entry.seq] = entry.hash
        if self._broken is None:
            self._broken = self._check(entry)
        self._seen.setdefault(entry.hash, entry.seq)
        self._head = ChainHead(entry.seq, entry.hash)
        if entry.mac is not None:
            self._signed += 1
            if self._signed_from is None:
                self._signed_from = entry.seq

    def feed_all(self, entries: Iterable[ChainEntry]) -> None:
        for entry in entries:
            self.feed(entry)

    def result(self) -> VerificationResult:
        broken = self._broken or self._anchor_break()
        return VerificationResult(
            self._entries,
            self._head,
            broken,
            signatures_checked=self._sign is not None,
            signed=self._signed,
        )

    @property
    def signed_from(self) -> int | None:
        """The number of the first signed entry; None while no entry carries a MAC."""
        return self._signed_from

    def _check(self, entry: ChainEntry) -> ChainBreak | None:
        previous = self._head
        expected_seq = previous.seq + 1
        if entry.seq > expected_seq:
            return ChainBreak(
                expected_seq,
                BreakProblem.REMOVED,
                BreakReason.SEQUENCE_GAP,
                {"previous": previous.seq, "next": entry.seq, "last": entry.seq - 1},
            )
        if entry.seq < expected_seq:
            return ChainBreak(
                entry.seq,
                BreakProblem.INSERTED,
                BreakReason.SEQUENCE_REPEATED,
                {"previous": previous.seq},
            )
        own_hash_holds = computed_hash(entry) == entry.hash
        if entry.prev_hash != previous.hash:
            linked = self._seen.get(entry.prev_hash)
            if linked is not None:
                # It continues the chain from an older entry: the ones in between are extra.
                return ChainBreak(
                    linked + 1,
                    BreakProblem.INSERTED,
                    BreakReason.LINKS_TO_EARLIER,
                    {"following": entry.seq, "linked": linked, "last": previous.seq},
                )
            if not own_hash_holds:
                return self._hash_mismatch(entry)
            return ChainBreak(
                entry.seq,
                BreakProblem.REMOVED,
                BreakReason.PREVIOUS_UNKNOWN,
                {"previous": previous.seq, "linked_hash": entry.prev_hash},
            )
        if not own_hash_holds:
            return self._hash_mismatch(entry)
        malformed = _malformed_field(entry)
        if malformed is not None:
            return ChainBreak(
                entry.seq, BreakProblem.CHANGED, BreakReason.MALFORMED, {"field": malformed}
            )
        return self._signature_break(entry)

    def _signature_break(self, entry: ChainEntry) -> ChainBreak | None:
        """Since the server signs every entry, an unsigned one after the first signed entry was
        written by someone else (found even without the key); with the key, every MAC is
        checked, which finds entries rehashed or appended by anyone who lacks it."""
        if entry.mac is None:
            if self._signed_from is not None:
                return ChainBreak(
                    entry.seq,
                    BreakProblem.INSERTED,
                    BreakReason.UNSIGNED,
                    {"signed_from": self._signed_from},
                )
            return None
        if self._sign is not None and not hmac.compare_digest(
            entry.mac, self._sign(entry.hash.encode("ascii"))
        ):
            return ChainBreak(entry.seq, BreakProblem.CHANGED, BreakReason.BAD_SIGNATURE)
        return None

    @staticmethod
    def _hash_mismatch(entry: ChainEntry) -> ChainBreak:
        return ChainBreak(
            entry.seq,
            BreakProblem.CHANGED,
            BreakReason.HASH_MISMATCH,
            {"stored": entry.hash, "computed": computed_hash(entry)},
        )

    def _anchor_break(self) -> ChainBreak | None:
        for seq in sorted(self._anchors):
            published = self._anchors[seq].hash_prefix
            found = self._anchored.get(seq)
            if found is None:
                return ChainBreak(
                    seq, BreakProblem.REMOVED, BreakReason.ANCHOR_MISSING, {"published": published}
                )
            if not found.startswith(published):
                return ChainBreak(
                    seq,
                    BreakProblem.CHANGED,
                    BreakReason.ANCHOR_MISMATCH,
                    {"published": published, "found": found},
                )
        return None


def verify_chain(
    entries: Iterable[ChainEntry],
    anchors: Iterable[Anchor] = (),
    sign: Callable[[bytes], str] | None = None,
) -> VerificationResult:
    verifier = ChainVerifier(anchors, sign)
    verifier.feed_all(entries)
    return verifier.result()


def _malformed_field(entry: ChainEntry) -> str | None:
    """A field a forger rehashed but the bot would never have written; None when all are sound."""
    try:
        recorded = datetime.fromisoformat(entry.recorded_at)
    except ValueError:
        return "recorded_at"
    if recorded.utcoffset() != timedelta(0):
        return "recorded_at"
    if recorded.isoformat(timespec="microseconds") != entry.recorded_at:
        return "recorded_at"
    if not _NAME.match(entry.kind):
        return "kind"
    try:
        details = parse_details(entry.details)
        if canonical_details(entry.kind, details) != entry.details:
            return "details"
    except (ValueError, TypeError):  # InvalidAuditEntry is a ValueError
        return "details"
    if not _HEX_HASH.match(entry.prev_hash):
        return "prev_hash"
    if entry.mac is not None and not _HEX_HASH.match(entry.mac):
        return "mac"
    return None
