"""How majorities and ballots are said, and the payloads their buttons carry."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

from bot.domain.models import Candidate, Election, VoteChoice
from bot.domain.rules import Basis, Comparison, Threshold
from bot.domain.rules_loader import load_named_rule_set
from bot.i18n import Translator
from bot.live import payloads
from bot.live.elections import marks_from_mask
from bot.live.wording.common import majority_words, threshold_words
from bot.live.wording.votes import election_ballot

RULES = load_named_rule_set("gornji-grad-2016")


def test_slovenian_uses_the_rule_sets_own_words_and_english_is_derived() -> None:
    assert majority_words(RULES, "members_present_two_thirds", Translator("sl")) == (
        "dvotretjinska večina glasov navzočih članov"
    )
    assert majority_words(RULES, "members_present_two_thirds", Translator("en")) == (
        "at least two thirds of the members present"
    )
    unlabelled = Threshold(Basis.ALL_MEMBERS, Fraction(1, 2), Comparison.MORE_THAN)
    assert threshold_words(unlabelled, Translator("sl")) == "več kot polovica vseh članov"


def test_vote_payloads_fit_telegram_and_end_in_the_choice_for_matrix() -> None:
    payload = payloads.vote_payload(payloads.CONFIRM, 123456789, 2, VoteChoice.PROTI)
    assert payload == "lvc:123456789:2:proti" and len(payload.encode()) <= 64
    assert payloads.split_ints("12:3:za", 2) == [12, 3]
    assert payloads.split_ints("12:x", 2) is None


def test_an_election_ballot_mask_marks_positions_on_the_ballot_only() -> None:
    ballot = [
        Candidate(10, 1, "Ana", "Novak"),
        Candidate(11, 1, "Peter", "Kos"),
        Candidate(12, 1, "Maja", "Zorko"),
    ]
    assert marks_from_mask(ballot, 0b101) == {10, 12}
    assert marks_from_mask(ballot, 0) == set()
    assert marks_from_mask(ballot, 0b1000) is None  # a fourth position does not exist
    assert payloads.election_payload(payloads.ELECTION_CAST, 5, 1, 0b101) == "lec:5:1:5"


def test_a_ballot_for_several_posts_marks_candidates_then_casts() -> None:
    ballot = [
        Candidate(10, 5, "Ana", "Novak"),
        Candidate(11, 5, "Peter", "Kos"),
        Candidate(12, 5, "Maja", "Zorko"),
    ]
    election = Election(5, 1, "Člani nadzornega odbora", posts=2, candidates=tuple(ballot))
    closes = datetime(2026, 12, 3, 16, 5, tzinfo=UTC)
    shown = election_ballot(election, 4, 1, 1, ballot, 0b001, closes, "K", Translator("sl"))
    labels = [choice.label for choice in shown.flat_choices]
    assert labels[:3] == ["☑ 1. Novak Ana", "☐ 2. Kos Peter", "☐ 3. Zorko Maja"]
    assert labels[3] == "Oddaj glasovnico"
    payloads_shown = [choice.payload for choice in shown.flat_choices]
    assert payloads_shown[1] == "lex:5:1:3"  # pressing Kos adds him to the marks
    assert payloads_shown[0] == "lex:5:1:0"  # pressing Novak again takes the mark away
    assert payloads_shown[3] == "les:5:1:1"  # casting asks to confirm the current marks
    assert "največ 2 kandidata" in shown.html and "od izžrebane črke K" in shown.html
    assert "do 17.05" in shown.html
