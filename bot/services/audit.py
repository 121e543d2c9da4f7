"""The audit trail for the rest of the bot: its head for the minutes, verification, wording.

Minutes print the head as ``Revizijska sled: zapis {seq}, {hash[:16]}…`` (see
``minutes_line``); a later ``sejabot audit verify --anchor SEQ:HASH`` proves that nothing up to
that entry was rewritten since.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from bot.domain.audit_chain import (
    Anchor,
    BreakReason,
    ChainBreak,
    ChainHead,
    ChainVerifier,
    VerificationResult,
)
from bot.i18n import N_, Translator
from storage.database import Database
from storage.repositories import Repositories

PAGE_SIZE = 2000  # entries read and checked at a time
SHORT_HASH = 16  # hex digits of a hash shown in minutes and lists

__all__ = [
    "Anchor",
    "VerificationResult",
    "chain_head",
    "describe_break",
    "minutes_line",
    "verify",
]


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


async def verify(
    source: Database | Repositories, anchors: Iterable[Anchor] = ()
) -> VerificationResult:
    """Checks the whole chain, page by page; ``anchors`` are heads published earlier.

    Entries are only ever appended, so reading in pages sees a consistent prefix of the log.
    Hashing runs in a worker thread so that a long log never stalls the event loop.
    """
    audit = _repositories(source).audit
    verifier = ChainVerifier(anchors)
    last_seq = 0
    while True:
        page = await audit.entries_after(last_seq, PAGE_SIZE)
        if not page:
            break
        await asyncio.to_thread(verifier.feed_all, page)
        last_seq = page[-1].seq
    return verifier.result()


FIELD_WORDS = {
    "recorded_at": N_("time of recording"),
    "kind": N_("kind of entry"),
    "details": N_("recorded facts"),
    "prev_hash": N_("link to the previous entry"),
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
