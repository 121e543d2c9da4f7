"""How a live session's facts are said: choices, vote kinds, majorities, times, session names.

Shared by the chat messages, the chair's panel and the minutes, so a rule reads the same
everywhere. Every text is an English message id translated with the caller's translator.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from fractions import Fraction

from bot.domain.models import Person, Session, SessionKind, SessionMode, VoteChoice, VoteKind
from bot.domain.rules import Basis, Comparison, RuleSet, Threshold
from bot.i18n import N_, Translator
from bot.timeutil import format_local

CHOICE_WORDS: Mapping[VoteChoice, str] = {
    VoteChoice.ZA: N_("FOR"),
    VoteChoice.PROTI: N_("AGAINST"),
    VoteChoice.VZDRZAN: N_("ABSTAINED"),
}

VOTE_KIND_WORDS: Mapping[VoteKind, str] = {
    VoteKind.PUBLIC: N_("public vote"),
    VoteKind.ROLL_CALL: N_("roll-call vote"),
    VoteKind.SECRET: N_("secret vote"),
}

SESSION_KIND_WORDS: Mapping[SessionKind, str] = {
    SessionKind.REGULAR: N_("regular session"),
    SessionKind.EXTRAORDINARY: N_("extraordinary session"),
    SessionKind.CORRESPONDENCE: N_("correspondence session"),
    SessionKind.CEREMONIAL: N_("ceremonial session"),
}

SESSION_MODE_WORDS: Mapping[SessionMode, str] = {
    SessionMode.IN_PERSON: N_("in the hall"),
    SessionMode.REMOTE: N_("remote (video call)"),
    SessionMode.HYBRID: N_("hybrid (hall and video call)"),
}

FRACTION_WORDS: Mapping[Fraction, str] = {
    Fraction(1, 2): N_("half"),
    Fraction(1, 3): N_("one third"),
    Fraction(2, 3): N_("two thirds"),
    Fraction(1, 4): N_("one quarter"),
    Fraction(3, 4): N_("three quarters"),
}

BASIS_WORDS: Mapping[Basis, str] = {
    Basis.VOTES_CAST: N_("of the members who voted"),
    Basis.MEMBERS_PRESENT: N_("of the members present"),
    Basis.ALL_MEMBERS: N_("of all members"),
}


def choice_word(choice: VoteChoice, _: Translator) -> str:
    return _(CHOICE_WORDS[choice])


def vote_kind_word(kind: VoteKind, _: Translator) -> str:
    return _(VOTE_KIND_WORDS[kind])


def session_kind_word(kind: SessionKind, _: Translator) -> str:
    return _(SESSION_KIND_WORDS[kind])


def session_mode_word(mode: SessionMode, _: Translator) -> str:
    return _(SESSION_MODE_WORDS[mode])


def when(moment: datetime, _: Translator) -> str:
    """Local time: "10. 12. 2026 ob 17.00" in Slovenian."""
    return format_local(moment, _.language)


def clock(moment: datetime, _: Translator) -> str:
    """Only the local hour and minute of a moment on the session's day: "17.05"."""
    return when(moment, _).rsplit(" ", 1)[-1]


def threshold_words(threshold: Threshold, _: Translator) -> str:
    """ "more than half of the members who voted", "at least two thirds of the members present".

    In Slovenian the rule set's own label is used where it has one, since it is the wording of
    the municipality's rules of procedure.
    """
    if _.language == "sl" and threshold.label:
        return threshold.label
    fraction = FRACTION_WORDS.get(threshold.fraction)
    share = _(fraction) if fraction else f"{threshold.fraction}"
    basis = _(BASIS_WORDS[threshold.basis])
    if threshold.comparison is Comparison.MORE_THAN:
        return _("more than {share} {basis}", share=share, basis=basis)
    return _("at least {share} {basis}", share=share, basis=basis)


def majority_words(rule_set: RuleSet, majority_name: str, _: Translator) -> str:
    return threshold_words(rule_set.majority(majority_name), _)


def session_name(session: Session, body_name: str, _: Translator) -> str:
    """ "12. redna seja — Občinski svet Občine Gornji Grad"."""
    title = session.title or _(SESSION_KIND_WORDS[session.kind])
    return f"{title} — {body_name}" if body_name else title


def person_name(person: Person) -> str:
    """Surname first, as rolls and records list members: "Zupančič Marko"."""
    return f"{person.surname} {person.name}".strip()
