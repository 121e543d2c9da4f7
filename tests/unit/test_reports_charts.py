"""Bar charts: real PNG of the promised size, identical bytes for identical data, nothing cut off."""

from __future__ import annotations

import io
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image

from bot.reports.charts import DPI, EDGE, WIDTH_INCHES, bar_chart
from bot.reports.layout import png_size

LABELS = ["Za", "Proti", "Vzdržani", "Niso glasovali — čšž"]
VALUES = [7, 2, 1, 1]
WIDTH_PIXELS = int(WIDTH_INCHES * DPI)


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
    assert png_size(png) == (WIDTH_PIXELS, int(3.6 * DPI))
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
    assert few[0] == many[0] == huge[0] == WIDTH_PIXELS
    assert few[1] < many[1] < huge[1] == 10 * DPI


def test_many_vertical_bars_and_empty_data_render() -> None:
    assert png_size(bar_chart("T", [f"Občina {i}" for i in range(30)], [1] * 30))[0] == WIDTH_PIXELS
    assert png_size(bar_chart("Brez odgovorov", [], []))[0] == WIDTH_PIXELS


def test_labels_and_values_must_pair_up() -> None:
    with pytest.raises(ValueError, match="2 labels for 1 values"):
        bar_chart("T", ["a", "b"], [1])


def blank_border(png: bytes, pixels: int) -> bool:
    """Whether the outermost ``pixels`` rows and columns of the chart are all white."""
    image = Image.open(io.BytesIO(png)).convert("L")
    width, height = image.size
    strips = [(0, 0, width, pixels), (0, height - pixels, width, height),
              (0, 0, pixels, height), (width - pixels, 0, width, height)]  # fmt: skip
    return all(image.crop(strip).getextrema() == (255, 255) for strip in strips)


LONG_TITLE = (
    "Ali ste v letu 2026 izvedli sejo občinskega sveta na daljavo in kako ste bili zadovoljni "
    "z izvedbo, glasovanjem ter tehnično podporo ponudnika?"
)
LONG_LABELS = ["Da, zelo zadovoljni z izvedbo in s tehnično podporo", "Ne", "Delno — čšž"]


@pytest.mark.parametrize("horizontal", [True, False])
def test_long_titles_labels_and_numbers_stay_inside_the_picture(horizontal: bool) -> None:
    png = bar_chart(
        LONG_TITLE, LONG_LABELS, [123456.5, 98765, 0], horizontal=horizontal, value_suffix=" %"
    )
    assert blank_border(png, int(EDGE / 72 * DPI) - 2)


def test_slanted_labels_stay_inside_the_picture() -> None:
    labels = [f"Mestna občina Ljubljana in okolica {number}" for number in range(12)]
    assert blank_border(bar_chart("Udeležba", labels, list(range(12))), int(EDGE / 72 * DPI) - 2)
