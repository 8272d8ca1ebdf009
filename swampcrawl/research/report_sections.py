"""The sections of ``swampcrawl report``: for each chart, its title, the SVG (or None when there
is nothing to draw), a caption with the numbers behind it, and those numbers as table rows.

Every function takes the plain rows of ``swampcrawl.research.stats`` (read once, by
``report.read_report_data``), so the page shows what ``swampcrawl stats`` counts.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from swampcrawl.research import charts

TOP_COMMUNITIES = 8  # the rest of them stacked as "other"
TOP_CREATORS = TOP_TAGS = 15


@dataclass
class Section:
    key: str  # the HTML anchor and chart id
    title: str
    caption: str
    svg: str | None = None  # None: no data (the caption says why)
    table: list[dict[str, Any]] = field(default_factory=list)
    wide: bool = False


def months_between(first: str, last: str) -> list[str]:
    """Every ``YYYY-MM`` from ``first`` to ``last``, both included."""
    start, end = (int(month[:4]) * 12 + int(month[5:7]) - 1 for month in (first, last))
    return [f"{index // 12:04d}-{index % 12 + 1:02d}" for index in range(start, end + 1)]


def _listing(pairs: list[tuple[str, int]]) -> str:
    return ", ".join(f"{name} ({count:,})" for name, count in pairs)


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else plural or word + 's'}"


def _span(months: list[str]) -> str:
    return months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}"


def months_section(rows: list[dict[str, Any]], communities: list[dict[str, Any]]) -> Section:
    """Stories per month published, stacked by community (the largest ones, the rest as other)."""
    title = "Stories per month, by community"
    if not rows:
        return Section("months", title, "No data: no story with a publication date.", wide=True)
    names = {row["community"]: row["name"] or row["community"] for row in communities}
    months = months_between(rows[0]["month"], rows[-1]["month"])
    totals: dict[str, int] = {}
    for row in rows:
        totals[row["community"]] = totals.get(row["community"], 0) + row["stories"]
    ranked = sorted(totals, key=lambda slug: (-totals[slug], slug))
    shown = ranked if len(ranked) <= TOP_COMMUNITIES + 1 else ranked[:TOP_COMMUNITIES]
    series = {slug: [0] * len(months) for slug in shown}
    per_month, index = [0] * len(months), {month: i for i, month in enumerate(months)}
    for row in rows:
        per_month[index[row["month"]]] += row["stories"]
        slug = row["community"] if row["community"] in shown else "other"
        series.setdefault(slug, [0] * len(months))[index[row["month"]]] += row["stories"]
    labelled = [(names.get(slug, slug) if slug != "other" else "other", values) for slug, values in series.items()]
    svg = charts.draw(charts.month_bars, "months", title, months, labelled, xlabel="Month published (UTC)",
                      ylabel="Stories", legend_title="Community")
    return Section("months", title, _months_caption(months, per_month, totals, ranked, shown, names), svg,
                   _months_table(months, per_month, rows, names), wide=True)


def _months_caption(months: list[str], per_month: list[int], totals: dict[str, int], ranked: list[str],
                    shown: list[str], names: dict[str, str]) -> str:
    busiest = max(range(len(months)), key=lambda i: (per_month[i], i))
    active = sum(1 for count in per_month if count)
    text = (f"{_plural(sum(per_month), 'story', 'stories')} published in {active:,} of {len(months):,} months "
            f"({_span(months)}), in {_plural(len(ranked), 'community', 'communities')}. "
            f"Busiest month: {months[busiest]} ({_plural(per_month[busiest], 'story', 'stories')}). "
            f"Most stories: {_listing([(names.get(slug, slug), totals[slug]) for slug in shown[:5]])}.")
    rest = ranked[len(shown):]
    if rest:
        text += (f" The other {_plural(len(rest), 'community', 'communities')} "
                 f"({_plural(sum(totals[slug] for slug in rest), 'story', 'stories')}) are stacked as “other”.")
    return text


def _months_table(months: list[str], per_month: list[int], rows: list[dict[str, Any]],
                  names: dict[str, str]) -> list[dict[str, Any]]:
    parts: dict[str, list[str]] = {}
    for row in sorted(rows, key=lambda row: (row["month"], -row["stories"], row["community"])):
        parts.setdefault(row["month"], []).append(f"{names.get(row['community'], row['community'])} {row['stories']}")
    return [{"month": month, "stories": count, "communities": ", ".join(parts.get(month, []))}
            for month, count in zip(months, per_month) if count]


def ranking_section(key: str, title: str, rows: list[dict[str, Any]], total: int, noun: str,
                    colour: str) -> Section:
    """Horizontal bars of the first rows (creators or tags with most stories)."""
    if not rows:
        return Section(key, title, f"No data: no story has a {noun}.")
    labels = [row["name"] or row[noun] for row in rows]
    counts = [row["stories"] for row in rows]
    svg = charts.draw(charts.horizontal_bars, key, title, labels, counts, xlabel="Stories", colour=colour)
    more = f", and {len(rows) - 5:,} more in the table" if len(rows) > 5 else ""
    caption = (f"Stories per {noun}, the {len(rows):,} of {total:,} with most: "
               f"{_listing(list(zip(labels[:5], counts[:5])))}{more}.")
    return Section(key, title, caption, svg, [{"rank": rank, **row} for rank, row in enumerate(rows, 1)])


def bin_width(low: int, high: int, bins: int = 20) -> int:
    """A round bar width (1, 2 or 5 times a power of ten words) giving about ``bins`` bars."""
    raw = max(1.0, (high - low) / bins)
    power = 10 ** math.floor(math.log10(raw))
    return int(next(step * power for step in (1, 2, 5, 10) if step * power >= raw))


def length_bins(words: list[int]) -> tuple[list[int], int]:
    """Edges of round bars over sorted ``words``, and how many stories lie past the last edge:
    a long tail (the longest story over twice the 99th percentile) is gathered in the last bar."""
    cap = words[(len(words) - 1) * 99 // 100]
    top = cap if words[-1] > 2 * cap else words[-1]
    width = bin_width(words[0], top)
    start = words[0] // width * width
    edges = [start + width * i for i in range((top - start) // width + 2)]
    return edges, sum(1 for w in words if w >= edges[-1])


def length_section(words: list[int]) -> Section:
    """A histogram of ``word_count``, with the median marked."""
    title = "Story length"
    if not words:
        return Section("length", title, "No data: no story has a word count.")
    edges, tail = length_bins(words)
    width, median = edges[1] - edges[0], statistics.median(words)
    drawn = [min(w, edges[-1] - 1) for w in words]  # the tail, if any, in the last bar
    svg = charts.draw(charts.histogram, "length", title, drawn, edges, xlabel="Words (the platform's count)",
                      ylabel="Stories", median=median)
    caption = (f"{_plural(len(words), 'story', 'stories')} with a word count: median {median:,.0f} words, "
               f"mean {statistics.fmean(words):,.0f}, shortest {words[0]:,}, longest {words[-1]:,}; "
               f"bars of {_plural(width, 'word')}.")
    if tail:
        caption += f" The last bar also holds the {_plural(tail, 'longer story', 'longer stories')}."
    table = [{"words": f"{low:,}" if width == 1 else f"{low:,}–{low + width - 1:,}",
              "stories": sum(1 for w in drawn if low <= w < low + width)} for low in edges[:-1]]
    if tail:
        table[-1]["words"] = f"{edges[-2]:,} or more"
    return Section("length", title, caption, svg, [row for row in table if row["stories"]])


def changes_section(rows: list[dict[str, Any]]) -> Section:
    """Edits and removals per month, side by side."""
    title = "Edits and removals per month"
    if not rows:
        return Section("changes", title, "No data: no edit or removal seen yet. An edit shows when a crawl "
                       "finds new content in a stored story, a removal when a stored story's URL answers 404.")
    months = months_between(rows[0]["month"], rows[-1]["month"])
    found = {row["month"]: row for row in rows}
    edits = [found.get(month, {}).get("edits", 0) for month in months]
    removals = [found.get(month, {}).get("removals", 0) for month in months]
    svg = charts.draw(charts.month_bars, "changes", title, months, [("edits", edits), ("removals", removals)],
                      xlabel="Month seen (UTC)", ylabel="Stories", stacked=False, size=charts.HALF)
    busiest = max(rows, key=lambda row: (row["edits"] + row["removals"], row["month"]))
    caption = (f"{_plural(sum(edits), 'edit')} (a story's versions after its first) and "
               f"{_plural(sum(removals), 'removal')} ({_span(months)}). Busiest month: "
               f"{busiest['month']} ({_plural(busiest['edits'], 'edit')}, {_plural(busiest['removals'], 'removal')}).")
    return Section("changes", title, caption, svg, rows)


RUN_COLUMNS = ("id", "spider", "status", "started_at", "responses", "new", "changed", "removed", "errors")


def _time(value: str | None) -> str:
    return (value or "-").replace("T", " ").rstrip("Z")


def runs_section(runs: list[dict[str, Any]], by_status: list[dict[str, Any]]) -> Section:
    """Every run, oldest first: responses, new stories and errors."""
    title = "Crawl history"
    if not runs:
        return Section("runs", title, "No data: no crawl run recorded.", wide=True)
    figures = {name: [run[name] or 0 for run in runs] for name in ("responses", "new", "errors")}
    ticks = [f"#{run['id']}\n{(run['started_at'] or '')[5:10]}" for run in runs]
    svg = charts.draw(charts.run_panels, "runs", title, ticks, figures["responses"], figures["new"],
                      figures["errors"])
    last = runs[-1]
    caption = (f"{_plural(len(runs), 'run')}, {_time(runs[0]['started_at'])} to {_time(last['started_at'])}: "
               f"{sum(figures['responses']):,} responses, {sum(figures['new']):,} new stories, "
               f"{_plural(sum(figures['errors']), 'error')} in all. By status: "
               f"{_listing([(row['status'], row['runs']) for row in by_status])}. Last run: #{last['id']} "
               f"({last['spider']}, {last['status']}): {last['responses'] or 0:,} responses, "
               f"{last['new'] or 0:,} new, {_plural(last['errors'] or 0, 'error')}.")
    table = [{column: run[column] for column in RUN_COLUMNS} for run in reversed(runs)]
    return Section("runs", title, caption, svg, table, wide=True)


def sections(data: dict[str, Any]) -> list[Section]:
    """Every section of the report, in page order, from ``report.read_report_data``'s dict."""
    totals = data["totals"]
    return [
        months_section(data["community_months"], data["communities"]),
        ranking_section("creators", "Top creators", data["creators"], totals["creators"], "creator",
                        charts.PALETTE[0]),
        ranking_section("tags", "Tag frequencies", data["tags"], totals["tags"], "tag", charts.PALETTE[4]),
        length_section(data["words"]),
        changes_section(data["changes"]),
        runs_section(data["runs"], data["runs_by_status"]),
    ]
