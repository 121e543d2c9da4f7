"""Bad input in the chat, through the real stack: python-telegram-bot against the fake Bot API.

Overlong messages (50,000 characters, and Telegram's own 4096 on either side of the edge),
control characters, Unicode line separators, zero-width and right-to-left marks, emoji, an
invitation code typed in full-width characters, files of the wrong type or size sent to the
secretariat's questionnaire upload and to the clerk's correspondence-session materials, and a
feature that fails half-way. Each gets its clear Slovenian answer as the very next message, the
bot still answers the next normal message, and the database holds exactly what it held before
(only the records of the traffic itself are new: each update's dedup mark, the bot's messages
that offer buttons).
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import struct
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio

from bot.correspondence.create import MAX_MATERIAL_BYTES
from bot.runtime import Runtime
from bot.surveys.store import MAX_DEFINITION_BYTES
from bot.transport.telegram import TelegramTransport
from handlers.context import HandlerContext
from tests.support.fake_telegram import FakeMessage, FakeTelegram, FakeUser
from tests.support.fake_telegram.clock import PlatformClock
from tests.support.harness import ManualClock
from tests.support.world import RosterWorld, roster_world

pytestmark = [pytest.mark.e2e]

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # Monday, 10.00 in Ljubljana
COUNCILLOR = "marko.zupancic@gornji-grad.example"
CLERK = "vesna.hribernik@gornji-grad.example"
SECRETARIAT = "irena.vodopivec@skupnostobcin.example"
PDF = b"%PDF-1.4\n% gradivo\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"  # cut short: no image
QUESTIONNAIRE = (
    "title: Seje na daljavo\n"
    "deadline: 18. 11. 2026 ob 12.00\n"
    "questions:\n"
    "  - key: izvedba\n"
    "    kind: yes_no\n"
    "    text: Ali ste že izvedli sejo na daljavo?\n"
)
TOO_LONG = (
    "Vaše sporočilo je predolgo (število znakov: {length}); bot bere sporočila z največ 4096 znaki"
)
NOT_UNDERSTOOD = "Tega sporočila ne razumem. Pošljite /pomoc"
# Records of the traffic itself, whatever its content: that an update was handled, and which
# of the bot's own messages offer buttons (written just after such a message is sent), and the
# replies kept until they are delivered, and wrong linking codes counted against guessing.
CHANGING_WITH_EVERY_UPDATE = frozenset(
    {
        "processed_updates",
        "sent_messages",
        "sent_message_choices",
        "pending_replies",
        "pending_reply_choices",
        "linking_attempts",
    }
)


class Bot:
    """The runtime on the fake Telegram server, its clock frozen at NOW."""

    def __init__(self, fake: FakeTelegram, world: RosterWorld) -> None:
        self.fake = fake
        self.world = world
        self.clock = ManualClock()
        self.clock.freeze(NOW)
        self.runtime: Runtime | None = None
        self._ids = itertools.count(8001)

    async def start(self) -> None:
        transport = TelegramTransport(
            self.fake.token,
            base_url=self.fake.base_url,
            base_file_url=self.fake.base_file_url,
            poll_timeout=1,
            retry_delay=0.05,
        )
        self.runtime = Runtime(self.world.db, [transport], clock=self.clock)
        await self.runtime.start()

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None

    def stranger(self) -> FakeUser:
        return self.fake.user(next(self._ids), "Neznan", "Človek")

    async def link(self, email: str) -> FakeUser:
        person = await self.world.db.read.persons.get(self.world.person_ids[email])
        assert person is not None
        user = self.fake.user(next(self._ids), person.name, person.surname)
        await self.fake.user_sends_text(user, f"/start {self.world.code_of(email)}")
        await self.fake.wait_for_message(user, lambda m: "pomoc" in (m.text or ""))
        return user

    async def answer(self, user: FakeUser, fragment: str) -> FakeMessage:
        """The bot's very next message to ``user``, which must contain ``fragment``."""
        message = await self.fake.wait_for_message(user, timeout=15)
        assert fragment in message.visible_text, message.visible_text[:500]
        return message

    async def reached(self, user: FakeUser, fragment: str) -> FakeMessage:
        """Read on to the bot's message with ``fragment`` in its text or on a button."""
        return await self.fake.wait_for_message(
            user, lambda m: fragment in m.visible_text or fragment in m.button_texts, timeout=15
        )

    async def button(self, user: FakeUser, label: str) -> FakeMessage:
        """The newest message showing a button ``label`` (waiting for one)."""

        def newest() -> FakeMessage | None:
            return next(
                (m for m in reversed(self.fake.messages_in(user)) if label in m.button_texts), None
            )

        return await self.fake.wait_until(newest, 15)

    async def press(self, user: FakeUser, label: str) -> None:
        message = await self.button(user, label)
        await self.fake.user_presses_labelled(user, message.message_id, label)

    async def tables(self) -> dict[str, list[tuple[object, ...]]]:
        """Every row of every table but the per-update dedup record, read beside the bot."""
        return await asyncio.to_thread(_dump, self.world.db.path)


def tiny_png() -> bytes:
    """A 1x1 PNG: a photo as phones send them."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            name: sorted(connection.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
            for name in names
            if name not in CHANGING_WITH_EVERY_UPDATE
        }
    finally:
        connection.close()


@pytest_asyncio.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    world = await roster_world(tmp_path / "sejabot.sqlite3")
    platform_clock = PlatformClock()
    platform_clock.freeze(NOW)
    async with FakeTelegram(clock=platform_clock) as fake:
        running = Bot(fake, world)
        await running.start()
        try:
            yield running
        finally:
            await running.stop()
            await world.db.close()


async def test_overlong_and_strange_messages_are_answered_and_change_nothing(bot: Bot) -> None:
    marko = await bot.link(COUNCILLOR)
    before = await bot.tables()

    await bot.fake.user_sends_text(marko, "Pozdravljeni! " * 3572)
    await bot.answer(marko, TOO_LONG.format(length=50_007))  # without the final space
    await bot.fake.user_sends_text(marko, "a" * 4097)  # one more than Telegram delivers
    await bot.answer(marko, TOO_LONG.format(length=4097))
    await bot.fake.user_sends_text(marko, "a" * 4096)  # Telegram's limit: read as any message
    await bot.answer(marko, NOT_UNDERSTOOD)
    for strange in (
        "\x00\x07 dober dan \x1b[31m\x7f",  # control characters
        "glasujem\u2028ZA\u2029\x85",  # Unicode line and paragraph separators, NEL
        "\u200f\u200b\u202e\u2060",  # nothing but invisible marks
        "مرحبا \u200fZA\u200f",  # right-to-left text around a vote word
        "👍👨‍👩‍👧🇸🇮\U0001f3fd",  # emoji with joiners, a flag and a skin tone
        "c\u030cas je z\u030ce",  # decomposed č and ž
        "/pomoc\x00",  # a command with a NUL after it
    ):
        await bot.fake.user_sends_text(marko, strange)
        await bot.answer(marko, "/pomoc")

    assert await bot.tables() == before
    await bot.fake.user_sends_text(marko, "/pomoc")
    await bot.answer(marko, "Tukaj lahko:")


async def test_a_code_in_full_width_characters_links_and_a_wrong_one_is_refused(bot: Bot) -> None:
    # A keyboard set to full width (Japanese, Chinese) turns K7PM-3QXR-WZ into ＫＭ７…
    stranger = bot.stranger()
    before = await bot.tables()
    await bot.fake.user_sends_text(stranger, "/start Ｋ７ＰＭ－３ＱＸＲ－ＷＺ")
    await bot.answer(stranger, "Ta koda ni veljavna. Preverite jo in jo pošljite znova")
    await bot.fake.user_sends_text(stranger, "Ｋ７ＰＭ－３ＱＸＲ－ＷＺ" * 3)  # no code at all
    await bot.answer(stranger, "pošljite kodo povabila")
    await bot.fake.user_sends_text(stranger, "\u200bＡＢ")
    await bot.answer(stranger, "pošljite kodo povabila")
    assert await bot.tables() == before

    code = bot.world.code_of(COUNCILLOR)
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else "－" for c in code)
    await bot.fake.user_sends_text(stranger, f"\u200f{wide}\u200f")
    await bot.answer(stranger, "Dobrodošli, Marko Zupančič.")
    linked = await bot.world.db.read.persons.get(bot.world.person_ids[COUNCILLOR])
    assert linked is not None
    assert await bot.world.db.read.accounts.list_for_person(linked.id or 0)


async def test_questionnaire_files_of_the_wrong_type_or_size_are_refused(bot: Bot) -> None:
    irena = await bot.link(SECRETARIAT)
    before = await bot.tables()

    await bot.fake.user_sends_document(irena, "anketa.pdf", PDF, "application/pdf")
    await bot.answer(
        irena,
        "Datoteka anketa.pdf ni vprašalnik, zato je nismo shranili. "
        "Vprašalnik je besedilna datoteka YAML",
    )
    await bot.fake.user_sends_document(
        irena,
        "anketa.docx",
        b"PK\x03\x04word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    await bot.answer(irena, "Datoteka anketa.docx ni vprašalnik")
    await bot.fake.user_sends_photo(irena, tiny_png())
    await bot.answer(irena, "Datoteka photo.jpg ni vprašalnik")
    big = QUESTIONNAIRE.encode() + b"# " + b"x" * MAX_DEFINITION_BYTES
    await bot.fake.user_sends_document(irena, "anketa.yaml", big, "application/x-yaml")
    await bot.answer(irena, "Datoteka je prevelika za vprašalnik (največ 256 kB).")
    await bot.fake.user_sends_document(irena, "slika.yaml", PNG, "application/x-yaml")
    await bot.answer(irena, "Datoteka slika.yaml ni besedilna datoteka v kodiranju UTF-8")
    broken = QUESTIONNAIRE.replace("na daljavo?", "na daljavo\x07?").encode()
    await bot.fake.user_sends_document(irena, "anketa.yaml", broken, "application/x-yaml")
    await bot.answer(
        irena, "Vrstica 6: Datoteka vsebuje znak U+0007, neviden kontrolni ali pokvarjen znak"
    )
    tabbed = QUESTIONNAIRE.replace("    kind", "\tkind").encode()
    await bot.fake.user_sends_document(irena, "anketa.yaml", tabbed, "application/x-yaml")
    await bot.answer(irena, "Vrstica 5: To vrstico zamika tabulator")
    await bot.fake.user_sends_document(
        irena, "anketa.yml", b"questions: " + b"[" * 5000, "text/yaml"
    )
    await bot.answer(irena, "Datoteka gnezdi sezname ali pogoje na stotine ravni globoko")
    await bot.fake.user_sends_text(irena, QUESTIONNAIRE * 600)  # pasted instead of sent as a file
    await bot.answer(irena, TOO_LONG.format(length=len(QUESTIONNAIRE) * 600 - 1))
    await bot.fake.user_sends_text(irena, "/porocilo_ankete #" + "9" * 4000)
    await bot.answer(irena, "Takšnega povpraševanja ni.")
    assert await bot.tables() == before

    await bot.fake.user_sends_document(
        irena, "anketa.yaml", QUESTIONNAIRE.encode(), "application/x-yaml"
    )
    await bot.answer(irena, "Predogled povpraševanja")


async def test_the_clerks_draft_survives_bad_titles_files_and_deadlines(bot: Bot) -> None:
    vesna = await bot.link(CLERK)
    fake = bot.fake
    await fake.user_sends_text(vesna, "/nova_dopisna")
    await bot.press(vesna, "Občinski svet Občine Gornji Grad")
    await bot.reached(vesna, "Napišite naslov seje")
    before = await bot.tables()
    await fake.user_sends_document(vesna, "gradivo.pdf", PDF, "application/pdf")  # too early
    await bot.answer(
        vesna, "Datoteke zdaj ne pričakujemo; gradivo pride na vrsto za predlogi sklepov."
    )
    await bot.answer(vesna, "Napišite naslov seje")  # and the question is asked again
    await fake.user_sends_text(vesna, "Dopisna seja " * 4000)
    await bot.answer(vesna, TOO_LONG.format(length=len("Dopisna seja " * 4000) - 1))
    await fake.user_sends_text(vesna, "x" * 1000)
    await bot.answer(vesna, "Naslov je daljši od 300 znakov.")
    assert await bot.tables() == before

    await fake.user_sends_text(vesna, "6. dopisna \x07seja\u200f")
    await bot.answer(vesna, "predloga sklepa 1")
    session = await bot.world.db.read.correspondence.drafts.get(bot.world.person_ids[CLERK])
    assert session is not None and session.session_id is not None
    stored = await bot.world.db.read.sessions.get(session.session_id)
    assert stored is not None and stored.title.startswith("6. dopisna seja")  # the bell is gone
    await fake.user_sends_text(vesna, "Občinski svet se seznani s poročilom.")
    await bot.press(vesna, "splošna zadeva")
    await bot.press(vesna, "Naprej na gradivo")
    await bot.reached(vesna, "Gradivo je popolno")

    before = await bot.tables()
    oversized = b"%PDF-1.4\n" + bytes(MAX_MATERIAL_BYTES)
    await fake.user_sends_document(vesna, "posnetek-seje.pdf", oversized, "application/pdf")
    await bot.answer(vesna, "Datoteka posnetek-seje.pdf je večja od 20 MB.")
    await fake.user_sends_text(vesna, "gradivo je v prilogi 📎")
    await bot.answer(vesna, "Pošljite datoteko ali pritisnite »Gradivo je popolno«")
    assert await bot.tables() == before

    await fake.user_sends_document(vesna, "porocilo.pdf", PDF, "application/pdf")
    await bot.answer(vesna, "Prejeto: porocilo.pdf")
    await bot.press(vesna, "Gradivo je popolno")
    await bot.answer(vesna, "Do kdaj traja seja")
    before = await bot.tables()
    for typed, answer in (
        ("1. 1. 0001 ob 0.30", "leto je zunaj dovoljenega obsega"),
        ("18. 11. 2026 ob 12.00 👍", "ni prepoznan kot datum in ura"),
        ("18. 11. 2026 ob 12.00 " + "in še " * 600, '…" ni prepoznan kot datum in ura'),
        ("31. 2. 2027 ob 12.00", "tak datum ne obstaja"),
        ("29. 3. 2026 ob 2.30", "ne obstaja"),
    ):
        await fake.user_sends_text(vesna, typed)
        message = await bot.answer(vesna, answer)
        assert len(message.visible_text) < 300
    assert await bot.tables() == before

    wide_with_a_mark = "\u200f１８. １１. ２０２６ ob １２.００"
    await fake.user_sends_text(vesna, wide_with_a_mark)
    summary = await bot.button(vesna, "Pošlji vabila")
    assert (
        "porocilo.pdf" in summary.visible_text and "18. 11. 2026 ob 12.00" in summary.visible_text
    )


async def test_a_program_is_not_accepted_as_meeting_material(bot: Bot) -> None:
    vesna = await bot.link(CLERK)
    fake = bot.fake
    await fake.user_sends_text(vesna, "/nova_dopisna")
    await bot.press(vesna, "Občinski svet Občine Gornji Grad")
    await fake.user_sends_text(vesna, "7. dopisna seja")
    await fake.user_sends_text(vesna, "Občinski svet se seznani s poročilom.")
    await bot.press(vesna, "splošna zadeva")
    await bot.press(vesna, "Naprej na gradivo")
    await bot.reached(vesna, "Gradivo je popolno")
    before = await bot.tables()
    await fake.user_sends_document(
        vesna, "gradivo.exe", b"MZ\x90\x00\x03" + bytes(64), "application/x-msdownload"
    )
    message = await fake.wait_for_message(vesna, timeout=15)
    assert "gradivo.exe" in message.visible_text and "Prejeto" not in message.visible_text
    assert await bot.tables() == before


async def test_a_feature_that_fails_stores_nothing_and_the_sender_is_told(bot: Bot) -> None:
    marko = await bot.link(COUNCILLOR)
    person_id = bot.world.person_ids[COUNCILLOR]

    async def half_done(ctx: HandlerContext) -> None:
        await ctx.repos.persons.set_language(person_id, "en")  # written, then the feature fails
        ctx.reply_text("Jezik je nastavljen.")
        raise RuntimeError("a defect in a feature")

    assert bot.runtime is not None
    bot.runtime.dispatcher._routes.command(("poskus",), half_done)  # a feature with a defect
    before = await bot.tables()
    await bot.fake.user_sends_text(marko, "/poskus")
    await bot.answer(
        marko,
        "Oprostite, pri obdelavi vašega sporočila je pri nas prišlo do napake, "
        "zato iz njega ni bilo nič shranjeno.",
    )
    assert await bot.tables() == before  # the language was not changed, no reply went out
    await bot.fake.user_sends_text(marko, "/pomoc")
    await bot.answer(marko, "Tukaj lahko:")
