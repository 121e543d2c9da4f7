"""Conversions between Python values and the portable column types of the schema.

Timestamps are TEXT in ISO-8601 UTC with a fixed width and an explicit offset
(``2020-11-09T10:00:00.000000+00:00``), so that comparing the strings compares the instants:
the queries rely on that for deadlines and expiry. PostgreSQL can keep the same text or use
``timestamptz``.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_text(moment: datetime) -> str:
    """A timezone-aware datetime as fixed-width ISO-8601 UTC text."""
    if moment.tzinfo is UTC:  # the usual case (``now_utc``, parsed columns): no conversion
        return moment.isoformat(timespec="microseconds")
    if moment.tzinfo is None or moment.utcoffset() is None:
        # A naive datetime has no defined instant; storing it would silently shift by the
        # server's offset, so it is a programming error.
        raise ValueError(f"naive datetime {moment!r}: storage needs timezone-aware values")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def optional_utc_text(moment: datetime | None) -> str | None:
    return None if moment is None else utc_text(moment)


def parse_utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"stored timestamp {text!r} has no offset")
    return moment.astimezone(UTC)


def optional_parse_utc(text: str | None) -> datetime | None:
    return None if text is None else parse_utc(text)


def now_utc() -> datetime:
    return datetime.now(UTC)


def email_key(email: str) -> str | None:
    """The lookup key of an e-mail address: addresses differ only in letter case in practice.

    An empty address has no key (NULL), so any number of people may lack an address.
    """
    key = email.strip().casefold()
    return key or None


def name_key(name: str) -> str:
    """The lookup key of an organisation's name: case and runs of whitespace do not matter.

    Python's casefold handles č, š and ž, which SQLite's lower() does not.
    """
    return " ".join(name.split()).casefold()
