"""Poll answers the bot cannot take are answered, never dropped (real Synapse, real nio clients).

An answer the poll never offered, an empty or unreadable response, a poll the bot did not start:
the member is told in Slovenian what happened, the refusal is logged on ``sejabot.security``
(without the answer), and nothing reaches the bot's handlers. In a group room members answer
each other's polls, and the bot keeps quiet.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from nio import AsyncClient, RoomCreateResponse, RoomMessageText, RoomSendResponse

from bot.domain.models import Platform
from bot.transport.events import ChatRef, Choice, OutgoingMessage
from bot.transport.matrix.content import POLL_START_TYPE, poll_start_content
from bot.transport.security_log import LOGGER_NAME, RefusalKind
from tests.e2e.conftest import MatrixUsers
from tests.e2e.matrix_kit import (
    Bot,
    Received,
    RecordingSink,
    member_in_direct_chat,
    member_says,
)

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

RESPONSE = "org.matrix.msc3381.poll.response"
BALLOT = (
    Choice("Za", "vote:9:za"),
    Choice("Proti", "vote:9:proti"),
    Choice("Vzdržan", "vote:9:vzdrzan"),
)
NOT_OFFERED = "Ta odgovor ni med možnostmi ankete, zato ni bilo nič zabeleženo."
EMPTY = "Vaš odgovor v anketi je bil prazen (ali umaknjen), zato ni bilo nič zabeleženo"
UNREADABLE = "Bot tega odgovora v anketi ni mogel prebrati, zato ni bilo nič zabeleženo."
NOT_FROM_BOT = "Te ankete ni poslal bot, zato vaš odgovor ni bil zabeležen."


def answer(poll_event_id: str | None, answers: list[Any]) -> dict[str, Any]:
    content: dict[str, Any] = {RESPONSE: {"answers": answers}}
    if poll_event_id is not None:
        content["m.relates_to"] = {"rel_type": "m.reference", "event_id": poll_event_id}
    return content


async def member_sends(member: AsyncClient, room_id: str, event_type: str, content: Any) -> str:
    sent = await member.room_send(room_id, event_type, content, ignore_unverified_devices=True)
    assert isinstance(sent, RoomSendResponse), sent
    return str(sent.event_id)


async def members_own_poll(member: AsyncClient, room_id: str) -> str:
    choices = (Choice("Kava", "kava"), Choice("Čaj", "caj"))
    content = poll_start_content("Kaj pijemo po seji?", choices, "Kaj pijemo po seji?")
    return await member_sends(member, room_id, POLL_START_TYPE, content)


def bot_texts(received: Received, bot_id: str) -> list[str]:
    return [
        event.body
        for event in received.events
        if isinstance(event, RoomMessageText) and event.sender == bot_id
    ]


async def bot_says(
    users: MatrixUsers, member: AsyncClient, received: Received, bot_id: str, text: str
) -> None:
    await users.sync_until(
        member, lambda: any(body.startswith(text) for body in bot_texts(received, bot_id))
    )


def refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == LOGGER_NAME]


async def test_poll_answers_the_bot_cannot_take_are_answered_and_logged(
    bot: Bot, matrix_users: MatrixUsers, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    sink = RecordingSink()
    transport = await bot.start(sink)
    member, chat = await member_in_direct_chat(matrix_users, bot, transport)
    received = Received(member, chat.chat_id)
    ballot = await transport.send(
        chat, OutgoingMessage(html="Točka 2: predlog sklepa", choices=(BALLOT,))
    )
    await matrix_users.sync_until(member, lambda: received.by_id(ballot.message_id) is not None)

    # An answer id the ballot never offered (a modified client).
    await member_sends(member, chat.chat_id, RESPONSE, answer(ballot.message_id, ["vote:9:x"]))
    await bot_says(matrix_users, member, received, bot.user_id, NOT_OFFERED)
    # No answer at all: a withdrawn answer withdraws nothing.
    await member_sends(member, chat.chat_id, RESPONSE, answer(ballot.message_id, []))
    await bot_says(matrix_users, member, received, bot.user_id, EMPTY)
    # A response that names no poll.
    await member_sends(member, chat.chat_id, RESPONSE, answer(None, ["vote:9:za"]))
    await bot_says(matrix_users, member, received, bot.user_id, UNREADABLE)
    # The member's own poll in the chat with the bot, answered by the member.
    own_poll = await members_own_poll(member, chat.chat_id)
    await member_sends(member, chat.chat_id, RESPONSE, answer(own_poll, ["kava"]))
    await bot_says(matrix_users, member, received, bot.user_id, NOT_FROM_BOT)
    # A response naming a message that is no poll at all.
    text = await member_says(member, chat.chat_id, "Dober dan")
    await member_sends(member, chat.chat_id, RESPONSE, answer(text, ["vote:9:za"]))
    await matrix_users.sync_until(
        member,
        lambda: sum(t.startswith(NOT_FROM_BOT) for t in bot_texts(received, bot.user_id)) == 2,
    )

    # A right answer still arrives as a choice, and it is the only thing that reached the sink.
    await member_sends(member, chat.chat_id, RESPONSE, answer(ballot.message_id, ["vote:9:za"]))
    await member_says(member, chat.chat_id, "konec")
    await sink.wait_for(lambda event: event.text == "konec")
    choices = [(e.choice.payload, e.choice.message) for e in sink.events if e.choice]
    assert choices == [("vote:9:za", ballot)]
    assert [event.text for event in sink.events if event.choice is None] == ["Dober dan", "konec"]

    logged = refusals(caplog)
    assert [record.levelno for record in logged] == [logging.WARNING] * 5
    assert [record.refusal_kind for record in logged] == [  # type: ignore[attr-defined]
        RefusalKind.FORGED_CHOICE,
        RefusalKind.FORGED_CHOICE,
        RefusalKind.FORGED_CHOICE,
        RefusalKind.FOREIGN_MESSAGE,
        RefusalKind.FOREIGN_MESSAGE,
    ]
    assert {record.refusal_user for record in logged} == {member.user_id}  # type: ignore[attr-defined]
    for record in logged:  # event ids only: never the answer, which may name a vote
        assert "vote:9" not in record.getMessage() and "kava" not in record.getMessage()


async def test_after_a_restart_the_homeserver_tells_whose_poll_it_is(
    bot: Bot, matrix_users: MatrixUsers
) -> None:
    transport = await bot.start(RecordingSink())
    member, chat = await member_in_direct_chat(matrix_users, bot, transport)
    received = Received(member, chat.chat_id)
    ballot = await transport.send(chat, OutgoingMessage(html="Točka 3", choices=(BALLOT,)))
    own_poll = await members_own_poll(member, chat.chat_id)
    await matrix_users.sync_until(member, lambda: received.by_id(ballot.message_id) is not None)
    await transport.stop()

    sink = RecordingSink()
    await bot.start(sink)
    # The bot's own poll, which the new process does not remember: handed on as a choice
    # (the dispatcher checks it against what the bot recorded).
    await member_sends(member, chat.chat_id, RESPONSE, answer(ballot.message_id, ["vote:9:za"]))
    taken = await sink.wait_for(lambda event: event.choice is not None)
    assert taken.choice is not None and taken.choice.message is not None
    assert (taken.choice.payload, taken.choice.message.message_id) == (
        "vote:9:za",
        ballot.message_id,
    )
    # The member's poll is found to be theirs on the homeserver.
    await member_sends(member, chat.chat_id, RESPONSE, answer(own_poll, ["caj"]))
    await bot_says(matrix_users, member, received, bot.user_id, NOT_FROM_BOT)
    await member_says(member, chat.chat_id, "konec")
    await sink.wait_for(lambda event: event.text == "konec")
    assert [event.choice for event in sink.events if event.choice] == [taken.choice]


async def test_in_a_group_members_answer_each_others_polls_and_the_bot_keeps_quiet(
    bot: Bot, matrix_users: MatrixUsers, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER_NAME)
    sink = RecordingSink()
    await bot.start(sink)
    member = await matrix_users.new_client("odbornica")
    bot.welcome.add(member.user_id)
    created = await member.room_create(name="Odbor za okolje", invite=[bot.user_id])
    assert isinstance(created, RoomCreateResponse), created
    room_id = created.room_id
    await matrix_users.sync_until(
        member,
        lambda: (
            room_id in member.rooms
            and bot.user_id in member.rooms[room_id].users
            and not member.rooms[room_id].users[bot.user_id].invited
        ),
    )
    received = Received(member, room_id)
    group_poll = await members_own_poll(member, room_id)
    await member_sends(member, room_id, RESPONSE, answer(group_poll, ["kava"]))
    await member_sends(member, room_id, RESPONSE, answer(None, ["kava"]))
    await member_says(member, room_id, "po seji")
    await sink.wait_for(lambda event: event.text == "po seji")

    assert sink.texts() == ["po seji"]
    assert sink.events[0].chat == ChatRef(Platform.MATRIX, room_id, is_direct=False)
    await matrix_users.sync_once(member)
    assert bot_texts(received, bot.user_id) == []
    assert refusals(caplog) == []
