"""Charts for ``swampcrawl report``: matplotlib figures returned as SVG text to inline in HTML.

    svg = horizontal_bars("creators", ["Noah Lee", "Yuki Smith"], [6, 5], xlabel="Stories")

Figures are built with ``matplotlib.figure.Figure`` (no pyplot, so no GUI backend and no global
state) under one style (``STYLE``), and saved with ``savefig(format="svg")``. Text is drawn as
paths in the bundled DejaVu Sans, so a chart looks the same on every machine and needs no font;
characters that font lacks become ``?`` (matplotlib would warn), and ``$`` is text, not math.
The SVG is made fit to sit inside an HTML page: no XML prolog, metadata or document-wide
stylesheet, no namespace URLs, a ``viewBox`` without a fixed size (CSS sizes it), and every id
prefixed with the chart's own so that several charts share a page.
"""

from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Sequence

from cycler import cycler
from matplotlib import font_manager, ft2font, rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

FONT = "DejaVu Sans"  # bundled with matplotlib: never looked up elsewhere
PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#eeca3b", "#b279a2", "#ff9da6",
           "#9d755d", "#bab0ac")
OTHER = "#c7c7c7"  # "other" series
INK, MUTED, GRID = "#2b2b2b", "#5f6368", "#e8e8e8"
# Figure sizes (inches) of a full-width and a half-width card: the same text size once scaled to the card.
FULL, HALF = (12.4, 4.8), (6.2, 4.4)

STYLE = {
    "font.family": FONT, "font.size": 10.5, "text.color": INK, "text.parse_math": False,
    "axes.edgecolor": "#b0b0b0", "axes.labelcolor": MUTED, "axes.labelsize": 10.5,
    "axes.spines.top": False, "axes.spines.right": False, "axes.axisbelow": True,
    "axes.grid": True, "grid.color": GRID, "grid.linewidth": 0.8,
    "axes.prop_cycle": cycler(color=PALETTE),
    "xtick.color": MUTED, "ytick.color": MUTED, "xtick.labelcolor": INK, "ytick.labelcolor": INK,
    "legend.frameon": False, "legend.fontsize": 9.5, "legend.title_fontsize": 9.5,
    "svg.fonttype": "path", "svg.hashsalt": "swampcrawl", "figure.facecolor": "white",
}  # fmt: skip


@functools.cache
def _glyphs() -> frozenset[int]:
    path = font_manager.findfont(font_manager.FontProperties(family=FONT), fallback_to_default=False)
    return frozenset(ft2font.FT2Font(path).get_charmap())


def label(text: object, width: int = 30) -> str:
    """``text`` as the font can draw it, on one line, cut to ``width`` characters with ``…``."""
    glyphs = _glyphs()
    drawn = "".join(char if ord(char) in glyphs else "?" for char in " ".join(str(text).split()))
    return drawn if len(drawn) <= width else drawn[: width - 1] + "…"


def _figure(size: tuple[float, float], rows: int = 1, **kwargs: object) -> tuple[Figure, list[Axes]]:
    figure = Figure(figsize=size, layout="constrained")
    axes = figure.subplots(rows, 1, squeeze=False, **kwargs)[:, 0]
    return figure, list(axes)


def to_svg(figure: Figure, chart_id: str, title: str) -> str:
    """The figure as an ``<svg>`` element for an HTML page (see the module's docstring)."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.S)
    svg = re.sub(r"\s*<style[^>]*>.*?</style>", "", svg, flags=re.S)
    view_box = re.search(r'viewBox="([^"]+)"', svg).group(1)
    root = f'<svg class="chart-svg" viewBox="{view_box}" role="img" aria-label="{_attribute(title)}">'
    svg = re.sub(r"<svg\b[^>]*>", lambda _: root, svg, count=1)
    return re.sub(r'(\bid="|href="#|url\(#)', lambda match: f"{match.group(1)}{chart_id}-", svg).strip()


def _attribute(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def _tick_positions(count: int, most: int) -> list[int]:
    step = max(1, math.ceil(count / most))
    return list(range(0, count, step))


def _month_axis(ax: Axes, months: Sequence[str], most: int = 14) -> None:
    """Categorical months (0..n-1): every month when few, else years at their Januaries."""
    januaries = [i for i, month in enumerate(months) if month.endswith("-01")]
    if len(months) <= most or len(januaries) < 2:
        positions = _tick_positions(len(months), most)
        ax.set_xticks(positions, [months[i] for i in positions])
    else:
        positions = januaries[:: max(1, math.ceil(len(januaries) / most))]
        ax.set_xticks(positions, [months[i][:4] for i in positions])
    _x_limits(ax, len(months))


def _x_limits(ax: Axes, count: int, least: int = 8) -> None:
    """Room for at least ``least`` categories, so that one or two bars are not slabs."""
    pad = max(0, least - count) / 2
    ax.set_xlim(-0.7 - pad, count - 0.3 + pad)


def _count_axis(axis) -> None:  # type: ignore[no-untyped-def]
    axis.set_major_locator(MaxNLocator(nbins=6, integer=True, min_n_ticks=1))
    axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def month_bars(chart_id: str, title: str, months: Sequence[str], series: Sequence[tuple[str, Sequence[int]]],
               xlabel: str, ylabel: str, stacked: bool = True, size: tuple[float, float] = FULL,
               legend_title: str | None = None) -> str:
    """Bars per month, one colour per series, stacked or side by side; the legend on the right."""
    figure, (ax,) = _figure(size)
    bottom, width = [0] * len(months), 0.82 if stacked else 0.82 / len(series)
    for index, (name, values) in enumerate(series):
        colour = OTHER if name == "other" else PALETTE[index % len(PALETTE)]
        offset = 0.0 if stacked else (index - (len(series) - 1) / 2) * width
        ax.bar([i + offset for i in range(len(months))], values, width=width, bottom=bottom if stacked else 0,
               label=label(name, 24), color=colour, linewidth=0)
        if stacked:
            bottom = [b + v for b, v in zip(bottom, values)]
    _month_axis(ax, months, most=14 if size == FULL else 7)
    ax.grid(axis="x", visible=False)
    _count_axis(ax.yaxis)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if size == FULL:
        ax.legend(title=legend_title, loc="upper left", bbox_to_anchor=(1.01, 1.0), reverse=stacked)
    else:
        ax.legend(title=legend_title, loc="upper right", reverse=stacked)
    return to_svg(figure, chart_id, title)


def horizontal_bars(chart_id: str, title: str, labels: Sequence[str], values: Sequence[int], xlabel: str,
                    colour: str = PALETTE[0]) -> str:
    """One bar per label, the first on top, each with its value at its end."""
    figure, (ax,) = _figure((HALF[0], 1.1 + 0.34 * len(labels)))
    positions = list(range(len(labels)))
    bars = ax.barh(positions, values, height=0.7, color=colour, linewidth=0)
    ax.bar_label(bars, labels=[f"{value:,}" for value in values], padding=3, fontsize=9.5, color=MUTED)
    ax.set_yticks(positions, [label(text) for text in labels])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", length=0)
    _count_axis(ax.xaxis)
    ax.set_xlim(0, max(values) * 1.12)
    ax.set_xlabel(xlabel)
    return to_svg(figure, chart_id, title)


def histogram(chart_id: str, title: str, values: Sequence[int], edges: Sequence[float], xlabel: str,
              ylabel: str, median: float) -> str:
    """A histogram over ``edges``, with the median as a dashed line."""
    figure, (ax,) = _figure(HALF)
    ax.hist(values, bins=list(edges), color=PALETTE[0], edgecolor="white", linewidth=0.8)
    ax.axvline(median, color=PALETTE[1], linestyle="--", linewidth=1.6, label=f"median {median:,.0f}")
    ax.grid(axis="x", visible=False)
    _count_axis(ax.yaxis)
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.legend(loc="upper right")
    return to_svg(figure, chart_id, title)


def run_panels(chart_id: str, title: str, ticks: Sequence[str], responses: Sequence[int],
               new: Sequence[int], errors: Sequence[int]) -> str:
    """Two panels over the runs, oldest first: responses above, new stories and errors below."""
    figure, (top, bottom) = _figure((FULL[0], 5.6), rows=2, sharex=True, height_ratios=(1, 1))
    positions = list(range(len(ticks)))
    top.bar(positions, responses, width=0.7, color=PALETTE[0], linewidth=0, label="responses")
    width = 0.35
    bottom.bar([p - width / 2 for p in positions], new, width=width, color=PALETTE[2], linewidth=0,
               label="new stories")
    bottom.bar([p + width / 2 for p in positions], errors, width=width, color=PALETTE[3], linewidth=0,
               label="errors")
    for ax, ylabel in ((top, "Responses"), (bottom, "Stories / URLs")):
        ax.grid(axis="x", visible=False)
        _count_axis(ax.yaxis)
        ax.set_ylabel(ylabel)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    shown = _tick_positions(len(ticks), 16)
    bottom.set_xticks(shown, [ticks[i] for i in shown])
    _x_limits(bottom, len(ticks), least=12)
    bottom.set_xlabel("Crawl run (number and start date, UTC), oldest first")
    return to_svg(figure, chart_id, title)


def draw(function, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    """Call a chart function above under the report's style."""
    with rc_context(STYLE):
        return function(*args, **kwargs)
