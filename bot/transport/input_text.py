"""What people type, made safe to store and to print, the same for every transport.

Chat clients and their JSON can carry characters no report or database should meet: control
characters (python-docx and openpyxl refuse them, so one stored answer would break a survey's
report), lone UTF-16 surrogates (SQLite cannot store them at all) and decomposed letters ("c" and a
combining caron from some keyboards, where "č" is meant). :func:`clean_text` removes the first,
replaces the second with U+FFFD and composes the third (NFC). Everything visible stays: emoji and
their joiners, right-to-left text and its direction marks, zero-width characters inside words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from bot.transport.events import ChoiceMade, IncomingEvent, IncomingFile

REPLACEMENT = "\ufffd"

# C0 controls except tab and line feed, DEL and the C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` without control characters or lone surrogates, line breaks as "\\n", in NFC."""
    if text.isascii() and text.isprintable():  # most payloads, commands and empty texts
        return text  # no control character, no surrogate, and ASCII is its own NFC
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SURROGATE.sub(REPLACEMENT, text)
    return unicodedata.normalize("NFC", _CONTROL.sub("", text))


def cleaned_event(event: IncomingEvent) -> IncomingEvent:
    """The event with every text a person chose cleaned (text, arguments, payload, names)."""
    display_name = clean_text(event.sender.display_name)
    text = clean_text(event.text).strip()
    command = clean_text(event.command)
    args = tuple(cleaned for arg in event.args if (cleaned := clean_text(arg).strip()))
    payload = clean_text(event.choice.payload) if event.choice is not None else None
    file: IncomingFile | None = event.file
    if file is not None:
        file = replace(file, filename=clean_text(file.filename).strip() or "file")
    if (
        file is None
        and display_name == event.sender.display_name
        and text == event.text
        and command == event.command
        and args == event.args
        and (event.choice is None or payload == event.choice.payload)
    ):
        return event  # already clean, as nearly every button press is: nothing to copy
    choice = (
        ChoiceMade(payload, event.choice.message)
        if event.choice is not None and payload is not None
        else None
    )
    return replace(
        event,
        sender=replace(event.sender, display_name=display_name),
        text=text,
        command=command,
        args=args,
        choice=choice,
        file=file,
    )


__all__ = ["REPLACEMENT", "clean_text", "cleaned_event"]
