"""Fixtures for end-to-end tests against a real Synapse homeserver on 127.0.0.1.

Event loops: one Synapse serves the whole test session, so the ``synapse`` fixture and every
test or fixture that talks to it run in pytest-asyncio's *session* event loop (aiohttp
sessions and nio clients are bound to the loop that created them). Follow this arrangement:

* each e2e test module starts with::

      pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

* async fixtures that use ``synapse`` are declared with
  ``@pytest_asyncio.fixture(loop_scope="session")`` (any ``scope``; ``loop_scope`` must be
  "session").

A test that forgets this fails loudly ("attached to a different loop" or "Event loop is
closed"), it never passes by accident.

Fixtures:

* ``synapse`` (session): a running :class:`~tests.support.synapse.SynapseServer`, state in a
  session temporary directory. Needs the Synapse virtualenv (``make synapse``;
  ``$SEJABOT_SYNAPSE_VENV`` points elsewhere).
* ``matrix_users`` (function): a :class:`MatrixUsers` factory that registers uniquely named
  accounts and returns logged-in, encryption-capable ``nio.AsyncClient`` objects (own crypto
  store, device keys uploaded); it closes them at the end of the test. It also carries the
  sync helpers (``sync_once`` with the key housekeeping of ``sync_forever``, ``sync_until``)
  and ``trust_devices_on_first_use``, the bot's device-trust policy.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio
from nio import (
    AsyncClient,
    AsyncClientConfig,
    KeysClaimResponse,
    KeysQueryResponse,
    KeysUploadResponse,
    LoginResponse,
    SyncResponse,
)

from tests.support.synapse import SynapseServer

if TYPE_CHECKING:
    from tests.e2e.matrix_kit import Bot as MatrixBot

DEFAULT_PASSWORD = "correct horse battery staple"

# One counter per test process: localparts never repeat on the session's homeserver.
_user_numbers = itertools.count(1)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def synapse(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SynapseServer]:
    server = SynapseServer(tmp_path_factory.mktemp("synapse"))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


class MatrixUsers:
    """Registers accounts on the test homeserver and logs nio clients into them."""

    def __init__(self, server: SynapseServer, store_root: Path) -> None:
        self.server = server
        self.store_root = store_root
        self._clients: list[AsyncClient] = []

    async def register(self, prefix: str = "user", *, admin: bool = False) -> str:
        """A new account with :data:`DEFAULT_PASSWORD`; returns its user id."""
        localpart = f"{prefix}{next(_user_numbers)}"
        return await self.server.register_user(localpart, DEFAULT_PASSWORD, admin=admin)

    async def login(
        self, user_id: str, password: str = DEFAULT_PASSWORD, *, device_name: str = "e2e"
    ) -> AsyncClient:
        """A logged-in client with its own crypto store and uploaded device keys."""
        store = self.store_root / f"{user_id.strip('@').replace(':', '_')}-{len(self._clients)}"
        store.mkdir(parents=True)
        client = AsyncClient(
            self.server.base_url,
            user_id,
            store_path=str(store),
            config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=True),
        )
        self._clients.append(client)
        response = await client.login(password, device_name=device_name)
        assert isinstance(response, LoginResponse), response
        if client.should_upload_keys:
            uploaded = await client.keys_upload()
            assert isinstance(uploaded, KeysUploadResponse), uploaded
        return client

    async def new_client(self, prefix: str = "user", *, admin: bool = False) -> AsyncClient:
        """Register a fresh account and log it in."""
        return await self.login(await self.register(prefix, admin=admin))

    @staticmethod
    async def sync_once(client: AsyncClient, timeout_ms: int = 500) -> SyncResponse:
        """One /sync plus the key housekeeping ``sync_forever`` would do after it."""
        response = await client.sync(timeout=timeout_ms, full_state=client.next_batch is None)
        assert isinstance(response, SyncResponse), response
        await client.send_to_device_messages()
        if client.should_upload_keys:
            assert isinstance(await client.keys_upload(), KeysUploadResponse)
        if client.should_query_keys:
            assert isinstance(await client.keys_query(), KeysQueryResponse)
        if client.should_claim_keys:
            claimed = await client.keys_claim(client.get_users_for_key_claiming())
            assert isinstance(claimed, KeysClaimResponse), claimed
        return response

    @classmethod
    async def sync_until(
        cls, client: AsyncClient, condition: Callable[[], bool], timeout: float = 20.0
    ) -> None:
        """Sync until ``condition()`` holds; fail the test after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail(f"{client.user_id}: condition unmet after {timeout:.0f} s of syncing")
            await cls.sync_once(client)

    @staticmethod
    def trust_devices_on_first_use(client: AsyncClient, user_id: str) -> int:
        """Mark every known device of ``user_id`` verified, as the bot does; returns how many."""
        devices = list(client.device_store.active_user_devices(user_id))
        for device in devices:
            client.verify_device(device)
        return len(devices)

    async def close_all(self) -> None:
        clients, self._clients = self._clients, []
        await asyncio.gather(*(client.close() for client in clients))


@pytest_asyncio.fixture(loop_scope="session")
async def matrix_users(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[MatrixUsers]:
    users = MatrixUsers(synapse, tmp_path / "nio-stores")
    try:
        yield users
    finally:
        await users.close_all()


# The Matrix transport tests' bot account and a pair of federating homeservers
# (tests/e2e/matrix_kit.py); modules with a bot of their own override ``bot``.
@pytest_asyncio.fixture(loop_scope="session")
async def bot(
    synapse: SynapseServer, matrix_users: MatrixUsers, tmp_path: Path
) -> AsyncIterator[MatrixBot]:
    from tests.e2e.matrix_kit import Bot  # the kit uses this module's helpers

    account = Bot(synapse, await matrix_users.register("sejabot"), tmp_path / "bot-store")
    try:
        yield account
    finally:
        await account.stop_all()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def two_homeservers(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[SynapseServer, SynapseServer]]:
    """The bot's homeserver and a foreign one, federating with each other."""
    from tests.e2e.matrix_kit import federating_homeserver

    root = tmp_path_factory.mktemp("federation")
    home = await federating_homeserver(root / "home")
    foreign = await federating_homeserver(root / "foreign")
    servers = [home, foreign]
    try:
        await asyncio.gather(*(server.start() for server in servers))
        yield home, foreign
    finally:
        await asyncio.gather(*(server.stop() for server in servers))
