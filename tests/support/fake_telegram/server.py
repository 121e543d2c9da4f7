"""The HTTP side: ``/bot<token>/<method>`` and ``/file/bot<token>/<file_path>`` on 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from . import api_bot, api_files, api_messages
from .api_common import Handler, Reply
from .errors import ApiError, not_found, unauthorized
from .limits import ApiStats, FaultPlan, FloodLimits
from .state import TelegramState
from .wire import error_response, json_body, ok_response, read_call

METHODS: Mapping[str, Handler] = {
    **api_bot.HANDLERS,
    **api_messages.HANDLERS,
    **api_files.HANDLERS,
}
# Method names are case-insensitive on the platform.
_BY_LOWER_NAME = {name.lower(): name for name in METHODS}
# Calls that put a message into a chat: these count against the flood limits.
SENDING_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
# Malformed tokens get 404 from the platform, well-formed unknown ones 401.
_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")
MAX_REQUEST_BYTES = 60 * 1024 * 1024


class ApiServer:
    """Serves one bot's state; faults and limits are consulted before every method runs."""

    def __init__(
        self,
        state: TelegramState,
        faults: FaultPlan,
        stats: ApiStats,
        flood_limits: Callable[[], FloodLimits | None],
    ) -> None:
        self._state = state
        self._faults = faults
        self._stats = stats
        self._flood_limits = flood_limits
        self._runner: web.AppRunner | None = None
        self.port = 0

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("GET", "/bot{token}/{method}", self._call_method)
        app.router.add_route("POST", "/bot{token}/{method}", self._call_method)
        app.router.add_route("GET", "/file/bot{token}/{file_path:.+}", self._download)
        return app

    async def start(self, host: str = "127.0.0.1") -> int:
        """Listen on a free port; a restart after :meth:`stop` takes the same port again."""
        # handler_cancellation: a long poll whose client went away stops waiting at once.
        self._runner = web.AppRunner(
            self.application(), handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, self.port, reuse_address=True)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _check_token(self, token: str) -> ApiError | None:
        if not _TOKEN_SHAPE.fullmatch(token):
            return not_found()
        if token != self._state.bot.token:
            return unauthorized()
        return None

    async def _call_method(self, request: web.Request) -> web.Response:
        token_error = self._check_token(request.match_info["token"])
        method = _BY_LOWER_NAME.get(request.match_info["method"].lower())
        if token_error is None and method is None:
            token_error = not_found()
        if token_error is not None:
            self._stats.record_error(token_error.error_code)
            return error_response(token_error)
        assert method is not None
        self._stats.record_request(method)
        try:
            result = await self._run(method, request)
        except ApiError as error:
            self._stats.record_error(error.error_code)
            return error_response(error)
        if isinstance(result, Reply):
            return ok_response(result.result, result.description)
        return ok_response(result)

    async def _run(self, method: str, request: web.Request) -> Any:
        try:
            call = await read_call(request)
        except web.HTTPRequestEntityTooLarge as exc:
            raise ApiError(413, "Request Entity Too Large") from exc
        fault = self._faults.take(method, call.params)
        if fault is not None:
            raise fault
        limits = self._flood_limits() if method in SENDING_METHODS else None
        chat_id = call.params.get("chat_id")
        if limits is not None and (refusal := limits.check(chat_id)) is not None:
            raise refusal
        result = await METHODS[method](self._state, call)
        if method in SENDING_METHODS:
            if limits is not None:
                limits.record(chat_id)
            self._stats.record_delivery(int(result["chat"]["id"]))
        return result

    async def _download(self, request: web.Request) -> web.StreamResponse:
        token_error = self._check_token(request.match_info["token"])
        stored = self._state.file_by_path(request.match_info["file_path"])
        if token_error is not None or stored is None:
            error = token_error or not_found()
            return json_body(error.payload(), status=error.error_code)
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )
