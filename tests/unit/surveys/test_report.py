"""The survey report from the 39 published answers of 2020: the seed's grouping and tallies."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from bot.domain.survey_definition import Answer, parse_definition
from bot.i18n import Translator
from bot.reports.document import Heading, Image, Paragraph, Table
from bot.surveys.report_document import (
    OrganisationAnswer,
    ReportProblem,
    SurveyReportData,
    build_document,
    display_name,
    render_report,
    share_text,
    tallies,
)

ROOT = Path(__file__).resolve().parents[3]
DEFINITION = parse_definition(
    (ROOT / "config" / "surveys" / "sos-2020-seje-na-daljavo.yaml").read_text("utf-8")
).definition
ANSWERS = yaml.safe_load((ROOT / "tests" / "data" / "sos-2020-answers.yaml").read_text("utf-8"))
SENT = datetime(2020, 11, 9, 9, 0, tzinfo=UTC)
DEADLINE = datetime(2020, 11, 11, 23, 0, tzinfo=UTC)
NOT_ASKED_BACK = ("Občina Žalec", "Občina Gornji Grad")  # asked, did not answer

SEED_GROUPS = {
    "da": ["AJDOVŠČINA", "ČRNOMELJ", "DOBROVNIK", "DUPLEK", "IVANČNA GORICA", "KUZMA",
           "LOVRENC NA POHORJU", "PIVKA", "ŠKOFJA LOKA", "VELIKE LAŠČE"],
    "kmalu": ["DOBREPOLJE", "DOBRNA", "LENDAVA", "LITIJA", "RADENCI", "RIBNICA", "ŠMARTNO OB PAKI"],
    "ne": ["BISTRICA OB SOTLI", "BOHINJ", "CERKLJE NA GORENJSKEM", "JESENICE", "KOČEVJE",
           "KOSTANJEVICA NA KRKI", "LJUBLJANA", "OPLOTNICA", "OSILNICA", "POSTOJNA", "PREVALJE",
           "RADLJE OB DRAVI", "ROGATEC", "SVETI JURIJ", "ŠKOCJAN", "ŠTORE", "TREBNJE",
           "TRNOVSKA VAS", "TRZIN", "TRŽIČ", "VELENJE", "VUZENICA"],
}  # fmt: skip


def answers_of(entry: dict) -> dict[str, Answer]:
    """The questionnaire's answers for one published answer, as the chat would record them."""
    first = entry["answer"]
    answers = {"izvedba": Answer((first,))}
    comment = entry.get("comment")
    if first == "da":
        answers["orodje"] = Answer((entry["tool"],))
        answers["izkusnje"] = Answer((comment,) if comment else ())
    elif first == "kmalu":
        answers["orodje_bomo"] = Answer((entry["tool"],))
        answers["komentar_bomo"] = Answer((comment,) if comment else ())
    else:
        answers["razmisljali"] = Answer((comment,) if comment else ())
        reservations = entry.get("reservations")
        answers["zadrzki"] = Answer((reservations,) if reservations else ())
    return answers


def report_data() -> SurveyReportData:
    responses = tuple(
        OrganisationAnswer(
            entry["name"], answers_of(entry), SENT + timedelta(hours=number), "Kontakt"
        )
        for number, entry in enumerate(ANSWERS)
    )
    return SurveyReportData(
        title=DEFINITION.title,
        definition=DEFINITION,
        sender="Skupnost občin Slovenije",
        recipients=tuple(entry["name"] for entry in ANSWERS) + NOT_ASKED_BACK,
        responses=responses,
        generated_at=DEADLINE + timedelta(hours=1),
        deadline=DEADLINE,
        opened_at=SENT,
        closed_at=DEADLINE,
    )


def test_the_transcription_has_the_seeds_39_answers() -> None:
    assert len(ANSWERS) == 39
    assert len({entry["name"] for entry in ANSWERS}) == 39


def test_grouping_by_the_first_answer_gives_10_7_22_in_the_seeds_order() -> None:
    doc = build_document(report_data(), Translator("sl"), charts=False)
    blocks = doc.blocks
    headings = [b.text for b in blocks if isinstance(b, Heading) and b.level == 2 and "(" in b.text]
    assert headings[:3] == [
        "Občine, ki so že izvedle seje občinskih svetov na daljavo (10)",
        "Občine, ki nameravajo kmalu izvesti sejo občinskega sveta na daljavo (7)",
        "Občine, ki niso izvedle seje občinskega sveta na daljavo (22)",
    ]
    tables = [b for b in blocks if isinstance(b, Table) and b.headers[0] == "Občina"]
    yes, soon, no = tables[:3]
    assert [row[0] for row in yes.rows] == SEED_GROUPS["da"]
    assert [row[0] for row in soon.rows] == SEED_GROUPS["kmalu"]
    assert [row[0] for row in no.rows] == SEED_GROUPS["ne"]
    assert yes.headers == ["Občina", "Orodje", "Izkušnje in odzivi"]
    assert no.headers == ["Občina", "Ali ste o tem razmišljali?", "Kje so zadržki?"]
    lovrenc = next(row for row in yes.rows if row[0] == "LOVRENC NA POHORJU")
    assert lovrenc == ["LOVRENC NA POHORJU", "Zoom", ""]
    assert next(row for row in no.rows if row[0] == "TRZIN") == ["TRZIN", "", ""]
    assert (
        next(row for row in yes.rows if row[0] == "PIVKA")[2]
        == "Izkušnje so dobre, vsi so se udeležili."
    )
    missing = blocks[
        blocks.index(
            next(
                b
                for b in blocks
                if isinstance(b, Heading) and b.text.startswith("Občine, ki niso odgovorile")
            )
        )
        + 1
    ]
    assert isinstance(missing, Paragraph) and missing.text == "GORNJI GRAD, ŽALEC"


def test_tallies_per_option_with_shares() -> None:
    found = {t.question.key: t for t in tallies(DEFINITION, report_data().responses)}
    assert [(o.label, o.count) for o in found["izvedba"].options] == [
        ("DA", 10), ("NISMO ŠE, BOMO V KRATKEM", 7), ("NE", 22)]  # fmt: skip
    assert [share_text(o.share, "sl") for o in found["izvedba"].options] == [
        "25,6 %",
        "17,9 %",
        "56,4 %",
    ]
    assert {o.label: o.count for o in found["orodje"].options} == {
        "Zoom": 8, "Skype": 1, "Cisco Webex Meeting": 1, "MS Teams": 0, "Drugo (navedite)": 0}  # fmt: skip
    assert {o.label: o.count for o in found["orodje_bomo"].options} == {
        "Zoom": 3, "Skype": 0, "Cisco Webex Meeting": 1, "MS Teams": 3, "Drugo (navedite)": 0}  # fmt: skip
    assert found["orodje"].answered == 10 and found["orodje_bomo"].answered == 7


def test_the_document_has_a_chart_per_choice_question() -> None:
    doc = build_document(report_data(), Translator("sl"))
    images = [b for b in doc.blocks if isinstance(b, Image)]
    assert len(images) == 3 and all(image.png.startswith(b"\x89PNG") for image in images)


@pytest.mark.parametrize("fmt", ["docx", "pdf", "md", "html"])
def test_every_document_format_renders(fmt: str) -> None:
    content, _media_type, extension = render_report(report_data(), fmt, Translator("sl"))
    assert extension == fmt and content
    if fmt == "md":
        text = content.decode()
        assert "AJDOVŠČINA" in text and "LOVRENC NA POHORJU" in text and "56,4 %" in text
    if fmt == "docx":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            body = archive.read("word/document.xml").decode()
        assert "ŠMARTNO OB PAKI" in body and "Občine, ki niso izvedle seje" in body
    if fmt == "pdf":
        assert content.startswith(b"%PDF")


def test_spreadsheets_have_one_row_per_organisation() -> None:
    _ = Translator("sl")
    content, _media, _ext = render_report(report_data(), "csv", _)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Občina", "Odgovorile", "Oddano", "Oddal(a)"]
    assert len(rows) == 1 + 41  # 39 answers and the two that did not answer
    zalec = next(row for row in rows if row[0] == "Občina Žalec")
    assert zalec[1] == "ne" and not any(zalec[2:])
    headers = rows[0]
    loka = next(row for row in rows if row[0] == "Občina Škofja Loka")
    assert (
        loka[headers.index("Orodje")] == "Zoom" and loka[headers.index("Seja na daljavo")] == "DA"
    )
    content, _media_type, _ext = render_report(report_data(), "xlsx", _)
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["Odgovori", "Povzetek odgovorov"]
    assert workbook["Odgovori"].max_row == 42


def test_grouping_by_another_question_and_refusals() -> None:
    doc = build_document(report_data(), Translator("sl"), group_by="orodje", charts=False)
    headings = [b.text for b in doc.blocks if isinstance(b, Heading) and b.level == 2]
    assert "Orodje: Zoom (8)" in headings
    assert any(
        h.startswith("Brez odgovora na »Katero IKT orodje ste uporabili?« (29)") for h in headings
    )
    with pytest.raises(ReportProblem):
        build_document(report_data(), Translator("sl"), group_by="izkusnje")
    with pytest.raises(ReportProblem):
        render_report(report_data(), "odt", Translator("sl"))


def test_names_in_capitals_without_the_word_obcina() -> None:
    assert display_name("Občina Lovrenc na Pohorju") == "LOVRENC NA POHORJU"
    assert display_name("Mestna občina Ljubljana") == "LJUBLJANA"
    assert display_name("Občina") == "OBČINA"
