"""Bar charts as PNG, readable when printed 15 cm wide, byte-identical for the same data.

matplotlib's object API (Figure + Agg canvas) is used, never pyplot: pyplot keeps global
figures that would leak memory in a long-running bot and clash between threads.
"""

from __future__ import annotations

import textwrap
import threading
from collections.abc import Sequence
from io import BytesIO

from babel.numbers import format_decimal
from typing import TYPE_CHECKING

from bot.i18n import normalise_language

if TYPE_CHECKING:
    from matplotlib.axis import Axis

PNG_MEDIA_TYPE = "image/png"
WIDTH_INCHES = 6.0  # 15.2 cm: sharp at the documents' default image width of 15 cm
DPI = 200
BAR_COLOUR = "#2f6690"
TEXT_COLOUR = "#222222"
GRID_COLOUR = "#dddddd"
ROTATE_LABELS_ABOVE = 8  # more vertical bars than this and their labels are set slanted

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

    counts = all(float(value).is_integer() for value in values)
    # Imported on use: matplotlib costs tens of megabytes that a bot drawing no chart never needs.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    figure = Figure(
        figsize=(WIDTH_INCHES, _height(len(values), horizontal)), dpi=DPI, layout="constrained"
    )
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(values)))
    value_axis: Axis
    other_axis: Axis
    if horizontal:
        bars = axes.barh(positions, values, color=BAR_COLOUR, height=0.65)
        axes.set_yticks(positions, [textwrap.fill(label, 28) for label in labels])
        axes.invert_yaxis()  # the first label on top, as it is read
        value_axis, other_axis = axes.xaxis, axes.yaxis
        axes.margins(x=0.14)  # room for the value written after the longest bar
    else:
        bars = axes.bar(positions, values, color=BAR_COLOUR, width=0.65)
        slanted = len(values) > ROTATE_LABELS_ABOVE
        wrap_at = 25 if slanted else max(8, 64 // max(1, len(values)))
        axes.set_xticks(
            positions,
            [textwrap.fill(label, wrap_at) for label in labels],
            rotation=40 if slanted else 0,
            ha="right" if slanted else "center",
        )
        value_axis, other_axis = axes.yaxis, axes.xaxis
        axes.margins(y=0.14)
    if counts:
        value_axis.set_major_locator(MaxNLocator(integer=True))
    value_axis.set_major_formatter(FuncFormatter(lambda value, _position: number(value)))
    axes.bar_label(
        bars,
        labels=[number(value) + value_suffix for value in values],
        padding=3,
        fontsize=9,
        color=TEXT_COLOUR,
    )
    axes.grid(axis="x" if horizontal else "y", color=GRID_COLOUR, linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(labelsize=9, colors=TEXT_COLOUR)
    other_axis.set_tick_params(length=0)
    axes.set_title(
        textwrap.fill(title, 70), loc="left", fontsize=12, fontweight="bold", color=TEXT_COLOUR
    )
    output = BytesIO()
    with _RENDER_LOCK:
        # No "Software" entry (it names the matplotlib version): the same data, the same bytes.
        figure.savefig(output, format="png", dpi=DPI, metadata={"Software": None})
    return output.getvalue()


def _height(bars: int, horizontal: bool) -> float:
    """Figure height in inches: horizontal charts grow with the number of bars, up to a page."""
    if not horizontal:
        return 3.6
    return min(10.0, max(2.4, 1.1 + 0.32 * bars))
