"""The lifecycle owner: one event loop running the scheduler, the transports and the dispatcher
over a database the caller opened (and closes after the stop).

Start order: the scheduler, then each transport, then each feature's start hook in the order of
bot/features.py (they rebuild their timers from the database and finish what came due while the
bot was down, which may send messages, so the transports run first). Stop order: deliveries in
flight are let finish and be recorded and no new one starts (bot/in_flight.py, a bounded wait),
so a clean stop never sends an invitation twice; the clerks' waiting tallies are edited; the
features' stop hooks run in reverse order; the transports stop in reverse order, so no event
arrives after that; then the scheduler stops and the last bookkeeping writes are finished.
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
from bot.feature import Feature, routes_of
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
        features: tuple[Feature, ...] = FEATURES,
    ) -> None:
        self.features = features
        self.transports = {transport.platform: transport for transport in transports}
        self.app = App(
            db=db,
            messenger=Messenger(db, self.transports),
            scheduler=Scheduler(),
            settings=settings or load_settings(None, {}),
            clock=clock,
        )
        self.dispatcher = Dispatcher(self.app, routes_of(features))
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
            # Last at stop, once nothing sends any more: the offers of messages already out.
            self._stack.push_async_callback(self.app.messenger.recordings_done)
            self.app.scheduler.start()
            self._stack.callback(self.app.scheduler.stop)
            for transport in self.transports.values():
                await transport.start(self.dispatcher.handle)
                self._stack.push_async_callback(transport.stop)
                log.info("%s transport running", transport.platform)
            # After the transports: catching up may send messages (results of expired sessions).
            for feature in self.features:
                if feature.on_start is not None:
                    await feature.on_start(self.app)
            for feature in self.features:  # the exit stack runs them in the reverse order
                if feature.on_stop is not None:
                    self._stack.push_async_callback(feature.on_stop, self.app)
            # First at stop, while the transports still run: tallies still waiting are edited.
            self._stack.push_async_callback(self.app.tally_refreshes.close)
            # Before that: messages on their way are let finish and recorded, none started.
            self._stack.push_async_callback(self.app.messenger.in_flight.settle)
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
        """Run until SIGINT or SIGTERM, then stop in order. The signal is heard from the first
        moment: one during the start (which sends what came due while the bot was down) lets
        the members in flight finish, starts no more, and stops once the start is done."""
        stop = listen_for_stop_signal(self.app.messenger.in_flight.close)
        async with self:
            await stop.wait()
            log.info("stopping")


async def wait_for_stop_signal() -> None:
    await listen_for_stop_signal().wait()


def listen_for_stop_signal(*also: Callable[[], None]) -> asyncio.Event:
    """An event set at SIGINT or SIGTERM (which then also call ``also``)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def stopping() -> None:
        stop.set()
        for call in also:
            call()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping)
    return stop
