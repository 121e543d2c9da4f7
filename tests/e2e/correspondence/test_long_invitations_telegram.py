"""Long invitations over Telegram (issue 15): resolutions of 3,500 characters with numbered
points on separate lines, in italics, with long names, sent to all 11 members of the council on
the fake Bot API, which refuses what Telegram refuses (unbalanced HTML, a text over 4,096
characters after parsing). Every part must be accepted, the buttons sit under the last part,
confirming receipt and voting edit that part only, and a refusal by the platform reaches the
clerk's delivery report with the platform's own reason, never as "no linked account".
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.correspondence.create import MotionDraft, SessionDraft, store_ready_session
from bot.domain.models import MotionCategory
from bot.transport.html_text import text_length
from storage.repositories.correspondence.progress import Source
from tests.e2e.correspondence.test_telegram import (
    CLERK,
    COUNCIL,
    DEADLINE,
    MEMBERS,
    NOW,
    Bot,
    has,
    with_button,
)
from tests.support.fake_telegram import FakeTelegram
from tests.support.world import RosterWorld, roster_world

pytestmark = [pytest.mark.e2e]

MOTIONS = 3
RESOLUTION_LENGTH = 3_500


def long_resolution(number: int) -> str:
    """Numbered points on their own lines, with characters HTML must escape, to 3,500."""
    points, point = [], 1
    while sum(len(p) + 1 for p in points) < RESOLUTION_LENGTH - 120:
        points.append(
            f"{point}. Občinski svet Občine Gornji Grad pooblašča župana & direktorja občinske "
            f"uprave <za> izvedbo ukrepa št. {number}.{point} (Šmiklavž, Žlabor, Čreta)."
        )
        point += 1
    text = "\n".join(points)
    return (text + "\n" + "Ta sklep velja takoj." + " " * RESOLUTION_LENGTH)[
        :RESOLUTION_LENGTH
    ].rstrip()


@pytest_asyncio.fixture
async def world(tmp_path: Path) -> AsyncIterator[RosterWorld]:
    world = await roster_world(tmp_path / "sejabot.sqlite3")
    yield world
    await world.db.close()


@pytest_asyncio.fixture
async def bot(world: RosterWorld) -> AsyncIterator[Bot]:
    async with FakeTelegram() as fake:
        bot = Bot(fake, world)
        await bot.start()
        yield bot
        await bot.stop()


async def convene_long(world: RosterWorld) -> int:
    body = await world.db.read.bodies.get_by_slug(COUNCIL)
    assert body is not None and body.id is not None
    draft = SessionDraft(
        body_id=body.id,
        title="7. dopisna seja Občinskega sveta o spremembah Odloka o občinskih cestah " * 2,
        deadline=DEADLINE,
        motions=tuple(
            MotionDraft(
                f"Predlog sklepa o spremembah in dopolnitvah Odloka o kategorizaciji {n}",
                long_resolution(n),
                MotionCategory.GENERAL,
            )
            for n in range(1, MOTIONS + 1)
        ),
    )
    async with world.db.transaction() as repos:
        session = await store_ready_session(repos, draft, now=NOW, source=Source.CLI)
    assert session.id is not None
    return session.id


async def test_a_long_invitation_reaches_all_11_members_in_valid_parts(bot: Bot) -> None:
    for email in [*MEMBERS, CLERK]:
        await bot.link(email)
    await convene_long(bot.world)
    await bot.run_due()

    report = await bot.expect(CLERK, has("je bilo poslano 11 od 11 članov"))
    assert "Vabilo so prejeli (11)" in report.text
    for email in MEMBERS:
        await bot.expect(email, with_button("Potrjujem prejem"))
        ballots = [m for m in bot.fake.messages_in(bot.users[email]) if "ZA" in m.button_texts]
        assert len(ballots) == MOTIONS
        texts = [m.text or "" for m in bot.fake.messages_in(bot.users[email])]
        assert all(text_length(text) <= 4096 for text in texts)
        whole = "\n".join(texts)
        for n in range(1, MOTIONS + 1):  # every point arrived, in italics across the parts
            assert f"izvedbo ukrepa št. {n}.1 " in whole and "<za>" in whole
    tally = next(m for m in bot.fake.messages_in(bot.users[CLERK]) if "Vabilo poslano" in m.text)
    assert "Vabilo poslano: 11 od 11" in tally.text
    # Each italic resolution continues in italics in the next part.
    marko = bot.users[MEMBERS[0]]
    italic = [
        e for m in bot.fake.messages_in(marko) for e in m.entities if e.get("type") == "italic"
    ]
    assert len(italic) > MOTIONS

    # Confirming receipt edits the part under which the button is; the parts before it stay.
    before = [(m.message_id, m.text) for m in bot.fake.messages_in(marko)]
    invitation = await bot.showing(MEMBERS[0], "Potrjujem prejem")
    await bot.press(MEMBERS[0], invitation, "Potrjujem prejem")
    await bot.expect(MEMBERS[0], has("Prejem vabila"))
    edited = await bot.fake.wait_until(
        lambda: (
            "Prejem ste potrdili" in bot.fake.message(marko, invitation.message_id).text
            and bot.fake.message(marko, invitation.message_id)
        ),
        15,
    )
    assert text_length(edited.text) <= 4096
    after = {m.message_id: m.text for m in bot.fake.messages_in(marko)}
    for message_id, text in before:
        if message_id != invitation.message_id:
            assert after[message_id] == text
    # Voting edits the ballot's last part too.
    ballot = await bot.showing(MEMBERS[0], "ZA")
    await bot.press(MEMBERS[0], ballot, "ZA")
    sure = await bot.expect(MEMBERS[0], with_button("Da, glasujem ZA"))
    await bot.press(MEMBERS[0], sure, "Da, glasujem ZA")
    await bot.expect(MEMBERS[0], has("Zabeleženo"))
    await bot.fake.wait_until(
        lambda: "ZA" not in bot.fake.message(marko, ballot.message_id).button_texts, 15
    )
    assert not any("parse entities" in m.text for m in bot.fake.messages_in(marko))


async def test_a_refusal_by_the_platform_is_reported_with_its_reason(bot: Bot) -> None:
    marko, tanja = MEMBERS[0], MEMBERS[1]
    for email in (marko, tanja, CLERK):
        await bot.link(email)
    tanja_id = bot.users[tanja].id
    refused = bot.fake.inject_fault(
        "sendMessage", 400, times=1,
        description="Bad Request: can't parse entities: unsupported start tag",
        when=lambda params: str(params.get("chat_id")) == str(tanja_id),
    )  # fmt: skip
    await convene_long(bot.world)
    await bot.run_due()

    report = await bot.expect(CLERK, has("je bilo poslano 1 od 11 članov"))
    assert "Platforma za klepet je sporočilo zavrnila (1)" in report.text
    assert "tanja kočevar: can't parse entities" in report.text.lower()  # the platform's words
    assert (
        "Brez povezanega računa (9)" in report.text
        and "Tanja" not in report.text.split("Brez povezanega računa")[1].split("\n")[0]
    )
    assert refused.served == 1
    await bot.run_due()  # a refusal is not tried again
    assert not [
        m for m in bot.fake.messages_in(bot.users[tanja]) if "Potrjujem prejem" in m.button_texts
    ]
