"""The SOS questionnaire of 2020 answered again, over Telegram and Matrix at once, by the 39
municipalities that answered it then, each scripted from its published answer
(tests/data/sos-2020-answers.yaml). The report must come out as the secretariat's did:
10 / 7 / 22 by the first answer, and the same tool tallies.

One bot (real Telegram adapter on the fake Bot API, real Matrix adapter on a real Synapse); every
third municipality answers from an encrypted Matrix room, the others from Telegram. The clocks are
real here: Matrix stamps its events itself, so the deadline lies three days ahead.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
import yaml

from bot.domain.models import Platform
from bot.i18n import Translator
from bot.reports.document import Heading, Table
from bot.surveys.report_document import build_document, render_report, tallies
from bot.surveys.reports import load_report_data
from bot.timeutil import LJUBLJANA
from tests.support.harness import BotHarness, MatrixMember, TelegramMember

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

ROOT = Path(__file__).resolve().parents[3]
SOS_2020 = ROOT / "config" / "surveys" / "sos-2020-seje-na-daljavo.yaml"
ANSWERS = yaml.safe_load((ROOT / "tests" / "data" / "sos-2020-answers.yaml").read_text("utf-8"))
IRENA = "irena.vodopivec@skupnostobcin.example"
FIRST = {"da": "DA", "kmalu": "NISMO ŠE, BOMO V KRATKEM", "ne": "NE"}
TOOLS = {"zoom": "Zoom", "skype": "Skype", "webex": "Cisco Webex Meeting", "teams": "MS Teams"}
SKIP = "Preskoči"
MATRIX_EVERY = 3  # every third municipality answers from Matrix

Member = TelegramMember | MatrixMember


def contact_email(number: int) -> str:
    return f"kontakt{number}@obcina{number}.example"


def write_roster(path: Path) -> Path:
    """The SOS secretariat and one contact for each of the 39 municipalities."""
    lines = [
        "ime;priimek;vloga;organ;e-pošta;telefon;telegram;matrix;občina",
        f"Irena;Vodopivec;sekretariat;Skupnost občin Slovenije;{IRENA};02 555 02 01;;;",
    ]
    for number, entry in enumerate(ANSWERS):
        town = entry["name"].removeprefix("Mestna občina ").removeprefix("Občina ")
        lines.append(
            f"Kontakt;{town};kontaktna oseba;Skupnost občin Slovenije;{contact_email(number)};;;;{entry['name']}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest_asyncio.fixture(loop_scope="session")
async def harness(synapse, matrix_users, tmp_path: Path) -> AsyncIterator[BotHarness]:  # type: ignore[no-untyped-def]
    harness = await BotHarness.start(
        synapse, matrix_users, tmp_path, roster=write_roster(tmp_path / "sos.csv")
    )
    try:
        yield harness
    finally:
        await harness.close()


def choice(label: str):  # type: ignore[no-untyped-def]
    """A message (Telegram) or poll (Matrix) that offers ``label``."""
    return lambda seen: any(offered == label for offered, _ in seen.choices)


def question_with(text: str, label: str):  # type: ignore[no-untyped-def]
    """The question's own message (Telegram) or poll (Matrix): its text with that button."""
    return lambda seen: text in seen.text and any(offered == label for offered, _ in seen.choices)


async def press(member: Member, label: str) -> None:
    await member.expect(choice(label), timeout=60)
    await member.choose(label)


async def write_or_skip(member: Member, question: str, text: str | None) -> None:
    await member.expect(question_with(question, SKIP), timeout=60)
    if text:
        await member.say(text)
    else:
        await member.choose(SKIP)


async def answer_as_published(member: Member, entry: dict) -> None:
    await press(member, "Začni z odgovarjanjem")
    await press(member, FIRST[entry["answer"]])
    if entry["answer"] == "da":
        await press(member, TOOLS[entry["tool"]])
        await write_or_skip(member, "Kakšne so bile izkušnje", entry.get("comment"))
    elif entry["answer"] == "kmalu":
        await press(member, TOOLS[entry["tool"]])
        await write_or_skip(member, "Pripombe", entry.get("comment"))
    else:
        await write_or_skip(member, "Ali ste o tem razmišljali?", entry.get("comment"))
        await write_or_skip(member, "Kje so zadržki?", entry.get("reservations"))
    await press(member, "✅ Oddaj odgovore")
    await member.expect("Hvala.", timeout=60)


def future_deadline(harness: BotHarness) -> str:
    day = (harness.clock().astimezone(LJUBLJANA) + timedelta(days=3)).date()
    return f"{day.day}. {day.month}. {day.year} ob 24.00"


async def test_the_39_municipalities_of_2020_answer_again_over_both_platforms(
    harness: BotHarness,
) -> None:
    irena = await harness.member(IRENA, Platform.TELEGRAM)
    assert isinstance(irena, TelegramMember)
    platforms = [
        Platform.MATRIX if n % MATRIX_EVERY == 1 else Platform.TELEGRAM for n in range(len(ANSWERS))
    ]
    members: list[Member] = []
    for start in range(0, len(ANSWERS), 8):  # linking in small groups keeps Synapse responsive
        batch = range(start, min(start + 8, len(ANSWERS)))
        members += await asyncio.gather(
            *(harness.member(contact_email(n), platforms[n]) for n in batch)
        )
    assert sum(isinstance(m, MatrixMember) for m in members) == 13

    # The secretariat uploads the questionnaire of 2020 with this year's deadline and sends it.
    text = re.sub(r"(?m)^deadline: .*$", f"deadline: {future_deadline(harness)}",
                  SOS_2020.read_text(encoding="utf-8"))  # fmt: skip
    await irena.send_file("seje-na-daljavo.yaml", text.encode(), "application/x-yaml")
    preview = await irena.expect("Predogled povpraševanja")
    assert (
        "Prejemniki: občine: 39; kontaktne osebe: 39, od tega povezane z botom: 39." in preview.text
    )
    await irena.choose("Pošlji občinam (39)")
    sent = await irena.expect("poslano občinam (skupaj 39)", timeout=60)
    assert "Vabilo so prejele kontaktne osebe: 39 (v klepetih: 39)." in sent.text
    await irena.expect("Odgovori občin: 0 od 39")

    for start in range(0, len(members), 13):
        group = range(start, min(start + 13, len(members)))
        await asyncio.gather(*(answer_as_published(members[n], ANSWERS[n]) for n in group))

    db = harness.db
    [survey] = await db.read.surveys.list()
    assert survey.id is not None
    assert await db.read.surveys.count_responses(survey.id) == 39

    # Answers came from both platforms; each is the municipality's contact's.
    matrix_people = {m.person_id for m in members if isinstance(m, MatrixMember)}
    responses = await db.read.surveys.list_responses(survey.id)
    assert len({r.person_id for r in responses} & matrix_people) == 13

    # The live count reached 39 of 39 (edited in place).
    await irena.fake.wait_until(
        lambda: any(
            "Odgovori občin: 39 od 39 (100 %)." in (m.text or "")
            for m in irena.fake.messages_in(irena.user)
        ),
        timeout=30,
    )

    # The report: the seed's grouping and tallies.
    data = await load_report_data(db.read, survey.id, harness.clock())
    assert data is not None
    doc = build_document(data, Translator("sl"), charts=False)
    groups = [
        b.text
        for b in doc.blocks
        if isinstance(b, Heading) and b.level == 2 and b.text.startswith("Občine")
    ]
    assert groups == [
        "Občine, ki so že izvedle seje občinskih svetov na daljavo (10)",
        "Občine, ki nameravajo kmalu izvesti sejo občinskega sveta na daljavo (7)",
        "Občine, ki niso izvedle seje občinskega sveta na daljavo (22)",
    ]
    yes = next(
        b for b in doc.blocks if isinstance(b, Table) and b.headers[:2] == ["Občina", "Orodje"]
    )
    assert [row[0] for row in yes.rows][:3] == ["AJDOVŠČINA", "ČRNOMELJ", "DOBROVNIK"]
    assert ["LOVRENC NA POHORJU", "Zoom", ""] in yes.rows
    found = {t.question.key: t for t in tallies(data.definition, data.responses)}
    assert [o.count for o in found["izvedba"].options] == [10, 7, 22]
    assert {o.label: o.count for o in found["orodje"].options if o.count} == {
        "Zoom": 8, "Skype": 1, "Cisco Webex Meeting": 1}  # fmt: skip
    assert {o.label: o.count for o in found["orodje_bomo"].options if o.count} == {
        "Zoom": 3, "MS Teams": 3, "Cisco Webex Meeting": 1}  # fmt: skip
    # Long comments arrived whole, from either platform.
    postojna = next(r for r in data.responses if r.organisation == "Občina Postojna")
    assert postojna.answers["razmisljali"].values[0] == next(
        e["comment"] for e in ANSWERS if e["name"] == "Občina Postojna")  # fmt: skip
    content, _media, _ext = render_report(data, "csv", Translator("sl"))
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 40 and all(row[1] == "da" for row in rows[1:])

    # The secretariat asks for the report in the chat.
    await irena.say("/porocilo_ankete")
    report = await irena.expect("DA: 10 (25,6 %)", timeout=60)
    assert "NE: 22 (56,4 %)" in report.text
    docx = await irena.expect(lambda seen: seen.file is not None and seen.file[0].endswith(".docx"))
    xlsx = await irena.expect(lambda seen: seen.file is not None and seen.file[0].endswith(".xlsx"))
    assert docx.file is not None and docx.file[1].startswith(b"PK")
    assert xlsx.file is not None and xlsx.file[1].startswith(b"PK")
