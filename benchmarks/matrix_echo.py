"""A bare matrix-nio echo client, the Matrix benchmark's baseline: the bot's encryption and room
topology with none of its work. It joins the encrypted direct rooms members invite it to and
answers each poll answer at once, in the shape of the bot's vote dialogue: the ballot, then the
"are you sure?" poll, then a confirmation text. It runs as its own process, as the bot does.

    python -m benchmarks.matrix_echo HOMESERVER USER_ID PASSWORD STORE_DIR

It prints ``ready`` once synced. A member's ``!glasovnica`` gets a ballot poll.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    InviteMemberEvent,
    LoginError,
    MatrixRoom,
    RoomMessageText,
    RoomSendError,
    UnknownEvent,
)

from bot.transport.events import Choice
from bot.transport.matrix.content import (
    POLL_START_TYPE,
    poll_fallback_text,
    poll_response,
    poll_start_content,
    text_content,
)
from bot.transport.matrix.sending import trust_devices_on_first_use

BALLOT_REQUEST = "!glasovnica"
SYNC_TIMEOUT_MS = 30_000  # as the bot's sync loop
BALLOT = (Choice("ZA", "v:za"), Choice("PROTI", "v:proti"))


class EchoFailed(RuntimeError):
    """The homeserver refused the echo client's login or message."""


def sure_choices(choice: str) -> tuple[Choice, ...]:
    label = choice.upper()
    return (Choice(f"Da, glasujem {label}", f"s:{choice}"), Choice("Prekliči", f"x:{choice}"))


class Echo:
    def __init__(self, client: AsyncClient) -> None:
        self.client = client

    async def send(self, room_id: str, event_type: str, content: dict[str, Any]) -> None:
        room = self.client.rooms[room_id]
        trust_devices_on_first_use(self.client, room.users)  # the bot's trust policy
        sent = await self.client.room_send(room_id, event_type, content)
        if isinstance(sent, RoomSendError):
            raise EchoFailed(f"sending into {room_id} failed: {sent}")

    async def poll(self, room_id: str, question: str, choices: tuple[Choice, ...]) -> None:
        fallback = poll_fallback_text(question, choices, "")
        await self.send(room_id, POLL_START_TYPE, poll_start_content(question, choices, fallback))

    async def on_invite(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.membership == "invite" and event.state_key == self.client.user_id:
            await self.client.join(room.room_id)

    async def on_text(self, room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender != self.client.user_id and event.body.strip() == BALLOT_REQUEST:
            await self.poll(room.room_id, "Glasovanje: kako glasujete?", BALLOT)

    async def on_event(self, room: MatrixRoom, event: UnknownEvent) -> None:
        if event.sender == self.client.user_id:
            return
        answered = poll_response(event.type, event.source.get("content", {}))
        if answered is None or not answered[1]:
            return
        action, _, choice = answered[1][0].partition(":")
        if action == "v":
            await self.poll(room.room_id, f"Ali potrjujete svoj glas {choice.upper()}?",
                            sure_choices(choice))  # fmt: skip
        elif action == "s":
            text = f"Zabeleženo: glasovali ste <b>{choice.upper()}</b>."
            await self.send(room.room_id, "m.room.message", text_content(text))


async def main(homeserver: str, user_id: str, password: str, store: Path) -> None:
    store.mkdir(parents=True, exist_ok=True)
    client = AsyncClient(
        homeserver, user_id, store_path=str(store),
        config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True),
    )  # fmt: skip
    login = await client.login(password, device_name="echo")
    if isinstance(login, LoginError):
        raise EchoFailed(f"echo login failed: {login}")
    if client.should_upload_keys:
        await client.keys_upload()
    await client.sync(timeout=0, full_state=True)  # the state, not the history
    echo = Echo(client)
    client.add_event_callback(echo.on_invite, InviteMemberEvent)
    client.add_event_callback(echo.on_text, RoomMessageText)
    client.add_event_callback(echo.on_event, UnknownEvent)
    print("ready", flush=True)
    try:
        await client.sync_forever(timeout=SYNC_TIMEOUT_MS)
    finally:
        await client.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])))
