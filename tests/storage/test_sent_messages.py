"""The bot's messages with choices: what they offer, what they withdrew, what they never had."""

from __future__ import annotations

import aiosqlite

from bot.domain.models import Platform
from storage.database import Database
from storage.repositories.sent_messages import ChoiceStanding, secret_stem
from tests.storage.factories import at

TELEGRAM, MATRIX = Platform.TELEGRAM, Platform.MATRIX


async def test_a_message_offers_its_choices_in_its_own_chat_only(db: Database) -> None:
    async with db.transaction() as repos:
        await repos.sent_messages.offered(
            TELEGRAM, "7001", "12", ["cs:v:3:za", "cs:v:3:proti"], at(0)
        )
    read = db.read.sent_messages
    assert await read.standing(TELEGRAM, "7001", "12", "cs:v:3:za") is ChoiceStanding.OFFERED
    assert await read.standing(TELEGRAM, "7001", "12", "cs:s:3:za") is ChoiceStanding.NEVER_OFFERED
    # The same message id in another chat (a forwarded copy), or on the other platform.
    assert await read.standing(TELEGRAM, "7002", "12", "cs:v:3:za") is ChoiceStanding.NO_MESSAGE
    assert await read.standing(MATRIX, "7001", "12", "cs:v:3:za") is ChoiceStanding.NO_MESSAGE
    assert await read.is_recorded(TELEGRAM, "7001", "12")
    assert not await read.is_recorded(TELEGRAM, "7001", "13")


async def test_an_edit_replaces_the_choices_and_withdraws_the_old_ones(db: Database) -> None:
    async with db.transaction() as repos:
        await repos.sent_messages.offered(
            MATRIX, "!room:ex", "$poll", ["lex:1:1:0", "lex:1:1:1"], at(0)
        )
        await repos.sent_messages.offered(
            MATRIX, "!room:ex", "$poll", ["lex:1:1:1", "lex:1:1:3"], at(1)
        )
    read = db.read.sent_messages
    assert await read.standing(MATRIX, "!room:ex", "$poll", "lex:1:1:0") is ChoiceStanding.WITHDRAWN
    assert await read.standing(MATRIX, "!room:ex", "$poll", "lex:1:1:1") is ChoiceStanding.OFFERED
    assert await read.standing(MATRIX, "!room:ex", "$poll", "lex:1:1:3") is ChoiceStanding.OFFERED
    async with db.transaction() as repos:
        assert await repos.sent_messages.withdraw(MATRIX, "!room:ex", "$poll") == 2
        assert await repos.sent_messages.withdraw(MATRIX, "!room:ex", "$poll") == 0
    assert await read.standing(MATRIX, "!room:ex", "$poll", "lex:1:1:3") is ChoiceStanding.WITHDRAWN


async def test_several_messages_of_a_chat_are_withdrawn_at_once(db: Database) -> None:
    async with db.transaction() as repos:
        for message_id in ("40", "41", "42"):
            await repos.sent_messages.offered(TELEGRAM, "7001", message_id, ["cs:s:3:za"], at(0))
        await repos.sent_messages.offered(TELEGRAM, "7002", "40", ["cs:s:3:za"], at(0))
        assert await repos.sent_messages.withdraw(TELEGRAM, "7001", "40", "42") == 2
        assert await repos.sent_messages.withdraw(TELEGRAM, "7001") == 0
    read = db.read.sent_messages
    standings = [await read.standing(TELEGRAM, chat, message, "cs:s:3:za")
                 for chat, message in (("7001", "40"), ("7001", "41"), ("7001", "42"), ("7002", "40"))]  # fmt: skip
    assert standings == [ChoiceStanding.WITHDRAWN, ChoiceStanding.OFFERED,
                         ChoiceStanding.WITHDRAWN, ChoiceStanding.OFFERED]  # fmt: skip


async def test_prune_forgets_old_messages_with_their_choices(
    db: Database, raw: aiosqlite.Connection
) -> None:
    async with db.transaction() as repos:
        await repos.sent_messages.offered(TELEGRAM, "1", "1", ["a:1"], at(0))
        await repos.sent_messages.offered(TELEGRAM, "1", "2", ["a:2"], at(10))
        assert await repos.sent_messages.prune(at(5)) == 1
    read = db.read.sent_messages
    assert await read.standing(TELEGRAM, "1", "1", "a:1") is ChoiceStanding.NO_MESSAGE
    assert await read.standing(TELEGRAM, "1", "2", "a:2") is ChoiceStanding.OFFERED
    rows = await raw.execute_fetchall("SELECT payload FROM sent_message_choices")
    assert [row[0] for row in rows] == ["a:2"]  # the choices went with their message


async def test_a_secret_choice_is_kept_as_its_stem_and_any_choice_of_the_stem_counts(
    db: Database,
) -> None:
    async with db.transaction() as repos:
        await repos.sent_messages.offered(
            TELEGRAM, "7001", "30", [secret_stem("lvc:4:1:za"), "lvn:4:1"]
        )
    dump = await db.read.sent_messages.offering(["lvc:4:1"])
    assert dump == [(TELEGRAM, "7001", "30")]
    read = db.read.sent_messages
    assert await read.standing(TELEGRAM, "7001", "30", "lvc:4:1:za") is ChoiceStanding.OFFERED
    assert await read.standing(TELEGRAM, "7001", "30", "lvc:4:1:proti") is ChoiceStanding.OFFERED
    assert await read.standing(TELEGRAM, "7001", "30", "lvc:4:2:za") is ChoiceStanding.NEVER_OFFERED
    assert secret_stem("lvc:4:1:za") == "lvc:4:1:*"
    async with db.transaction() as repos:
        await repos.sent_messages.withdraw(TELEGRAM, "7001", "30")
    assert await read.standing(TELEGRAM, "7001", "30", "lvc:4:1:za") is ChoiceStanding.WITHDRAWN
