"""Drawing by lot that anyone can re-derive from the recorded seed.

The Rules of Procedure draw the first letter of the alphabetical order of candidates (art. 89(1))
and break ties for a second round (art. 90(1)) by lot. A lot must be fair and must also be
verifiable afterwards, so every draw is a pure function of a recorded seed and a purpose string:
SHA-256 gives the same result on every Python version and platform, unlike ``random``.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.domain.models import Candidate

T = TypeVar("T")

# The 25 letters of the Slovenian alphabet: the letters a first letter is drawn from.
SLOVENIAN_ALPHABET: tuple[str, ...] = tuple("ABCČDEFGHIJKLMNOPRSŠTUVZŽ")

# Collation order for names: the Slovenian alphabet with the letters of foreign names put where
# Slovenian dictionaries and registers put them (ć, đ after č, d; q after p; w, x, y after v).
_COLLATION_ORDER = "abcčćdđefghijklmnopqrsštuvwxyzž"
_COLLATION_INDEX = {letter: index for index, letter in enumerate(_COLLATION_ORDER, start=1)}
_SEPARATORS = frozenset(" -'.\u2019")  # space, hyphen, apostrophes, dot
_UNKNOWN_BASE = 1000  # characters outside the alphabet sort after every letter

SEED_BYTES = 16


def new_seed() -> str:
    """A fresh random seed, to be recorded before the first draw it is used for."""
    return secrets.token_hex(SEED_BYTES)


@dataclass(frozen=True, slots=True)
class LotDraw:
    """One recorded draw: with the seed and purpose anyone can repeat it and get ``drawn``."""

    purpose: str
    seed: str
    pool: tuple[object, ...]  # the items drawn from, in the order the draw used
    drawn: tuple[object, ...]  # in the order they were drawn


def _numbers(seed: str, purpose: str) -> Iterator[int]:
    """An endless stream of 256-bit numbers determined only by the seed and the purpose."""
    if not seed:
        raise ValueError("a lot needs a recorded, non-empty seed")
    counter = 0
    while True:
        material = f"sejabot-lot\x1f{purpose}\x1f{seed}\x1f{counter}".encode()
        yield int.from_bytes(hashlib.sha256(material).digest(), "big")
        counter += 1


def _uniform_below(numbers: Iterator[int], bound: int) -> int:
    """A uniform integer in [0, bound): numbers above the last whole multiple are rejected."""
    span = 1 << 256
    limit = span - span % bound
    for number in numbers:
        if number < limit:
            return number % bound
    raise AssertionError("the number stream is endless")


def draw(seed: str, items: Sequence[T], k: int, purpose: str = "draw") -> tuple[T, ...]:
    """Draw ``k`` distinct items by lot, in drawing order (a partial Fisher-Yates shuffle).

    The result depends on the order of ``items``; callers pass them in a canonical order
    (e.g. by id) so that the recorded draw can be repeated.
    """
    if not 0 <= k <= len(items):
        raise ValueError(f"cannot draw {k} of {len(items)} items")
    pool = list(items)
    numbers = _numbers(seed, purpose)
    for position in range(k):
        chosen = position + _uniform_below(numbers, len(pool) - position)
        pool[position], pool[chosen] = pool[chosen], pool[position]
    return tuple(pool[:k])


def draw_recorded(seed: str, items: Sequence[T], k: int, purpose: str) -> LotDraw:
    """Like :func:`draw`, returning the record the minutes keep."""
    return LotDraw(
        purpose=purpose, seed=seed, pool=tuple(items), drawn=draw(seed, items, k, purpose)
    )


def draw_letter(seed: str) -> str:
    """The first letter of the alphabetical order of candidates, drawn by lot (art. 89(1))."""
    return SLOVENIAN_ALPHABET[
        _uniform_below(_numbers(seed, "first-letter"), len(SLOVENIAN_ALPHABET))
    ]


def _letter_rank(character: str) -> int:
    folded = character.casefold()
    if folded in _COLLATION_INDEX:
        return _COLLATION_INDEX[folded]
    if character in _SEPARATORS:
        return 0
    # Letters with diacritics outside the alphabet (é, ö, ü ...) sort with their base letter.
    base = unicodedata.normalize("NFD", folded)[:1]
    if base in _COLLATION_INDEX:
        return _COLLATION_INDEX[base]
    return _UNKNOWN_BASE + ord(folded[:1] or character)


def slovenian_sort_key(text: str) -> tuple[tuple[int, ...], str]:
    """Sort key for names in Slovenian order: č after c, š after s, ž after z, case ignored."""
    return tuple(_letter_rank(character) for character in text.strip()), text


def _start_offset(surname: str, start: int) -> int:
    """How far the surname's first letter lies after the drawn letter, wrapping round."""
    stripped = surname.strip()
    rank = _letter_rank(stripped[0]) if stripped else _UNKNOWN_BASE
    if not 1 <= rank <= len(_COLLATION_ORDER):
        return len(_COLLATION_ORDER)  # no letter of the alphabet: after all the others
    return (rank - start) % len(_COLLATION_ORDER)


def order_from_letter(
    items: Sequence[T], letter: str, surname: Callable[[T], str], name: Callable[[T], str]
) -> tuple[T, ...]:
    """Alphabetical by surname (then name), starting at ``letter`` and wrapping round."""
    if letter.casefold() not in _COLLATION_INDEX:
        raise ValueError(f"{letter!r} is not a letter of the alphabet")
    start = _COLLATION_INDEX[letter.casefold()]
    return tuple(
        sorted(
            items,
            key=lambda item: (
                _start_offset(surname(item), start),
                slovenian_sort_key(surname(item)),
                slovenian_sort_key(name(item)),
            ),
        )
    )


def order_candidates_from_letter(
    candidates: Sequence[Candidate], letter: str
) -> tuple[Candidate, ...]:
    """Candidates in the ballot order of art. 89(1): by surname from the drawn letter on."""
    return order_from_letter(candidates, letter, lambda c: c.surname, lambda c: c.name)


def alphabetical(candidates: Sequence[Candidate]) -> tuple[Candidate, ...]:
    """Candidates alphabetically by surname, then name (art. 41(3), art. 90(2))."""
    return order_from_letter(candidates, "A", lambda c: c.surname, lambda c: c.name)
