"""Translations from gettext catalogs (bot/locale/<lang>/LC_MESSAGES/<area>.po).

Message ids are English; Slovenian is the default language. Each area of the code keeps its own
.po file; all files of a language are merged into one catalog. The .po files are the single
source: they are compiled in memory on first use, so no build step can forget them.

Use ``_ = Translator(lang)`` and call ``_("Line {line}: ...", line=3)``; mark texts that are
translated later (stored reasons, error codes) with ``N_("...")`` so extraction finds them.
A parameter that is itself a message id is given as ``Phrase(N_("..."))``: it is translated
together with the message it fills.
"""

from __future__ import annotations

import functools
import gettext
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "sejabot"
LOCALE_DIR = Path(__file__).parent / "locale"
SUPPORTED_LANGUAGES = ("sl", "en")
DEFAULT_LANGUAGE = "sl"


def N_(message: str) -> str:
    """Mark a message for extraction without translating it now."""
    return message


class Phrase(str):
    """A message id given as a parameter of another message: translated when that one is."""

    __slots__ = ()


@functools.cache
def catalog(language: str) -> gettext.NullTranslations:
    merged = None
    for po_path in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as po_file:
            part = read_po(po_file, locale=language, domain=DOMAIN)
        if merged is None:
            merged = part
            continue
        for message in part:
            if message.id:
                merged[message.id] = message
    if merged is None:
        return gettext.NullTranslations()
    compiled = BytesIO()
    write_mo(compiled, merged)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def normalise_language(language: str | None) -> str:
    code = (language or "").strip().lower().replace("-", "_").split("_")[0]
    return code if code in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


@functools.cache
def _looked_up(language: str) -> dict[str, str]:
    """Message ids already translated into ``language``, with their text (a plain dict lookup
    instead of gettext's at every call; message ids are the code's own literals)."""
    return {}


MAX_LOOKED_UP = 5_000  # more distinct ids than the catalogs hold: stop remembering


class Translator:
    """Translates into one language; callable as ``_``."""

    __slots__ = ("_catalog", "_looked_up", "language")

    def __init__(self, language: str | None = DEFAULT_LANGUAGE) -> None:
        self.language = normalise_language(language)
        self._catalog = catalog(self.language)
        self._looked_up = _looked_up(self.language)

    def __call__(self, message: str, /, **params: object) -> str:
        text = self._looked_up.get(message)
        if text is None:
            text = self._catalog.gettext(message)
            if len(self._looked_up) < MAX_LOOKED_UP:
                self._looked_up[message] = text
        return text.format(**self._phrases_translated(params)) if params else text

    def plural(self, singular: str, plural: str, count: int, /, **params: object) -> str:
        text = self._catalog.ngettext(singular, plural, count)
        return text.format(count=count, **self._phrases_translated(params))

    def _phrases_translated(self, params: dict[str, object]) -> dict[str, object]:
        for value in params.values():
            if type(value) is Phrase:
                return {
                    name: self(value) if type(value) is Phrase else value
                    for name, value in params.items()
                }
        return params
