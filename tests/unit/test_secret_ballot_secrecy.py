"""Issue 14, item 4: nothing a Matrix homeserver sees depends in size on a secret choice, secret
ballots go only where the rules allow and (on Matrix) only into encrypted rooms, and the
crypto store is encrypted with the server's pickle key and readable by its owner only.

The Matrix adapter's outgoing side runs here against a recording sender, so every event it would
send is measured exactly as nio serialises it for encryption; the end-to-end test
(tests/e2e/test_matrix_secret_sizes.py) measures the real ciphertext on a real homeserver.
"""

from __future__ import annotations

import copy
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
from nio.crypto import InboundGroupSession, OlmAccount, OutboundGroupSession, OutboundSession
from nio.store import DefaultStore

from bot.domain.models import Candidate, Election, Motion, Platform, VoteChoice, VoteKind
from bot.domain.rules_loader import PRESET_DIR, RuleSetError, load_named_rule_set, parse_rule_set
from bot.i18n import Translator
from bot.live.wording.votes import (
    ballot_message,
    confirm_message,
    election_ballot,
    election_confirm,
    election_recorded,
    recorded_message,
    secret_ballot_terms,
)
from bot.transport.events import ChatRef, OutgoingMessage
from bot.transport.matrix.content import ANSWERS_KEY, POLL_START_TYPE, encrypted_size
from bot.transport.matrix.incoming import ChoiceMemory
from bot.transport.matrix.outbox import RoomOutbox
from bot.transport.matrix.outgoing import OutgoingMessages
from bot.transport.matrix.store import NIO_DEFAULT_PICKLE_KEY, rekey, restrict, store_file
from bot.transport.secrecy import BallotWithheld, SecretMessage
from tests.support.keys import TEST_KEYS

RULES = load_named_rule_set("gornji-grad-2016", (PRESET_DIR,))
AT = datetime(2026, 12, 3, 16, 7, tzinfo=UTC)
RECEIPT = "AB12-CD34-EF56-GH78"
SL = Translator("sl")
MOTION = Motion(
    12, 3, 3, "Soglasje k imenovanju direktorja zavoda",
    "Občinski svet daje soglasje k imenovanju direktorja zavoda.", vote_kind=VoteKind.SECRET,
)  # fmt: skip
ELECTION = Election(7, 3, "Volitve članov Nadzornega odbora", posts=2)
CANDIDATES = [
    Candidate(1, 7, "Ana", "Novak"),
    Candidate(2, 7, "Peter", "Kos"),
    Candidate(3, 7, "Maja", "Zorko-Šinkovec"),
    Candidate(4, 7, "Žan", "Čeh"),
]


# --- a Matrix adapter's outgoing side against a recording sender ---------------------------------


@dataclass
class _Room:
    encrypted: bool


class RecordingSender:
    """Stands in for MatrixSender: keeps every (type, content) it is asked to send."""

    def __init__(self, encrypted: bool = True) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.encrypted = encrypted

    async def room(self, room_id: str) -> _Room:
        return _Room(self.encrypted)

    async def send_event(
        self, room_id: str, event_type: str, content: dict[str, Any], **_options: Any
    ) -> str:
        self.sent.append((event_type, copy.deepcopy(content)))
        return f"$event{len(self.sent):040d}"  # event ids of one length, as Synapse's


CHAT = ChatRef(Platform.MATRIX, "!room:example.org")


async def _adapter(encrypted: bool = True) -> tuple[OutgoingMessages, RecordingSender, RoomOutbox]:
    sender = RecordingSender(encrypted)
    outbox = RoomOutbox()
    outgoing = OutgoingMessages(None, sender, ChoiceMemory(), SL, outbox)  # type: ignore[arg-type]
    return outgoing, sender, outbox


async def _shown_as_edit(first: OutgoingMessage, then: OutgoingMessage) -> list[int]:
    """The sizes of the events that show ``then`` in place of ``first`` (a pressed ballot)."""
    outgoing, sender, outbox = await _adapter()
    ref = await outgoing.send(CHAT, first)
    sender.sent.clear()
    await outgoing.edit(ref, then)
    assert await outbox.settle(5)
    await outbox.close()
    return [encrypted_size(content) for _type, content in sender.sent]


async def _shown(message: OutgoingMessage) -> list[int]:
    outgoing, sender, outbox = await _adapter()
    await outgoing.send(CHAT, message)
    await outbox.close()
    return [encrypted_size(content) for _type, content in sender.sent]


def _ballot() -> OutgoingMessage:
    return ballot_message(MOTION, 3, 1, RULES, None, "", SL)


@pytest.mark.asyncio
async def test_the_confirmation_of_a_secret_vote_has_one_size_for_every_choice() -> None:
    sizes = {
        choice: await _shown_as_edit(_ballot(), confirm_message(MOTION, 3, 1, choice, SL))
        for choice in VoteChoice
    }
    # the ended ballot poll (carrying the new text), the text, the confirmation poll
    assert len(sizes[VoteChoice.ZA]) == 3
    assert sizes[VoteChoice.ZA] == sizes[VoteChoice.PROTI] == sizes[VoteChoice.VZDRZAN], sizes


@pytest.mark.asyncio
async def test_the_receipt_of_a_secret_vote_has_one_size_for_every_choice() -> None:
    sizes = {
        choice: await _shown(recorded_message(MOTION, 3, choice, AT, RECEIPT, SL))
        for choice in VoteChoice
    }
    assert sizes[VoteChoice.ZA] == sizes[VoteChoice.PROTI] == sizes[VoteChoice.VZDRZAN], sizes


@pytest.mark.asyncio
async def test_the_same_padding_also_holds_in_english_and_for_a_long_title() -> None:
    en = Translator("en")
    motion = Motion(
        12345, 3, 14, "Č" * 300, "Sklep " * 50, vote_kind=VoteKind.SECRET
    )  # titles of any length: no bucket boundary can fall between two choices
    for translate in (en, SL):
        sizes = {
            choice: await _shown(confirm_message(motion, 14, 2, choice, translate))
            for choice in VoteChoice
        }
        assert len(set(map(tuple, sizes.values()))) == 1, sizes


def _all_marks() -> list[tuple[Candidate, ...]]:
    return [
        combo for size in range(len(CANDIDATES) + 1) for combo in combinations(CANDIDATES, size)
    ]


def _mask(marked: tuple[Candidate, ...]) -> int:
    return sum(1 << CANDIDATES.index(c) for c in marked)


@pytest.mark.asyncio
async def test_election_ballots_confirmations_and_receipts_have_one_size_for_any_marks() -> None:
    ballot_sizes, confirm_sizes, receipt_sizes = set(), set(), set()
    for marked in _all_marks():
        mask, valid = _mask(marked), 1 <= len(marked) <= ELECTION.posts
        shown = election_ballot(ELECTION, 4, 1, 1, CANDIDATES, mask, None, "K", SL)
        ballot_sizes.add(tuple(await _shown(shown)))
        confirm = election_confirm(
            ELECTION, 4, 1, 1, list(marked), mask, valid, SL, ballot=CANDIDATES
        )
        confirm_sizes.add(tuple(await _shown_as_edit(shown, confirm)))
        receipt = election_recorded(
            ELECTION, 4, 1, list(marked), valid, AT, RECEIPT, SL, ballot=CANDIDATES
        )
        receipt_sizes.add(tuple(await _shown(receipt)))
    assert len(ballot_sizes) == len(confirm_sizes) == len(receipt_sizes) == 1, (
        ballot_sizes, confirm_sizes, receipt_sizes,
    )  # fmt: skip


@pytest.mark.asyncio
async def test_secret_polls_have_positional_answer_ids_that_map_back_to_the_choice() -> None:
    outgoing, sender, outbox = await _adapter()
    message = confirm_message(MOTION, 3, 1, VoteChoice.PROTI, SL)
    ref = await outgoing.send(CHAT, message)
    await outbox.close()
    [(_type, poll)] = [(t, c) for t, c in sender.sent if t == POLL_START_TYPE]
    ids = [answer["m.id"] for answer in poll["m.poll"]["answers"]]
    assert ids == ["01", "02"]
    assert [a["id"] for a in poll[POLL_START_TYPE]["answers"]] == ids
    payloads = [choice.payload for choice in message.flat_choices]
    assert poll[ANSWERS_KEY] == dict(zip(ids, payloads, strict=True))
    memory = outgoing._choices
    assert memory.payload_of(ref.message_id, "01") == payloads[0] == "lvc:12:1:proti"
    assert memory.poll(ref.message_id).payload_of("02") == payloads[1]  # type: ignore[union-attr]
    assert memory.poll(ref.message_id).payload_of("03") is None  # type: ignore[union-attr]
    # After the poll ended, and after a restart (read from the poll itself), too.
    memory.closed(ref)
    assert memory.payload_of(ref.message_id, "01") == payloads[0]
    restarted = ChoiceMemory()
    restarted.own_poll(ref.message_id, poll[ANSWERS_KEY])
    assert restarted.payload_of(ref.message_id, "02") == payloads[1]


@pytest.mark.asyncio
async def test_public_polls_keep_their_payloads_as_answer_ids() -> None:
    outgoing, sender, outbox = await _adapter()
    public = Motion(13, 3, 1, "Spremembe Poslovnika", "Sprejme se.", vote_kind=VoteKind.PUBLIC)
    await outgoing.send(CHAT, ballot_message(public, 1, 1, RULES, None, "", SL))
    await outbox.close()
    [poll] = [c for t, c in sender.sent if t == POLL_START_TYPE]
    assert [a["m.id"] for a in poll["m.poll"]["answers"]] == ["lvb:13:1:za", "lvb:13:1:proti"]
    assert ANSWERS_KEY not in poll


@pytest.mark.asyncio
async def test_a_secret_ballot_is_not_sent_into_an_unencrypted_room() -> None:
    outgoing, sender, outbox = await _adapter(encrypted=False)
    with pytest.raises(BallotWithheld):
        await outgoing.send(CHAT, _ballot())
    await outbox.close()
    [(event_type, content)] = sender.sent
    assert event_type == "m.room.message"
    assert "ni šifriran od konca do konca" in content["body"]
    assert "!prisoten" in content["body"] and "glasovnic" in content["body"]


@pytest.mark.asyncio
async def test_a_secret_ballot_is_not_sent_to_matrix_when_the_rules_keep_it_off() -> None:
    outgoing, sender, outbox = await _adapter()
    rules = _rules(["telegram"])
    with pytest.raises(BallotWithheld):
        await outgoing.send(CHAT, ballot_message(MOTION, 3, 1, rules, None, "", SL))
    await outbox.close()
    [(_type, content)] = sender.sent
    assert "le prek Telegrama" in content["body"] and "/prisoten" in content["body"]


# --- the rule-set option -----------------------------------------------------------------------


def _data(transports: object) -> dict[str, Any]:
    import tomllib

    data = tomllib.loads((PRESET_DIR / "gornji-grad-2016.toml").read_text(encoding="utf-8"))
    if transports is None:
        data["live"].pop("secret_vote_transports", None)
    else:
        data["live"]["secret_vote_transports"] = transports
    return data


def _rules(transports: object) -> Any:
    return parse_rule_set(_data(transports), "x.toml")


def test_secret_votes_are_allowed_on_both_transports_by_default() -> None:
    assert _rules(None).live.secret_vote_transports == {Platform.MATRIX, Platform.TELEGRAM}
    for name in ("gornji-grad-2016", "majority-of-all-members"):
        allowed = load_named_rule_set(name, (PRESET_DIR,)).live.secret_vote_transports
        assert allowed == {Platform.MATRIX, Platform.TELEGRAM}


def test_a_rule_set_may_keep_secret_votes_to_matrix() -> None:
    assert _rules(["matrix"]).live.secret_vote_transports == {Platform.MATRIX}
    assert _rules(["matrix", "matrix"]).live.secret_vote_transports == {Platform.MATRIX}


@pytest.mark.parametrize(
    ("value", "english", "slovenian"),
    [
        (["signal"], "'signal' is not one of matrix, telegram.", "ni ena od vrednosti"),
        ([], "No transport is left for secret votes and elections.", "nobena platforma"),
        ("matrix", "Expected a list", "Pričakovan"),
    ],
)
def test_a_wrong_transport_list_is_explained(value: object, english: str, slovenian: str) -> None:
    with pytest.raises(RuleSetError) as error:
        parse_rule_set(_data(value), "x.toml", language="en")
    assert "live.secret_vote_transports" in str(error.value) and english in str(error.value)
    with pytest.raises(RuleSetError) as in_slovenian:
        parse_rule_set(_data(value), "x.toml", language="sl")
    assert slovenian in str(in_slovenian.value)


def test_ballots_carry_the_rules_and_the_texts_in_the_members_language() -> None:
    both = secret_ballot_terms(RULES, SL)
    assert both.allows(Platform.TELEGRAM) and both.allows(Platform.MATRIX)
    notice = both.notice(Platform.TELEGRAM)
    assert "niso šifrirani od konca do konca" in notice and "Telegramovih strežnikov" in notice
    assert "Matrix" in notice  # where the encrypted alternative is
    assert both.notice(Platform.MATRIX) == ""
    only_matrix = secret_ballot_terms(_rules(["matrix"]), Translator("en"))
    assert not only_matrix.allows(Platform.TELEGRAM)
    assert "only over Matrix" in only_matrix.not_allowed and "!prisoten" in only_matrix.not_allowed
    assert only_matrix.notice(Platform.TELEGRAM) == ""
    ballot = _ballot()
    assert isinstance(ballot, SecretMessage) and ballot.secret and ballot.ballot == both
    public = Motion(13, 3, 1, "Spremembe Poslovnika", "Sprejme se.", vote_kind=VoteKind.PUBLIC)
    assert not isinstance(ballot_message(public, 1, 1, RULES, None, "", SL), SecretMessage)


# --- the crypto store --------------------------------------------------------------------------

USER, DEVICE = "@sejabot:example.org", "SEJABOT"


def _written_with_default_key(folder: Path) -> tuple[dict[str, str], str, str]:
    """A store as nio wrote it before: account, an Olm session and a Megolm session."""
    store = DefaultStore(USER, DEVICE, str(folder), pickle_key=NIO_DEFAULT_PICKLE_KEY)
    account, peer = OlmAccount(), OlmAccount()
    store.save_account(account)
    peer.generate_one_time_keys(1)
    one_time_key = next(iter(peer.one_time_keys["curve25519"].values()))
    session = OutboundSession(account, peer.identity_keys["curve25519"], one_time_key)
    store.save_session(peer.identity_keys["curve25519"], session)
    outbound = OutboundGroupSession()
    inbound = InboundGroupSession(
        outbound.session_key, account.identity_keys["ed25519"],
        account.identity_keys["curve25519"], "!room:example.org",
    )  # fmt: skip
    store.save_inbound_group_session(inbound)
    store.database.close()
    return account.identity_keys, session.id, inbound.id


def test_a_store_written_with_nios_default_key_is_re_encrypted_and_still_loads(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "matrix-store"
    folder.mkdir()
    identity, session_id, group_session_id = _written_with_default_key(folder)
    key = TEST_KEYS.matrix_pickle
    assert rekey(folder, USER, DEVICE, key) is True
    assert rekey(folder, USER, DEVICE, key) is False  # done once
    store = DefaultStore(USER, DEVICE, str(folder), pickle_key=key)
    try:
        account = store.load_account()
        assert account is not None and account.identity_keys == identity
        assert [s.id for s in store.load_sessions()] == [session_id]
        assert [s.id for s in store.load_inbound_group_sessions()] == [group_session_id]
    finally:
        store.database.close()
    old = DefaultStore(USER, DEVICE, str(folder), pickle_key=NIO_DEFAULT_PICKLE_KEY)
    try:
        with pytest.raises(Exception):  # noqa: B017 - vodozemac's own exception types
            old.load_account()  # the default key no longer opens it
    finally:
        old.database.close()


def test_a_store_of_another_secret_key_is_refused_not_replaced(tmp_path: Path) -> None:
    from bot.transport.matrix.store import StoreKeyError

    folder = tmp_path / "matrix-store"
    folder.mkdir()
    _written_with_default_key(folder)
    rekey(folder, USER, DEVICE, TEST_KEYS.matrix_pickle)
    with pytest.raises(StoreKeyError, match="another SEJABOT_SECRET_KEY"):
        rekey(folder, USER, DEVICE, "0" * 64)


def test_the_store_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    folder = tmp_path / "var" / "matrix-store"
    folder.parent.mkdir()
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    restrict(folder, USER, DEVICE)
    database = store_file(folder, USER, DEVICE)
    rekey(folder, USER, DEVICE, TEST_KEYS.matrix_pickle)
    DefaultStore(USER, DEVICE, str(folder), pickle_key=TEST_KEYS.matrix_pickle).save_account(
        OlmAccount()
    )
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert database.exists()
    # An older store, made world-readable, is tightened at the next start.
    os.chmod(database, 0o644)
    restrict(folder, USER, DEVICE)
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_the_pickle_key_is_not_nios_default() -> None:
    assert TEST_KEYS.matrix_pickle != NIO_DEFAULT_PICKLE_KEY and len(TEST_KEYS.matrix_pickle) == 64


def test_run_refuses_matrix_without_the_secret_key(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bot.cli import main

    config = tmp_path / "sejabot.toml"
    config.write_text(
        f'[bot]\ndatabase_path = "{tmp_path / "db.sqlite3"}"\n\n[matrix]\nenabled = true\n'
        'homeserver = "https://matrix.example.org"\nuser_id = "@sejabot:example.org"\n'
        'device_id = "SEJABOT"\n',
        encoding="utf-8",
    )
    environment = {"SEJABOT_MATRIX_PASSWORD": "x", "SEJABOT_SECRET_KEY": None}
    result = CliRunner().invoke(
        main, ["--config", str(config), "--lang", "en", "run"], env=environment
    )
    assert result.exit_code != 0
    assert "SEJABOT_SECRET_KEY is not set" in result.output
    assert "Traceback" not in result.output
