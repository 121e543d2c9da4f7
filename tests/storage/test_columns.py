"""Timestamps as stored: fixed-width ISO-8601 UTC text, whatever zone they come in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from storage.columns import parse_utc, utc_text


def test_the_same_instant_is_the_same_text_in_any_zone() -> None:
    instant = datetime(2026, 11, 18, 11, 0, tzinfo=UTC)
    in_ljubljana = instant.astimezone(ZoneInfo("Europe/Ljubljana"))  # 12:00, +01:00
    fixed_offset = instant.astimezone(timezone(timedelta(hours=1)))
    texts = {utc_text(instant), utc_text(in_ljubljana), utc_text(fixed_offset)}
    assert texts == {"2026-11-18T11:00:00.000000+00:00"}
    assert parse_utc(texts.pop()) == instant


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        utc_text(datetime(2026, 11, 18, 12, 0))
