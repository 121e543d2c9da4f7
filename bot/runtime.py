"""The lifecycle owner: one event loop running the database, the scheduler, the transports and
the dispatcher.

Start order: scheduler, features (which rebuild their jobs from the database and close what
expired while the bot was down), then each transport; stop order is the reverse, so no event
arrives at a dispatcher whose database is already closed.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from datetime import datetime
from typing import Self

from bot.app import App
from bot.domain.models import Platform
from bot.features import FEATURES
from bot.messenger import Messenger
from bot.scheduler import Scheduler
from bot.timeutil import utc_now
from bot.transport.base import Transport
from config.settings import Settings, load_settings
from handlers.dispatcher import Dispatcher
from storage.database import Database

log = logging.getLogger(__name__)


class Runtime:
    def __init__(
        self,
        db: Database,
        transports: Sequence[Transport],
        *,
        settings: Settings | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.transports = {transport.platform: transport for transport in transports}
        self.app = App(
            db=db,
            messenger=Messenger(db, self.transports),
            scheduler=Scheduler(),
            settings=settings or load_settings(None, {}),
            clock=clock,
        )
        self.dispatcher = Dispatcher(self.app)
        self._stack = AsyncExitStack()

    @property
    def db(self) -> Database:
        return self.app.db

    @property
    def messenger(self) -> Messenger:
        return self.app.messenger

    def transport(self, platform: Platform) -> Transport:
        return self.transports[platform]

    async def start(self) -> None:
        try:
            self._stack.push_async_callback(self.app.drain_writes)  # last, once all else stopped
            self.app.scheduler.start()
            self._stack.callback(self.app.scheduler.stop)
            for transport in self.transports.values():
                await transport.start(self.dispatcher.handle)
                self._stack.push_async_callback(transport.stop)
                log.info("%s transport running", transport.platform)
            # After the transports: catching up may send messages (results of expired sessions).
            for feature in FEATURES:
                await feature.on_start(self.app)
        except BaseException:
            await self._stack.aclose()
            raise

    async def stop(self) -> None:
        await self._stack.aclose()

    async def __aenter__(self) -> Self:
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
