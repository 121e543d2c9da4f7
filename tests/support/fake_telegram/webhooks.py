"""Webhook delivery as the platform does it: each pending update is POSTed as JSON to the bot's
webhook URL with the ``X-Telegram-Bot-Api-Secret-Token`` header, in order, one at a time; an
update is dropped once the bot answers 2xx, and retried after a pause otherwise.

Telegram only calls https addresses; in production a TLS proxy sits in front of the bot. The
test plays that proxy: ``proxy_to`` maps the public https origin onto the bot's local address.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from .state import TelegramState

RETRY_SECONDS = 0.2


class WebhookDelivery:
    def __init__(self, state: TelegramState) -> None:
        self._state = state
        self._proxy_to = ""
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.delivered = 0
        self.refused = 0

    def proxy_to(self, local_origin: str) -> None:
        """Send what Telegram would send to https://public/... to ``local_origin``/... instead."""
        self._proxy_to = local_origin.rstrip("/")

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        # A flag, not only cancel(): Python 3.11's wait_for can swallow a cancellation that
        # coincides with the wake-up, and the loop would then wait on.
        self._stopping = True
        self._state.changes.notify()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _target(self) -> str:
        public = urlsplit(self._state.webhook.url)
        if not self._proxy_to:
            return self._state.webhook.url
        local = urlsplit(self._proxy_to)
        return urlunsplit((local.scheme, local.netloc, public.path, public.query, ""))

    async def _run(self) -> None:
        # One connection per delivery: a kept-alive idle connection would hold up the bot's
        # webhook server when it shuts down.
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as http:
            while not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await self._state.changes.wait_until(
                        lambda: (
                            self._stopping
                            or bool(self._state.webhook.url and self._state.updates)
                            or None
                        ),
                        60,
                    )
                if self._stopping:
                    return
                if not (self._state.webhook.url and self._state.updates):
                    continue
                update = self._state.updates[0]
                headers = {}
                if self._state.webhook.secret_token:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = self._state.webhook.secret_token
                body = {"update_id": update.update_id, update.kind: update.payload}
                try:
                    async with http.post(self._target(), json=body, headers=headers) as response:
                        accepted = 200 <= response.status < 300
                except aiohttp.ClientError:
                    accepted = False
                if accepted:
                    self.delivered += 1
                    self._state.confirm_updates(update.update_id + 1)
                    self._state.changes.notify()
                else:
                    self.refused += 1
                    await asyncio.sleep(RETRY_SECONDS)
