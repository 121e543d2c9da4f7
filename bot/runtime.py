"""The lifecycle owner: one event loop running the database, the transports and the dispatcher.

Start order: database, dispatcher, then each transport; stop order is the reverse, so no event
arrives at a dispatcher whose database is already closed.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence
from contextlib import AsyncExitStack

from bot.domain.models import Platform
from bot.messenger import Messenger
from bot.transport.base import Transport
from handlers.dispatcher import Dispatcher
from storage.database import Database

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, db: Database, transports: Sequence[Transport], *, bot_username: str = "") -> None:
        self.db = db
        self.transports = {transport.platform: transport for transport in transports}
        self.messenger = Messenger(db, self.transports)
        self.dispatcher = Dispatcher(db, self.messenger.deliver, bot_username=bot_username)
        self._stack = AsyncExitStack()

    def transport(self, platform: Platform) -> Transport:
        return self.transports[platform]

    async def start(self) -> None:
        try:
            for transport in self.transports.values():
                await transport.start(self.dispatcher.handle)
                self._stack.push_async_callback(transport.stop)
                log.info("%s transport running", transport.platform)
        except BaseException:
            await self._stack.aclose()
            raise

    async def stop(self) -> None:
        await self._stack.aclose()

    async def __aenter__(self) -> Runtime:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def run_until_signalled(self) -> None:
        """Run until SIGINT or SIGTERM, then stop in order."""
        async with self:
            await wait_for_stop_signal()
            log.info("stopping")


async def wait_for_stop_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
