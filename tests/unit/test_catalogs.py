"""Every user-facing message in the code has a Slovenian translation in the catalogs."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LOCALE_DIR, Translator, catalog

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "N_": None, "plural": (1, 2)}
SOURCE_DIRS = ("bot", "handlers", "storage", "config")


def extracted_messages() -> list[tuple[str, int, str]]:
    found = []
    for folder in SOURCE_DIRS:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            messages = message if isinstance(message, tuple) else (message,)
            found.extend((f"{folder}/{filename}", lineno, text) for text in messages if text)
    return found


def test_messages_are_found_at_all() -> None:
    # Guards the guard: if extraction silently found nothing, the next test would pass vacuously.
    assert len(extracted_messages()) > 50


def translated_ids(language: str) -> set[str]:
    ids: set[str] = set()
    for po_path in (LOCALE_DIR / language / "LC_MESSAGES").glob("*.po"):
        with po_path.open("rb") as po_file:
            for message in read_po(po_file, locale=language):
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if message.id and all(strings) and not message.fuzzy:
                    ids.update(message.id if isinstance(message.id, tuple) else (message.id,))
    return ids


def test_every_message_has_a_slovenian_translation() -> None:
    slovenian = translated_ids("sl")
    missing = [
        f"{where}:{line}: {text!r}"
        for where, line, text in extracted_messages()
        if text not in slovenian
    ]
    assert not missing, "missing Slovenian translations:\n" + "\n".join(missing)


@pytest.mark.parametrize("language", ["sl", "en"])
def test_translator_formats_named_parameters(language: str) -> None:
    _ = Translator(language)
    assert _("{count} of {total}", count=3, total=11) in {"3 of 11", "3 od 11"}


@pytest.mark.parametrize("language", ["sl", "en"])
def test_texts_looked_up_again_are_those_of_the_catalog(language: str) -> None:
    _ = Translator(language)
    catalog_of = catalog(language)
    texts = sorted({text for _where, _line, text in extracted_messages()})[:200]
    first = [_(text) for text in texts]
    again = [Translator(language)(text) for text in texts]  # remembered by now
    assert first == again == [catalog_of.gettext(text) for text in texts]
    if language == "sl":
        assert _("Cancel") == "Prekliči"
