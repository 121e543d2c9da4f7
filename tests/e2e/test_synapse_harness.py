"""The Synapse harness itself: a real homeserver, real matrix-nio clients, real Olm/Megolm."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import aiohttp
import nio
import pytest
from nio import (
    AsyncClient,
    DownloadError,
    JoinResponse,
    LoginResponse,
    MegolmEvent,
    MemoryDownloadResponse,
    RoomCreateResponse,
    RoomMessageText,
    RoomSendResponse,
    UploadResponse,
    WhoamiResponse,
)
from nio.crypto import decrypt_attachment

from tests.e2e.conftest import DEFAULT_PASSWORD, MatrixUsers
from tests.support.synapse import SynapseError, SynapseServer

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

MEGOLM = "m.megolm.v1.aes-sha2"


async def raw_event(
    server: SynapseServer, client: AsyncClient, room_id: str, event_id: str
) -> dict[str, Any]:
    """The event exactly as the homeserver stores and serves it (no client-side decryption)."""
    url = f"{server.base_url}/_matrix/client/v3/rooms/{room_id}/event/{event_id}"
    headers = {"Authorization": f"Bearer {client.access_token}"}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        assert response.status == 200, await response.text()
        event: dict[str, Any] = await response.json()
        return event


async def test_encryption_support_is_installed() -> None:
    assert nio.crypto.ENCRYPTION_ENABLED, "matrix-nio[e2e] (vodozemac) is missing from .venv"


async def test_server_answers_and_registers_users(synapse: SynapseServer) -> None:
    assert synapse.running
    assert synapse.base_url.startswith("http://127.0.0.1:")
    versions_url = f"{synapse.base_url}/_matrix/client/versions"
    async with aiohttp.ClientSession() as http, http.get(versions_url) as response:
        assert response.status == 200
        assert (await response.json())["versions"]
    user_id = await synapse.register_user("harness-api", DEFAULT_PASSWORD)
    assert user_id == f"@harness-api:{synapse.server_name}"
    admin_id = await synapse.register_user_with_script("harness-script", DEFAULT_PASSWORD, True)
    assert admin_id == f"@harness-script:{synapse.server_name}"
    with pytest.raises(SynapseError, match="User ID already taken"):
        await synapse.register_user("harness-api", DEFAULT_PASSWORD)


async def test_wrong_password_is_refused(synapse: SynapseServer, tmp_path: Path) -> None:
    user_id = await synapse.register_user("harness-wrong-password", DEFAULT_PASSWORD)
    client = AsyncClient(synapse.base_url, user_id, store_path=str(tmp_path))
    try:
        response = await client.login("not the password")
        assert not isinstance(response, LoginResponse)
    finally:
        await client.close()


async def test_encrypted_direct_message_is_decrypted_by_the_recipient(
    synapse: SynapseServer, matrix_users: MatrixUsers
) -> None:
    alice = await matrix_users.new_client("alice")
    bob = await matrix_users.new_client("bob")

    created = await alice.room_create(
        is_direct=True,
        invite=[bob.user_id],
        initial_state=[
            {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": MEGOLM}}
        ],
    )
    assert isinstance(created, RoomCreateResponse), created
    room_id = created.room_id

    await matrix_users.sync_until(bob, lambda: room_id in bob.invited_rooms)
    assert isinstance(await bob.join(room_id), JoinResponse)
    await matrix_users.sync_until(
        alice, lambda: room_id in alice.rooms and bob.user_id in alice.rooms[room_id].users
    )
    assert alice.rooms[room_id].encrypted

    # Keys: the syncs above fetched each other's device keys (a member joined an encrypted
    # room); each side trusts them on first use.
    await matrix_users.sync_once(bob)
    assert matrix_users.trust_devices_on_first_use(alice, bob.user_id) == 1
    assert matrix_users.trust_devices_on_first_use(bob, alice.user_id) == 1

    body = "Seja se začne ob 17. uri — glasovanje o točki 3."
    sent = await alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body})
    assert isinstance(sent, RoomSendResponse), sent

    received: list[RoomMessageText] = []
    undecryptable: list[MegolmEvent] = []

    def collect(_room: nio.MatrixRoom, event: nio.Event) -> None:
        if isinstance(event, RoomMessageText) and event.event_id == sent.event_id:
            received.append(event)
        elif isinstance(event, MegolmEvent):
            undecryptable.append(event)

    bob.add_event_callback(collect, (RoomMessageText, MegolmEvent))
    await matrix_users.sync_until(bob, lambda: bool(received) or bool(undecryptable))
    assert not undecryptable, f"bob could not decrypt: {undecryptable}"
    message = received[0]
    assert message.body == body
    assert message.sender == alice.user_id
    assert message.decrypted
    assert message.verified  # sent from a device bob trusts

    wire = await raw_event(synapse, bob, room_id, sent.event_id)
    assert wire["type"] == "m.room.encrypted"
    assert wire["content"]["algorithm"] == MEGOLM
    assert "glasovanje" not in str(wire)


async def test_media_upload_and_download(matrix_users: MatrixUsers) -> None:
    client = await matrix_users.new_client("media")
    payload = b"Zapisnik 3. dopisne seje\n" * 200

    uploaded, _ = await client.upload(
        io.BytesIO(payload),
        content_type="text/plain",
        filename="zapisnik.txt",
        filesize=len(payload),
    )
    assert isinstance(uploaded, UploadResponse), uploaded
    assert uploaded.content_uri.startswith("mxc://")
    downloaded = await client.download(uploaded.content_uri)
    assert isinstance(downloaded, MemoryDownloadResponse), downloaded
    assert downloaded.body == payload
    assert downloaded.content_type.startswith("text/plain")

    # Attachments for encrypted rooms: the server only ever sees ciphertext. AES-CTR keeps
    # the size, and Synapse refuses uploads without a Content-Length, so pass filesize.
    encrypted, keys = await client.upload(
        io.BytesIO(payload),
        content_type="application/octet-stream",
        filesize=len(payload),
        encrypt=True,
    )
    assert isinstance(encrypted, UploadResponse), encrypted
    assert keys is not None
    ciphertext = await client.download(encrypted.content_uri)
    assert isinstance(ciphertext, MemoryDownloadResponse), ciphertext
    assert ciphertext.body != payload
    plaintext = decrypt_attachment(
        ciphertext.body, keys["key"]["k"], keys["hashes"]["sha256"], keys["iv"]
    )
    assert plaintext == payload

    missing = await client.download(f"mxc://{client.user_id.split(':')[1]}/NoSuchMedia")
    assert isinstance(missing, DownloadError)


async def test_restart_keeps_accounts_and_port(
    synapse: SynapseServer, matrix_users: MatrixUsers
) -> None:
    client = await matrix_users.new_client("restart")
    base_url = synapse.base_url

    began = time.monotonic()
    await synapse.restart()
    restart_seconds = time.monotonic() - began

    assert synapse.base_url == base_url
    assert restart_seconds < 30
    # The old session survives (tokens are in the database) ...
    assert isinstance(await client.whoami(), WhoamiResponse)
    # ... and the account can log in again.
    again = await matrix_users.login(client.user_id, device_name="after restart")
    assert isinstance(await again.whoami(), WhoamiResponse)


async def test_missing_synapse_venv_says_how_to_install(tmp_path: Path) -> None:
    server = SynapseServer(tmp_path / "work", synapse_venv=tmp_path / "no-such-venv")
    with pytest.raises(SynapseError, match="make synapse"):
        await server.start()


async def test_startup_failure_reports_the_log_tail(tmp_path: Path) -> None:
    server = SynapseServer(
        tmp_path / "work",
        extra_config={"database": {"name": "no-such-engine"}},
        startup_timeout=60,
    )
    with pytest.raises(SynapseError, match="exited with code") as failure:
        await server.start()
    assert "no-such-engine" in str(failure.value)
    assert not server.running
