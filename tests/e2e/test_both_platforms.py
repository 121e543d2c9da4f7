"""One bot serving members on Telegram and on Matrix at once (real Synapse, fake Bot API)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.domain.models import Platform
from bot.linking.codes import issue_codes
from bot.transport.events import OutgoingFile, OutgoingMessage
from tests.support.harness import BotHarness, MatrixMember

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

MARKO = "marko.zupancic@gornji-grad.example"
TANJA = "tanja.kocevar@gornji-grad.example"
CLERK = "vesna.hribernik@gornji-grad.example"


@pytest_asyncio.fixture(loop_scope="session")
async def harness(synapse, matrix_users, tmp_path: Path) -> AsyncIterator[BotHarness]:  # type: ignore[no-untyped-def]
    harness = await BotHarness.start(synapse, matrix_users, tmp_path)
    try:
        yield harness
    finally:
        await harness.close()


async def test_members_link_and_get_help_on_either_platform(harness: BotHarness) -> None:
    marko = await harness.member(MARKO, Platform.TELEGRAM)
    tanja = await harness.member(TANJA, Platform.MATRIX)
    await marko.say("/pomoc")
    assert "/jezik" in (await marko.expect("/jezik")).text
    await tanja.say("!pomoc")
    matrix_help = await tanja.expect("!jezik")
    assert "številko odgovora" in matrix_help.text  # the text fallback is explained on Matrix


async def test_language_choice_by_poll_and_by_typed_number(harness: BotHarness) -> None:
    tanja = await harness.member(TANJA, Platform.MATRIX)
    await tanja.say("!jezik")
    await tanja.expect(lambda seen: ("English", "lang:en") in seen.choices)
    await tanja.choose("English")
    await tanja.expect("Language set to English.")
    await tanja.say("!jezik")
    await tanja.expect(lambda seen: ("Slovenščina", "lang:sl") in seen.choices)
    await tanja.say("1")  # the text fallback: the number of the answer
    await tanja.expect("Izbrali ste slovenščino.")


async def test_unknown_input_gets_a_hint_on_matrix(harness: BotHarness) -> None:
    tanja = await harness.member(TANJA, Platform.MATRIX)
    await tanja.say("kaj pa zdaj")
    assert "!pomoc" in (await tanja.expect("ne razumem")).text


async def test_a_member_linked_on_both_platforms_is_one_person(harness: BotHarness) -> None:
    marko = await harness.member(MARKO, Platform.TELEGRAM)
    # A second code for the same person, redeemed from Matrix.
    fresh = await issue_codes(harness.db, harness.clock(), 14, include_linked=True)
    harness.world.codes[MARKO] = next(item.code for item in fresh if item.person.email == MARKO)
    marko_on_matrix = await harness.member(MARKO, Platform.MATRIX)
    assert isinstance(marko_on_matrix, MatrixMember)

    accounts = await harness.db.read.accounts.list_for_person(harness.world.person_ids[MARKO])
    assert sorted(account.platform for account in accounts) == ["matrix", "telegram"]

    # A file sent to the person reaches both of their chats.
    assert harness.runtime is not None
    pdf = b"%PDF-1.4\n% vabilo\n"
    await harness.runtime.messenger.send_to_person(
        harness.world.person_ids[MARKO],
        OutgoingMessage(
            html="Vabilo na sejo", files=(OutgoingFile("vabilo.pdf", "application/pdf", pdf),)
        ),
    )
    telegram_file = await marko.expect(lambda seen: seen.file is not None)
    assert telegram_file.file == ("vabilo.pdf", pdf)
    matrix_file = await marko_on_matrix.expect(lambda seen: seen.file is not None)
    assert matrix_file.file is not None and matrix_file.file[0] == "vabilo.pdf"


async def test_clerk_on_matrix_sees_platforms_of_linked_members(harness: BotHarness) -> None:
    await harness.member(MARKO, Platform.TELEGRAM)
    await harness.member(TANJA, Platform.MATRIX)
    clerk = await harness.member(CLERK, Platform.MATRIX)
    await clerk.say("!povezani")
    listing = await clerk.expect("Zupančič Marko")
    assert "Zupančič Marko: Telegram" in listing.text
    assert "Kočevar Tanja: Matrix" in listing.text
    assert "Hribernik Vesna: Matrix" in listing.text


async def test_a_restart_on_matrix_neither_loses_nor_replays(harness: BotHarness) -> None:
    tanja = await harness.member(TANJA, Platform.MATRIX)
    await harness.stop_bot()
    await tanja.say("!pomoc")  # sent while the bot is down
    await harness.start_bot()
    await tanja.expect("!jezik", timeout=30)
    await harness.restart_bot()
    await tanja.say("!jezik")
    await tanja.expect(lambda seen: bool(seen.choices), timeout=30)
    helps = [
        seen
        for seen in tanja.seen()
        if "!jezik —" in seen.text or "!jezik" in seen.text and "pomoc" in seen.text
    ]
    print("\n---\n".join(seen.text for seen in tanja.seen()))  # in full, if the count is wrong
    assert len(helps) == 2  # after linking, and the one /pomoc
