"""Bar charts as PNG, readable when printed 15 cm wide, byte-identical for the same data.

matplotlib's object API (Figure + Agg canvas) is used, never pyplot: pyplot keeps global
figures that would leak memory in a long-running bot and clash between threads.

A survey report draws a chart per choice question, so a chart must cost milliseconds, not a
tenth of a second. The chart is therefore drawn straight onto the figure in pixels: bars, grid
lines and labels as a handful of artists placed after measuring the title and the labels once.
matplotlib's Axes would build a tick object (two lines, two texts) per tick, lay them out twice
and draw them one by one, which is most of the time a chart takes.
"""

from __future__ import annotations

import textwrap
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING, Any

from babel.numbers import format_decimal

from bot.i18n import normalise_language

if TYPE_CHECKING:
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure
    from matplotlib.text import Text
    from matplotlib.transforms import Transform

PNG_MEDIA_TYPE = "image/png"
WIDTH_INCHES = 6.0  # 15.2 cm: the documents' default image width of 15 cm
DPI = 150  # the chart printed 15 cm wide at about 150 pixels per inch: sharp on paper
BAR_COLOUR = "#2f6690"
TEXT_COLOUR = "#222222"
LINE_COLOUR = "#000000"
GRID_COLOUR = "#dddddd"
TITLE_SIZE = 12  # points
LABEL_SIZE = 9
LINE_WIDTH = 0.8
TICK_LENGTH = 3.5
TICK_PAD = 3.5  # between a tick (or the plot's edge) and its label
VALUE_PAD = 3.0  # between a bar's end and its value
EDGE = 6.0  # blank border around the chart
TITLE_GAP = 8.0  # between the title and the plot
BAR_SHARE = 0.65  # of the space per bar
CATEGORY_MARGIN = 0.05  # blank space at both ends of the bars, as a share of their span
VALUE_MARGIN = 0.14  # room beyond the longest bar for its value
ROTATE_LABELS_ABOVE = 8  # more vertical bars than this and their labels are set slanted
SLANT_DEGREES = 40
SMALLEST_PLOT_SHARE = 0.3  # labels never squeeze the plot below this share of the figure
# zlib's run-length strategy: flat-coloured charts compress about as well as with the default
# strategy, in two thirds of the time.
PNG_STRATEGY = 3  # Z_RLE

# matplotlib caches FreeType font objects and shares them between figures; rendering text from
# two threads at once (asyncio.to_thread) can garble it, so charts render one at a time.
_RENDER_LOCK = threading.Lock()


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    horizontal: bool = False,
    value_suffix: str = "",
    language: str = "sl",
) -> bytes:
    """A bar chart with each value written at its bar (e.g. ``value_suffix=" %"``).

    Counts (all values whole numbers) get a whole-number axis. Numbers are written the way the
    language writes them: "12,5" in Slovenian.
    """
    if len(labels) != len(values):
        raise ValueError(f"{len(labels)} labels for {len(values)} values")
    locale = normalise_language(language)

    def number(value: float) -> str:
        return format_decimal(value, format="#,##0.##", locale=locale)

    # Imported on use: matplotlib costs tens of megabytes that a bot drawing no chart never needs.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_INCHES, _height(len(values), horizontal)), dpi=DPI)
    agg = FigureCanvasAgg(figure)
    spec = _Bars(title, list(labels), [float(value) for value in values], value_suffix, number)
    with _RENDER_LOCK:
        canvas = _Canvas(figure, agg.get_renderer())
        if horizontal:
            _draw_horizontal(canvas, spec)
        else:
            _draw_vertical(canvas, spec)
        agg.draw()
        pixels = agg.buffer_rgba()
    # The background is opaque white: RGB is a quarter less to compress than matplotlib's RGBA.
    # No text chunks (matplotlib's own PNG names its version): the same data, the same bytes.
    from PIL import Image as PillowImage

    output = BytesIO()
    picture = PillowImage.frombuffer("RGBA", agg.get_width_height(), pixels, "raw", "RGBA", 0, 1)
    picture.convert("RGB").save(output, format="png", compress_type=PNG_STRATEGY, dpi=(DPI, DPI))
    return output.getvalue()


def _height(bars: int, horizontal: bool) -> float:
    """Figure height in inches: horizontal charts grow with the number of bars, up to a page."""
    if not horizontal:
        return 3.6
    return min(10.0, max(2.4, 1.1 + 0.32 * bars))


# ---- drawing in pixels --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Bars:
    title: str
    labels: list[str]
    values: list[float]
    value_suffix: str
    number: Callable[[float], str]

    @property
    def counts(self) -> bool:
        return all(value.is_integer() for value in self.values)


@dataclass(frozen=True, slots=True)
class _Extent:
    """How far a text reaches from its anchor point, in pixels (all >= 0 for the anchor inside)."""

    left: float
    right: float
    below: float
    above: float


class _Canvas:
    """The figure in pixel coordinates (origin bottom left) and text measured on its renderer."""

    def __init__(self, figure: Figure, renderer: RendererBase) -> None:
        from matplotlib.transforms import IdentityTransform

        self.figure = figure
        self.renderer = renderer
        self.width = figure.bbox.width
        self.height = figure.bbox.height
        self.pixels: Transform = IdentityTransform()

    def points(self, points: float) -> float:
        return points * self.figure.dpi / 72

    def text(self, content: str, size: float, **properties: Any) -> Text:
        """A text anchored at (0, 0) until it is moved: measure first, then place."""
        return self.figure.text(0, 0, content, fontsize=size, color=TEXT_COLOUR,
                                transform=self.pixels, **properties)  # fmt: skip

    def extent(self, text: Text) -> _Extent:
        x, y = text.get_position()
        box = text.get_window_extent(self.renderer)
        return _Extent(x - box.x0, box.x1 - x, y - box.y0, box.y1 - y)

    def title(self, title: str) -> float:
        """The title at the top left, wrapped to the figure's width; its height in pixels."""
        edge = self.points(EDGE)
        heading = self.text(title, TITLE_SIZE, fontweight="bold", ha="left", va="top")
        width = self.width - 2 * edge
        characters = max(1, len(title))
        while True:
            heading.set_text(textwrap.fill(title, characters))
            measured = heading.get_window_extent(self.renderer).width
            if measured <= width or characters <= 10:
                break
            # Shorter lines in proportion to the overflow, at least one character shorter a step.
            characters = min(characters - 1, int(characters * width / measured))
        heading.set_position((edge, self.height - edge))
        return heading.get_window_extent(self.renderer).height

    def lines(self, segments: list[tuple[tuple[float, float], tuple[float, float]]],
              colour: str, zorder: float) -> None:  # fmt: skip
        from matplotlib.collections import LineCollection

        if segments:
            self.figure.add_artist(
                LineCollection(
                    segments,
                    colors=colour,
                    linewidths=LINE_WIDTH,
                    zorder=zorder,
                    transform=self.pixels,
                    capstyle="projecting",
                )
            )

    def bars(self, boxes: list[tuple[float, float, float, float]]) -> None:
        """Rectangles given as (x0, y0, x1, y1)."""
        from matplotlib.collections import PolyCollection

        if boxes:
            outlines = [[(x0, y0), (x1, y0), (x1, y1), (x0, y1)] for x0, y0, x1, y1 in boxes]
            self.figure.add_artist(
                PolyCollection(
                    outlines,
                    facecolors=BAR_COLOUR,
                    edgecolors="none",
                    linewidths=0,
                    zorder=1,
                    transform=self.pixels,
                )
            )


@dataclass(frozen=True, slots=True)
class _Scale:
    """Data values to pixels along one direction."""

    low: float
    high: float
    start: float  # the pixel of ``low``
    end: float  # the pixel of ``high``

    def __call__(self, value: float) -> float:
        return self.start + (value - self.low) / (self.high - self.low) * (self.end - self.start)


def _category_range(bars: int) -> tuple[float, float]:
    """The span of the category positions 0..bars-1 with their bars and a small margin."""
    if bars == 0:
        return -0.5, 0.5
    low, high = -BAR_SHARE / 2, bars - 1 + BAR_SHARE / 2
    margin = CATEGORY_MARGIN * (high - low)
    return low - margin, high + margin


def _value_range(values: list[float]) -> tuple[float, float]:
    """From zero (bars start there) to the longest bar, with room for the written values."""
    low, high = min([0.0, *values]), max([0.0, *values])
    if low == high:
        return 0.0, 1.0
    span = high - low
    if low < 0:
        low -= VALUE_MARGIN * span
    if high > 0:
        high += VALUE_MARGIN * span
    return low, high


def _value_ticks(low: float, high: float, counts: bool, room: int) -> list[float]:
    """Round tick values within the range; ``room`` is how many labels fit along the axis."""
    from matplotlib.ticker import MaxNLocator

    # As matplotlib's own axes choose them: at most 10 steps for counts, else 9 and what fits.
    locator = (
        MaxNLocator(integer=True)
        if counts
        else MaxNLocator(nbins=max(1, min(9, room)), steps=[1, 2, 2.5, 5, 10])
    )
    tolerance = 1e-9 * (high - low)
    return [
        float(tick)
        for tick in locator.tick_values(low, high)
        if low - tolerance <= tick <= high + tolerance
    ]


def _draw_horizontal(canvas: _Canvas, spec: _Bars) -> None:
    """Bars from left to right, the first label on top as it is read."""
    edge, pad = canvas.points(EDGE), canvas.points(TICK_PAD)
    title_height = canvas.title(spec.title)
    names = [
        canvas.text(textwrap.fill(label, 28), LABEL_SIZE, ha="right", va="center")
        for label in spec.labels
    ]
    amounts = _value_labels(canvas, spec, horizontal=True)
    name_width = max((canvas.extent(name).left for name in names), default=0.0)
    low, high = _value_range(spec.values)
    x0 = edge + name_width + pad
    room = int((canvas.width - edge - x0) * 72 / canvas.figure.dpi // (LABEL_SIZE * 3))
    ticks = _value_ticks(low, high, spec.counts, room)
    tick_labels = [
        canvas.text(spec.number(tick), LABEL_SIZE, ha="center", va="top") for tick in ticks
    ]
    extents = [canvas.extent(label) for label in tick_labels]
    label_height = max((extent.below for extent in extents), default=0.0)
    overhang = max((extent.right for extent in extents), default=0.0)
    reaches = [
        ((amount - low) / (high - low), canvas.points(VALUE_PAD) + canvas.extent(text).right)
        for amount, text in zip(spec.values, amounts)
        if amount > 0
    ]
    x1 = _plot_end(x0, canvas.width - edge, reaches, canvas.width - edge - overhang)
    x1 = max(x1, x0 + SMALLEST_PLOT_SHARE * canvas.width)
    y0 = edge + label_height + pad + canvas.points(TICK_LENGTH)
    y1 = max(canvas.height - edge - title_height - canvas.points(TITLE_GAP),
             y0 + SMALLEST_PLOT_SHARE * canvas.height)  # fmt: skip
    value = _Scale(low, high, x0, x1)
    category_low, category_high = _category_range(len(spec.values))
    category = _Scale(category_low, category_high, y1, y0)  # the first category on top

    half = BAR_SHARE / 2
    canvas.bars([(value(0), category(i + half), value(v), category(i - half))
                 for i, v in enumerate(spec.values)])  # fmt: skip
    for position, name in enumerate(names):
        name.set_position((x0 - pad, category(position)))
    for position, (amount, text) in enumerate(zip(spec.values, amounts)):
        text.set_position((value(amount) + _beyond(canvas, amount), category(position)))
    tick_end = y0 - canvas.points(TICK_LENGTH)
    for tick, label in zip(ticks, tick_labels):
        label.set_position((value(tick), tick_end - pad))
    canvas.lines([((value(t), y0), (value(t), y1)) for t in ticks], GRID_COLOUR, zorder=0.5)
    canvas.lines(
        [((x0, y0), (x0, y1)), ((x0, y0), (x1, y0))]
        + [((value(t), y0), (value(t), tick_end)) for t in ticks],
        LINE_COLOUR,
        zorder=2.5,
    )


def _draw_vertical(canvas: _Canvas, spec: _Bars) -> None:
    """Bars from bottom to top, labels underneath: slanted when there are many."""
    edge, pad = canvas.points(EDGE), canvas.points(TICK_PAD)
    title_height = canvas.title(spec.title)
    slanted = len(spec.values) > ROTATE_LABELS_ABOVE
    wrap_at = 25 if slanted else max(8, 64 // max(1, len(spec.values)))
    names = [
        canvas.text(
            textwrap.fill(label, wrap_at),
            LABEL_SIZE,
            ha="right" if slanted else "center",
            va="top",
            rotation=SLANT_DEGREES if slanted else 0,
            rotation_mode="anchor",
        )
        for label in spec.labels
    ]
    amounts = _value_labels(canvas, spec, horizontal=False)
    name_extents = [canvas.extent(name) for name in names]
    low, high = _value_range(spec.values)
    y0 = edge + max((extent.below for extent in name_extents), default=0.0) + pad
    top = canvas.height - edge - title_height - canvas.points(TITLE_GAP)
    reaches = [
        ((amount - low) / (high - low), canvas.points(VALUE_PAD) + canvas.extent(text).above)
        for amount, text in zip(spec.values, amounts)
        if amount > 0
    ]
    y1 = max(_plot_end(y0, top, reaches, top), y0 + SMALLEST_PLOT_SHARE * canvas.height)
    room = int((y1 - y0) * 72 / canvas.figure.dpi // (LABEL_SIZE * 2))
    ticks = _value_ticks(low, high, spec.counts, room)
    tick_labels = [
        canvas.text(spec.number(tick), LABEL_SIZE, ha="right", va="center") for tick in ticks
    ]
    label_width = max((canvas.extent(label).left for label in tick_labels), default=0.0)
    category_low, category_high = _category_range(len(spec.values))
    x0, x1 = _horizontal_room(canvas, name_extents, category_low, category_high,
                              edge + label_width + pad + canvas.points(TICK_LENGTH))  # fmt: skip
    value = _Scale(low, high, y0, y1)
    category = _Scale(category_low, category_high, x0, x1)

    half = BAR_SHARE / 2
    canvas.bars([(category(i - half), value(0), category(i + half), value(v))
                 for i, v in enumerate(spec.values)])  # fmt: skip
    for position, name in enumerate(names):
        name.set_position((category(position), y0 - pad))
    for position, (amount, text) in enumerate(zip(spec.values, amounts)):
        text.set_position((category(position), value(amount) + _beyond(canvas, amount)))
    tick_end = x0 - canvas.points(TICK_LENGTH)
    for tick, label in zip(ticks, tick_labels):
        label.set_position((tick_end - pad, value(tick)))
    canvas.lines([((x0, value(t)), (x1, value(t))) for t in ticks], GRID_COLOUR, zorder=0.5)
    canvas.lines(
        [((x0, y0), (x0, y1)), ((x0, y0), (x1, y0))]
        + [((x0, value(t)), (tick_end, value(t))) for t in ticks],
        LINE_COLOUR,
        zorder=2.5,
    )


def _value_labels(canvas: _Canvas, spec: _Bars, horizontal: bool) -> list[Text]:
    """The value written beyond each bar's end, e.g. "12,5 %" (before it for a negative bar)."""
    texts = []
    for amount in spec.values:
        written = spec.number(amount) + spec.value_suffix
        if horizontal:
            texts.append(canvas.text(written, LABEL_SIZE, ha="left" if amount >= 0 else "right",
                                     va="center"))  # fmt: skip
        else:
            texts.append(canvas.text(written, LABEL_SIZE, ha="center",
                                     va="bottom" if amount >= 0 else "top"))  # fmt: skip
    return texts


def _beyond(canvas: _Canvas, amount: float) -> float:
    """From a bar's end to its written value, in pixels; downwards or leftwards if negative."""
    return canvas.points(VALUE_PAD) * (1 if amount >= 0 else -1)


def _plot_end(start: float, limit: float, reaches: list[tuple[float, float]],
              end: float) -> float:  # fmt: skip
    """The plot's far end (at most ``end``) such that what stands beyond each bar stays within
    ``limit``: ``reaches`` holds each bar's share of the value range and how far its written
    value reaches beyond the bar's end, in pixels (positive bars only: a negative bar's value
    stands in the value range's margin on the near side)."""
    for share, reach in reaches:
        # start + share * (end - start) + reach <= limit, solved for end.
        end = min(end, start + (limit - reach - start) / share)
    return end


def _horizontal_room(canvas: _Canvas, names: list[_Extent], low: float, high: float,
                     least_left: float) -> tuple[float, float]:  # fmt: skip
    """The plot's left and right pixel such that the first and last category label (centred or
    slanted at their bar) stay inside the figure, and at least ``least_left`` on the left."""
    edge = canvas.points(EDGE)
    right = canvas.width - edge
    if not names:
        return least_left, right
    last = (len(names) - 1 - low) / (high - low)  # the last bar's share of the plot's width
    first = (0 - low) / (high - low)
    plot_width = right - least_left
    right -= max(0.0, names[-1].right - (1 - last) * plot_width)
    # x0 + first * (right - x0) - reach >= edge, solved for x0.
    left = max(least_left, (edge + names[0].left - first * right) / (1 - first))
    left = min(left, right - SMALLEST_PLOT_SHARE * canvas.width)
    return left, right
