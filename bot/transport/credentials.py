"""The bot's own credentials as the platforms judge them: refused at start, or checked online.

A token or password the platform refuses is a configuration problem, so it is reported as one
(what is wrong, the fix), never as a traceback. ``sejabot check-config --online`` asks the
servers the same questions the start does, without starting the bot: Telegram's getMe, and
Matrix's whoami for an access token or a log-in for the configured device with the password.
Secrets never appear in these messages.
"""

from __future__ import annotations

import asyncio
from enum import StrEnum

from bot.i18n import N_, Translator


class CredentialProblem(StrEnum):
    TELEGRAM_TOKEN = "telegram_token"
    TELEGRAM_UNREACHABLE = "telegram_unreachable"
    MATRIX_TOKEN = "matrix_token"
    MATRIX_OTHER_DEVICE = "matrix_other_device"
    MATRIX_LOGIN = "matrix_login"
    MATRIX_UNREACHABLE = "matrix_unreachable"


WORDING: dict[CredentialProblem, tuple[str, str]] = {
    CredentialProblem.TELEGRAM_TOKEN: (
        N_("Telegram refused the bot token in SEJABOT_TELEGRAM_TOKEN."),
        N_(
            "Copy the token again from @BotFather (/mybots, the bot, API Token), export it as "
            "SEJABOT_TELEGRAM_TOKEN and start again."
        ),
    ),
    CredentialProblem.TELEGRAM_UNREACHABLE: (
        N_("Telegram's Bot API at {server} cannot be reached ({detail})."),
        N_("Check the network, and [telegram] api_base_url if it is set."),
    ),
    CredentialProblem.MATRIX_TOKEN: (
        N_(
            "The homeserver {server} does not accept the access token in "
            "SEJABOT_MATRIX_ACCESS_TOKEN ({detail})."
        ),
        N_(
            "For the first start, export SEJABOT_MATRIX_PASSWORD instead of the token: the bot "
            "logs in as device {device} itself (see the README, Matrix access)."
        ),
    ),
    CredentialProblem.MATRIX_OTHER_DEVICE: (
        N_(
            "The access token in SEJABOT_MATRIX_ACCESS_TOKEN belongs to device {other}, not to "
            "the configured device_id {device} (a token copied from Element belongs to "
            "Element's own device)."
        ),
        N_(
            "Export SEJABOT_MATRIX_PASSWORD instead and start again: the bot logs in as device "
            "{device} itself; or get a token for {device} as the README describes (Matrix "
            "access)."
        ),
    ),
    CredentialProblem.MATRIX_LOGIN: (
        N_("The homeserver {server} refused the log-in of {user} ({detail})."),
        N_("Check SEJABOT_MATRIX_PASSWORD and [matrix] user_id, then start again."),
    ),
    CredentialProblem.MATRIX_UNREACHABLE: (
        N_("The homeserver {server} cannot be reached ({detail})."),
        N_("Check [matrix] homeserver and the network."),
    ),
}


class CredentialsRefused(RuntimeError):
    """A platform refused the bot's credentials, or could not be asked."""

    def __init__(self, problem: CredentialProblem, **params: str) -> None:
        self.problem = problem
        self.params = params
        super().__init__(self.message(Translator("en")))

    def message(self, _: Translator) -> str:
        problem, fix = WORDING[self.problem]
        return _(
            "{problem} Fix: {fix}", problem=_(problem, **self.params), fix=_(fix, **self.params)
        )


ONLINE_TIMEOUT_SECONDS = 20


async def check_telegram(token: str, base_url: str | None) -> str:
    """The bot's username if Telegram accepts the token; raises ``CredentialsRefused``."""
    # Imported on use: only `check-config --online` needs a bare Bot.
    from telegram import Bot
    from telegram.error import InvalidToken, NetworkError

    bot = Bot(token, base_url=base_url or "https://api.telegram.org/bot")
    try:
        async with bot:  # initialize() asks getMe
            return bot.username or ""
    except InvalidToken:
        raise CredentialsRefused(CredentialProblem.TELEGRAM_TOKEN) from None
    except NetworkError as error:
        server = (base_url or "https://api.telegram.org").split("/bot", 1)[0]
        raise CredentialsRefused(
            CredentialProblem.TELEGRAM_UNREACHABLE, server=server, detail=type(error).__name__
        ) from None


async def check_matrix(
    homeserver: str,
    user_id: str,
    device_id: str,
    *,
    access_token: str | None,
    password: str | None,
) -> str:
    """The device the credentials act as; raises ``CredentialsRefused``. With a password this
    logs in as ``device_id``, which the bot's own first start would do too."""
    from aiohttp import ClientError
    from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiResponse

    client = AsyncClient(
        homeserver, user_id, device_id=device_id, config=AsyncClientConfig(max_timeouts=1)
    )
    try:
        async with asyncio.timeout(ONLINE_TIMEOUT_SECONDS):
            if access_token is not None:
                client.restore_login(user_id, device_id, access_token)
                whoami = await client.whoami()
                if not isinstance(whoami, WhoamiResponse):
                    raise CredentialsRefused(
                        CredentialProblem.MATRIX_TOKEN,
                        server=homeserver,
                        detail=str(getattr(whoami, "status_code", "") or whoami),
                        device=device_id,
                    )
                if whoami.device_id != device_id:
                    raise CredentialsRefused(
                        CredentialProblem.MATRIX_OTHER_DEVICE,
                        other=str(whoami.device_id),
                        device=device_id,
                    )
                return device_id
            login = await client.login(password or "", device_name="Sejabot")
            if not isinstance(login, LoginResponse):
                raise CredentialsRefused(
                    CredentialProblem.MATRIX_LOGIN,
                    server=homeserver,
                    user=user_id,
                    detail=str(getattr(login, "status_code", "") or login),
                )
            return login.device_id
    except (ClientError, TimeoutError, OSError) as error:
        raise CredentialsRefused(
            CredentialProblem.MATRIX_UNREACHABLE, server=homeserver, detail=type(error).__name__
        ) from None
    finally:
        await client.close()
