"""pytest fixtures for the fake Telegram platform (import them into a conftest.py).

Both give a started :class:`FakeTelegram` for one test and stop it afterwards. The server must
run in the event loop of the test that talks to it, hence two fixtures:

* ``fake_telegram``: for tests in pytest-asyncio's default, per-test event loop;
* ``fake_telegram_in_session_loop``: for modules marked
  ``pytest.mark.asyncio(loop_scope="session")`` (the convention of the Synapse end-to-end
  tests), e.g. a test that drives the bot over Matrix and Telegram at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from .fake import FakeTelegram


@pytest_asyncio.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest_asyncio.fixture(loop_scope="session")
async def fake_telegram_in_session_loop() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake
