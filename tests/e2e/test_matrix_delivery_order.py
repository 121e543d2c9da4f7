"""Order and concurrency of the Matrix adapter on a real Synapse, with real nio clients.

Members in different rooms are served at once; within one room events are handled in order;
the reply a member waits for goes out before the housekeeping (ending the answered poll).
"""

from __future__ import annotations

import asyncio

import pytest
from nio import UnknownEvent

from bot.transport.events import Choice, IncomingEvent, OutgoingMessage
from bot.transport.matrix.adapter import MatrixTransport
from tests.e2e.conftest import MatrixUsers
from tests.e2e.matrix_kit import (
    POLL_END,
    WAIT_SECONDS,
    Bot,
    Received,
    RecordingSink,
    member_in_direct_chat,
    member_says,
)

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

RESPONSE = "org.matrix.msc3381.poll.response"


async def test_a_slow_handler_in_one_room_does_not_hold_up_another(
    bot: Bot, matrix_users: MatrixUsers
) -> None:
    release = asyncio.Event()
    handled: list[str] = []
    recording = RecordingSink()

    async def sink(event: IncomingEvent) -> None:
        if event.text == "počasi":
            await release.wait()  # e.g. a handler waiting for a large upload
        handled.append(event.text)
        await recording(event)

    transport = await bot.start(sink)  # type: ignore[arg-type]
    slow, slow_chat = await member_in_direct_chat(matrix_users, bot, transport, "pocasna")
    quick, quick_chat = await member_in_direct_chat(matrix_users, bot, transport, "hitra")

    await member_says(slow, slow_chat.chat_id, "počasi")
    await member_says(slow, slow_chat.chat_id, "za počasnim")
    await asyncio.sleep(0.5)
    await member_says(quick, quick_chat.chat_id, "hitro")
    await recording.wait_for(lambda event: event.text == "hitro")
    assert handled == ["hitro"]  # the slow room's second message waits behind its first

    release.set()
    await recording.wait_for(lambda event: event.text == "za počasnim")
    assert handled == ["hitro", "počasi", "za počasnim"]


async def test_the_awaited_reply_goes_out_before_the_answered_poll_is_ended(
    bot: Bot, matrix_users: MatrixUsers
) -> None:
    transports: list[MatrixTransport] = []

    async def answering_sink(event: IncomingEvent) -> None:
        if event.choice is None or event.choice.message is None:
            return
        transport = transports[0]
        # As the vote handler does: the answered poll is edited (ended), then the reply.
        await transport.edit(event.choice.message, OutgoingMessage(html="Točka 1: glasovali ste."))
        await transport.send(event.chat, OutgoingMessage(html="Zabeleženo: ZA."))

    transport = await bot.start(answering_sink)  # type: ignore[arg-type]
    transports.append(transport)
    member, chat = await member_in_direct_chat(matrix_users, bot, transport)
    received = Received(member, chat.chat_id)
    poll = await transport.send(
        chat, OutgoingMessage(html="Točka 1", choices=((Choice("ZA", "v:za"),),))
    )
    await matrix_users.sync_until(member, lambda: received.by_id(poll.message_id) is not None)
    relation = {"rel_type": "m.reference", "event_id": poll.message_id}
    await member.room_send(
        chat.chat_id, RESPONSE, {"m.relates_to": relation, RESPONSE: {"answers": ["v:za"]}}
    )

    def end_arrived() -> bool:
        return any(getattr(e, "type", "") == POLL_END for e in received.events)

    await matrix_users.sync_until(member, end_arrived, timeout=WAIT_SECONDS)
    after_poll = received.events[received.events.index(received.by_id(poll.message_id)) + 1 :]
    shown = [
        "end" if isinstance(e, UnknownEvent) and e.type == POLL_END else getattr(e, "body", "")
        for e in after_poll
        if e.sender == bot.user_id
    ]
    assert shown == ["Zabeleženo: ZA.", "end"]
