"""Reading a correspondence session from TOML: every mistake named by its key, with the fix."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.correspondence.session_file import parse_session_mapping, read_session_file
from bot.domain.models import MotionCategory
from bot.i18n import Translator

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
_ = Translator("sl")


def write(folder: Path, text: str) -> Path:
    path = folder / "seja.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_complete_file_becomes_a_session(tmp_path: Path) -> None:
    (tmp_path / "gradivo").mkdir()
    (tmp_path / "gradivo" / "a.pdf").write_bytes(b"%PDF-a")
    (tmp_path / "b.docx").write_bytes(b"PK-b")
    path = write(
        tmp_path,
        """
body = "svet"
title = "5. dopisna seja"
deadline = "18. 11. 2026 ob 12.00"
materials = ["gradivo/a.pdf"]

[[motions]]
title = "Imenovanje"
resolution = "Občinski svet imenuje ..."
category = "appointment"
materials = ["b.docx"]

[[motions]]
title = "Seznanitev"
resolution = "Svet se seznani ..."
""",
    )
    read = read_session_file(path, NOW)
    assert read.problems == ()
    session = read.session
    assert session is not None
    assert session.deadline == datetime(2026, 11, 18, 11, 0, tzinfo=UTC)
    assert [m.category for m in session.motions] == [
        MotionCategory.APPOINTMENT,
        MotionCategory.GENERAL,
    ]
    assert [(m.filename, m.media_type, m.motion_position) for m in session.materials] == [
        ("a.pdf", "application/pdf", None),
        ("b.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", 1),
    ]


def test_a_toml_date_time_is_local_time_unless_it_has_an_offset(tmp_path: Path) -> None:
    base = 'body = "svet"\ntitle = "T"\n[[motions]]\ntitle = "A"\nresolution = "B"\n'
    local = parse_session_mapping(
        {"body": "s", "title": "t", "deadline": datetime(2026, 11, 18, 12, 0),
         "motions": [{"title": "a", "resolution": "b"}]}, tmp_path, NOW)  # fmt: skip
    assert local.session is not None
    assert local.session.deadline == datetime(2026, 11, 18, 11, 0, tzinfo=UTC)
    offset = read_session_file(write(tmp_path, "deadline = 2026-11-18T12:00:00Z\n" + base), NOW)
    assert offset.session is not None
    assert offset.session.deadline == datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


def test_every_mistake_is_named_by_its_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
body = 5
titel = "tipkarska napaka"
deadline = 2026-11-18
materials = ["ni-ga.pdf"]

[[motions]]
resolution = ""
category = "proracun"
""",
    )
    read = read_session_file(path, NOW)
    assert read.session is None
    texts = [problem.text(_) for problem in read.problems]
    joined = "\n".join(texts)
    assert "titel: Neznan ključ" in joined
    assert "body: To zapišite kot besedilo v narekovajih." in joined
    assert "title: Ta ključ je obvezen." in joined
    assert "deadline: Sam datum ne zadošča" in joined
    assert "materials: Datoteke" in joined and "ni-ga.pdf" in joined
    assert "motions[1].title: Ta ključ je obvezen." in joined
    assert "motions[1].resolution: Ta ključ ne sme biti prazen." in joined
    assert "motions[1].category: 'proracun' ni vrsta zadeve" in joined
    assert "budget (proračun)" in joined


def test_a_deadline_without_an_hour_or_unreadable_is_explained(tmp_path: Path) -> None:
    def problems(deadline: str) -> str:
        read = parse_session_mapping(
            {"body": "s", "title": "t", "deadline": deadline,
             "motions": [{"title": "a", "resolution": "b"}]}, tmp_path, NOW)  # fmt: skip
        return "\n".join(problem.text(_) for problem in read.problems)

    assert "nima ure" in problems("18. 11. 2026")
    assert "18. 11. 2026 ob 12.00" in problems("jutri opoldne")


def test_a_file_that_is_not_toml_or_not_there(tmp_path: Path) -> None:
    broken = read_session_file(write(tmp_path, "body = \n"), NOW)
    assert broken.session is None and "ni veljaven TOML" in broken.problems[0].text(_)
    missing = read_session_file(tmp_path / "ni.toml", NOW)
    assert missing.session is None and "ni mogoče prebrati" in missing.problems[0].text(_)
