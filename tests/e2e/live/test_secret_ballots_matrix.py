"""Secret votes and elections over Matrix, as the homeserver sees them (issue 14, item 4).

The real bot (Runtime with the Matrix adapter on a real Synapse, the chair on the fake Telegram
server) and real matrix-nio members in end-to-end encrypted direct rooms. After the members
voted, every event of their rooms is read back from the homeserver's client API, as its operator
could: the ciphertext of each ``m.room.encrypted`` event the bot sent (ballots, confirmations,
the ended polls that carry their texts, receipts) and of the members' own encrypted poll
responses. Members who chose differently must have sent and received ciphertexts of exactly the
same sizes. A member whose direct room is not encrypted gets no ballot, only how to continue in
an encrypted one, and votes once the room is encrypted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from nio import RoomCreateResponse, RoomPreset, RoomPutStateResponse

from bot.i18n import Translator
from bot.live.convening import ConveningSpec, convene
from bot.live.convening_file import parse_convening
from tests.e2e.live.world import CHAIR, convening_toml, council_member_emails, write_council_roster
from tests.support.harness import BotHarness, MatrixMember, Seen

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

SECRET_HEADING = "Glasovanje o točki 3"
ELECTION_HEADING = "Volitve pri točki 4"
RECEIPT = "Vaša tajna glasovnica"
MEGOLM = "m.megolm.v1.aes-sha2"
SETTLE_SECONDS = 7.0  # ended polls are housekeeping: they follow the replies within seconds


@pytest_asyncio.fixture(loop_scope="session")
async def harness(synapse, matrix_users, tmp_path: Path) -> AsyncIterator[BotHarness]:  # type: ignore[no-untyped-def]
    bot = await BotHarness.start(synapse, matrix_users, tmp_path, write_council_roster(tmp_path))
    try:
        yield bot
    finally:
        await bot.close()


async def _open_session(harness: BotHarness) -> None:
    assert harness.runtime is not None
    app = harness.runtime.app
    now = datetime.now(UTC).replace(microsecond=0)
    starts_at = now + timedelta(minutes=5)
    extra = 'urgent = true\nurgency_reason = "Rok razpisa poteče jutri."'
    parsed = parse_convening(
        convening_toml(starts_at, kind="extraordinary", extra=extra), None, now
    )
    assert parsed.ok, [p.render(Translator("en")) for p in parsed.problems]
    body = next(b for b in await harness.db.read.bodies.list() if b.name == parsed.body)
    spec = ConveningSpec(
        body_id=body.id or 0, kind=parsed.kind, mode=parsed.mode, title=parsed.title,
        starts_at=starts_at, location=parsed.location, video_link=parsed.video_link,
        urgent=True, urgency_reason=parsed.urgency_reason, agenda=tuple(parsed.agenda),
    )  # fmt: skip
    async with harness.db.transaction() as repos:
        result = await convene(repos, spec, app.rule_set(body.rule_set), now)
    assert result.ok
    harness.clock.freeze(starts_at)
    harness.fake.set_time(starts_at)


async def _when_vote_opens(member: MatrixMember, expected: str) -> Seen:
    """The first message saying ``expected``, presence confirmed first if asked for."""
    seen = await member.expect(
        lambda s: expected in s.text or "Ste navzoči na seji?" in s.text, timeout=60
    )
    if expected not in seen.text:
        await member.say("Prisoten")
        seen = await member.expect(expected, timeout=60)
    return seen


async def _ballot_labels(member: MatrixMember, heading: str) -> list[str]:
    seen = await member.expect(lambda s: s.text.startswith(heading) and bool(s.choices), timeout=60)
    member._read -= 1  # leave it unread: _cast looks for it again
    return [label for label, _payload in seen.choices]


async def _cast(member: MatrixMember, label: str, confirm: str) -> str:
    await member.expect(lambda s: any(choice == label for choice, _ in s.choices), timeout=60)
    await member.choose(label)
    await member.expect(lambda s: any(choice == confirm for choice, _ in s.choices), timeout=60)
    await member.choose(confirm)
    return (await member.expect(RECEIPT, timeout=60)).text


async def _room_events(harness: BotHarness, member: MatrixMember) -> list[dict[str, Any]]:
    """Every event of the member's room in order, as the homeserver serves it (encrypted)."""
    url = f"{harness.synapse.base_url}/_matrix/client/v3/rooms/{member.room_id}/messages"
    headers = {"Authorization": f"Bearer {member.client.access_token}"}
    params = {"dir": "b", "limit": "1000"}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers, params=params) as r:
        assert r.status == 200, await r.text()
        chunk = (await r.json())["chunk"]
    return list(reversed(chunk))


async def _ciphertext_sizes(
    harness: BotHarness, member: MatrixMember, heading: str
) -> tuple[list[int], list[int]]:
    """The sizes of the ciphertexts of one vote in the member's room, each list sorted: what the
    bot sent (texts and polls under ``heading``, the confirmation polls, the ends of those polls)
    and what the member sent (their responses to those polls). Other messages that happen to
    arrive meanwhile (an invitation, a reminder) are not part of the vote."""
    shown = dict(member._events)  # event id -> what the member's client decrypted
    events = await _room_events(harness, member)
    first = next(event_id for event_id, seen in member._events if seen.text.startswith(heading))
    events = events[next(i for i, event in enumerate(events) if event["event_id"] == first) :]
    part_of_vote = {
        event["event_id"]
        for event in events
        if (seen := shown.get(event["event_id"])) is not None
        and (seen.text.startswith(heading) or seen.text.startswith("Potrdi"))
    }
    bot_id = harness.synapse.user_id(harness.bot_localpart)
    bot, own = [], []
    for event in events:
        if event["type"] != "m.room.encrypted":
            continue
        related = (event["content"].get("m.relates_to") or {}).get("event_id")
        if event["event_id"] not in part_of_vote and related not in part_of_vote:
            continue
        size = len(event["content"]["ciphertext"])
        if event["sender"] == bot_id:
            bot.append(size)
        elif event["sender"] == member.client.user_id:
            own.append(size)
    return sorted(bot), sorted(own)


async def _unencrypted_direct_room(harness: BotHarness, member: MatrixMember) -> None:
    """The member opens a new direct chat with the bot without encryption; the bot takes it as
    the member's direct room (the newest one), so messages for the member go there."""
    bot_id = harness.synapse.user_id(harness.bot_localpart)
    created = await member.client.room_create(
        is_direct=True, invite=[bot_id], preset=RoomPreset.trusted_private_chat
    )
    assert isinstance(created, RoomCreateResponse), created
    deadline = time.monotonic() + 30
    while bot_id not in getattr(member.client.rooms.get(created.room_id), "users", {}):
        assert time.monotonic() < deadline, "the bot did not join the member's new room"
        await asyncio.sleep(0.2)
    assert not member.client.rooms[created.room_id].encrypted
    member.room_id = created.room_id  # what the member sees from now on is in the new room


async def test_every_secret_choice_looks_the_same_to_the_homeserver(
    harness: BotHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    emails = council_member_emails()
    za, proti, also_za, unencrypted = [
        await harness.member(email, "matrix") for email in emails[:4]
    ]
    voters = [za, proti, also_za]
    assert isinstance(unencrypted, MatrixMember)
    await _unencrypted_direct_room(harness, unencrypted)
    chair = await harness.member(CHAIR, "telegram")
    await _open_session(harness)
    await chair.say("/odpri_sejo")
    await chair.expect("je odprta")
    for member in [*voters, unencrypted]:
        await member.expect("Ste navzoči na seji?", timeout=60)
        await member.say("Prisoten")
        await member.expect("Navzočnost potrjena", timeout=60)

    # --- a secret vote: ZA, PROTI, ZA ------------------------------------------------------
    await chair.say("/glasovanje 3 0")
    for member, choice in zip(voters, ("ZA", "PROTI", "ZA"), strict=True):
        await _when_vote_opens(member, SECRET_HEADING)
        receipt = await _cast(member, choice, f"Potrdi: {choice}")
        assert choice in receipt

    # The member in the unencrypted room got no ballot, only how to go on.
    told = await _when_vote_opens(unencrypted, "ni šifriran od konca do konca")
    assert "!prisoten" in told.text and "Varnost in zasebnost" in told.text
    assert "nov neposredni klepet" in told.text
    assert not [s for s in unencrypted.seen() if any(label == "ZA" for label, _ in s.choices)]
    # ... until the room is encrypted: then asking again brings the ballot, and it counts.
    turned_on = await unencrypted.client.room_put_state(
        unencrypted.room_id, "m.room.encryption", {"algorithm": MEGOLM}
    )
    assert isinstance(turned_on, RoomPutStateResponse), turned_on
    deadline = time.monotonic() + 30
    while not unencrypted.client.rooms[unencrypted.room_id].encrypted:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)
    await asyncio.sleep(2)  # the bot's sync brings the encryption too
    await unencrypted.say("!prisoten")
    await _cast(unencrypted, "PROTI", "Potrdi: PROTI")

    await asyncio.sleep(SETTLE_SECONDS)
    vote_sizes = {
        choice: await _ciphertext_sizes(harness, member, SECRET_HEADING)
        for member, choice in zip(voters, ("ZA", "PROTI", "ZA again"), strict=True)
    }
    with capsys.disabled():
        print(f"\nsecret vote, ciphertext sizes (bot's events; member's responses): {vote_sizes}")
    assert len(vote_sizes["ZA"][0]) >= 6 and len(vote_sizes["ZA"][1]) == 2
    assert vote_sizes["ZA"] == vote_sizes["PROTI"] == vote_sizes["ZA again"]
    await chair.say("/zapri_glasovanje")
    report = await chair.expect("Izid glasovanja o točki 3")
    assert "Oddanih glasovnic: 4" in report.text and "ZA: 2 · PROTI: 2" in report.text

    # --- a secret election: the first candidate, the last one, a blank ballot -------------
    await chair.say("/volitve 4 0")
    picks: dict[str, str] = {}
    for member, position in zip(voters, (0, 2, 3), strict=True):
        await _when_vote_opens(member, ELECTION_HEADING)
        labels = await _ballot_labels(member, ELECTION_HEADING)
        assert len(labels) == 4  # three candidates and the blank ballot
        picks[member.email] = labels[position]
        await _cast(member, labels[position], "Potrdi")
    await asyncio.sleep(SETTLE_SECONDS)
    election_sizes = {
        picks[member.email]: await _ciphertext_sizes(harness, member, ELECTION_HEADING)
        for member in voters
    }
    with capsys.disabled():
        print(f"election, ciphertext sizes: {election_sizes}")
    assert len(set(map(str, election_sizes.values()))) == 1, election_sizes
    await chair.say("/zapri_glasovanje")
    await chair.expect("Izid volitev pri točki 4")
