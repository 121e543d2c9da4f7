"""How a correspondence session's facts are said: choices, platforms, rules with their numbers.

Shared by the chat messages, the tallies and the minutes, so a rule reads the same everywhere,
e.g. "Sklepčnost: potrdilo 6 od 11 članov (potrebno več kot polovica: 6). Seja je sklepčna."
Every text is a message id translated by the caller's translator.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from fractions import Fraction
from html import escape
from zoneinfo import ZoneInfo

from bot.domain.models import Motion, Platform, VoteChoice
from bot.domain.outcomes import MotionReason
from bot.domain.rules import Basis, Comparison, CorrespondenceAdoption, Threshold
from bot.i18n import N_, Translator
from bot.timeutil import LJUBLJANA, format_local
from storage.repositories.correspondence_outcomes import StoredOutcome

CHOICE_LABELS: Mapping[VoteChoice, str] = {
    VoteChoice.ZA: N_("IN FAVOUR"),
    VoteChoice.PROTI: N_("AGAINST"),
    VoteChoice.VZDRZAN: N_("ABSTAINED"),
}

PLATFORM_LABELS: Mapping[Platform, str] = {
    Platform.TELEGRAM: N_("Telegram"),
    Platform.MATRIX: N_("Matrix"),
    Platform.CLI: N_("recorded by the clerk"),
    Platform.HALL: N_("in the hall"),
}

FRACTION_WORDS: Mapping[Fraction, str] = {
    Fraction(1, 2): N_("half"),
    Fraction(1, 3): N_("one third"),
    Fraction(2, 3): N_("two thirds"),
    Fraction(1, 4): N_("one quarter"),
    Fraction(3, 4): N_("three quarters"),
    Fraction(3, 5): N_("three fifths"),
}

BASIS_WORDS: Mapping[Basis, str] = {
    Basis.ALL_MEMBERS: N_("of all members"),
    Basis.VOTES_CAST: N_("of the members who voted"),
    # In a correspondence session the members "present" are those who confirmed delivery.
    Basis.MEMBERS_PRESENT: N_("of the members who confirmed delivery"),
}


def choice_label(choice: VoteChoice, _: Translator) -> str:
    return _(CHOICE_LABELS[choice])


def platform_label(platform: Platform, _: Translator) -> str:
    return _(PLATFORM_LABELS[platform])


def when(moment: datetime, _: Translator, zone: ZoneInfo = LJUBLJANA) -> str:
    """"18. 11. 2026 ob 12.00" in Slovenian, local time."""
    return format_local(moment, _.language, zone)


def fraction_words(fraction: Fraction, _: Translator) -> str:
    words = FRACTION_WORDS.get(fraction)
    return _(words) if words else f"{fraction.numerator}/{fraction.denominator}"


def threshold_phrase(threshold: Threshold, _: Translator) -> str:
    """"več kot polovica", "najmanj dve tretjini"."""
    fraction = fraction_words(threshold.fraction, _)
    if threshold.comparison is Comparison.MORE_THAN:
        return _("more than {fraction}", fraction=fraction)
    return _("at least {fraction}", fraction=fraction)


def motion_heading(motion: Motion, _: Translator) -> str:
    return _("Proposed resolution {number}", number=motion.position)


def quorum_sentence(outcome: StoredOutcome, _: Translator) -> str:
    text = _(
        "Quorum: {got} of {members} members confirmed delivery (required {rule}: {needed}).",
        got=outcome.confirmed,
        members=outcome.member_count,
        rule=threshold_phrase(outcome.quorum, _),
        needed=outcome.quorum_needed,
    )
    verdict = (
        _("The session is quorate.") if outcome.quorate else _("The session is not quorate.")
    )
    return f"{text} {verdict}"


def adoption_sentence(outcome: StoredOutcome, _: Translator) -> str:
    """The verdict on the resolution with the reason and, for a majority, its numbers."""
    reason = outcome.reason
    majority = outcome.adoption_rule is CorrespondenceAdoption.MAJORITY
    if reason is MotionReason.NOT_QUORATE:
        return _("The resolution is not adopted because the session was not quorate.")
    if reason is MotionReason.VOTED_AGAINST:
        return _(
            "The resolution is not adopted because at least one member voted against "
            "(against: {proti}); the item goes to an extraordinary session or to the next "
            "regular session.",
            proti=outcome.proti,
        )
    if reason is MotionReason.NO_VOTES_IN_FAVOUR:
        return _("The resolution is not adopted because nobody voted in favour.")
    if not majority:
        return _("The resolution is adopted because nobody voted against.")
    assert outcome.adoption is not None
    rule = f"{threshold_phrase(outcome.adoption, _)} {_(BASIS_WORDS[outcome.adoption.basis])}"
    if reason is MotionReason.ADOPTED:
        return _(
            "The resolution is adopted: {got} voted in favour (required {rule}: {needed}).",
            got=outcome.adoption_got,
            rule=rule,
            needed=outcome.adoption_needed,
        )
    return _(
        "The resolution is not adopted: {got} voted in favour (required {rule}: {needed}).",
        got=outcome.adoption_got,
        rule=rule,
        needed=outcome.adoption_needed,
    )


def verdict_word(outcome: StoredOutcome, _: Translator) -> str:
    return _("ADOPTED") if outcome.adopted else _("NOT ADOPTED")


def counts_line(outcome: StoredOutcome, _: Translator, *, abstention: bool) -> str:
    """"Glasovalo: 9 · ZA: 8 · PROTI: 1" (with VZDRŽAN where the rules know it)."""
    parts = [
        _("Voted: {count}", count=outcome.voted),
        f"{choice_label(VoteChoice.ZA, _)}: {outcome.za}",
        f"{choice_label(VoteChoice.PROTI, _)}: {outcome.proti}",
    ]
    if abstention or outcome.vzdrzan:
        parts.append(f"{choice_label(VoteChoice.VZDRZAN, _)}: {outcome.vzdrzan}")
    return " · ".join(parts)


def quoted(text: str) -> str:
    """User text inside a chat message: escaped, in Slovenian quotation marks."""
    return f"»{escape(text)}«"
