"""Builds the running bot from settings: transports, their secrets, the welcome policy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.domain.models import Platform
from bot.transport.base import Transport
from bot.transport.matrix.adapter import MatrixTransport
from bot.transport.telegram import TelegramTransport, Webhook
from config.settings import Settings
from storage.database import Database


def matrix_welcome_check(db: Database) -> Callable[[str], Awaitable[bool]]:
    """Room invitations are accepted from linked members and from Matrix IDs on the roster."""

    async def is_welcome(user_id: str) -> bool:
        if await db.read.accounts.find_person(Platform.MATRIX, user_id) is not None:
            return True
        person = await db.read.persons.get_by_matrix_id(user_id)
        if person is None or person.id is None:
            return False
        return bool(await db.read.memberships.list_for_person(person.id))

    return is_welcome


def build_transports(settings: Settings, db: Database) -> list[Transport]:
    transports: list[Transport] = []
    telegram = settings.telegram
    if telegram.enabled and telegram.token is not None:
        # As python-telegram-bot names them: "https://api.telegram.org/bot" and ".../file/bot".
        base_url = str(telegram.api_base_url).rstrip("/") if telegram.api_base_url else None
        file_url = (
            base_url[: -len("/bot")] + "/file/bot"
            if base_url and base_url.endswith("/bot")
            else base_url
        )
        webhook = (
            Webhook(str(telegram.webhook_url), telegram.webhook_listen, telegram.webhook_port)
            if telegram.mode == "webhook" and telegram.webhook_url
            else None
        )
        transports.append(
            TelegramTransport(
                telegram.token.get_secret_value(),
                base_url=base_url,
                base_file_url=file_url,
                webhook=webhook,
            )
        )
    matrix = settings.matrix
    keys = settings.server_keys  # `sejabot run` refuses to start without them
    if matrix.enabled and matrix.homeserver and matrix.user_id:
        transports.append(
            MatrixTransport(
                str(matrix.homeserver),
                matrix.user_id,
                matrix.device_id or "SEJABOT",
                matrix.store_path,
                is_welcome=matrix_welcome_check(db),
                password=matrix.password.get_secret_value() if matrix.password else None,
                access_token=(
                    matrix.access_token.get_secret_value() if matrix.access_token else None
                ),
                allowed_servers=matrix.allowed_servers,
                language=settings.language,
                pickle_key=keys.matrix_pickle if keys else None,
            )
        )
    return transports
