"""The Matrix side of the transport tests: the bot's account and transports on a real Synapse,
members as real matrix-nio clients, and a second homeserver federating with the first."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import nio
import pytest
from nio import (
    AsyncClient,
    JoinResponse,
    MatrixRoom,
    RoomSendResponse,
    UnknownEvent,
)

from bot.local_homeserver import default_synapse_venv, find_free_port
from bot.transport.events import (
    ChatRef,
    IncomingEvent,
)
from bot.transport.matrix.adapter import MatrixTransport
from tests.e2e.conftest import DEFAULT_PASSWORD, MatrixUsers
from tests.support.synapse import SynapseServer

MEGOLM = "m.megolm.v1.aes-sha2"
ENCRYPTION_STATE = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": MEGOLM}}
WAIT_SECONDS = 20.0
POLL_END = "org.matrix.msc3381.poll.end"


class RecordingSink:
    """The bot's event sink in these tests: remembers everything, lets a test wait for it."""

    def __init__(self) -> None:
        self.events: list[IncomingEvent] = []
        self._changed = asyncio.Condition()

    async def __call__(self, event: IncomingEvent) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    async def wait_for(
        self, predicate: Callable[[IncomingEvent], bool], timeout: float = WAIT_SECONDS
    ) -> IncomingEvent:
        def found() -> IncomingEvent | None:
            return next((event for event in self.events if predicate(event)), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), timeout)
        event = found()
        assert event is not None
        return event

    def texts(self) -> list[str]:
        return [event.text for event in self.events]


class Bot:
    """A bot account on the test homeserver, and transports started on its store."""

    def __init__(self, server: SynapseServer, user_id: str, store: Path) -> None:
        self.server = server
        self.user_id = user_id
        self.store = store
        self.welcome: set[str] = set()
        self.running: list[MatrixTransport] = []

    async def is_welcome(self, user_id: str) -> bool:
        return user_id in self.welcome

    async def start(self, sink: RecordingSink, **options: Any) -> MatrixTransport:
        transport = MatrixTransport(
            self.server.base_url,
            self.user_id,
            "SEJABOTTEST",
            self.store,
            password=DEFAULT_PASSWORD,
            is_welcome=self.is_welcome,
            **options,
        )
        await transport.start(sink)
        self.running.append(transport)
        return transport

    async def stop_all(self) -> None:
        for transport in self.running:
            await transport.stop()
        self.running.clear()


async def member_in_direct_chat(
    users: MatrixUsers, bot: Bot, transport: MatrixTransport, prefix: str = "member"
) -> tuple[AsyncClient, ChatRef]:
    """A new member, the direct room the bot opened with them, joined and keys trusted."""
    member = await users.new_client(prefix)
    bot.welcome.add(member.user_id)
    chat = await transport.direct_chat(member.user_id)
    await users.sync_until(member, lambda: chat.chat_id in member.invited_rooms)
    assert isinstance(await member.join(chat.chat_id), JoinResponse)
    await users.sync_until(
        member, lambda: any(True for _ in member.device_store.active_user_devices(bot.user_id))
    )
    assert users.trust_devices_on_first_use(member, bot.user_id) == 1
    return member, chat


class Received:
    """What a member's client decrypted in one room, collected during its syncs."""

    def __init__(self, client: AsyncClient, room_id: str) -> None:
        self.events: list[nio.Event] = []
        self.undecryptable: list[nio.MegolmEvent] = []

        def collect(room: MatrixRoom, event: nio.Event) -> None:
            if room.room_id != room_id:
                return
            if isinstance(event, nio.MegolmEvent):
                self.undecryptable.append(event)
            else:
                self.events.append(event)

        client.add_event_callback(collect, (nio.RoomMessage, UnknownEvent, nio.MegolmEvent))

    def by_id(self, event_id: str) -> nio.Event | None:
        return next((event for event in self.events if event.event_id == event_id), None)


async def member_says(member: AsyncClient, room_id: str, text: str) -> str:
    sent = await member.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": text})
    assert isinstance(sent, RoomSendResponse), sent
    return str(sent.event_id)


async def raw_event(server: SynapseServer, client: AsyncClient, room_id: str, event_id: str) -> Any:
    url = f"{server.base_url}/_matrix/client/v3/rooms/{room_id}/event/{event_id}"
    headers = {"Authorization": f"Bearer {client.access_token}"}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        assert response.status == 200, await response.text()
        return await response.json()


# A self-signed certificate for a federation listener on 127.0.0.1, made with the cryptography
# package of the Synapse virtualenv (always there where Synapse is).
_CERTIFICATE_SCRIPT = """
import datetime, ipaddress, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
now = datetime.datetime.now(datetime.timezone.utc)
address = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
certificate = (
    x509.CertificateBuilder().subject_name(name).issuer_name(name)
    .public_key(key.public_key()).serial_number(x509.random_serial_number())
    .not_valid_before(now - datetime.timedelta(days=1))
    .not_valid_after(now + datetime.timedelta(days=2))
    .add_extension(x509.SubjectAlternativeName([address]), critical=False)
    .sign(key, hashes.SHA256())
)
with open(sys.argv[1], "wb") as out:
    out.write(certificate.public_bytes(serialization.Encoding.PEM))
with open(sys.argv[2], "wb") as out:
    out.write(key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ))
"""


async def federating_homeserver(work_dir: Path) -> SynapseServer:
    """A homeserver named ``127.0.0.1:<port>`` that federates over TLS on that port."""
    work_dir.mkdir(parents=True)
    certificate, key = work_dir / "tls.crt", work_dir / "tls.key"
    python = default_synapse_venv() / "bin" / "python"
    if not python.is_file():
        pytest.skip(f"no Synapse virtualenv at {python.parent.parent}")
    made = await asyncio.create_subprocess_exec(
        str(python), "-c", _CERTIFICATE_SCRIPT, str(certificate), str(key)
    )
    assert await made.wait() == 0
    client_port, federation_port = find_free_port(), find_free_port()

    def listener(port: int, resource: str, tls: bool) -> dict[str, Any]:
        return {
            "port": port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": tls,
            "x_forwarded": False, "resources": [{"names": [resource], "compress": False}],
        }  # fmt: skip

    server = SynapseServer(
        work_dir,
        server_name=f"127.0.0.1:{federation_port}",
        extra_config={
            "listeners": [
                listener(client_port, "client", tls=False),
                listener(federation_port, "federation", tls=True),
            ],
            "tls_certificate_path": str(certificate),
            "tls_private_key_path": str(key),
            "federation_verify_certificates": False,  # self-signed, loopback only
            "federation_domain_whitelist": None,
            "ip_range_blacklist": [],  # federation traffic stays on 127.0.0.1
        },
    )
    server.port = client_port
    return server


async def plain_client(server: SynapseServer, localpart: str) -> AsyncClient:
    user_id = await server.register_user(localpart, DEFAULT_PASSWORD)
    client = AsyncClient(
        server.base_url, user_id, config=nio.AsyncClientConfig(encryption_enabled=False)
    )
    assert isinstance(await client.login(DEFAULT_PASSWORD), nio.LoginResponse)
    return client
