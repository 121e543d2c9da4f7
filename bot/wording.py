"""How facts every voting feature shares are said: choices, times, fractions and thresholds.

Correspondence and live sessions (their chat messages, tallies and minutes) say a choice, a
moment and a required share the same way; their own wording modules build on these. Every text
is an English message id translated by the caller's translator.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

from bot.domain.models import VoteChoice
from bot.domain.rules import Basis, Comparison, Threshold
from bot.i18n import N_, Translator
from bot.timeutil import LJUBLJANA, format_local

CHOICE_WORDS: Mapping[VoteChoice, str] = {
    VoteChoice.ZA: N_("FOR"),
    VoteChoice.PROTI: N_("AGAINST"),
    VoteChoice.VZDRZAN: N_("ABSTAINED"),
}

FRACTION_WORDS: Mapping[Fraction, str] = {
    Fraction(1, 2): N_("half"),
    Fraction(1, 3): N_("one third"),
    Fraction(2, 3): N_("two thirds"),
    Fraction(1, 4): N_("one quarter"),
    Fraction(3, 4): N_("three quarters"),
    Fraction(3, 5): N_("three fifths"),
}

# Whom a share is counted of. A feature whose "members present" are counted otherwise (in a
# correspondence session, those who confirmed delivery) passes its own words for that basis.
BASIS_WORDS: Mapping[Basis, str] = {
    Basis.VOTES_CAST: N_("of the members who voted"),
    Basis.MEMBERS_PRESENT: N_("of the members present"),
    Basis.ALL_MEMBERS: N_("of all members"),
}


def choice_word(choice: VoteChoice, _: Translator) -> str:
    """ "ZA", "PROTI", "VZDRŽAN" in Slovenian."""
    return _(CHOICE_WORDS[choice])


def when(moment: datetime, _: Translator, zone: ZoneInfo = LJUBLJANA) -> str:
    """Local date and time: "18. 11. 2026 ob 12.00" in Slovenian."""
    return format_local(moment, _.language, zone)


def clock(moment: datetime, _: Translator) -> str:
    """Only the local hour and minute of a moment on a known day: "17.05"."""
    return when(moment, _).rsplit(" ", 1)[-1]


def fraction_words(fraction: Fraction, _: Translator) -> str:
    """ "polovica", "dve tretjini"; a share without a name as "5/7"."""
    words = FRACTION_WORDS.get(fraction)
    return _(words) if words else f"{fraction.numerator}/{fraction.denominator}"


def threshold_phrase(threshold: Threshold, _: Translator) -> str:
    """ "več kot polovica", "najmanj dve tretjini"."""
    fraction = fraction_words(threshold.fraction, _)
    if threshold.comparison is Comparison.MORE_THAN:
        return _("more than {fraction}", fraction=fraction)
    return _("at least {fraction}", fraction=fraction)


def threshold_rule(
    threshold: Threshold, _: Translator, basis_words: Mapping[Basis, str] = BASIS_WORDS
) -> str:
    """ "več kot polovica članov, ki so glasovali": the share and whom it is counted of."""
    return f"{threshold_phrase(threshold, _)} {_(basis_words[threshold.basis])}"
