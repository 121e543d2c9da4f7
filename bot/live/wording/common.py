"""How a live session's facts are said: choices, vote kinds, majorities, times, session names.

Shared by the chat messages, the chair's panel and the minutes, so a rule reads the same
everywhere; choices, times and shares are said as in every feature (bot/wording.py).
Every text is an English message id translated with the caller's translator.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.models import Person, Platform, Session, SessionKind, SessionMode, VoteKind
from bot.domain.rules import RuleSet, Threshold
from bot.i18n import N_, Translator
from bot.wording import CHOICE_WORDS, choice_word, clock, threshold_rule, when

__all__ = [
    "CHOICE_WORDS",
    "SESSION_KIND_WORDS",
    "SESSION_MODE_WORDS",
    "VOTE_KIND_WORDS",
    "choice_word",
    "clock",
    "command",
    "majority_words",
    "person_name",
    "session_kind_word",
    "session_mode_word",
    "session_name",
    "threshold_words",
    "vote_kind_word",
    "when",
]

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


# How a chat command is written on each platform (Matrix has no bot commands of its own).
COMMAND_PREFIXES: Mapping[Platform, str] = {Platform.MATRIX: "!", Platform.TELEGRAM: "/"}


def command(platform: Platform, name: str) -> str:
    """ "!prisoten" on Matrix, "/prisoten" on Telegram."""
    return f"{COMMAND_PREFIXES.get(platform, '/')}{name}"


def vote_kind_word(kind: VoteKind, _: Translator) -> str:
    return _(VOTE_KIND_WORDS[kind])


def session_kind_word(kind: SessionKind, _: Translator) -> str:
    return _(SESSION_KIND_WORDS[kind])


def session_mode_word(mode: SessionMode, _: Translator) -> str:
    return _(SESSION_MODE_WORDS[mode])


def threshold_words(threshold: Threshold, _: Translator) -> str:
    """ "more than half of the members who voted", "at least two thirds of the members present".

    In Slovenian the rule set's own label is used where it has one, since it is the wording of
    the municipality's rules of procedure.
    """
    if _.language == "sl" and threshold.label:
        return threshold.label
    return threshold_rule(threshold, _)


def majority_words(rule_set: RuleSet, majority_name: str, _: Translator) -> str:
    return threshold_words(rule_set.majority(majority_name), _)


def session_name(session: Session, body_name: str, _: Translator) -> str:
    """ "12. redna seja — Občinski svet Občine Gornji Grad"."""
    title = session.title or _(SESSION_KIND_WORDS[session.kind])
    return f"{title} — {body_name}" if body_name else title


def person_name(person: Person) -> str:
    """Surname first, as rolls and records list members: "Zupančič Marko"."""
    return f"{person.surname} {person.name}".strip()
