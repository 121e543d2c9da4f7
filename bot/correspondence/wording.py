"""How a correspondence session's facts are said: choices, platforms, rules with their numbers.

Shared by the chat messages, the tallies and the minutes, so a rule reads the same everywhere,
e.g. "Sklepčnost: potrdilo 6 od 11 članov (potrebno več kot polovica: 6). Seja je sklepčna."
Choices, times and shares are said as in every feature (bot/wording.py). Every text is
a message id translated by the caller's translator.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from bot import wording
from bot.domain.models import Motion, Platform, VoteChoice
from bot.domain.outcomes import MotionReason
from bot.domain.rules import Basis, CorrespondenceAdoption
from bot.i18n import N_, Translator
from bot.wording import FRACTION_WORDS, fraction_words, threshold_phrase, when
from storage.repositories.correspondence.outcomes import StoredOutcome

__all__ = [
    "BASIS_WORDS",
    "CHOICE_LABELS",
    "FRACTION_WORDS",
    "PLATFORM_LABELS",
    "adoption_sentence",
    "choice_label",
    "counts_line",
    "fraction_words",
    "motion_heading",
    "platform_label",
    "quorum_sentence",
    "quoted",
    "threshold_phrase",
    "verdict_word",
    "when",
]

CHOICE_LABELS: Mapping[VoteChoice, str] = wording.CHOICE_WORDS

PLATFORM_LABELS: Mapping[Platform, str] = {
    Platform.TELEGRAM: N_("Telegram"),
    Platform.MATRIX: N_("Matrix"),
    Platform.CLI: N_("recorded by the clerk"),
    Platform.HALL: N_("in the hall"),
}

BASIS_WORDS: Mapping[Basis, str] = {
    **wording.BASIS_WORDS,
    # In a correspondence session the members "present" are those who confirmed delivery.
    Basis.MEMBERS_PRESENT: N_("of the members who confirmed delivery"),
}


def choice_label(choice: VoteChoice, _: Translator) -> str:
    return wording.choice_word(choice, _)


def platform_label(platform: Platform, _: Translator) -> str:
    return _(PLATFORM_LABELS[platform])


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
    verdict = _("The session is quorate.") if outcome.quorate else _("The session is not quorate.")
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
    rule = wording.threshold_rule(outcome.adoption, _, BASIS_WORDS)
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
    """ "Glasovalo: 9 · ZA: 8 · PROTI: 1" (with VZDRŽAN where the rules know it)."""
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
