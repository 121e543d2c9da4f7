"""The fake Telegram Bot API under the real python-telegram-bot stack, and on the raw wire.

Each test starts its own fake server and, where a bot is involved, a real PTB Application
polling it (``updater.start_polling`` + ``application.start``), as production does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import struct
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.support.fake_telegram import ApiError, FakeTelegram, fixtures
from tests.support.fake_telegram.formatting import formatted_text
from tests.support.fake_telegram.limits import FloodLimits
from tests.support.fake_telegram.markup_html import parse_html
from tests.support.fake_telegram.markup_markdown import parse_markdown_v2
from tests.support.fake_telegram.ptb import application_builder, polling

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(30)]

fake_telegram = fixtures.fake_telegram
fake_telegram_in_session_loop = fixtures.fake_telegram_in_session_loop

LJUBLJANA = dt.timezone(dt.timedelta(hours=1))


def png_image(width: int, height: int) -> bytes:
    """A real, minimal PNG (grey pixels) so the fake's size sniffing has something to read."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@dataclass
class Seen:
    """What the test bot's handlers received."""

    start_args: list[list[str]] = field(default_factory=list)
    texts: list[tuple[str, dt.datetime]] = field(default_factory=list)
    callbacks: list[str] = field(default_factory=list)
    documents: list[tuple[str, bytes]] = field(default_factory=list)
    member_changes: list[str] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


def voting_bot(
    fake: FakeTelegram, seen: Seen, *, max_retries: int = 3
) -> Application[Any, Any, Any, Any, Any, Any]:
    """A small bot: /start CODE offers a vote, buttons record it, documents are read back."""

    async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        seen.start_args.append(list(context.args or []))
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("ZA", callback_data="vote:za"),
                    InlineKeyboardButton("PROTI", callback_data="vote:proti"),
                ]
            ]
        )
        await update.effective_message.reply_text(
            f"Koda <b>{' '.join(context.args or [])}</b>",
            parse_mode="HTML",
            reply_markup=keyboard,
            do_quote=True,
        )

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        seen.callbacks.append(query.data)
        await query.answer("Glas zabeležen")
        await query.edit_message_text(f"Glasovali ste: {query.data.removeprefix('vote:')}")

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        seen.texts.append((message.text, message.date))
        await message.reply_text(f"Prejeto: {message.text}")

    async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.document is not None
        telegram_file = await message.document.get_file()
        content = bytes(await telegram_file.download_as_bytearray())
        seen.documents.append((message.document.file_name or "", content))
        await message.reply_text(f"Prejel {message.document.file_name}: {len(content)} B")

    async def on_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.my_chat_member is not None
        seen.member_changes.append(update.my_chat_member.new_chat_member.status)

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        seen.errors.append(context.error)

    application = application_builder(fake, max_retries=max_retries).build()
    application.add_handler(CommandHandler("start", on_start))
    application.add_handler(CallbackQueryHandler(on_press))
    application.add_handler(MessageHandler(filters.Document.ALL, on_document))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    application.add_handler(ChatMemberHandler(on_member, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_error_handler(on_error)
    return application


async def test_start_command_reaches_the_command_handler_with_its_args(
    fake_telegram: FakeTelegram,
) -> None:
    alenka = fake_telegram.user(1001, "Alenka", "Novak", username="alenka_n")
    seen = Seen()
    async with polling(voting_bot(fake_telegram, seen)):
        sent = await fake_telegram.user_sends_text(alenka, "/start CODE")
        reply = await fake_telegram.wait_for_message(alenka)

    assert sent.entities == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert seen.start_args == [["CODE"]]
    assert reply.text == "Koda CODE"  # what the person sees: HTML parsed into entities
    assert reply.entity_texts("bold") == ["CODE"]
    assert reply.button_texts == ["ZA", "PROTI"]
    assert reply.reply_to is not None and reply.reply_to.message_id == sent.message_id
    assert reply.message_id == sent.message_id + 1  # one counter per chat, both directions
    assert fake_telegram.stats.messages_delivered == 1


async def test_button_press_reaches_the_callback_handler_and_its_answer_is_recorded(
    fake_telegram: FakeTelegram,
) -> None:
    bojan = fake_telegram.user(1002, "Bojan", "Kralj")
    seen = Seen()
    async with polling(voting_bot(fake_telegram, seen)):
        await fake_telegram.user_sends_text(bojan, "/start S7")
        offer = await fake_telegram.wait_for_message(bojan)
        query = await fake_telegram.user_presses_button(bojan, offer.message_id, "vote:proti")
        answer = await fake_telegram.wait_for_callback_answer(query)
        await fake_telegram.wait_until(lambda: offer.edit_count == 1)

    assert seen.callbacks == ["vote:proti"]
    assert answer.text == "Glas zabeležen" and not answer.show_alert
    assert fake_telegram.callback_answers == [answer]
    # The edit replaced the text and, as on the platform, dropped the keyboard it did not resend.
    assert offer.text == "Glasovali ste: proti"
    assert offer.buttons == []
    with pytest.raises(AssertionError, match="no button with callback_data 'vote:za'"):
        await fake_telegram.user_presses_button(bojan, offer.message_id, "vote:za")


async def test_document_from_a_user_is_downloaded_by_the_bot(fake_telegram: FakeTelegram) -> None:
    cvetka = fake_telegram.user(1003, "Cvetka", "Zupan")
    content = b"Gradivo za 5. dopisno sejo\n" * 200
    seen = Seen()
    async with polling(voting_bot(fake_telegram, seen)):
        sent = await fake_telegram.user_sends_document(
            cvetka, "gradivo.txt", content, "text/plain", caption="Gradivo"
        )
        reply = await fake_telegram.wait_for_message(cvetka)

    assert seen.documents == [("gradivo.txt", content)]
    assert reply.text == f"Prejel gradivo.txt: {len(content)} B"
    assert sent.document is not None and sent.document.file_path.startswith("documents/")
    assert fake_telegram.stats.requests["getFile"] == 1


async def test_bot_sends_a_document_and_a_photo_whose_bytes_the_test_reads_back(
    fake_telegram: FakeTelegram,
) -> None:
    dusan = fake_telegram.user(1004, "Dušan", "Mlakar")
    await fake_telegram.user_sends_text(dusan, "/start")  # the platform requires a first contact
    minutes = b"%PDF-1.4\n" + bytes(range(256)) * 40
    picture = png_image(40, 30)
    async with application_builder(fake_telegram).build() as application:
        await application.bot.send_document(
            dusan.id,
            InputFile(minutes, filename="zapisnik.pdf"),
            caption="<i>Zapisnik</i>",
            parse_mode="HTML",
        )
        sent_photo = await application.bot.send_photo(dusan.id, picture)
        # The platform keeps the file: sending its file_id again needs no upload.
        again = await application.bot.send_photo(dusan.id, sent_photo.photo[-1].file_id)

    document_message, photo_message, repeat = fake_telegram.messages_in(dusan)
    assert document_message.file_bytes == minutes
    assert document_message.document is not None
    assert document_message.document.file_name == "zapisnik.pdf"
    assert document_message.document.mime_type == "application/pdf"
    assert document_message.caption == "Zapisnik"
    assert photo_message.file_bytes == picture
    assert (sent_photo.photo[-1].width, sent_photo.photo[-1].height) == (40, 30)
    assert again.photo[-1].file_unique_id == sent_photo.photo[-1].file_unique_id
    assert repeat.file_bytes == picture


async def test_injected_429_is_retried_by_the_rate_limiter_after_retry_after(
    fake_telegram: FakeTelegram,
) -> None:
    eva = fake_telegram.user(1005, "Eva", "Kos")
    seen = Seen()
    async with polling(voting_bot(fake_telegram, seen, max_retries=2)):
        fake_telegram.inject_fault("sendMessage", 429, retry_after=1)
        started = time.monotonic()
        await fake_telegram.user_sends_text(eva, "Prisotna")
        reply = await fake_telegram.wait_for_message(eva)
        elapsed = time.monotonic() - started

    assert reply.text == "Prejeto: Prisotna"
    assert [m.text for m in fake_telegram.messages_in(eva)] == ["Prejeto: Prisotna"]
    assert elapsed >= 1.0  # AIORateLimiter waited retry_after (+0.1 s) before retrying
    assert fake_telegram.stats.rate_limited == 1
    assert fake_telegram.stats.requests["sendMessage"] == 2
    assert seen.errors == []


async def test_server_error_surfaces_as_network_error(fake_telegram: FakeTelegram) -> None:
    franc = fake_telegram.user(1006, "Franc", "Horvat")
    seen = Seen()
    async with polling(voting_bot(fake_telegram, seen)) as application:
        await fake_telegram.user_sends_text(franc, "/start")
        await fake_telegram.wait_for_message(franc)

        # A direct call: the caller gets the exception (RetryAfter alone is retried).
        fake_telegram.inject_fault("sendMessage", 500)
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await application.bot.send_message(franc.id, "Vabilo")

        # Inside a handler: the exception reaches the application's error handlers.
        fake_telegram.inject_fault("sendMessage", 502)
        await fake_telegram.user_sends_text(franc, "Ali je seja danes?")
        await fake_telegram.wait_until(lambda: seen.errors)

    assert isinstance(seen.errors[0], NetworkError) and isinstance(seen.errors[0], TelegramError)
    assert "Bad Gateway" in str(seen.errors[0])
    assert [m.text for m in fake_telegram.messages_in(franc)] == [
        "Koda"
    ]  # trimmed as on the platform
    assert fake_telegram.stats.errors[500] == 1 and fake_telegram.stats.errors[502] == 1


async def test_restart_delivers_unconfirmed_updates_only(fake_telegram: FakeTelegram) -> None:
    gregor = fake_telegram.user(1007, "Gregor", "Vidmar")
    first, second = Seen(), Seen()
    async with polling(voting_bot(fake_telegram, first)):
        await fake_telegram.user_sends_text(gregor, "pred zaustavitvijo")
        await fake_telegram.wait_for_message(gregor)
    # Stopping confirmed what the first instance fetched; nothing is left for a successor.
    assert fake_telegram.pending_updates == []

    await fake_telegram.user_sends_text(gregor, "med zaustavitvijo")
    assert len(fake_telegram.pending_updates) == 1

    async with polling(voting_bot(fake_telegram, second)):
        await fake_telegram.wait_for_message(gregor, lambda m: "med" in (m.text or ""))

    assert [text for text, _ in first.texts] == ["pred zaustavitvijo"]
    assert [text for text, _ in second.texts] == ["med zaustavitvijo"]


async def test_updates_repeat_until_an_offset_confirms_them(fake_telegram: FakeTelegram) -> None:
    hana = fake_telegram.user(1008, "Hana", "Golob")
    for text in ("ena", "dve", "tri"):
        await fake_telegram.user_sends_text(hana, text)
    async with Bot(fake_telegram.token, base_url=fake_telegram.base_url) as bot:
        fetched = await bot.get_updates(limit=2)
        again = await bot.get_updates()  # no offset: nothing was confirmed
        confirmed = await bot.get_updates(offset=fetched[-1].update_id + 1)
        started = time.monotonic()
        empty = await bot.get_updates(offset=confirmed[-1].update_id + 1, timeout=1)
        waited = time.monotonic() - started

    assert [u.message.text for u in fetched if u.message] == ["ena", "dve"]
    assert [u.message.text for u in again if u.message] == ["ena", "dve", "tri"]
    assert [u.message.text for u in confirmed if u.message] == ["tri"]
    assert [u.update_id for u in again] == sorted(u.update_id for u in again)
    assert empty == () and waited >= 0.9  # long poll held the request for `timeout`
    assert fake_telegram.pending_updates == []


async def test_long_poll_answers_as_soon_as_an_update_arrives(fake_telegram: FakeTelegram) -> None:
    irena = fake_telegram.user(1009, "Irena", "Bizjak")
    async with Bot(fake_telegram.token, base_url=fake_telegram.base_url) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=20))
        await asyncio.sleep(0.2)
        assert not poll.done()
        started = time.monotonic()
        await fake_telegram.user_sends_text(irena, "zdaj")
        updates = await asyncio.wait_for(poll, 5)
        assert time.monotonic() - started < 2

    assert [u.message.text for u in updates if u.message] == ["zdaj"]


async def test_platform_date_of_a_message_can_be_set_by_the_test(
    fake_telegram: FakeTelegram,
) -> None:
    janez = fake_telegram.user(1010, "Janez", "Turk")
    deadline_eve = dt.datetime(2024, 3, 12, 23, 59, 30, tzinfo=LJUBLJANA)
    seen = Seen()
    async with polling(voting_bot(fake_telegram, seen)):
        await fake_telegram.user_sends_text(janez, "ZA", date=deadline_eve)
        fake_telegram.set_time(deadline_eve + dt.timedelta(minutes=1))
        reply = await fake_telegram.wait_for_message(janez)

    assert seen.texts == [("ZA", deadline_eve.astimezone(dt.UTC))]
    assert reply.date == int(deadline_eve.timestamp()) + 60  # the bot's reply: platform clock


async def test_flood_limits_answer_429_and_the_rate_limiter_catches_up(
    fake_telegram: FakeTelegram,
) -> None:
    katja = fake_telegram.user(1011, "Katja", "Rozman")
    await fake_telegram.user_sends_text(katja, "/start")
    fake_telegram.enforce_limits(global_per_second=30, per_chat_per_second=1)
    async with application_builder(fake_telegram, max_retries=3).build() as application:
        started = time.monotonic()
        await asyncio.gather(
            application.bot.send_message(katja.id, "Vabilo 1"),
            application.bot.send_message(katja.id, "Vabilo 2"),
        )
        elapsed = time.monotonic() - started

    assert sorted(m.text or "" for m in fake_telegram.messages_in(katja)) == [
        "Vabilo 1",
        "Vabilo 2",
    ]
    assert fake_telegram.stats.rate_limited >= 1
    assert fake_telegram.stats.messages_delivered == 2
    assert elapsed >= 1.0


def test_flood_limit_retry_after_follows_the_sliding_window() -> None:
    now = [100.0]
    limits = FloodLimits(
        global_per_second=3,
        per_chat_per_second=1,
        per_group_per_minute=20,
        monotonic=lambda: now[0],
    )
    assert limits.check(5) is None
    limits.record(5)
    refused = limits.check(5)
    assert refused is not None and refused.error_code == 429
    assert refused.parameters == {"retry_after": 1}
    assert refused.description == "Too Many Requests: retry after 1"
    for chat in (6, 7):
        limits.record(chat)
    assert limits.check(8) is not None  # 3 per second overall are used up
    now[0] += 1.0
    assert limits.check(5) is None and limits.check(8) is None
    for _ in range(20):
        limits.record(-100)
    group_refusal = limits.check(-100)
    assert group_refusal is not None and group_refusal.parameters == {"retry_after": 60}


async def test_platform_refusals_reach_the_bot_as_the_right_exceptions(
    fake_telegram: FakeTelegram,
) -> None:
    lara = fake_telegram.user(1012, "Lara", "Petek")
    seen = Seen()
    async with polling(voting_bot(fake_telegram, seen)) as application:
        bot = application.bot
        with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
            await bot.send_message(lara.id, "Vabilo")
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(999_999, "Vabilo")
        await fake_telegram.user_sends_text(lara, "/start")
        await fake_telegram.wait_for_message(lara)
        with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "" at byte offset 4'):
            await bot.send_message(lara.id, "Rok < 12h", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r"(?i)character '\.' is reserved"):
            await bot.send_message(lara.id, "Seja 12.3.", parse_mode="MarkdownV2")
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            too_long = InlineKeyboardButton("ZA", callback_data="x" * 65)
            await bot.send_message(lara.id, "Glas", reply_markup=InlineKeyboardMarkup([[too_long]]))
        await fake_telegram.user_blocks_bot(lara)
        await fake_telegram.wait_until(lambda: seen.member_changes)
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(lara.id, "Opomnik")

    assert seen.member_changes == ["kicked"]


async def test_commands_webhook_actions_and_chat(fake_telegram: FakeTelegram) -> None:
    mojca = fake_telegram.user(1013, "Mojca", "Žagar", username="mojca_z")
    await fake_telegram.user_sends_text(mojca, "/start")
    async with Bot(fake_telegram.token, base_url=fake_telegram.base_url) as bot:
        me = await bot.get_me()
        await bot.set_my_commands(
            [("start", "Začetek"), ("glasuj", "Glasovanje")], language_code="sl"
        )
        commands = await bot.get_my_commands(language_code="sl")
        await bot.set_webhook("https://sejabot.example/hook")
        info = await bot.get_webhook_info()
        with pytest.raises(TelegramError, match="webhook is active"):
            await bot.get_updates()
        await bot.delete_webhook()
        await bot.send_chat_action(mojca.id, "upload_document")
        chat = await bot.get_chat(mojca.id)
        sent = await bot.send_message(mojca.id, "Začasno")
        await bot.delete_message(mojca.id, sent.message_id)

    assert me.username == fake_telegram.bot.username and me.is_bot
    assert [(c.command, c.description) for c in commands] == [
        ("start", "Začetek"),
        ("glasuj", "Glasovanje"),
    ]
    assert fake_telegram.commands(language_code="sl")[1]["command"] == "glasuj"
    assert info.url == "https://sejabot.example/hook" and info.pending_update_count == 1
    assert fake_telegram.webhook.url == ""
    assert fake_telegram.chat_actions(mojca) == ["upload_document"]
    assert (chat.first_name, chat.username, chat.type) == ("Mojca", "mojca_z", "private")
    assert fake_telegram.last_message(mojca) is None
    assert fake_telegram.message(mojca, sent.message_id).deleted


async def test_raw_wire_formats_tokens_and_methods(fake_telegram: FakeTelegram) -> None:
    nina = fake_telegram.user(1014, "Nina", "Kovač")
    await fake_telegram.user_sends_text(nina, "/start")
    api = f"{fake_telegram.base_url}{fake_telegram.token}"
    keyboard = '{"inline_keyboard": [[{"text": "ZA", "callback_data": "za"}]]}'
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{api}/getMe") as response:
            assert response.status == 200
            me = await response.json()
        async with http.get(
            f"{api}/sendMessage", params={"chat_id": "1014", "text": "poizvedba"}
        ) as response:
            by_query = await response.json()
        async with http.post(
            f"{api}/sendMessage",
            data={"chat_id": "1014", "text": "obrazec", "reply_markup": keyboard},
        ) as response:
            by_form = await response.json()
        async with http.post(
            f"{api}/sendmessage",
            json={
                "chat_id": 1014,
                "text": "json",
                "reply_markup": {
                    "inline_keyboard": [[{"text": "PROTI", "callback_data": "proti"}]]
                },
            },
        ) as response:
            by_json = await response.json()
        form = aiohttp.FormData()
        form.add_field("chat_id", "1014")
        form.add_field("document", b"a;b\n1;2\n", filename="glasovi.csv", content_type="text/csv")
        async with http.post(f"{api}/sendDocument", data=form) as response:
            by_multipart = await response.json()
        file_id = by_multipart["result"]["document"]["file_id"]
        async with http.get(f"{api}/getFile", params={"file_id": file_id}) as response:
            file_path = (await response.json())["result"]["file_path"]
        async with http.get(
            f"{fake_telegram.base_file_url}{fake_telegram.token}/{file_path}"
        ) as response:
            downloaded = await response.read()
        async with http.post(f"{fake_telegram.base_url}123:wrong/getMe") as response:
            wrong_token = (response.status, await response.json())
        async with http.post(f"{fake_telegram.base_url}not-a-token/getMe") as response:
            malformed_token = response.status
        async with http.post(f"{api}/sendTelepathy") as response:
            unknown_method = (response.status, await response.json())
        async with http.post(
            f"{api}/sendMessage", data={"chat_id": "1014", "text": "x", "reply_markup": "{"}
        ) as response:
            broken_json = (response.status, await response.json())

    assert me["ok"] is True and me["result"]["is_bot"] is True
    assert by_query["result"]["text"] == "poizvedba"
    assert by_form["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "za"
    assert by_json["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "PROTI"
    assert by_multipart["result"]["document"]["file_name"] == "glasovi.csv"
    assert downloaded == b"a;b\n1;2\n"
    assert wrong_token == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    assert malformed_token == 404
    assert unknown_method == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    assert broken_json[0] == 400
    assert (
        broken_json[1]["description"]
        == "Bad Request: can't parse reply keyboard markup JSON object"
    )
    assert [m.text for m in fake_telegram.messages_in(nina)][:3] == ["poizvedba", "obrazec", "json"]


async def test_a_second_poller_ends_the_first_with_conflict(fake_telegram: FakeTelegram) -> None:
    async with (
        Bot(fake_telegram.token, base_url=fake_telegram.base_url) as first_instance,
        Bot(fake_telegram.token, base_url=fake_telegram.base_url) as second_instance,
    ):
        first = asyncio.create_task(first_instance.get_updates(timeout=10))
        await asyncio.sleep(0.2)
        second = await second_instance.get_updates(timeout=0)
        with pytest.raises(TelegramError, match="terminated by other getUpdates request"):
            await asyncio.wait_for(first, 5)
    assert second == ()


async def test_edits_keyboards_and_utf16_entities(fake_telegram: FakeTelegram) -> None:
    olga = fake_telegram.user(1015, "Olga", "Šuštar")
    await fake_telegram.user_sends_text(olga, "/start")
    vote = InlineKeyboardMarkup([[InlineKeyboardButton("ZA", callback_data="za")]])
    async with Bot(fake_telegram.token, base_url=fake_telegram.base_url) as bot:
        sent = await bot.send_message(
            olga.id, "Glasovanje 🗳 <b>ZA</b> ali proti?", parse_mode="HTML", reply_markup=vote
        )
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_reply_markup(olga.id, sent.message_id, reply_markup=vote)
        closed = InlineKeyboardMarkup([[InlineKeyboardButton("Zaprto", callback_data="closed")]])
        await bot.edit_message_reply_markup(olga.id, sent.message_id, reply_markup=closed)
        shown = ReplyKeyboardMarkup([["Prisoten", "Odsoten"]], one_time_keyboard=True)
        await bot.send_message(olga.id, "Navzočnost?", reply_markup=shown)
        keyboard_while_asking = fake_telegram.reply_keyboard(olga)
        await bot.send_message(olga.id, "Hvala.", reply_markup=ReplyKeyboardRemove())

    # PTB reads the entity back from UTF-16 offsets: the emoji counts as two units.
    assert sent.parse_entities() == {sent.entities[0]: "ZA"}
    assert sent.entities[0].offset == 14
    message = fake_telegram.message(olga, sent.message_id)
    assert message.button_texts == ["Zaprto"] and message.edit_count == 1
    assert keyboard_while_asking is not None
    assert keyboard_while_asking["keyboard"][0][0]["text"] == "Prisoten"
    assert fake_telegram.reply_keyboard(olga) is None
    with pytest.raises(AssertionError, match="has no button 'ZA'"):
        await fake_telegram.user_presses_labelled(olga, sent.message_id, "ZA")
    press = await fake_telegram.user_presses_labelled(olga, sent.message_id, "Zaprto")
    assert press.data == "closed" and press.message.message_id == sent.message_id
    assert [u.kind for u in fake_telegram.update_log] == ["message", "callback_query"]


def test_formatting_matches_the_platform() -> None:
    text, entities = parse_html(
        "<b>Sklep</b> št. <i>5</i> &amp; <a href='https://x.si'>gradivo</a>"
    )
    assert text == "Sklep št. 5 & gradivo"
    assert [(e["type"], e["offset"], e["length"]) for e in entities] == [
        ("bold", 0, 5),
        ("italic", 10, 1),
        ("text_link", 14, 7),
    ]
    text, entities = parse_markdown_v2(r"*Rok:* 12\.3\. ob 12:00 \- ||skrito||")
    assert text == "Rok: 12.3. ob 12:00 - skrito"
    assert [e["type"] for e in entities] == ["bold", "spoiler"]
    with pytest.raises(ApiError, match=r"Character '-' is reserved"):
        parse_markdown_v2("Seja - izredna")
    with pytest.raises(ApiError, match=r'Unsupported start tag "br" at byte offset 5'):
        parse_html("Vrsta<br>nova")
    assert formatted_text("  <b> Sklep </b>\n", "HTML", None) == (
        "Sklep",
        [{"type": "bold", "offset": 0, "length": 5}],
    )


async def test_allowed_updates_drop_unwanted_kinds_from_then_on(
    fake_telegram: FakeTelegram,
) -> None:
    petra = fake_telegram.user(1016, "Petra", "Hribar")
    await fake_telegram.user_sends_text(petra, "pred nastavitvijo")
    async with Bot(fake_telegram.token, base_url=fake_telegram.base_url) as bot:
        before = await bot.get_updates(allowed_updates=["callback_query"])
        await fake_telegram.user_sends_text(petra, "po nastavitvi")
        after = await bot.get_updates(offset=before[-1].update_id + 1)

    # The setting does not touch updates created before it, and drops later unwanted ones.
    assert [u.message.text for u in before if u.message] == ["pred nastavitvijo"]
    assert after == ()


@pytest.mark.asyncio(loop_scope="session")
async def test_session_loop_fixture_serves_tests_in_the_session_loop(
    fake_telegram_in_session_loop: FakeTelegram,
) -> None:
    fake = fake_telegram_in_session_loop
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        me = await bot.get_me()
    assert me.id == fake.bot.id


async def test_an_outage_is_a_network_error_and_the_platform_comes_back_unchanged(
    fake_telegram: FakeTelegram,
) -> None:
    rok = fake_telegram.user(1017, "Rok", "Zorko")
    await fake_telegram.user_sends_text(rok, "/start")
    url = fake_telegram.url
    async with Bot(fake_telegram.token, base_url=fake_telegram.base_url) as bot:
        await bot.send_message(rok.id, "Pred izpadom")
        await fake_telegram.stop()
        with pytest.raises(NetworkError):
            await bot.send_message(rok.id, "Med izpadom")
        await fake_telegram.start()
        await bot.send_message(rok.id, "Po izpadu")

    assert fake_telegram.url == url
    assert [m.text for m in fake_telegram.messages_in(rok)] == ["Pred izpadom", "Po izpadu"]
