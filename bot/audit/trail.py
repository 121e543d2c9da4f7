"""The audit trail for the rest of the bot: its head for the minutes, verification, wording.

Minutes print the head as ``Revizijska sled: zapis {seq}, {hash[:16]}…`` (see
``minutes_line``), results sent to the members as ``{seq}:{hash[:16]}`` (``anchor_text``);
a later ``sejabot audit verify --anchor SEQ:HASH`` proves that nothing up to that entry was
rewritten since. ``verify`` checks the chain, the server's signatures and every fact the
minutes rely on against the tables (bot/domain/audit_facts.py).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from bot.domain.audit_chain import (
    Anchor,
    AuditKind,
    BreakReason,
    ChainBreak,
    ChainEntry,
    ChainHead,
    ChainVerifier,
    VerificationResult,
    session_subject,
)
from bot.domain.audit_facts import FactLedger
from bot.domain.audit_findings import Discrepancy, FactTable, FactValue, Mismatch
from bot.i18n import N_, Translator
from storage.database import Database
from storage.repositories import Repositories
from storage.repositories.minutes_heads import MinutesHead

PAGE_SIZE = 2000  # entries read and checked at a time
SHORT_HASH = 16  # hex digits of a hash shown in minutes and lists

__all__ = [
    "Anchor",
    "MinutesHeadState",
    "VerificationResult",
    "anchor_text",
    "chain_head",
    "closing_head",
    "describe_break",
    "describe_discrepancy",
    "minutes_head_state",
    "minutes_line",
    "record_minutes_head",
    "verify",
]


class Signer(Protocol):
    def sign(self, message: bytes) -> str: ...


def _repositories(source: Database | Repositories) -> Repositories:
    return source.read if isinstance(source, Database) else source


async def chain_head(source: Database | Repositories) -> ChainHead:
    """``(seq, hash)`` of the newest entry; ``(0, 64 zeros)`` while nothing is recorded.

    Pass the database (committed entries) or a transaction's repositories (its own entries
    too, e.g. when the minutes are written in the transaction that closes the session).
    """
    return await _repositories(source).audit.head()


def minutes_line(head: ChainHead, _: Translator) -> str:
    return _("Audit trail: entry {seq}, {hash}…", seq=head.seq, hash=head.hash[:SHORT_HASH])


def anchor_text(head: ChainHead) -> str:
    """The head as ``sejabot audit verify --anchor`` takes it: ``41:3f9a0c2d5e7b8a10``."""
    return f"{head.seq}:{head.hash[:SHORT_HASH]}"


def result_head_line(head: ChainHead, _: Translator) -> str:
    """The line under a closed vote's result: the trail's head as the vote closed."""
    return _("Audit trail at the close: {anchor}", anchor=anchor_text(head))


# --- the minutes' head ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MinutesHeadState:
    """The head a session's minutes were first made with, and whether the trail still has it."""

    head: ChainHead
    made_at: datetime | None  # None: not recorded (minutes from before schema version 11)
    current_hash: str | None  # the hash entry ``head.seq`` has now; None: no such entry

    @property
    def diverged(self) -> bool:
        return self.head.seq > 0 and self.current_hash != self.head.hash


async def closing_head(source: Database | Repositories, session_id: int) -> ChainHead | None:
    """The head a closed session's minutes cite: the one recorded when they were first made
    (``minutes_heads``), or for a session closed before heads were recorded, its
    ``session_closed`` entry. None while the session has not closed."""
    repos = _repositories(source)
    recorded = await repos.minutes_heads.get(session_id)
    if recorded is not None:
        return recorded.head
    closed = [
        entry
        for entry in await repos.audit.for_subject(session_subject(session_id))
        if entry.kind == AuditKind.SESSION_CLOSED
    ]
    return ChainHead(closed[-1].seq, closed[-1].hash) if closed else None


async def record_minutes_head(
    db: Database, session_id: int, head: ChainHead, now: datetime
) -> None:
    """Keeps ``head`` as the head of the session's minutes, unless minutes were made before."""
    async with db.transaction() as repos:
        await repos.minutes_heads.record(session_id, head, now)


async def minutes_head_state(
    source: Database | Repositories, session_id: int, fallback: ChainHead | None
) -> MinutesHeadState | None:
    """The recorded head of the session's minutes (or ``fallback`` when none was recorded),
    with the hash its entry has now. None when there is neither."""
    repos = _repositories(source)
    recorded = await repos.minutes_heads.get(session_id)
    head = recorded.head if recorded is not None else fallback
    if head is None:
        return None
    return MinutesHeadState(
        head,
        recorded.made_at if recorded is not None else None,
        await _hash_at(repos, head.seq),
    )


async def _hash_at(repos: Repositories, seq: int) -> str | None:
    if seq == 0:
        return ChainHead(0, "0" * 64).hash
    found = await repos.audit.entries_after(seq - 1, 1)
    return found[0].hash if found and found[0].seq == seq else None


def minutes_head_lines(state: MinutesHeadState, moment: str, _: Translator) -> list[str]:
    """The minutes' audit lines: the head they were first made with, and whether it holds."""
    lines = [minutes_line(state.head, _)]
    if state.made_at is None:
        return lines
    if state.current_hash is None:
        lines.append(_(
            "WARNING: the audit trail has changed since these minutes were first made "
            "({made}): entry {seq} is no longer in it.",
            made=moment, seq=state.head.seq,
        ))  # fmt: skip
    elif state.diverged:
        lines.append(_(
            "WARNING: the audit trail has changed since these minutes were first made "
            "({made}): entry {seq} now has hash {found}.",
            made=moment, seq=state.head.seq, found=state.current_hash[:SHORT_HASH],
        ))  # fmt: skip
    else:
        lines.append(_(
            "These minutes were first made on {made}; the audit trail still contains this "
            "entry unchanged.",
            made=moment,
        ))  # fmt: skip
    return lines


# --- verification --------------------------------------------------------------------------


async def verify(
    source: Database | Repositories,
    anchors: Iterable[Anchor] = (),
    *,
    keys: Signer | None = None,
    facts: bool = True,
) -> VerificationResult:
    """Checks the whole chain, page by page; ``anchors`` are heads published earlier.

    With the server's keys (by default those the database was opened with) every entry's MAC
    is checked. With ``facts``, the rows of the fact tables are set against what the chain
    recorded, and each minutes' recorded head against the chain.

    Entries are only ever appended, so reading in pages sees a consistent prefix of the log.
    Hashing runs in a worker thread so that a long log never stalls the event loop.
    """
    repos = _repositories(source)
    if keys is None:
        keys = source.keys if isinstance(source, Database) else repos.audit.signer
    sign: Callable[[bytes], str] | None = None if keys is None else keys.sign
    audit = repos.audit
    verifier = ChainVerifier(anchors, sign)
    ledger = FactLedger()
    heads = await repos.minutes_heads.list_all() if facts else []
    wanted = {head.head.seq for head in heads}
    hashes: dict[int, str] = {}
    last_seq = 0
    while True:
        page = await audit.entries_after(last_seq, PAGE_SIZE)
        if not page:
            break
        await asyncio.to_thread(_feed, verifier, ledger if facts else None, page)
        hashes.update((entry.seq, entry.hash) for entry in page if entry.seq in wanted)
        last_seq = page[-1].seq
    result = verifier.result()
    if not facts:
        return result
    found = ledger.compare(await repos.audit_facts.rows())
    found.extend(ledger.outcome_discrepancies())
    found.extend(_minutes_head_discrepancies(heads, hashes, sign))
    return replace(result, discrepancies=tuple(found), facts_checked=True)


def _feed(verifier: ChainVerifier, ledger: FactLedger | None, page: list[ChainEntry]) -> None:
    verifier.feed_all(page)
    if ledger is not None:
        ledger.feed_all(page)


def _minutes_head_discrepancies(
    heads: list[MinutesHead], hashes: dict[int, str], sign: Callable[[bytes], str] | None
) -> list[Discrepancy]:
    found = []
    for head in heads:
        key = (head.session_id,)
        table = FactTable.MINUTES_HEADS
        if sign is not None and (
            head.mac is None or not hmac.compare_digest(head.mac, sign(head.signed_message()))
        ):
            found.append(Discrepancy(table, key, Mismatch.CHANGED, "mac", head.head.seq))
            continue
        if head.head.seq == 0:
            continue
        current = hashes.get(head.head.seq)
        if current is None:
            found.append(Discrepancy(table, key, Mismatch.DELETED, seq=head.head.seq))
        elif current != head.head.hash:
            found.append(Discrepancy(table, key, Mismatch.CHANGED, "hash",
                                     head.head.hash[:SHORT_HASH], current[:SHORT_HASH],
                                     head.head.seq))  # fmt: skip
    return found


FIELD_WORDS = {
    "recorded_at": N_("time of recording"),
    "kind": N_("kind of entry"),
    "details": N_("recorded facts"),
    "prev_hash": N_("link to the previous entry"),
    "mac": N_("signature"),
}


def describe_break(broken: ChainBreak, _: Translator) -> str:
    """One sentence naming the first bad entry, what happened to it and the evidence."""
    p = broken.params
    seq = broken.seq
    match broken.reason:
        case BreakReason.HASH_MISMATCH:
            return _(
                "Entry {seq} was changed: its content no longer gives its hash "
                "(stored {stored}, computed from the content {computed}).",
                seq=seq,
                stored=_short(p["stored"]),
                computed=_short(p["computed"]),
            )
        case BreakReason.MALFORMED:
            field = str(p["field"])
            return _(
                'Entry {seq} was changed: its field "{field}" is not in the form the bot '
                "writes, and its hash was computed anew.",
                seq=seq,
                field=_(FIELD_WORDS.get(field, field)),
            )
        case BreakReason.SEQUENCE_GAP if p["next"] == seq + 1:
            return _(
                "Entry {seq} was removed: the log goes from entry {previous} straight to "
                "entry {next}.",
                seq=seq,
                previous=p["previous"],
                next=p["next"],
            )
        case BreakReason.SEQUENCE_GAP:
            return _(
                "Entries {seq} to {last} were removed: the log goes from entry {previous} "
                "straight to entry {next}.",
                seq=seq,
                last=p["last"],
                previous=p["previous"],
                next=p["next"],
            )
        case BreakReason.PREVIOUS_UNKNOWN if p["previous"] == 0:
            return _(
                "Entries before entry {seq} were removed: it continues from an entry with "
                "hash {linked} that is no longer in the log.",
                seq=seq,
                linked=_short(p["linked_hash"]),
            )
        case BreakReason.PREVIOUS_UNKNOWN:
            return _(
                "Entry {seq} does not follow entry {previous}: it continues from an entry with "
                "hash {linked} that is not in the log. An entry was removed before it, or "
                "entry {previous} was rewritten.",
                seq=seq,
                previous=p["previous"],
                linked=_short(p["linked_hash"]),
            )
        case BreakReason.LINKS_TO_EARLIER if p["linked"] == 0:
            return _(
                "Entry {seq} was inserted: entry {following} begins the chain, so the "
                "entries before it ({seq} to {last}) do not belong to it.",
                seq=seq,
                following=p["following"],
                last=p["last"],
            )
        case BreakReason.LINKS_TO_EARLIER if p["last"] == seq:
            return _(
                "Entry {seq} was inserted: entry {following} continues the chain directly "
                "from entry {linked} (unless entry {following} is the forged one).",
                seq=seq,
                following=p["following"],
                linked=p["linked"],
            )
        case BreakReason.LINKS_TO_EARLIER:
            return _(
                "Entries {seq} to {last} were inserted: entry {following} continues the chain "
                "directly from entry {linked} (unless entry {following} is the forged one).",
                seq=seq,
                last=p["last"],
                following=p["following"],
                linked=p["linked"],
            )
        case BreakReason.SEQUENCE_REPEATED:
            return _(
                "Entry {seq} was inserted: it comes after entry {previous} but is not "
                "numbered after it.",
                seq=seq,
                previous=p["previous"],
            )
        case BreakReason.ANCHOR_MISSING:
            return _(
                "Entry {seq}, whose hash {published} was published, is no longer in the log: "
                "it was removed.",
                seq=seq,
                published=p["published"],
            )
        case BreakReason.UNSIGNED:
            return _(
                "Entry {seq} is not signed by this server, although every entry from entry "
                "{signed_from} on is: it was added behind the bot's back, with its hash "
                "computed anew.",
                seq=seq,
                signed_from=p["signed_from"],
            )
        case BreakReason.BAD_SIGNATURE:
            return _(
                "Entry {seq} was changed or added behind the bot's back: its signature does "
                "not match its content, so it was not written by this server (or with "
                "another secret key).",
                seq=seq,
            )
        case BreakReason.ANCHOR_MISMATCH:
            return _(
                "Entry {seq} no longer has the published hash {published} (it now has "
                "{found}): the log up to it was rewritten and its hashes computed anew.",
                seq=seq,
                published=p["published"],
                found=_short(p["found"]),
            )
    raise ValueError(f"unknown break reason {broken.reason}")


def _short(value: object) -> str:
    return str(value)[:SHORT_HASH]


# --- wording the findings about the tables -----------------------------------------------------

ROW_WORDS: dict[FactTable, str] = {
    FactTable.DELIVERY_CONFIRMATIONS: N_(
        "the delivery confirmation of person {0} for session {1}"
    ),  # key: session, person (swapped below)
    FactTable.VOTE_ROUNDS: N_("round {1} of the vote on motion {0}"),
    FactTable.VOTES: N_("the vote of person {2} on motion {0}, round {1}"),
    FactTable.SECRET_PARTICIPATION: N_(
        "the participation of person {2} in the secret vote on motion {0}, round {1}"
    ),
    FactTable.SECRET_BALLOTS: N_("the ballot with receipt {2} of motion {0}, round {1}"),
    FactTable.ELECTION_ROUNDS: N_("round {1} of election {0}"),
    FactTable.ELECTION_PARTICIPATION: N_(
        "the participation of person {2} in election {0}, round {1}"
    ),
    FactTable.ELECTION_BALLOTS: N_("the ballot with receipt {2} of election {0}, round {1}"),
    FactTable.ELECTION_BALLOT_MARKS: N_(
        "the marks of the ballot with receipt {2} of election {0}, round {1}"
    ),
    FactTable.ATTENDANCE: N_("the attendance of person {2} at presence check {1} of session {0}"),
    FactTable.SURVEY_RESPONSES: N_("the response of organisation {1} to survey {0}"),
    FactTable.SURVEY_ANSWERS: N_("the response of organisation {1} to survey {0}"),
    FactTable.CORRESPONDENCE_OUTCOMES: N_("the stored outcome of motion {0}"),
    FactTable.MINUTES_HEADS: N_("the head recorded for the minutes of session {0}"),
}

VALUE_FIELD_WORDS = {
    "choice": N_("choice"),
    "platform": N_("platform"),
    "cast_at": N_("time of voting"),
    "confirmed_at": N_("time of confirmation"),
    "vote_kind": N_("kind of vote"),
    "opened_at": N_("time of opening"),
    "closes_at": N_("set closing time"),
    "closed_at": N_("time of closing"),
    "valid": N_("validity"),
    "marks": N_("marked candidates"),
    "status": N_("status"),
    "reason_digest": N_("reason (digest)"),
    "recorded_at": N_("time of recording"),
    "person": N_("person"),
    "submitted_at": N_("time of submission"),
    "answers_digest": N_("answers (digest)"),
    "round": N_("round"),
    "reason": N_("reason"),
    "referred": N_("referral"),
    "confirmed": N_("confirmed deliveries"),
    "za": N_("votes FOR"),
    "proti": N_("votes AGAINST"),
    "vzdrzan": N_("abstentions"),
    "hash": N_("hash"),
    "mac": N_("signature"),
}

_CHOICES = {"za": "ZA", "proti": "PROTI", "vzdrzan": "VZDRŽAN"}


def _value(name: str, value: FactValue, _: Translator) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name == "choice":
        return _CHOICES.get(str(value), str(value))
    if name.endswith("_digest"):
        return str(value)[:SHORT_HASH] + "…"
    return str(value)


def _row(found: Discrepancy, _: Translator) -> str:
    key = list(found.key)
    if found.table is FactTable.DELIVERY_CONFIRMATIONS:
        key = [key[1], key[0]]
    return _(ROW_WORDS[found.table]).format(*key)


def describe_discrepancy(found: Discrepancy, _: Translator) -> str:
    """One sentence a clerk can act on: the table, the row and what the trail recorded."""
    table = found.table.value
    if found.table is FactTable.OUTCOME_ENTRIES:
        kind, target, round = found.key
        subject = (
            _("motion {motion}, round {round}", motion=target, round=round)
            if kind == "motion"
            else _("election {election}, round {round}", election=target, round=round)
        )
        return _(
            "audit_log: the outcome of {subject} recorded in entry {seq} gives {field} "
            "{found}, but the ballots the audit trail counted give {counted}.",
            subject=subject,
            seq=found.seq,
            field=_(VALUE_FIELD_WORDS.get(found.field or "", found.field or "")),
            found=found.found,
            counted=found.recorded,
        )
    if found.table is FactTable.MINUTES_HEADS:
        if found.mismatch is Mismatch.DELETED:
            return _(
                "minutes_heads: the minutes of session {session} were made at entry {seq}, "
                "which is no longer in the audit trail: the trail was cut back or rewritten.",
                session=found.key[0],
                seq=found.seq,
            )
        if found.field == "mac":
            return _(
                "minutes_heads: the head recorded for the minutes of session {session} is not "
                "signed by this server: it was written or changed behind the bot's back.",
                session=found.key[0],
            )
        return _(
            "minutes_heads: the minutes of session {session} were made at entry {seq} with "
            "hash {recorded}, but that entry now has hash {found}: the trail was rewritten.",
            session=found.key[0],
            seq=found.seq,
            recorded=found.found,
            found=found.recorded,
        )
    row = _row(found, _)
    match found.mismatch:
        case Mismatch.INSERTED:
            return _(
                "{table}: {row} is not in the audit trail: it was inserted behind its back.",
                table=table,
                row=row,
            )
        case Mismatch.DELETED:
            return _(
                "{table}: {row}, recorded in entry {seq}, is missing: it was deleted behind "
                "the audit trail's back.",
                table=table,
                row=row,
                seq=found.seq,
            )
    name = found.field or ""
    return _(
        "{table}: {row} has {field} {found}, but the audit trail recorded {recorded} "
        "(entry {seq}).",
        table=table,
        row=row,
        field=_(VALUE_FIELD_WORDS.get(name, name)),
        found=_value(name, found.found, _),
        recorded=_value(name, found.recorded, _),
        seq=found.seq,
    )
