"""The main job: `sejabot demo` brings up its own homeserver and a bot a person can try."""

from __future__ import annotations

import time
from pathlib import Path

import nio
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.demo import Demo, describe
from bot.i18n import Translator

pytestmark = [pytest.mark.e2e]


async def sync_until(client: nio.AsyncClient, condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met while syncing"
        await client.sync(timeout=300, full_state=client.next_batch is None)
        await client.send_to_device_messages()
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())


async def test_a_person_logs_in_with_the_printed_account_and_links_with_the_code(
    tmp_path: Path,
) -> None:
    demo = Demo(tmp_path / "demo")
    state = await demo.start()
    try:
        printed = describe(state, Translator("sl"))
        login = state.logins[1]
        assert login.user_id in printed and login.password in printed and login.code in printed

        client = nio.AsyncClient(
            state.homeserver,
            login.user_id,
            store_path=str(tmp_path / "client-store"),
            config=nio.AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True),
        )
        (tmp_path / "client-store").mkdir()
        try:
            assert isinstance(await client.login(login.password), nio.LoginResponse)
            await sync_until(client, lambda: bool(client.invited_rooms))
            room_id = next(iter(client.invited_rooms))
            assert isinstance(await client.join(room_id), nio.JoinResponse)
            texts: list[str] = []
            client.add_event_callback(
                lambda room, event: texts.append(event.body), nio.RoomMessageText
            )
            await sync_until(
                client, lambda: room_id in client.rooms and bool(client.rooms[room_id].users)
            )
            sent = await client.room_send(
                room_id,
                "m.room.message",
                {"msgtype": "m.text", "body": login.code},
                ignore_unverified_devices=True,
            )
            assert isinstance(sent, nio.RoomSendResponse)
            await sync_until(
                client, lambda: any(login.name in text and "povezan" in text for text in texts)
            )
        finally:
            await client.close()
    finally:
        await demo.stop()

    # A second run continues: the same accounts, the member still linked (no new code needed).
    again = Demo(tmp_path / "demo")
    state_again = await again.start()
    try:
        relinked = {entry.user_id: entry for entry in state_again.logins}
        assert relinked[login.user_id].password == login.password
        assert relinked[login.user_id].code == ""
    finally:
        await again.stop()


def test_demo_once_prints_the_log_ins(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["--lang", "en", "demo", "--once", "--dir", str(tmp_path / "d")]
    )
    assert result.exit_code == 0, result.output
    assert "Sejabot demo is running." in result.output
    assert "invitation code:" in result.output
    assert "@sejabot:localhost" in result.output
