"""Telegram adapter: python-telegram-bot 22, inline keyboards, AIORateLimiter.

The Application is driven by hand (``async with application``, with the adapter's own polling
loop or webhook server described below) so that it shares one event loop with the Matrix
adapter and the scheduler under one lifecycle owner, instead of owning the loop as
``run_polling`` would.

Updates arrive by long polling (no public address needed), or by webhook: Telegram POSTs each
update to ``webhook_url`` (https, usually a TLS proxy in front of the bot, which listens on
``webhook_listen:webhook_port``). A secret token made at every start is registered with
setWebhook and checked on every call, so only Telegram can deliver updates.

Either way an update is confirmed to Telegram only after the dispatcher has handled it and
committed its effects: long polling asks for the next updates with a higher offset, the webhook
answers 2xx, only then. python-telegram-bot's own polling and webhook server confirm as soon as
updates are queued, so a crash would lose the queued ones for good; here a crash makes Telegram
deliver them again and the dispatcher recognises the ones it had handled.

Telegram bot chats are not end-to-end encrypted: Telegram's servers read every message. A
secret ballot (bot/transport/secrecy.py) is shown here only where the body's rules allow secret
votes over Telegram, and then follows a notice saying so; elsewhere the member is told where to
vote instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from aiohttp import web
from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    Update,
)
from telegram.constants import MessageEntityType, ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import AIORateLimiter, Application, ContextTypes, TypeHandler

from bot.domain.models import Platform
from bot.transport.base import EventSink
from bot.transport.credentials import CredentialProblem, CredentialsRefused
from bot.transport.events import (
    Capability,
    ChatRef,
    ChoiceMade,
    IncomingEvent,
    IncomingFile,
    MessageRef,
    OutgoingFile,
    OutgoingMessage,
    Sender,
    UnsupportedCapability,
)
from bot.transport.html_text import html_to_plain, last_part, message_parts
from bot.transport.pacing import ChatPacer
from bot.transport.refusal import MessageRefused
from bot.transport.secrecy import BallotWithheld, ballot_terms

log = logging.getLogger(__name__)
T = TypeVar("T")

MESSAGE_LIMIT = 4096  # Telegram's maximum text length
CALLBACK_DATA_LIMIT = 64  # bytes
# Telegram asks for at most about one message a second in a chat; bulk sends to one chat are
# spaced so, and the overall 30/s is AIORateLimiter's job (it also retries any 429).
CHAT_INTERVAL_SECONDS = 1.0
# One under the 30 messages a second Telegram allows a bot overall, for clock jitter.
OVERALL_REQUESTS_PER_SECOND = 29
SEND_ATTEMPTS = 4  # for transient network errors; 429s are retried by AIORateLimiter
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
MAX_POLL_BACKOFF_SECONDS = 30.0
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True)
class Webhook:
    url: str  # the public https address Telegram calls
    listen: str = "127.0.0.1"
    port: int = 8443


class TelegramTransport:
    platform = Platform.TELEGRAM
    capabilities = frozenset(
        {
            Capability.BUTTONS,
            Capability.EDIT,
            Capability.FILES,
            Capability.IMAGES,
            Capability.DEEP_LINKS,
            Capability.PLATFORM_TIMESTAMPS,
        }
    )

    def __init__(
        self,
        token: str,
        *,
        base_url: str | None = None,
        base_file_url: str | None = None,
        poll_timeout: float = 30.0,
        rate_limit_retries: int = 5,
        retry_delay: float = 0.5,
        webhook: Webhook | None = None,
        chat_interval: float = CHAT_INTERVAL_SECONDS,
    ) -> None:
        builder = (
            Application.builder()
            .token(token)
            .rate_limiter(
                AIORateLimiter(
                    # One request at a time, evenly spaced: a burst would put more than the
                    # limit into some one-second window, and one 429 holds up every request.
                    overall_max_rate=1,
                    overall_time_period=1 / OVERALL_REQUESTS_PER_SECOND,
                    max_retries=rate_limit_retries,
                )
            )
            .get_updates_read_timeout(poll_timeout + 10)
        )
        if base_url:
            builder = builder.base_url(base_url).base_file_url(base_file_url or base_url)
        self._app = builder.build()
        self._app.add_handler(TypeHandler(Update, self._on_update))
        self._poll_timeout = poll_timeout
        self._retry_delay = retry_delay
        self._pacer = ChatPacer(chat_interval)
        self._webhook = webhook
        self._sink: EventSink | None = None
        self._stack: AsyncExitStack | None = None
        self._poller: asyncio.Task[None] | None = None
        self._webhook_server: web.AppRunner | None = None
        self._webhook_secret = ""
        self._handling = asyncio.Lock()  # held while a fetched batch is handled
        self._closing = False
        self._offset = 0  # the first update not yet handled

    @property
    def username(self) -> str:
        return self._app.bot.username or ""

    async def start(self, sink: EventSink) -> None:
        self._sink = sink
        stack = AsyncExitStack()
        try:
            await stack.enter_async_context(self._app)  # initialize() now, shutdown() on close
        except InvalidToken:  # its text holds the token: never shown, never logged
            raise CredentialsRefused(CredentialProblem.TELEGRAM_TOKEN) from None
        except NetworkError as error:
            raise CredentialsRefused(
                CredentialProblem.TELEGRAM_UNREACHABLE,
                server=str(self._app.bot.base_url).split("/bot", 1)[0],
                detail=type(error).__name__,
            ) from None
        self._stack = stack
        self._closing = False
        try:
            await self._app.start()
            if self._webhook is None:
                await self._app.bot.delete_webhook()  # getUpdates is refused while one is set
                self._poller = asyncio.create_task(self._poll(), name="telegram-poll")
            else:
                await self._serve_webhook(self._webhook)
        except BaseException:
            await self.stop()
            raise
        log.info("Telegram transport started as @%s", self.username)

    async def stop(self) -> None:
        if self._stack is None:
            return
        self._closing = True
        async with self._handling:  # the update being handled is finished first
            if self._poller is not None:
                self._poller.cancel()
        if self._poller is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
            await self._confirm_handled()
        if self._webhook_server is not None:
            await self._webhook_server.cleanup()
            self._webhook_server = None
        assert self._app.updater is not None
        if self._app.updater.running:
            await self._app.updater.stop()
        if self._app.running:
            await self._app.stop()
        await self._stack.aclose()
        self._stack = None

    async def _poll(self) -> None:
        """Fetch updates and hand them to the sink one at a time; see the module docstring."""
        failures = 0
        while True:
            try:
                updates = await self._app.bot.get_updates(
                    offset=self._offset,
                    timeout=timedelta(seconds=self._poll_timeout),
                    allowed_updates=ALLOWED_UPDATES,
                )
            except RetryAfter as error:
                await asyncio.sleep(_seconds(error.retry_after))
                continue
            except Exception as error:  # noqa: BLE001 - network trouble, a refusal (another
                # instance polls), an unreadable answer: the loop outlives them all
                failures += 1
                delay = min(self._retry_delay * 2**failures, MAX_POLL_BACKOFF_SECONDS)
                log.warning("Telegram getUpdates failed (%s); retrying in %.1f s", error, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            async with self._handling:
                for update in updates:
                    if self._closing:
                        break  # not confirmed: Telegram delivers it again at the next start
                    await self._app.process_update(update)
                    self._offset = update.update_id + 1

    async def _serve_webhook(self, webhook: Webhook) -> None:
        """Listen for Telegram's POSTs, then register the address with a new secret token."""
        server = web.Application()
        server.router.add_post("/" + urlsplit(webhook.url).path.lstrip("/"), self._on_webhook)
        runner = web.AppRunner(server, access_log=None)
        await runner.setup()
        self._webhook_server = runner
        await web.TCPSite(runner, webhook.listen, webhook.port).start()
        self._webhook_secret = secrets.token_urlsafe(32)
        await self._app.bot.set_webhook(
            url=webhook.url, secret_token=self._webhook_secret, allowed_updates=ALLOWED_UPDATES
        )

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """One update from Telegram, answered 200 once handled (anything else: sent again)."""
        secret = request.headers.get(SECRET_HEADER, "").encode()
        if not self._webhook_secret or not hmac.compare_digest(
            secret, self._webhook_secret.encode()
        ):
            return web.Response(status=403)
        try:
            data = await request.json()
        except ValueError:
            return web.Response(status=400)
        if not isinstance(data, dict):
            return web.Response(status=400)
        update = Update.de_json(data, self._app.bot)
        async with self._handling:
            if self._closing:
                return web.Response(status=503)  # stopping: Telegram delivers it again later
            await self._app.process_update(update)
        return web.Response()

    async def _confirm_handled(self) -> None:
        """Tell Telegram what was handled, so the next start is not sent it again (if this
        fails, the repeats are recognised as duplicates)."""
        if not self._offset:
            return
        try:
            await self._app.bot.get_updates(
                offset=self._offset, timeout=timedelta(0), allowed_updates=ALLOWED_UPDATES
            )
        except TelegramError as error:
            log.info("could not confirm the handled Telegram updates: %s", error)

    async def direct_chat(self, external_user_id: str) -> ChatRef:
        # A private chat's id is the user's id.
        return ChatRef(Platform.TELEGRAM, external_user_id, is_direct=True)

    async def send(self, chat: ChatRef, message: OutgoingMessage) -> MessageRef:
        terms = ballot_terms(message)
        if terms is not None:
            # Bot chats are not end-to-end encrypted (bot/transport/secrecy.py): a secret ballot
            # comes here only where the rules allow it, and then says who can read the choice.
            await self._refuse_ballot_unless_allowed(chat, message)
            notice = terms.notice(Platform.TELEGRAM)
            if notice:  # a message of its own, so it stays when the ballot is edited
                await self.send(chat, OutgoingMessage(html=notice, bulk=message.bulk))
        markup = _keyboard(message)
        # Each part valid HTML on its own; the choices go under the last one, which an edit
        # replaces (see ``edit``).
        chunks = [
            chunk for chunk in message_parts(message.html, MESSAGE_LIMIT) if html_to_plain(chunk).strip()
        ] if message.html else []  # fmt: skip
        last: Message | None = None
        for index, chunk in enumerate(chunks):
            is_last = index == len(chunks) - 1
            async with self._paced(chat, message):
                last = await self._refusable(
                    self._app.bot.send_message,
                    chat_id=int(chat.chat_id),
                    text=chunk,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup if is_last else None,
                    disable_web_page_preview=True,
                )
        for outgoing_file in message.files:
            async with self._paced(chat, message):
                sent = await self._send_file(chat, outgoing_file)
            last = last or sent
        if last is None:
            raise ValueError("an outgoing message needs text or a file")
        return MessageRef(chat, str(last.message_id))

    async def _refuse_ballot_unless_allowed(self, chat: ChatRef, message: OutgoingMessage) -> None:
        terms = ballot_terms(message)
        if terms is None or terms.allows(Platform.TELEGRAM):
            return
        await self.send(chat, OutgoingMessage(html=terms.not_allowed))
        raise BallotWithheld(Platform.TELEGRAM, "not_allowed")

    async def edit(self, ref: MessageRef, message: OutgoingMessage) -> MessageRef:
        if message.files:  # Telegram edits text in place; files need a new message
            raise UnsupportedCapability(Platform.TELEGRAM, Capability.EDIT)
        await self._refuse_ballot_unless_allowed(ref.chat, message)
        try:
            # ``ref`` is the last part of a long message (the one with the choices): it gets
            # the new text's last part; the parts before it are the same (``message_parts``).
            await self._call(
                self._app.bot.edit_message_text,
                chat_id=int(ref.chat.chat_id),
                message_id=int(ref.message_id),
                text=last_part(message.html, MESSAGE_LIMIT),
                parse_mode=ParseMode.HTML,
                reply_markup=_keyboard(message),
                disable_web_page_preview=True,
            )
        except BadRequest as error:
            if "not modified" not in str(error).lower():
                # e.g. "message can't be edited" (not the bot's own): for good, not a fault
                raise MessageRefused("telegram", error.message) from error
        return ref

    async def _refusable(self, method: Callable[..., Awaitable[T]], /, **kwargs: Any) -> T:
        """``_call``, with a refusal for good (400, 403) raised as ``MessageRefused``."""
        try:
            return await self._call(method, **kwargs)
        except (BadRequest, Forbidden) as error:
            raise MessageRefused("telegram", error.message) from error

    async def _send_file(self, chat: ChatRef, outgoing_file: OutgoingFile) -> Message:
        upload = InputFile(outgoing_file.content, filename=outgoing_file.filename)
        if outgoing_file.is_image and outgoing_file.media_type in ("image/png", "image/jpeg"):
            return await self._call(
                self._app.bot.send_photo, chat_id=int(chat.chat_id), photo=upload
            )
        return await self._call(
            self._app.bot.send_document, chat_id=int(chat.chat_id), document=upload
        )

    def _paced(self, chat: ChatRef, message: OutgoingMessage) -> AbstractAsyncContextManager[None]:
        """Bulk messages wait for the chat's next slot; replies go at once, so one member's
        multi-part reply never holds up the handling of everyone else's updates."""
        return self._pacer.turn(chat.chat_id) if message.bulk else contextlib.nullcontext()

    async def _call(self, method: Callable[..., Awaitable[T]], /, **kwargs: Any) -> T:
        """Retry transient network failures with back-off; 429s are AIORateLimiter's job."""
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                return await method(**kwargs)
            except RetryAfter as error:  # the rate limiter gave up: wait as told, then retry
                if attempt == SEND_ATTEMPTS:
                    raise
                await asyncio.sleep(_seconds(error.retry_after))
            except (TimedOut, NetworkError) as error:
                if isinstance(error, BadRequest) or attempt == SEND_ATTEMPTS:
                    raise
                log.warning("Telegram %s failed (%s); retry %d", method.__name__, error, attempt)
                await asyncio.sleep(self._retry_delay * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        event = self._to_event(update)
        if event is None or self._sink is None:
            return
        try:
            await self._sink(event)
        finally:
            if update.callback_query is not None:
                await _answer_quietly(update.callback_query)

    def _to_event(self, update: Update) -> IncomingEvent | None:
        user = update.effective_user
        chat = update.effective_chat
        if user is None or chat is None or user.is_bot:
            return None
        sender = Sender(
            Platform.TELEGRAM,
            str(user.id),
            display_name=user.full_name,
            language_hint=user.language_code or "",
        )
        chat_ref = ChatRef(Platform.TELEGRAM, str(chat.id), is_direct=chat.type == chat.PRIVATE)
        key = str(update.update_id)
        query = update.callback_query
        if query is not None:
            origin = query.message
            return IncomingEvent(
                platform=Platform.TELEGRAM,
                event_key=key,
                sender=sender,
                chat=chat_ref,
                # A button press carries no date of its own; the moment it reaches us stands in.
                timestamp=datetime.now(UTC),
                choice=ChoiceMade(
                    query.data or "",
                    MessageRef(chat_ref, str(origin.message_id)) if origin is not None else None,
                ),
            )
        message = update.message
        if message is None:
            return None
        command, args = _command_of(message)
        return IncomingEvent(
            platform=Platform.TELEGRAM,
            event_key=key,
            sender=sender,
            chat=chat_ref,
            timestamp=message.date.astimezone(UTC),
            text=(message.text or message.caption or "").strip(),
            command=command,
            args=args,
            file=self._file_of(message),
            forwarded=message.forward_origin is not None,
        )

    def _file_of(self, message: Message) -> IncomingFile | None:
        bot = self._app.bot
        if message.document is not None:
            document = message.document
            file_id = document.file_id
            filename = document.file_name or "document"
            media_type = document.mime_type or "application/octet-stream"
            size = document.file_size or 0
        elif message.photo:
            photo = message.photo[-1]  # the largest size
            file_id, filename, media_type, size = (
                photo.file_id,
                "photo.jpg",
                "image/jpeg",
                photo.file_size or 0,
            )
        else:
            return None

        async def fetch() -> bytes:
            telegram_file = await bot.get_file(file_id)
            return bytes(await telegram_file.download_as_bytearray())

        return IncomingFile(filename, media_type, size, fetch)


def _command_of(message: Message) -> tuple[str, tuple[str, ...]]:
    text = message.text or ""
    entity = next(iter(message.entities or ()), None)
    if entity is None or entity.type != MessageEntityType.BOT_COMMAND or entity.offset != 0:
        return "", ()
    name = text[1 : entity.length].split("@", 1)[0].lower()
    return name, tuple(text[entity.length :].split())


def _keyboard(message: OutgoingMessage) -> InlineKeyboardMarkup | None:
    if not message.choices:
        return None
    for choice in message.flat_choices:
        if len(choice.payload.encode()) > CALLBACK_DATA_LIMIT:
            raise ValueError(f"button payload over {CALLBACK_DATA_LIMIT} bytes: {choice.payload!r}")
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(choice.label, callback_data=choice.payload) for choice in row]
            for row in message.choices
        ]
    )


def _seconds(retry_after: object) -> float:
    total = getattr(retry_after, "total_seconds", None)
    return float(total()) if callable(total) else float(retry_after)  # type: ignore[arg-type]


async def _answer_quietly(query: CallbackQuery) -> None:
    try:
        await query.answer()
    except (BadRequest, NetworkError) as error:  # an expired query must not break the update
        log.info("callback query not answered: %s", error)
