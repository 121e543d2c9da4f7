"""Bot-level methods: identity, update delivery (long polling, webhook), command menus."""

from __future__ import annotations

import json
import re
from typing import Any

from .api_common import Handler, Reply
from .errors import bad_request, conflict
from .models import StoredUpdate
from .state import DEFAULT_ALLOWED_UPDATES, TelegramState
from .wire import ApiCall

_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
MAX_LONG_POLL_SECONDS = 50


async def get_me(state: TelegramState, call: ApiCall) -> Any:
    return state.bot.get_me_api()


async def log_out(state: TelegramState, call: ApiCall) -> Any:
    return True


async def close(state: TelegramState, call: ApiCall) -> Any:
    return True


async def get_updates(state: TelegramState, call: ApiCall) -> Any:
    """Long polling: answer at once when updates wait, else hold up to ``timeout`` seconds.

    ``offset`` confirms (and forgets) every update below it; an update is sent again and again
    until confirmed. A newer getUpdates call ends an older one still waiting with 409.
    """
    if state.webhook.url:
        raise conflict(
            "can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first"
        )
    params = call.params
    offset = params.get("offset")
    if isinstance(offset, int) and offset != 0:
        state.confirm_updates(offset)
    limit = _bounded(params.get("limit"), default=100, lowest=1, highest=100)
    timeout = _bounded(params.get("timeout"), default=0, lowest=0, highest=MAX_LONG_POLL_SECONDS)
    if "allowed_updates" in params:
        state.allowed_updates = _allowed_updates(params["allowed_updates"])
    state.poll_generation += 1
    generation = state.poll_generation
    state.changes.notify()

    def waiting_updates() -> tuple[StoredUpdate, ...] | None:
        if state.poll_generation != generation:
            raise conflict(
                "terminated by other getUpdates request; "
                "make sure that only one bot instance is running"
            )
        if state.closing:
            return ()  # the server is shutting down: answer the poll empty at once
        return tuple(state.updates[:limit]) or None

    try:
        batch = await state.changes.wait_until(lambda: _present(waiting_updates()), timeout)
    except TimeoutError:
        return []
    return [update.to_api() for update in batch[0]]


def _present(updates: tuple[StoredUpdate, ...] | None) -> tuple[tuple[StoredUpdate, ...]] | None:
    """Wrap a result so that an empty (but final) answer still ends the wait."""
    return None if updates is None else (updates,)


def _bounded(value: Any, *, default: int, lowest: int, highest: int) -> int:
    if not isinstance(value, int):
        return default
    return min(max(value, lowest), highest)


def _allowed_updates(value: Any) -> frozenset[str]:
    if not isinstance(value, list):
        raise bad_request("can't parse allowed updates JSON object")
    return frozenset(str(kind) for kind in value) or DEFAULT_ALLOWED_UPDATES


async def set_webhook(state: TelegramState, call: ApiCall) -> Any:
    params = call.params
    url = str(params.get("url") or "")
    if not url:
        return await delete_webhook(state, call)
    if not url.startswith("https://"):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    already = state.webhook.url == url
    state.webhook.url = url
    state.webhook.max_connections = params.get("max_connections", 40)
    state.webhook.secret_token = params.get("secret_token")
    if "allowed_updates" in params:
        state.webhook.allowed_updates = list(_allowed_updates(params["allowed_updates"]))
    if params.get("drop_pending_updates"):
        state.updates.clear()
    return Reply(True, "Webhook is already set" if already else "Webhook was set")


async def delete_webhook(state: TelegramState, call: ApiCall) -> Any:
    had_webhook = bool(state.webhook.url)
    state.webhook.url = ""
    state.webhook.secret_token = None
    if call.params.get("drop_pending_updates"):
        state.updates.clear()
    return Reply(True, "Webhook was deleted" if had_webhook else "Webhook is already deleted")


async def get_webhook_info(state: TelegramState, call: ApiCall) -> Any:
    info: dict[str, Any] = {
        "url": state.webhook.url,
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates),
    }
    if state.webhook.url:
        info["max_connections"] = state.webhook.max_connections
        if state.webhook.allowed_updates is not None:
            info["allowed_updates"] = state.webhook.allowed_updates
    return info


def _command_key(params: dict[str, Any]) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    if not isinstance(scope, dict) or "type" not in scope:
        raise bad_request("can't parse BotCommandScope JSON object")
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


async def set_my_commands(state: TelegramState, call: ApiCall) -> Any:
    commands = call.params.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    checked: list[dict[str, str]] = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse commands JSON object")
        name, description = command.get("command"), command.get("description")
        if not isinstance(name, str) or not _COMMAND_NAME.fullmatch(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        checked.append({"command": name, "description": description})
    state.commands[_command_key(call.params)] = checked
    return True


async def get_my_commands(state: TelegramState, call: ApiCall) -> Any:
    return state.commands.get(_command_key(call.params), [])


async def delete_my_commands(state: TelegramState, call: ApiCall) -> Any:
    state.commands.pop(_command_key(call.params), None)
    return True


HANDLERS: dict[str, Handler] = {
    "getMe": get_me,
    "logOut": log_out,
    "close": close,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
}
