"""The report of an association survey: 212 organisations asked, 30 questions.

The questionnaire mixes every kind of question, with conditions and "other, please specify"
options; nine in ten organisations answer, following the conditions. Timed is what the
secretariat waits for when it asks for the report: the answers loaded from the database
(``load_report_data``), the DOCX with a bar chart per choice question and the XLSX rendered
through ``render_survey_report``, and one tally chart as sent in the chat.

The timing runs in a fresh Python process, so the first report pays for importing the
document and chart libraries, as the first report after the bot starts does; the reports
after it show the steady state.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
import zipfile
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

from benchmarks.common import Result, median
from benchmarks.keys import BENCH_KEYS
from benchmarks.population import populate
from bot.domain.survey_definition import (
    Answer,
    Question,
    QuestionKind,
    SurveyDefinition,
    answer_rows,
    holds,
    read_typed_answer,
)
from bot.local_homeserver import SynapseServer
from bot.surveys.distribution import open_survey
from bot.surveys.store import check_definition, contacts_of, store_survey
from storage.database import Database
from storage.records import SurveyAnswer
from storage.repositories.surveys.progress import SurveySource

GOAL_SECONDS = 2.0
ORGANISATIONS = 212
ANSWERING_SHARE = 0.9
REPORTS = 5  # the first in a fresh process, then four more
REPO_ROOT = Path(__file__).resolve().parents[1]

TOOLS = ["Zoom", "MS Teams", "Cisco Webex Meeting", "Skype", "Jitsi", "Google Meet"]
TOPICS = ["proračun", "prostorski načrt", "komunalni prispevek", "vrtci", "ceste", "turizem",
          "kmetijstvo", "sociala", "kultura", "šport", "okolje", "promet"]  # fmt: skip
REMARKS = [
    "Seja je potekala brez težav, svetniki so se hitro navadili.",
    "Nekaj svetnikov je imelo težave s povezavo, zato smo sejo prekinili za deset minut.",
    "Glasovanje je bilo počasnejše kot v dvorani, a pregledno.",
    "Predlagamo enotna navodila SOS za vse občine.",
    "Težave z mikrofoni in odmevom; priporočamo slušalke.",
]


def questionnaire() -> str:
    """30 questions: 12 single-choice, 6 multiple-choice, 4 yes/no, 4 text, 2 number, 2 date."""
    lines = [
        "title: Izkušnje občin z delom občinskih svetov v letu 2026",
        "introduction: >-",
        "  Prosimo za kratke odgovore; zbrane izkušnje bomo objavili za vse občine.",
        "deadline: 18. 12. 2026 ob 24.00",
        "report:",
        "  group_by: izvedba",
        "questions:",
        "  - key: izvedba",
        "    kind: single_choice",
        "    text: Ali ste v letu 2026 izvedli sejo občinskega sveta na daljavo?",
        "    short: Seja na daljavo",
        "    options:",
        "      - {key: da, label: DA, heading: 'Občine, ki so izvedle sejo na daljavo'}",
        "      - {key: kmalu, label: 'NE, BOMO KMALU', heading: 'Občine, ki jo bodo kmalu'}",
        "      - {key: ne, label: NE, heading: 'Občine, ki je niso izvedle'}",
    ]
    for number in range(1, 12):
        lines += [
            f"  - key: izbira{number}",
            "    kind: single_choice",
            f"    text: Katero orodje ste uporabili za področje {TOPICS[number]}?",
            f"    short: Orodje {number}",
            *(["    when: {question: izvedba, equals: da}"] if number <= 4 else []),
            "    options:",
            *(f"      - {tool}" for tool in TOOLS[: 3 + number % 3]),
            "      - {key: drugo, label: Drugo (navedite), other: true}",
        ]
    for number in range(1, 7):
        lines += [
            f"  - key: vec{number}",
            "    kind: multiple_choice",
            f"    text: Katera področja so obravnavale seje (sklop {number})?",
            f"    short: Področja {number}",
            *(["    required: false"] if number % 2 else []),
            "    options:",
            *(f"      - {topic.capitalize()}" for topic in TOPICS[: 5 + number]),
        ]
    for number in range(1, 5):
        lines += [
            f"  - key: dane{number}",
            "    kind: yes_no",
            f"    text: Ali ste zadovoljni z izvedbo ({number})?",
            f"    short: Zadovoljstvo {number}",
        ]
    for number in range(1, 5):
        lines += [
            f"  - key: opis{number}",
            "    kind: text",
            f"    text: Opišite izkušnje in predloge ({number}).",
            f"    short: Izkušnje {number}",
            "    required: false",
            *(["    when: {question: izvedba, equals: da}"] if number <= 2 else []),
        ]
    for number in range(1, 3):
        lines += [
            f"  - key: stevilo{number}",
            "    kind: number",
            f"    text: Koliko sej ste izvedli ({number})?",
            f"    short: Število sej {number}",
            "    min: 0",
            "    max: 60",
            "    integer: true",
        ]
    for number in range(1, 3):
        lines += [
            f"  - key: datum{number}",
            "    kind: date",
            f"    text: Kdaj je bila zadnja seja ({number})?",
            f"    short: Datum {number}",
            "    required: false",
        ]
    return "\n".join(lines) + "\n"


def _typed(question: Question, text: str) -> Answer:
    answer = read_typed_answer(question, text)
    if isinstance(answer, Answer):
        return answer
    raise ValueError(f"generated answer {text!r} refused for {question.key}: {answer.message}")


def answers_of(definition: SurveyDefinition, rng: random.Random) -> dict[str, Answer]:
    """One organisation's answers to the questions its earlier answers lead to."""
    answers: dict[str, Answer] = {}
    for question in definition.questions:
        if not holds(question.when, answers):
            continue
        if not question.required and rng.random() < 0.15:
            answers[question.key] = Answer()
        elif question.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.YES_NO):
            option = rng.choice(question.options)
            other = f"{rng.choice(TOOLS)} in lastna rešitev" if option.other else ""
            answers[question.key] = Answer((option.key,), other)
        elif question.kind is QuestionKind.MULTIPLE_CHOICE:
            chosen = rng.sample(question.options, rng.randint(1, 4))
            answers[question.key] = Answer(tuple(option.key for option in chosen))
        elif question.kind is QuestionKind.TEXT:
            answers[question.key] = _typed(question, " ".join(rng.sample(REMARKS, 2)))
        elif question.kind is QuestionKind.NUMBER:
            answers[question.key] = _typed(question, str(rng.randint(0, 24)))
        else:
            day = datetime(2026, 1, 1) + timedelta(days=rng.randint(0, 330))
            answers[question.key] = _typed(question, f"{day.day}. {day.month}. {day.year}")
    return answers


async def prepare(path: Path) -> tuple[int, int, int]:
    """The roster, the survey opened and the answers stored; (survey id, asked, answered)."""
    db = await Database.open(path, BENCH_KEYS)
    try:
        await populate(db, 0, 0, ORGANISATIONS)
        now = datetime.now(UTC)
        checked = check_definition(questionnaire(), now, now + timedelta(days=10))
        if not checked.ok or checked.definition is None:
            raise RuntimeError(f"benchmark questionnaire invalid: {checked.problems[:3]}")
        definition = checked.definition
        body = next(b for b in await db.read.bodies.list() if b.name == "Skupnost občin Slovenije")
        assert body.id is not None
        rng = random.Random(2026)
        async with db.transaction() as repos:
            survey = await store_survey(repos, checked, body.id, source=SurveySource.CLI,
                                        created_by=None, now=now, ready=True)  # fmt: skip
            assert survey.id is not None
            opened = await open_survey(repos, survey.id, now, ())
            assert opened is not None
            recipients = await repos.survey_progress.recipients(survey.id)
            answering = rng.sample(recipients, round(len(recipients) * ANSWERING_SHARE))
            for number, organisation_id in enumerate(answering):
                contact = (await contacts_of(repos, body.id, organisation_id))[0]
                rows = answer_rows(definition, answers_of(definition, rng))
                await repos.surveys.submit_response(
                    survey.id, organisation_id, contact, now + timedelta(minutes=number),
                    [SurveyAnswer(key, value) for key, value in rows],
                )  # fmt: skip
        return survey.id, len(recipients), len(answering)
    finally:
        await db.close()


async def time_reports(path: Path, survey_id: int) -> list[dict[str, float]]:
    """In this process: each report's steps in seconds, and the sizes of what was made."""
    from bot.i18n import Translator
    from bot.surveys.report_document import tallies, tally_chart
    from bot.surveys.reports import load_report_data, render_survey_report

    _ = Translator("sl")
    db = await Database.open(path, BENCH_KEYS)
    timings = []
    try:
        for _round in range(REPORTS):
            started = time.perf_counter()
            data = await load_report_data(db.read, survey_id, datetime.now(UTC))
            assert data is not None
            loaded = time.perf_counter()
            docx = await render_survey_report(data, survey_id, "docx", _)
            made_docx = time.perf_counter()
            xlsx = await render_survey_report(data, survey_id, "xlsx", _)
            made_xlsx = time.perf_counter()
            chart = await asyncio.to_thread(
                tally_chart, tallies(data.definition, data.responses)[0], "sl"
            )
            finished = time.perf_counter()
            if not (docx.content[:2] == xlsx.content[:2] == b"PK" and chart[:4] == b"\x89PNG"):
                raise RuntimeError("a report came out malformed")
            with zipfile.ZipFile(BytesIO(docx.content)) as package:
                pictures = sum(name.startswith("word/media/") for name in package.namelist())
            timings.append({
                "total": finished - started, "load": loaded - started,
                "docx": made_docx - loaded, "xlsx": made_xlsx - made_docx,
                "chart": finished - made_xlsx, "docx_bytes": len(docx.content),
                "xlsx_bytes": len(xlsx.content), "responses": len(data.responses),
                "docx_charts": pictures,
            })  # fmt: skip
    finally:
        await db.close()
    return timings


async def _timed_in_fresh_process(path: Path, survey_id: int) -> list[dict[str, float]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.survey_report", str(path), str(survey_id),
        cwd=REPO_ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the report timing process failed with {process.returncode}")
    return list(json.loads(output))


def _steps(timing: dict[str, float]) -> str:
    return (f"{timing['total']:.2f} s (loading {timing['load']:.2f}, DOCX {timing['docx']:.2f}, "
            f"XLSX {timing['xlsx']:.2f}, chart {timing['chart']:.2f})")  # fmt: skip


async def run(work_dir: Path, synapse: SynapseServer) -> Result:
    path = work_dir / "survey.sqlite3"
    survey_id, asked, answered = await prepare(path)
    load_before = os.getloadavg()[0]
    timings = await _timed_in_fresh_process(path, survey_id)
    load_after = os.getloadavg()[0]
    first, later = timings[0], timings[1:]
    steady = median([timing["total"] for timing in later])
    slowest = max(timing["total"] for timing in timings)
    return Result(
        name="Survey report",
        goal=f"DOCX, XLSX and chart for {ORGANISATIONS} organisations and 30 questions "
        f"within {GOAL_SECONDS:.0f} s",
        measured=f"{first['total']:.2f} s the first report after start, {steady:.2f} s after that",
        met=slowest <= GOAL_SECONDS,
        details=[
            (
                f"{asked} organisations asked, {answered} answered (generated answers following the "
                "questionnaire's conditions); 30 questions: 12 single-choice (11 with \"other, "
                'please specify"), 6 multiple-choice, 4 yes/no, 4 text, 2 number, 2 date'
            ),
            (
                "timed: `load_report_data` from SQLite, then `render_survey_report` DOCX (grouped "
                "answers, tallies with a bar chart per choice question) and XLSX, then one "
                "`tally_chart` PNG, in a fresh process"
            ),
            f"first report (libraries imported on use): {_steps(first)}",
            (
                f"the {len(later)} reports after it: median {steady:.2f} s; the slowest of all "
                f"{slowest:.2f} s; DOCX {first['docx_bytes'] / 1024:.0f} KiB with "
                f"{first['docx_charts']:.0f} charts, XLSX "
                f"{first['xlsx_bytes'] / 1024:.0f} KiB"
            ),
            (
                f"load average of the machine (1 min): {load_before:.1f} before, "
                f"{load_after:.1f} after"
            ),
        ],
    )


if __name__ == "__main__":
    print(json.dumps(asyncio.run(time_reports(Path(sys.argv[1]), int(sys.argv[2])))))
