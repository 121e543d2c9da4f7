"""Bar charts: real PNG of the promised size, identical bytes for identical data."""

from __future__ import annotations

import struct
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.reports.charts import DPI, WIDTH_INCHES, bar_chart
from bot.reports.layout import png_size

LABELS = ["Za", "Proti", "Vzdržani", "Niso glasovali — čšž"]
VALUES = [7, 2, 1, 1]


def png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """The (type, data) chunks of a PNG, checking each chunk's CRC on the way."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        data = png[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", png[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + data) == crc
        chunks.append((kind, data))
        offset += 12 + length
    return chunks


def test_vertical_chart_is_a_valid_png_15_cm_wide() -> None:
    png = bar_chart("Glasovanje o točki 3", LABELS, VALUES)
    chunks = png_chunks(png)
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    assert png_size(png) == (int(WIDTH_INCHES * DPI), int(3.6 * DPI))
    assert not any(
        kind in (b"tEXt", b"iTXt", b"zTXt") and b"Software" in data for kind, data in chunks
    )


def test_same_data_gives_identical_bytes() -> None:
    first = bar_chart("Udeležba", LABELS, VALUES, horizontal=True, value_suffix=" %")
    assert bar_chart("Udeležba", LABELS, VALUES, horizontal=True, value_suffix=" %") == first
    assert bar_chart("Udeležba", LABELS, [7, 2, 1, 2], horizontal=True) != first


def test_concurrent_renders_from_threads_match_a_single_render() -> None:
    expected = bar_chart("Anketa", LABELS, [12.5, 30, 0, 57.5], value_suffix=" %")
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(
            pool.map(
                lambda _index: bar_chart("Anketa", LABELS, [12.5, 30, 0, 57.5], value_suffix=" %"),
                range(8),
            )
        )
    assert all(result == expected for result in results)


def test_horizontal_charts_grow_with_the_number_of_bars_up_to_a_page() -> None:
    few = png_size(bar_chart("T", ["a", "b"], [1, 2], horizontal=True))
    many = png_size(
        bar_chart("T", [f"Občina {i}" for i in range(20)], list(range(20)), horizontal=True)
    )
    huge = png_size(
        bar_chart("T", [f"Občina {i}" for i in range(212)], list(range(212)), horizontal=True)
    )
    assert few[0] == many[0] == huge[0] == 1200
    assert few[1] < many[1] < huge[1] == 10 * DPI


def test_many_vertical_bars_and_empty_data_render() -> None:
    assert png_size(bar_chart("T", [f"Občina {i}" for i in range(30)], [1] * 30))[0] == 1200
    assert png_size(bar_chart("Brez odgovorov", [], []))[0] == 1200


def test_labels_and_values_must_pair_up() -> None:
    with pytest.raises(ValueError, match="2 labels for 1 values"):
        bar_chart("T", ["a", "b"], [1])
