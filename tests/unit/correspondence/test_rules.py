"""Correspondence-session rules as pure functions: payloads, the deciding moment, what a session
must contain, reminders, what members are offered, and how outcomes are worded."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import pytest

from bot.correspondence.create import (
    SESSION_TITLE,
    MaterialDraft,
    MotionDraft,
    ProblemCode,
    SessionDraft,
    resolution_title,
    review_draft,
)
from bot.correspondence.invitations import invitation_message, vote_message
from bot.correspondence.payloads import (
    Action,
    Payload,
    cancel_payload,
    confirm_payload,
    parse_payload,
    sure_payload,
    vote_payload,
)
from bot.correspondence.reminders import due_reminders, reminder_plan
from bot.correspondence.voting import decisive_time, platform_stamped
from bot.correspondence.wording import adoption_sentence, quorum_sentence, threshold_phrase
from bot.domain.models import (
    Body,
    BodyKind,
    Motion,
    MotionCategory,
    Platform,
    Session,
    SessionKind,
    SessionStatus,
    Vote,
    VoteChoice,
)
from bot.domain.outcomes import MotionReason
from bot.domain.rules import Basis, Comparison, CorrespondenceAdoption, Threshold
from bot.domain.rules_loader import load_named_rule_set
from bot.i18n import Translator
from bot.transport.events import ChatRef, ChoiceMade, IncomingEvent, Sender
from storage.repositories.correspondence.outcomes import StoredOutcome

GORNJI_GRAD = load_named_rule_set("gornji-grad-2016")
MAJORITY = load_named_rule_set("majority-of-all-members")
NOW = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 11, 18, 11, 0, tzinfo=UTC)
_ = Translator("sl")


# --- payloads -------------------------------------------------------------------------------


def test_payloads_round_trip_and_fit_telegrams_64_bytes() -> None:
    big = 10**15
    cases = {
        confirm_payload(big): Payload(Action.CONFIRM, big),
        vote_payload(big, VoteChoice.VZDRZAN): Payload(Action.VOTE, big, VoteChoice.VZDRZAN),
        sure_payload(big, VoteChoice.PROTI): Payload(Action.SURE, big, VoteChoice.PROTI),
        cancel_payload(big, VoteChoice.ZA): Payload(Action.CANCEL, big, VoteChoice.ZA),
    }
    for payload, parsed in cases.items():
        assert len(payload.encode()) <= 64
        prefix, _sep, rest = payload.partition(":")
        assert prefix == "cs" and parse_payload(rest) == parsed


@pytest.mark.parametrize(
    "rest",
    ["", "c", "c:x", "c:0", "c:-3", "c:1:za", "v:1", "v:1:maybe", "s:1:za:extra", "q:1", "x:1"],
)
def test_malformed_payloads_are_refused(rest: str) -> None:
    assert parse_payload(rest) is None


# --- the moment that decides ----------------------------------------------------------------


def event(platform: Platform, *, choice: bool, stamp: datetime) -> IncomingEvent:
    return IncomingEvent(
        platform=platform, event_key="1", sender=Sender(platform, "u"),
        chat=ChatRef(platform, "c"), timestamp=stamp,
        choice=ChoiceMade("cs:s:1:za") if choice else None, text="" if choice else "!za",
    )  # fmt: skip


def test_the_platforms_own_stamp_decides_except_for_a_telegram_button() -> None:
    stamped, received = DEADLINE - timedelta(seconds=5), DEADLINE + timedelta(seconds=3)
    matrix_poll = event(Platform.MATRIX, choice=True, stamp=stamped)
    telegram_text = event(Platform.TELEGRAM, choice=False, stamp=stamped)
    telegram_button = event(Platform.TELEGRAM, choice=True, stamp=received)
    assert platform_stamped(matrix_poll) and platform_stamped(telegram_text)
    assert not platform_stamped(telegram_button)
    assert decisive_time(matrix_poll, received) == stamped  # in time, though it came late
    assert decisive_time(telegram_text, received) == stamped
    assert decisive_time(telegram_button, received) == received


# --- what a session must contain ------------------------------------------------------------


def draft(*motions: MotionDraft, title: str = "5. dopisna seja", deadline: datetime | None = DEADLINE,
          materials: tuple[MaterialDraft, ...] = ()) -> SessionDraft:  # fmt: skip
    return SessionDraft(1, title, deadline, motions, materials)


def codes(review) -> list[ProblemCode]:  # type: ignore[no-untyped-def]
    return [problem.code for problem in review.problems]


@pytest.mark.parametrize(
    "category",
    [MotionCategory.BUDGET, MotionCategory.FINAL_ACCOUNT, MotionCategory.TAXES_AND_LEVIES,
     MotionCategory.FINANCIAL_OBLIGATION],
)  # fmt: skip
def test_forbidden_categories_are_refused_with_the_reason(category: MotionCategory) -> None:
    review = review_draft(GORNJI_GRAD.correspondence,
                          draft(MotionDraft("Zadeva", "Besedilo.", category)), NOW, 11)  # fmt: skip
    assert codes(review) == [ProblemCode.FORBIDDEN_CATEGORY]
    assert "ni mogoče odločati o tej vrsti zadev" in review.problems[0].text(_)


def test_words_suggesting_a_forbidden_category_are_warnings_not_refusals() -> None:
    review = review_draft(
        GORNJI_GRAD.correspondence,
        draft(MotionDraft("Občinske takse", "Spremeni se odlok o davku.", MotionCategory.GENERAL),
              title="Rebalans proračuna"),
        NOW, 11,
    )  # fmt: skip
    assert review.ok
    found = {(w.position, w.warning.word) for w in review.warnings}
    assert found == {(1, "takse"), (1, "davku"), (SESSION_TITLE, "proračuna")}
    assert any(w.text(_).startswith("Naslov seje:") for w in review.warnings)


def test_a_session_needs_title_resolution_future_deadline_and_members() -> None:
    empty = review_draft(GORNJI_GRAD.correspondence, draft(title=" ", deadline=None), NOW, 0)
    assert codes(empty) == [ProblemCode.NO_TITLE, ProblemCode.NO_MOTIONS,
                            ProblemCode.NO_DEADLINE, ProblemCode.NO_MEMBERS]  # fmt: skip
    past = review_draft(GORNJI_GRAD.correspondence,
                        draft(MotionDraft("A", "  "), deadline=NOW), NOW, 11)  # fmt: skip
    assert codes(past) == [ProblemCode.EMPTY_RESOLUTION, ProblemCode.DEADLINE_PASSED]
    assert "16. 11. 2026 ob 10.00" in past.problems[1].text(_)


def test_materials_must_have_content_and_belong_to_an_existing_resolution() -> None:
    materials = (MaterialDraft("prazno.pdf", "application/pdf", b""),
                 MaterialDraft("k3.pdf", "application/pdf", b"%PDF", motion_position=3))  # fmt: skip
    review = review_draft(GORNJI_GRAD.correspondence,
                          draft(MotionDraft("A", "B"), materials=materials), NOW, 11)  # fmt: skip
    assert codes(review) == [ProblemCode.EMPTY_MATERIAL, ProblemCode.UNKNOWN_MOTION]


def test_a_resolution_typed_in_the_chat_gets_a_short_title() -> None:
    assert (
        resolution_title("Občinski svet imenuje Petra.\nObrazložitev ...")
        == "Občinski svet imenuje Petra."
    )
    assert len(resolution_title("x" * 300)) == 80


# --- reminders ------------------------------------------------------------------------------


def test_reminder_times_before_the_session_opened_are_not_used() -> None:
    leads = (timedelta(hours=24), timedelta(hours=2))
    plan = reminder_plan(DEADLINE, DEADLINE - timedelta(hours=5), leads)
    assert [r.lead_minutes for r in plan] == [120]
    full = reminder_plan(DEADLINE, NOW, leads)
    assert [(r.lead_minutes, r.due_at) for r in full] == [
        (1440, DEADLINE - timedelta(hours=24)), (120, DEADLINE - timedelta(hours=2))]  # fmt: skip


def test_only_the_latest_due_reminder_is_sent_and_never_after_the_deadline() -> None:
    plan = reminder_plan(DEADLINE, NOW, (timedelta(hours=24), timedelta(hours=2)))
    assert due_reminders(plan, set(), DEADLINE, NOW).send is None
    day_before = due_reminders(plan, set(), DEADLINE, DEADLINE - timedelta(hours=23))
    assert (
        day_before.send is not None and day_before.send.lead_minutes == 1440 and not day_before.skip
    )
    overtaken = due_reminders(plan, set(), DEADLINE, DEADLINE - timedelta(hours=1))
    assert overtaken.send.lead_minutes == 120  # type: ignore[union-attr]
    assert [r.lead_minutes for r in overtaken.skip] == [1440]
    after_the_later = due_reminders(plan, {120}, DEADLINE, DEADLINE - timedelta(hours=1))
    assert after_the_later.send is None and [r.lead_minutes for r in after_the_later.skip] == [1440]
    assert due_reminders(plan, set(), DEADLINE, DEADLINE).send is None


# --- what members are offered -----------------------------------------------------------------


SESSION = Session(7, 1, SessionKind.CORRESPONDENCE, "5. dopisna seja <b>", deadline=DEADLINE,
                  status=SessionStatus.OPEN)  # fmt: skip
BODY = Body(1, "svet", "Občinski svet", BodyKind.COUNCIL, "gornji-grad-2016")
MOTION = Motion(3, 7, 1, "Imenovanje", "Občinski svet imenuje <Petra>.")


def test_the_vote_buttons_follow_the_rule_set() -> None:
    strict = vote_message(SESSION, MOTION, GORNJI_GRAD.correspondence, _)
    assert [c.label for c in strict.flat_choices] == ["ZA", "PROTI"]
    assert [c.payload for c in strict.flat_choices] == ["cs:v:3:za", "cs:v:3:proti"]
    lenient = vote_message(SESSION, MOTION, MAJORITY.correspondence, _)
    assert [c.label for c in lenient.flat_choices] == ["ZA", "PROTI", "VZDRŽAN"]
    assert "&lt;Petra&gt;" in strict.html and "18. 11. 2026 ob 12.00" in strict.html


def test_a_recorded_vote_is_shown_without_buttons() -> None:
    vote = Vote(3, 1, 9, VoteChoice.PROTI, NOW, Platform.MATRIX)
    shown = vote_message(SESSION, MOTION, GORNJI_GRAD.correspondence, _, recorded=vote)
    assert not shown.choices
    assert "Vaš glas: <b>PROTI</b>, zabeležen 16. 11. 2026 ob 10.00 (Matrix)." in shown.html


def test_the_invitation_carries_the_resolutions_deadline_and_the_receipt_button() -> None:
    message = invitation_message(SESSION, BODY, [MOTION], [], GORNJI_GRAD.correspondence, _)
    assert [c.label for c in message.flat_choices] == ["Potrjujem prejem"]
    assert message.flat_choices[0].payload == "cs:c:7"
    assert "Seja traja do <b>18. 11. 2026 ob 12.00</b>." in message.html
    assert "5. dopisna seja &lt;b&gt;" in message.html  # user text is escaped
    assert "Če glasujete, se šteje, da ste prejem potrdili." in message.html
    closed = invitation_message(SESSION, BODY, [MOTION], [], GORNJI_GRAD.correspondence, _,
                                closed=True)  # fmt: skip
    assert not closed.choices and "Seja je zaključena." in closed.html


# --- outcomes in words ------------------------------------------------------------------------


QUORUM = GORNJI_GRAD.correspondence.quorum


BASE_OUTCOME = StoredOutcome(
    motion_id=1, session_id=1, round=1, decided_at=DEADLINE, rule_set="gornji-grad-2016",
    quorate=True, adopted=True, referred=False, reason=MotionReason.ADOPTED, member_count=11,
    confirmed=6, voted=6, za=6, proti=0, vzdrzan=0, quorum_needed=6, quorum_base=11,
    quorum=QUORUM, adoption_rule=CorrespondenceAdoption.NO_VOTES_AGAINST, adoption_needed=6,
    adoption_got=6, adoption_base=6,
)  # fmt: skip


def outcome(**changes: object) -> StoredOutcome:
    return replace(BASE_OUTCOME, **changes)  # type: ignore[arg-type]


def test_the_worked_examples_read_with_the_rule_and_its_numbers() -> None:
    adopted = outcome()
    assert quorum_sentence(adopted, _) == (
        "Sklepčnost: potrdilo 6 od 11 članov (potrebno več kot polovica: 6). Seja je sklepčna.")  # fmt: skip
    assert adoption_sentence(adopted, _) == "Sklep je sprejet, ker nihče ni glasoval PROTI."
    inquorate = outcome(quorate=False, adopted=False, reason=MotionReason.NOT_QUORATE,
                        confirmed=5, voted=0, za=0)  # fmt: skip
    assert quorum_sentence(inquorate, _).endswith("Seja ni sklepčna.")
    assert "ni bila sklepčna" in adoption_sentence(inquorate, _)
    against = outcome(adopted=False, referred=True, reason=MotionReason.VOTED_AGAINST,
                      confirmed=9, voted=9, za=8, proti=1)  # fmt: skip
    text = adoption_sentence(against, _)
    assert "PROTI: 1" in text and "izredni seji" in text and "prvo naslednjo redno sejo" in text


def test_a_majority_rule_reads_with_its_base() -> None:
    threshold = Threshold(Basis.ALL_MEMBERS, Fraction(1, 2), Comparison.MORE_THAN)
    result = outcome(adoption_rule=CorrespondenceAdoption.MAJORITY, adoption=threshold,
                     adopted=False, reason=MotionReason.NOT_ENOUGH_VOTES, adoption_got=5,
                     adoption_needed=6, adoption_base=11)  # fmt: skip
    assert adoption_sentence(result, _) == (
        "Sklep ni sprejet: ZA je glasovalo 5 (potrebno več kot polovica vseh članov: 6).")  # fmt: skip
    two_thirds = Threshold(Basis.VOTES_CAST, Fraction(2, 3), Comparison.AT_LEAST)
    assert threshold_phrase(two_thirds, _) == "najmanj dve tretjini"
    odd = Threshold(Basis.VOTES_CAST, Fraction(5, 7), Comparison.AT_LEAST)
    assert threshold_phrase(odd, _) == "najmanj 5/7"


def test_the_example_file_is_valid(tmp_path: Path) -> None:
    from bot.correspondence.session_file import read_session_file

    example = Path(__file__).resolve().parents[3] / "config" / "examples" / "dopisna-seja.toml"
    read = read_session_file(example, NOW)
    assert read.problems == () and read.session is not None
    assert [m.category for m in read.session.motions] == [MotionCategory.APPOINTMENT,
                                                          MotionCategory.GENERAL]  # fmt: skip
    assert read.session.materials[0].filename == "dopisna-seja-obrazlozitev.md"
