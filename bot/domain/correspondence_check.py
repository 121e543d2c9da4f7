"""May a motion go to a correspondence session? (art. 21(1))

A rule set forbids some categories of motion in correspondence sessions (in Gornji Grad the
budget, the final account, taxes and levies, and anything creating financial obligations).
A motion of a forbidden category is refused. Because a clerk may file a budget matter as
"general", the title and the proposed resolution are also searched for the rule set's warning
words, and each hit is reported with the category it suggests, so the clerk can reconsider.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.models import MotionCategory
from bot.domain.rules import CorrespondenceRules
from bot.i18n import N_, Translator

_WORD = re.compile(r"\w+")

FORBIDDEN_CATEGORY = "forbidden_category"

# Names of the categories as a clerk reads them, translated by the caller.
CATEGORY_LABELS: Mapping[MotionCategory, str] = {
    MotionCategory.GENERAL: N_("general matter"),
    MotionCategory.BUDGET: N_("budget"),
    MotionCategory.FINAL_ACCOUNT: N_("final account"),
    MotionCategory.TAXES_AND_LEVIES: N_("taxes and levies"),
    MotionCategory.FINANCIAL_OBLIGATION: N_("financial obligation of the municipality"),
    MotionCategory.RULES_OF_PROCEDURE: N_("rules of procedure"),
    MotionCategory.APPOINTMENT: N_("elections and appointments"),
}


class Field(StrEnum):
    TITLE = "title"
    RESOLUTION = "resolution"


@dataclass(frozen=True, slots=True)
class Refusal:
    category: MotionCategory
    reason: str = FORBIDDEN_CATEGORY


@dataclass(frozen=True, slots=True)
class WordWarning:
    word: str  # as written in the text
    matched: str  # the rule set's warning word (a prefix) it matched
    category: MotionCategory  # the category the word suggests
    field: Field  # where the word was first found


@dataclass(frozen=True, slots=True)
class CorrespondenceCheck:
    refusal: Refusal | None
    warnings: tuple[WordWarning, ...]

    @property
    def allowed(self) -> bool:
        return self.refusal is None


def check_correspondence_motion(
    rules: CorrespondenceRules, category: MotionCategory, title: str, resolution: str
) -> CorrespondenceCheck:
    """Refuse a forbidden category; warn about every word suggesting one (prefix, any case)."""
    refusal = Refusal(category) if category in rules.forbidden_categories else None
    prefixes = [(word.casefold(), word, suggested) for word, suggested in rules.warning_words]
    warnings: list[WordWarning] = []
    seen: set[tuple[str, str]] = set()
    for field, text in ((Field.TITLE, title), (Field.RESOLUTION, resolution)):
        for found in _WORD.findall(text):
            folded = found.casefold()
            for prefix, matched, suggested in prefixes:
                if folded.startswith(prefix) and (folded, prefix) not in seen:
                    seen.add((folded, prefix))
                    warnings.append(WordWarning(found, matched, suggested, field))
    return CorrespondenceCheck(refusal=refusal, warnings=tuple(warnings))


def refusal_text(refusal: Refusal, translate: Translator) -> str:
    return translate(
        "A correspondence session cannot decide on this kind of matter: {category}.",
        category=translate(CATEGORY_LABELS[refusal.category]),
    )


def warning_text(warning: WordWarning, translate: Translator) -> str:
    return translate(
        "The word '{word}' suggests this kind of matter: {category}. Please check the "
        "category of the motion.",
        word=warning.word,
        category=translate(CATEGORY_LABELS[warning.category]),
    )
