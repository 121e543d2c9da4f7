"""The Matrix transport against a real Synapse (issue 15): a message sent again with the same
idempotency key (as after a crash between the homeserver's acceptance and the bot's record)
shows once, even from a new login onto the same device; the homeserver's refusals for good
come back as ``MessageRefused`` with its own reason; the longest realistic invitation fits into
events within Synapse's 65,536-byte limit, a longer text is split between whole elements, and a
poll of 18 long choices goes out valid.
"""

from __future__ import annotations

import json

import nio
import pytest
from nio import AsyncClient, RoomCreateResponse, UnknownEvent

from bot.domain.models import Platform
from bot.transport.events import ChatRef, Choice, OutgoingMessage
from bot.transport.html_text import html_to_plain
from bot.transport.matrix.content import MAX_EVENT_BYTES
from bot.transport.refusal import MessageRefused
from tests.e2e.conftest import MatrixUsers
from tests.e2e.matrix_kit import (
    ENCRYPTION_STATE,
    Bot,
    Received,
    RecordingSink,
    member_in_direct_chat,
    raw_event,
)

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

POLL_START = "org.matrix.msc3381.poll.start"


def _resolution(number: int, length: int = 3_500) -> str:
    """A resolution of ``length`` characters with numbered points on lines of their own."""
    lines = [f"Občinski svet Občine Gornji Grad sprejme sklep št. {number}:"]
    point = 1
    while sum(len(line) + 1 for line in lines) < length:
        lines.append(
            f"{point}. Župan zagotovi, da se sredstva za ureditev ceste čez Šmiklavž in "
            f"Žekovec porabijo namensko, in o tem poroča na naslednji seji (točka {point})."
        )
        point += 1
    return "\n".join(lines)[:length]


def _invitation(resolutions: int, length: int) -> str:
    lines = [
        "<b>Vabilo na dopisno sejo</b>",
        "<b>Občinski svet Občine Gornji Grad</b>: 12. dopisna seja o dolgih sklepih",
        "Seja traja do <b>petka, 12. junija 2026, ob 12.00</b>.",
        "",
        "<b>Predlogi sklepov:</b>",
    ]
    for number in range(1, resolutions + 1):
        lines.append(f"{number}. »Sklep o ureditvi ceste št. {number}«")
        lines.append(f"<i>{_resolution(number, length)}</i>")
    lines += ["", "Prosimo, potrdite, da ste vabilo osebno prejeli."]
    return "\n".join(lines)


async def _sync_until(users: MatrixUsers, member: AsyncClient, condition) -> None:  # type: ignore[no-untyped-def]
    await users.sync_until(member, condition, timeout=30)


def _bot_events(received: Received, bot: Bot, kind: str) -> list[nio.Event]:
    found = []
    for event in received.events:
        if event.sender != bot.user_id:
            continue
        is_text = isinstance(event, nio.RoomMessageText)
        is_poll = isinstance(event, UnknownEvent) and event.type == POLL_START
        if (kind == "text" and is_text) or (kind == "poll" and is_poll):
            found.append(event)
    return found


async def test_a_message_sent_again_with_its_key_shows_once(
    bot: Bot, matrix_users: MatrixUsers
) -> None:
    first = await bot.start(RecordingSink())
    member, chat = await member_in_direct_chat(matrix_users, bot, first)
    received = Received(member, chat.chat_id)
    message = OutgoingMessage(
        html="<b>Vabilo na dopisno sejo</b>\nPrvi sklep: <i>Občinski svet se seznani.</i>",
        choices=((Choice("Potrjujem prejem", "c:1"),),),
        poll_question="Ali potrjujete prejem vabila?",
        idempotency_key="test/session 1/person 1/invitation",
    )
    sent = await first.send(chat, message)
    await bot.stop_all()  # as a crash would: the next process logs in again on the device
    second = await bot.start(RecordingSink())
    again = await second.send(chat, message)
    fresh = await second.send(chat, OutgoingMessage(html="Nov izvod", idempotency_key="test/other"))
    unkeyed = [await second.send(chat, OutgoingMessage(html="Brez ključa")) for _ in range(2)]
    await _sync_until(
        matrix_users,
        member,
        lambda: any("Brez ključa" in e.body for e in _bot_events(received, bot, "text")[-1:]),
    )
    assert again.message_id == sent.message_id  # Synapse answered with the first event
    texts = [event.body for event in _bot_events(received, bot, "text")]
    polls = _bot_events(received, bot, "poll")
    assert sum("Vabilo na dopisno sejo" in text for text in texts) == 1, texts
    assert len(polls) == 1
    assert sum(text == "Nov izvod" for text in texts) == 1
    assert sum(text == "Brez ključa" for text in texts) == 2  # without a key, each is new
    assert fresh.message_id != sent.message_id and unkeyed[0].message_id != unkeyed[1].message_id


async def test_a_room_where_the_bot_may_not_post_refuses_with_the_servers_reason(
    bot: Bot, matrix_users: MatrixUsers
) -> None:
    transport = await bot.start(RecordingSink())
    member = await matrix_users.new_client("strict")
    bot.welcome.add(member.user_id)
    created = await member.room_create(
        is_direct=True,
        invite=[bot.user_id],
        initial_state=[ENCRYPTION_STATE],
        power_level_override={"events_default": 50},  # the bot has 0
    )
    assert isinstance(created, RoomCreateResponse), created
    chat = ChatRef(Platform.MATRIX, created.room_id)
    with pytest.raises(MessageRefused) as refused:
        await transport.send(chat, OutgoingMessage(html="Vabilo na dopisno sejo"))
    assert refused.value.platform == "matrix"
    assert refused.value.reason.startswith("M_FORBIDDEN (HTTP 403)"), refused.value.reason
    assert "permission" in refused.value.reason, refused.value.reason  # Synapse's own words


async def test_an_event_over_the_limit_is_refused_with_the_servers_reason(
    bot: Bot, matrix_users: MatrixUsers
) -> None:
    transport = await bot.start(RecordingSink())
    _member, chat = await member_in_direct_chat(matrix_users, bot, transport)
    # A poll cannot be split: 18 answers of 4,000 characters each are over 65,536 bytes.
    choices = tuple((Choice("Kandidat " + "Ž" * 4_000, f"e:{n}"),) for n in range(18))
    with pytest.raises(MessageRefused) as refused:
        await transport.send(
            chat, OutgoingMessage(html="Volitve", choices=choices, poll_question="Koga volite?")
        )
    assert refused.value.reason.startswith("M_TOO_LARGE (HTTP 413)"), refused.value.reason


async def test_the_longest_invitation_and_poll_fit_and_a_longer_text_is_split(
    bot: Bot, matrix_users: MatrixUsers
) -> None:
    transport = await bot.start(RecordingSink())
    member, chat = await member_in_direct_chat(matrix_users, bot, transport)
    received = Received(member, chat.chat_id)
    names = [
        f"{n}. mag. Ana-Marija Šuštaršič Žužek Čeligoj, univ. dipl. inž. gradbeništva, "
        f"predstavnica Krajevne skupnosti Šmartno ob Dreti in Nove Štifte ({n})"
        for n in range(1, 19)
    ]
    long_invitation = _invitation(3, 3_500)
    poll = await transport.send(
        chat,
        OutgoingMessage(
            html=long_invitation,
            choices=tuple((Choice(name[:100], f"e:{n}"),) for n, name in enumerate(names)),
            poll_question="Koga predlagate za podžupana?",
        ),
    )
    longer = _invitation(3, 15_000)  # over one event even unencrypted: split
    last = await transport.send(chat, OutgoingMessage(html=longer))
    await _sync_until(
        matrix_users, member, lambda: any(e.event_id == last.message_id for e in received.events)
    )
    sizes = []
    for event in received.events:
        if event.sender == bot.user_id:
            raw = await raw_event(bot.server, member, chat.chat_id, event.event_id)
            sizes.append(len(json.dumps(raw, ensure_ascii=False, separators=(",", ":")).encode()))
    assert max(sizes) < MAX_EVENT_BYTES, sizes
    texts = [event.body for event in _bot_events(received, bot, "text")]
    assert texts[0] == html_to_plain(long_invitation)  # the whole invitation in one event
    polls = _bot_events(received, bot, "poll")
    assert [p.event_id for p in polls] == [poll.message_id]
    answers = polls[0].source["content"]["m.poll"]["answers"]
    assert len(answers) == 18
    parts = texts[1:]
    assert len(parts) >= 2, [len(part) for part in parts]
    joined = "\n".join(parts)
    for number in (1, 2, 3):  # every resolution's points arrived, in order
        assert joined.count(f"sklep št. {number}:") == 1
    assert html_to_plain(longer).replace("\n", "") == joined.replace("\n", "")
    for event in _bot_events(received, bot, "text")[1:]:  # each part valid HTML on its own
        formatted = event.formatted_body or ""
        assert formatted.count("<i>") == formatted.count("</i>")
        assert formatted.count("<b>") == formatted.count("</b>")
    print(
        f"\nMatrix long invitation: {len(long_invitation)} characters in one event; "
        f"{len(longer)} characters in {len(parts)} parts; largest event {max(sizes)} bytes "
        f"(limit {MAX_EVENT_BYTES}); poll of {len(answers)} answers"
    )
