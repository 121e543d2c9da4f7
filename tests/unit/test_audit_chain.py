"""The audit hash chain: encoding, hashing and verification find every single tampering."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.audit.trail import describe_break, minutes_line
from bot.domain.audit_chain import (
    EMPTY_HEAD,
    GENESIS_HASH,
    Anchor,
    AuditKind,
    BreakProblem,
    BreakReason,
    ChainBreak,
    ChainEntry,
    ChainHead,
    InvalidAuditEntry,
    canonical_details,
    computed_hash,
    next_entry,
    verify_chain,
)
from bot.i18n import Translator

T0 = datetime(2026, 11, 18, 11, 0, tzinfo=UTC)

# --- strategies --------------------------------------------------------------------------------

names = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
detail_values = st.one_of(st.text(max_size=12), st.integers(), st.booleans(), st.none())
facts = st.dictionaries(
    names.filter(lambda k: k not in {"receipt", "code", "code_hash", "password", "token",
                                     "secret", "access_token", "choice", "candidates",
                                     "marks", "valid", "ballot"}),
    detail_values,
    max_size=3,
)  # fmt: skip
specs = st.tuples(
    st.integers(min_value=0, max_value=10**9),  # microseconds after T0
    st.sampled_from([kind.value for kind in AuditKind]),
    st.text(min_size=1, max_size=16),
    st.text(min_size=1, max_size=10),
    facts,
)


def build(spec_list: list[tuple[int, str, str, str, dict[str, object]]]) -> list[ChainEntry]:
    chain: list[ChainEntry] = []
    head = EMPTY_HEAD
    for offset, kind, subject, actor, details in spec_list:
        stamp = (T0 + timedelta(microseconds=offset)).isoformat(timespec="microseconds")
        entry = next_entry(head, stamp, kind, subject, actor, details)  # type: ignore[arg-type]
        chain.append(entry)
        head = ChainHead(entry.seq, entry.hash)
    return chain


chains = st.lists(specs, min_size=1, max_size=10).map(build)
chains_of_two_or_more = st.lists(specs, min_size=2, max_size=10).map(build)


def rehashed(entry: ChainEntry) -> ChainEntry:
    """What a forger who knows the algorithm writes: the row's own hash made to fit again."""
    return replace(entry, hash=computed_hash(entry))


def head_anchor(chain: list[ChainEntry]) -> Anchor:
    """The head as the minutes publish it: number and the first 16 hex digits."""
    return Anchor(chain[-1].seq, chain[-1].hash[:16])


# --- intact chains -----------------------------------------------------------------------------


@given(chains)
def test_an_untouched_chain_is_intact_and_its_head_is_the_last_entry(
    chain: list[ChainEntry],
) -> None:
    result = verify_chain(chain, [head_anchor(chain)])
    assert result.intact, result.broken
    assert result.entries == len(chain)
    assert result.head == (chain[-1].seq, chain[-1].hash)
    assert chain[0].prev_hash == GENESIS_HASH
    assert [entry.seq for entry in chain] == list(range(1, len(chain) + 1))


def test_an_empty_chain_is_intact_with_the_genesis_head() -> None:
    result = verify_chain([])
    assert result.intact and result.entries == 0
    assert result.head == (0, GENESIS_HASH)


def test_the_hash_is_sha256_of_the_documented_encoding() -> None:
    # The example of docs/AUDIT.md, computed here from the literal bytes.
    entry = next_entry(
        EMPTY_HEAD,
        "2026-11-18T11:00:00.000000+00:00",
        "vote_cast",
        "motion:12/round:1",
        "person:7",
        {"platform": "telegram", "choice": "za"},
    )
    encoded = (
        b'[1,"2026-11-18T11:00:00.000000+00:00","vote_cast","motion:12/round:1","person:7",'
        b'"{\\"choice\\":\\"za\\",\\"platform\\":\\"telegram\\"}",'
        b'"0000000000000000000000000000000000000000000000000000000000000000"]'
    )
    assert entry.details == '{"choice":"za","platform":"telegram"}'
    assert entry.hash == hashlib.sha256(encoded).hexdigest()
    assert entry.hash == "f6177e9bc53f4ca8929d7d060110f16412182a2f29c8209784ece797b737485d"


def test_details_keep_letters_as_they_are_and_sort_the_keys() -> None:
    assert canonical_details("outcome", {"z": 1, "a": "Žalec, č š"}) == '{"a":"Žalec, č š","z":1}'


@pytest.mark.parametrize(
    ("kind", "details"),
    [
        ("outcome", {"share": 0.5}),  # floats have no single text form
        ("outcome", {"numbers": [1, 2]}),  # flat facts only
        ("outcome", {"Choice": "za"}),  # keys are lower-case names
        ("invitation_code_issued", {"code": "ABCD-1234"}),
        ("invitation_code_issued", {"code_hash": "ab" * 32}),
        ("secret_participation", {"receipt": "7K3Q-9XDM-2RTB-H4PW"}),
        ("secret_participation", {"choice": "za"}),
        ("election_participation", {"candidates": "3,5"}),
    ],
)
def test_secrets_ballot_contents_and_unclear_values_are_refused(
    kind: str, details: dict[str, object]
) -> None:
    with pytest.raises(InvalidAuditEntry):
        next_entry(EMPTY_HEAD, "2026-11-18T11:00:00.000000+00:00", kind, "s", "system", details)  # type: ignore[arg-type]


def test_a_public_vote_entry_may_carry_its_choice() -> None:
    entry = next_entry(
        EMPTY_HEAD, T0.isoformat(timespec="microseconds"), "vote_cast", "m", "person:1",
        {"choice": "proti"},
    )  # fmt: skip
    assert entry.facts == {"choice": "proti"}


# --- single changes ----------------------------------------------------------------------------

CONTENT_FIELDS = ("recorded_at", "kind", "subject", "actor", "details")


@given(chains, st.data())
def test_a_changed_field_is_found_at_that_entry(
    chain: list[ChainEntry], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(chain) - 1))
    field = data.draw(st.sampled_from(CONTENT_FIELDS))
    new_value = data.draw(st.text(max_size=40))
    assume(new_value != getattr(chain[index], field))
    tampered = list(chain)
    tampered[index] = replace(chain[index], **{field: new_value})
    broken = verify_chain(tampered).broken
    assert broken == ChainBreak(
        index + 1,
        BreakProblem.CHANGED,
        BreakReason.HASH_MISMATCH,
        {"stored": chain[index].hash, "computed": computed_hash(tampered[index])},
    )


@given(chains, st.data())
def test_a_changed_number_or_hash_is_found(chain: list[ChainEntry], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(chain) - 1))
    field = data.draw(st.sampled_from(("seq", "prev_hash", "hash")))
    if field == "seq":
        new_value: object = data.draw(st.integers(-5, 20))
    else:
        new_value = data.draw(st.from_regex(r"[0-9a-f]{64}", fullmatch=True))
    assume(new_value != getattr(chain[index], field))
    tampered = list(chain)
    tampered[index] = replace(chain[index], **{field: new_value})
    assert not verify_chain(tampered).intact


@given(chains, st.data())
def test_a_change_with_a_recomputed_hash_is_found_given_the_published_head(
    chain: list[ChainEntry], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(chain) - 1))
    field = data.draw(st.sampled_from(CONTENT_FIELDS))
    new_value = data.draw(st.text(max_size=40))
    assume(new_value != getattr(chain[index], field))
    tampered = list(chain)
    tampered[index] = rehashed(replace(chain[index], **{field: new_value}))
    assert not verify_chain(tampered, [head_anchor(chain)]).intact
    if index < len(chain) - 1:
        # The next entry still names the old hash: found even without the published head.
        assert not verify_chain(tampered).intact


# --- removals ----------------------------------------------------------------------------------


@given(chains_of_two_or_more, st.data())
def test_a_removed_entry_is_named(chain: list[ChainEntry], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(chain) - 2))
    tampered = chain[:index] + chain[index + 1 :]
    broken = verify_chain(tampered).broken
    assert broken is not None
    assert (broken.seq, broken.problem, broken.reason) == (
        index + 1,
        BreakProblem.REMOVED,
        BreakReason.SEQUENCE_GAP,
    )


@given(chains)
def test_removing_the_newest_entry_is_found_given_the_published_head(
    chain: list[ChainEntry],
) -> None:
    broken = verify_chain(chain[:-1], [head_anchor(chain)]).broken
    assert broken is not None
    assert (broken.seq, broken.problem, broken.reason) == (
        len(chain),
        BreakProblem.REMOVED,
        BreakReason.ANCHOR_MISSING,
    )


@given(chains_of_two_or_more, st.data())
def test_a_removal_hidden_by_renumbering_and_rehashing_is_found(
    chain: list[ChainEntry], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(chain) - 1))
    tampered = chain[:index] + [
        rehashed(replace(entry, seq=entry.seq - 1)) for entry in chain[index + 1 :]
    ]
    assert not verify_chain(tampered, [head_anchor(chain)]).intact
    if index < len(chain) - 1:
        broken = verify_chain(tampered).broken
        assert broken is not None and broken.problem is BreakProblem.REMOVED


# --- insertions --------------------------------------------------------------------------------


@given(chains, specs, st.data())
def test_an_inserted_well_formed_entry_is_named(
    chain: list[ChainEntry], spec: tuple[int, str, str, str, dict[str, object]], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(chain) - 1))
    rehash_following = data.draw(st.booleans())
    before = ChainHead(chain[index - 1].seq, chain[index - 1].hash) if index else EMPTY_HEAD
    offset, kind, subject, actor, details = spec
    stamp = (T0 + timedelta(microseconds=offset)).isoformat(timespec="microseconds")
    forged = next_entry(before, stamp, kind, subject, actor, details)  # type: ignore[arg-type]
    following = [replace(entry, seq=entry.seq + 1) for entry in chain[index:]]
    if rehash_following:
        following = [rehashed(entry) for entry in following]
    tampered = chain[:index] + [forged] + following
    broken = verify_chain(tampered).broken
    assert broken is not None
    assert (broken.seq, broken.problem, broken.reason) == (
        index + 1,
        BreakProblem.INSERTED,
        BreakReason.LINKS_TO_EARLIER,
    )


@given(chains, st.data())
def test_any_inserted_row_before_an_existing_entry_is_found(
    chain: list[ChainEntry], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(chain) - 1))
    extra = ChainEntry(
        seq=data.draw(st.integers(-3, len(chain) + 3)),
        recorded_at=data.draw(st.text(max_size=32)),
        kind=data.draw(st.text(max_size=12)),
        subject=data.draw(st.text(max_size=12)),
        actor=data.draw(st.text(max_size=12)),
        details=data.draw(st.text(max_size=12)),
        prev_hash=data.draw(st.sampled_from([GENESIS_HASH] + [e.hash for e in chain])),
        hash=data.draw(st.from_regex(r"[0-9a-f]{64}", fullmatch=True)),
    )
    tampered = chain[:index] + [extra] + chain[index:]
    assert not verify_chain(tampered).intact


def test_an_entry_appended_correctly_is_indistinguishable_from_the_bots_own() -> None:
    # The limit of an unkeyed chain: only what came before a published head is protected.
    chain = build([(0, "vote_cast", "motion:1/round:1", "person:1", {"choice": "za"})])
    head = ChainHead(chain[-1].seq, chain[-1].hash)
    appended = next_entry(
        head, chain[0].recorded_at, "vote_cast", "motion:1/round:1", "person:2", {}
    )
    assert verify_chain([*chain, appended], [head_anchor(chain)]).intact


# --- reordering --------------------------------------------------------------------------------


@given(chains_of_two_or_more, st.data())
def test_reordered_entries_are_found(chain: list[ChainEntry], data: st.DataObject) -> None:
    first = data.draw(st.integers(0, len(chain) - 2))
    second = data.draw(st.integers(first + 1, len(chain) - 1))
    mode = data.draw(st.sampled_from(("as_stored", "renumbered", "renumbered_and_rehashed")))
    tampered = list(chain)
    tampered[first], tampered[second] = tampered[second], tampered[first]
    if mode != "as_stored":
        tampered = [replace(entry, seq=position + 1) for position, entry in enumerate(tampered)]
    if mode == "renumbered_and_rehashed":
        tampered = [rehashed(entry) for entry in tampered]
    assert not verify_chain(tampered).intact


# --- anchors and wording -----------------------------------------------------------------------


def test_a_rewritten_chain_is_found_by_the_published_head() -> None:
    chain = build([(n, "outcome", f"motion:{n}/round:1", "system", {"got": n}) for n in range(4)])
    forged = build([(n, "outcome", f"motion:{n}/round:1", "system", {"got": 9}) for n in range(4)])
    assert verify_chain(forged).intact  # rewritten from the start: consistent in itself
    broken = verify_chain(forged, [head_anchor(chain)]).broken
    assert broken is not None
    assert (broken.seq, broken.problem, broken.reason) == (
        4,
        BreakProblem.CHANGED,
        BreakReason.ANCHOR_MISMATCH,
    )


@pytest.mark.parametrize("text", ["", "12", "1:abc", "0:" + "a" * 16, "3:" + "G" * 16])
def test_anchors_need_a_number_and_sixteen_hex_digits(text: str) -> None:
    seq, _, prefix = text.partition(":")
    with pytest.raises(ValueError):
        Anchor(int(seq or 0), prefix)


BREAKS = [
    ChainBreak(3, BreakProblem.CHANGED, BreakReason.HASH_MISMATCH, {"stored": "a" * 64, "computed": "b" * 64}),
    ChainBreak(3, BreakProblem.CHANGED, BreakReason.MALFORMED, {"field": "details"}),
    ChainBreak(3, BreakProblem.REMOVED, BreakReason.SEQUENCE_GAP, {"previous": 2, "next": 4, "last": 3}),
    ChainBreak(3, BreakProblem.REMOVED, BreakReason.SEQUENCE_GAP, {"previous": 2, "next": 6, "last": 5}),
    ChainBreak(1, BreakProblem.REMOVED, BreakReason.PREVIOUS_UNKNOWN, {"previous": 0, "linked_hash": "c" * 64}),
    ChainBreak(3, BreakProblem.REMOVED, BreakReason.PREVIOUS_UNKNOWN, {"previous": 2, "linked_hash": "c" * 64}),
    ChainBreak(1, BreakProblem.INSERTED, BreakReason.LINKS_TO_EARLIER, {"following": 3, "linked": 0, "last": 2}),
    ChainBreak(3, BreakProblem.INSERTED, BreakReason.LINKS_TO_EARLIER, {"following": 4, "linked": 2, "last": 3}),
    ChainBreak(3, BreakProblem.INSERTED, BreakReason.LINKS_TO_EARLIER, {"following": 6, "linked": 2, "last": 5}),
    ChainBreak(3, BreakProblem.INSERTED, BreakReason.SEQUENCE_REPEATED, {"previous": 3}),
    ChainBreak(9, BreakProblem.REMOVED, BreakReason.ANCHOR_MISSING, {"published": "d" * 16}),
    ChainBreak(9, BreakProblem.CHANGED, BreakReason.ANCHOR_MISMATCH, {"published": "d" * 16, "found": "e" * 64}),
]  # fmt: skip


@pytest.mark.parametrize("language", ["sl", "en"])
@pytest.mark.parametrize("broken", BREAKS, ids=lambda b: f"{b.reason}-{b.seq}")
def test_every_break_is_described_naming_the_entry(language: str, broken: ChainBreak) -> None:
    text = describe_break(broken, Translator(language))
    assert str(broken.seq) in text
    assert "{" not in text


def test_the_minutes_line_shows_the_number_and_sixteen_hex_digits() -> None:
    head = ChainHead(41, "3f9a0c2d5e7b8a10" + "f" * 48)
    assert minutes_line(head, Translator("sl")) == "Revizijska sled: zapis 41, 3f9a0c2d5e7b8a10…"
