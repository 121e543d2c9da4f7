"""Direct rooms when many members arrive at once, on a real Synapse with real nio clients.

The bot records its direct rooms in the ``m.direct`` account data. When several members accept
or send invitations close together, syncs bring copies of that map older than the bot's own
latest write; each member must still end up with exactly one direct room with the bot, in the
bot's memory and on the homeserver.
"""

from __future__ import annotations

import asyncio

import nio
import pytest
from nio import AsyncClient, JoinResponse, RoomCreateResponse

from tests.e2e.conftest import MatrixUsers
from tests.e2e.matrix_kit import ENCRYPTION_STATE, Bot, RecordingSink

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

MEMBERS = 8
# Invitations about one sync apart: each lands in a batch together with the copy of m.direct the
# homeserver read before the bot recorded the previous member. Syncs take longer on a loaded
# machine, so several spacings are tried.
STAGGER_SECONDS = 0.15
INVITATION_SPACINGS = (0.05, 0.1, 0.2)


async def members(users: MatrixUsers, bot: Bot, prefix: str) -> list[AsyncClient]:
    clients = list(await asyncio.gather(*(users.new_client(prefix) for _ in range(MEMBERS))))
    bot.welcome.update(client.user_id for client in clients)
    return clients


def bot_joined(client: AsyncClient, room_id: str, bot_id: str) -> bool:
    room = client.rooms.get(room_id)
    return room is not None and bot_id in room.users and not room.users[bot_id].invited


async def rooms_with_the_bot(users: MatrixUsers, client: AsyncClient, bot_id: str) -> set[str]:
    """Every room the member is in or invited to in which the bot is or was asked to be."""
    await users.sync_once(client)
    joined = {room_id for room_id, room in client.rooms.items() if bot_id in room.users}
    return joined | set(client.invited_rooms)


async def direct_map_on_the_homeserver(users: MatrixUsers, bot: Bot) -> dict[str, list[str]]:
    """``m.direct`` as the homeserver keeps it, read through another device of the bot."""
    device = await users.login(bot.user_id, device_name="bot, checking device")
    listed = await device.list_direct_rooms()
    assert isinstance(listed, nio.DirectRoomsResponse), listed
    return dict(listed.rooms)


async def test_members_inviting_the_bot_together_each_keep_one_direct_room(
    bot: Bot, matrix_users: MatrixUsers
) -> None:
    transport = await bot.start(RecordingSink())
    room_of: dict[str, str] = {}
    clients: list[AsyncClient] = []

    async def invite(client: AsyncClient, delay: float) -> None:
        await asyncio.sleep(delay)
        created = await client.room_create(
            is_direct=True, invite=[bot.user_id], initial_state=[ENCRYPTION_STATE]
        )
        assert isinstance(created, RoomCreateResponse), created
        room_of[client.user_id] = created.room_id
        await matrix_users.sync_until(
            client, lambda: bot_joined(client, created.room_id, bot.user_id)
        )

    for spacing in INVITATION_SPACINGS:
        wave = await members(matrix_users, bot, "pozdrav")
        clients.extend(wave)
        await asyncio.gather(*(invite(c, n * spacing) for n, c in enumerate(wave)))

    # The bot writes to each of them at once, as when a session is sent, right after the last
    # one saw it join: every message goes into the room the member opened.
    chats = await asyncio.gather(*(transport.direct_chat(c.user_id) for c in clients))
    assert {c.user_id: chat.chat_id for c, chat in zip(clients, chats, strict=True)} == room_of
    for client in clients:
        assert await rooms_with_the_bot(matrix_users, client, bot.user_id) == {
            room_of[client.user_id]
        }
    stored = await direct_map_on_the_homeserver(matrix_users, bot)
    assert {user: stored.get(user) for user in room_of} == {
        user: [room] for user, room in room_of.items()
    }


async def test_members_accepting_the_bots_invitations_together_each_keep_one_direct_room(
    bot: Bot, matrix_users: MatrixUsers
) -> None:
    transport = await bot.start(RecordingSink())
    clients = await members(matrix_users, bot, "sprejem")

    # The bot opens a room with every member at once (a session sent to new members) ...
    chats = await asyncio.gather(*(transport.direct_chat(c.user_id) for c in clients))
    room_of = {client.user_id: chat.chat_id for client, chat in zip(clients, chats, strict=True)}
    assert len(set(room_of.values())) == MEMBERS

    # ... and they all accept close together.
    async def accept(number: int, client: AsyncClient) -> None:
        room_id = room_of[client.user_id]
        await matrix_users.sync_until(client, lambda: room_id in client.invited_rooms)
        await asyncio.sleep(number * STAGGER_SECONDS)
        assert isinstance(await client.join(room_id), JoinResponse)
        await matrix_users.sync_until(client, lambda: bot_joined(client, room_id, bot.user_id))

    await asyncio.gather(*(accept(n, c) for n, c in enumerate(clients)))

    again = await asyncio.gather(*(transport.direct_chat(c.user_id) for c in clients))
    assert {c.user_id: chat.chat_id for c, chat in zip(clients, again, strict=True)} == room_of
    for client in clients:
        assert await rooms_with_the_bot(matrix_users, client, bot.user_id) == {
            room_of[client.user_id]
        }
    stored = await direct_map_on_the_homeserver(matrix_users, bot)
    assert {user: stored.get(user) for user in room_of} == {
        user: [room] for user, room in room_of.items()
    }

    # A restarted bot reads the same map from the homeserver and finds the same rooms.
    await bot.stop_all()
    restarted = await bot.start(RecordingSink())
    after_restart = await asyncio.gather(*(restarted.direct_chat(c.user_id) for c in clients))
    assert [chat.chat_id for chat in after_restart] == [room_of[c.user_id] for c in clients]
