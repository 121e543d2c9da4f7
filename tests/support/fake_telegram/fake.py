"""The fake Telegram platform as tests drive it: simulated people on one side, the bot on the other.

    async with FakeTelegram() as fake:
        alice = fake.user(1001, "Alenka", "Novak")
        ... start the bot with base_url=fake.base_url, base_file_url=fake.base_file_url ...
        await fake.user_sends_text(alice, "/start INVITE42")
        reply = await fake.wait_for_message(alice)
        await fake.user_presses_button(alice, reply.message_id, reply.callback_data[0])

The people's side lives in :mod:`.people`, the reading and waiting side in :mod:`.observing`.
No pytest dependency: the bot's demo mode may run it too.
"""

from __future__ import annotations

import secrets
from typing import Self

from .clock import PlatformClock
from .limits import ApiStats, Fault, FaultPlan, FloodLimits, ParamsPredicate
from .observing import PlatformObservations
from .people import Moment, SimulatedPeople
from .server import METHODS, ApiServer
from .state import BotIdentity, TelegramState
from .webhooks import WebhookDelivery


class FakeTelegram(SimulatedPeople, PlatformObservations):
    """A Bot API server on 127.0.0.1 (random port) for one bot, plus the people who use it."""

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_first_name: str = "Sejabot",
        bot_username: str = "sejabot_test_bot",
        clock: PlatformClock | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        if token is None:
            token = f"{secrets.randbelow(9 * 10**9) + 10**9}:{secrets.token_urlsafe(26)}"
        bot = BotIdentity(int(token.split(":", 1)[0]), token, bot_first_name, bot_username)
        self.state = TelegramState(bot=bot, clock=clock or PlatformClock())
        self.faults = FaultPlan()
        self.stats = ApiStats()
        self._flood_limits: FloodLimits | None = None
        self._host = host
        self._server = ApiServer(self.state, self.faults, self.stats, lambda: self._flood_limits)
        self._read_positions: dict[int, int] = {}
        self.webhooks = WebhookDelivery(self.state)

    # ---- lifecycle and addresses ----------------------------------------------------------

    async def start(self) -> Self:
        """Serve on a free port; after :meth:`stop` it serves again on the same URL, with all
        state kept (a platform outage as the bot sees it)."""
        self.state.closing = False
        await self._server.start(self._host)
        self.webhooks.start()
        return self

    async def stop(self) -> None:
        self.state.closing = True
        self.state.changes.notify()
        await self.webhooks.stop()
        await self._server.stop()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def token(self) -> str:
        return self.state.bot.token

    @property
    def bot(self) -> BotIdentity:
        return self.state.bot

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``; only valid after :meth:`start`."""
        if not self._server.port:
            raise RuntimeError("the fake Telegram server is not started")
        return f"http://{self._host}:{self._server.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder.base_url`` (the token is appended by the client)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder.base_file_url``."""
        return f"{self.url}/file/bot"

    # ---- the platform's clock -------------------------------------------------------------

    def now(self) -> int:
        return self.state.now()

    def set_time(self, moment: Moment) -> None:
        """Freeze the platform clock at ``moment`` (aware datetime or Unix seconds)."""
        self.state.clock.freeze(moment)

    def advance_time(self, seconds: float) -> None:
        self.state.clock.advance(seconds)

    def resume_time(self) -> None:
        self.state.clock.resume()

    # ---- failures on demand ---------------------------------------------------------------

    def inject_fault(
        self,
        method: str,
        status: int = 429,
        *,
        retry_after: int = 1,
        times: int = 1,
        description: str | None = None,
        when: ParamsPredicate | None = None,
    ) -> Fault:
        """Fail the next ``times`` calls of ``method`` ("*" for any) with ``status``.

        429 carries ``parameters.retry_after``; 5xx use the platform's wording; other statuses
        need a ``description`` (e.g. 403 "Forbidden: bot was blocked by the user"). ``when``
        limits the fault to calls whose decoded parameters it accepts.
        """
        canonical = {name.lower(): name for name in METHODS}.get(method.lower(), method)
        if canonical != "*" and canonical not in METHODS:
            raise ValueError(f"the fake does not implement {method!r}")
        if status != 429 and status < 500 and description is None:
            raise ValueError("a 4xx fault other than 429 needs the platform's description")
        return self.faults.add(Fault(canonical, status, retry_after, description, times, when))

    def clear_faults(self) -> None:
        self.faults.clear()

    def enforce_limits(
        self,
        global_per_second: int = 30,
        per_chat_per_second: int = 1,
        per_group_per_minute: int = 20,
    ) -> None:
        """Answer message sends beyond the platform's flood limits with 429 + retry_after."""
        self._flood_limits = FloodLimits(
            global_per_second, per_chat_per_second, per_group_per_minute
        )

    def lift_limits(self) -> None:
        self._flood_limits = None
