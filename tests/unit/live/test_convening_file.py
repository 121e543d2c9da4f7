"""The convening file: the shipped example reads cleanly, and every mistake names its key."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.domain.models import MotionCategory, SessionKind, SessionMode, VoteKind
from bot.i18n import Translator
from bot.live.convening import ElectionSpec, MotionSpec
from bot.live.convening_file import parse_candidate, parse_convening

EXAMPLES = Path(__file__).resolve().parents[3] / "config" / "examples"
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
EN = Translator("en")


def test_the_shipped_example_reads_with_its_agenda_and_materials() -> None:
    text = (EXAMPLES / "redna-seja.toml").read_text(encoding="utf-8")
    parsed = parse_convening(text, EXAMPLES, NOW)
    assert parsed.ok, [p.render(EN) for p in parsed.problems]
    assert parsed.kind is SessionKind.REGULAR and parsed.mode is SessionMode.HYBRID
    assert parsed.starts_at == datetime(2026, 12, 10, 16, 0, tzinfo=UTC)  # 17.00 CET
    assert [type(entry) for entry in parsed.agenda] == [
        MotionSpec,
        MotionSpec,
        MotionSpec,
        ElectionSpec,
        MotionSpec,
    ]
    second = parsed.agenda[1]
    assert isinstance(second, MotionSpec)
    assert second.majority == "members_present_two_thirds"
    assert second.vote_kind is VoteKind.ROLL_CALL
    assert second.category is MotionCategory.RULES_OF_PROCEDURE
    assert second.materials[0].filename == "vabilo-obrazlozitev.md"
    election = parsed.agenda[3]
    assert isinstance(election, ElectionSpec) and election.posts == 1
    assert [c.surname for c in election.candidates] == ["Novak", "Kos", "Zorko"]
    assert parsed.materials[0].content.startswith(b"# Obrazlo")
    assert len(parsed.reminders) == 2


def test_every_mistake_is_reported_with_its_key() -> None:
    text = """
body = "Občinski svet"
kind = "seja"
title = ""
starts = "31. 2. 2027 ob 17.00"
color = "blue"
reminders = ["soon"]

[[item]]
title = "Poslovnik"
vote = "glasno"
majority = 3

[[item]]
title = "Volitve"
posts = 0
candidates = ["", "Novak, Ana"]
"""
    parsed = parse_convening(text, None, NOW)
    messages = [p.render(EN) for p in parsed.problems]
    joined = "\n".join(messages)
    assert 'kind: "seja" is not one of' in joined
    assert "title: it must not be empty." in joined
    assert "starts: " in joined and "no such date" in joined
    assert "color: unknown key" in joined
    assert "reminders: " in joined and "soon" in joined
    assert 'item 1, key vote: "glasno" is not one of' in joined
    assert "item 1, key majority: write it as text in quotes." in joined
    assert "item 2, key posts: write a whole number of at least 1." in joined
    assert "item 2, key candidates: candidate 1 needs a surname" in joined
    slovenian = "\n".join(p.render(Translator("sl")) for p in parsed.problems)
    assert "točka 1, ključ vote" in slovenian


def test_a_file_sent_in_the_chat_may_not_name_other_files() -> None:
    parsed = parse_convening(
        'body = "x"\ntitle = "t"\nstarts = "10. 12. 2026 ob 17.00"\nmaterials = ["a.pdf"]\n',
        None,
        NOW,
    )
    assert any("send the materials as files" in p.render(EN) for p in parsed.problems)


def test_native_toml_date_times_are_local_time_without_an_offset() -> None:
    parsed = parse_convening('body = "x"\ntitle = "t"\nstarts = 2026-07-01T17:00:00\n', None, NOW)
    assert parsed.starts_at == datetime(2026, 7, 1, 15, 0, tzinfo=UTC)  # CEST


def test_candidates_may_be_written_three_ways() -> None:
    assert parse_candidate("Novak Kranjc, Ana Marija") == parse_candidate(
        {"name": "Ana Marija", "surname": "Novak Kranjc"}
    )
    assert parse_candidate("Ana Novak").surname == "Novak"  # type: ignore[union-attr]
    assert parse_candidate(" ") is None and parse_candidate(", Ana") is None


def test_not_toml_at_all_is_one_clear_problem() -> None:
    parsed = parse_convening("body = ", None, NOW)
    assert len(parsed.problems) == 1 and "not valid TOML" in parsed.problems[0].render(EN)
