"""The page of ``swampcrawl report``: one self-contained HTML file.

Everything is inline (the stylesheet, the charts' SVG); the page names no URL but its own
anchors, so it opens offline, from a mail attachment or a USB stick, as it did when it was
written. Fonts are the reader's own (a system font stack); the charts carry their text as paths.
"""

from __future__ import annotations

from html import escape
from typing import Any

from swampcrawl.research.report_sections import Section

CSS = """
:root { --ink: #1f2328; --muted: #5f6368; --line: #e4e6ea; --page: #f4f5f7; --card: #fff;
        --accent: #2f5f8f; --head: #1d2a3a; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--page); color: var(--ink);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.wrap { max-width: 1200px; margin: 0 auto; padding: 0 28px; }
header { background: var(--head); color: #fff; padding: 26px 0 64px; }
header h1 { margin: 0 0 4px; font-size: 27px; font-weight: 650; letter-spacing: -0.01em; }
header .meta { color: #c3ccd6; font-size: 13.5px; }
header .meta code { color: #e8edf2; font-size: 13px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(132px, 1fr)); gap: 12px;
         margin-top: -44px; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px;
        box-shadow: 0 1px 3px rgba(16, 24, 40, 0.06); }
.tile .value { display: block; font-size: 25px; font-weight: 650; font-variant-numeric: tabular-nums; }
.tile .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em; }
.span { color: var(--muted); font-size: 13.5px; margin: 12px 2px 0; }
nav.toc { margin: 14px 0 4px; display: flex; flex-wrap: wrap; gap: 8px; }
nav.toc a { color: var(--accent); text-decoration: none; font-size: 13.5px; padding: 3px 10px;
            border: 1px solid var(--line); border-radius: 999px; background: var(--card); }
nav.toc a:hover { border-color: var(--accent); }
main.grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 20px; margin: 18px 0 8px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 18px 22px 14px;
        box-shadow: 0 1px 3px rgba(16, 24, 40, 0.06); min-width: 0; }
.card.wide { grid-column: 1 / -1; }
.card h2 { margin: 0 0 10px; font-size: 18px; font-weight: 620; }
figure.chart { margin: 0; }
.chart-svg { display: block; width: 100%; height: auto; }
.chart-svg * { stroke-linejoin: round; stroke-linecap: butt; }
figcaption { color: var(--muted); font-size: 14px; margin-top: 10px; }
.nodata { margin: 0; padding: 48px 16px; text-align: center; color: var(--muted); font-size: 15px;
          border: 1px dashed #c9ccd1; border-radius: 8px; background: #fafbfc; }
details { margin-top: 10px; font-size: 13.5px; }
summary { cursor: pointer; color: var(--accent); }
.table-scroll { max-height: 340px; overflow: auto; margin-top: 6px; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { position: sticky; top: 0; background: #f8f9fa; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td:first-child, th { white-space: nowrap; }
footer { color: var(--muted); font-size: 13px; padding: 10px 0 40px; }
@media (max-width: 920px) { main.grid { grid-template-columns: minmax(0, 1fr); } }
@media print { header { padding-bottom: 20px; } .tiles { margin-top: 12px; } details { display: none; }
               .card { break-inside: avoid; box-shadow: none; } }
"""

# The overview tiles: (key of stats.totals, label).
TILES = (
    ("stories", "stories"), ("live", "live"), ("removed", "removed"), ("creators", "creators"),
    ("communities", "communities"), ("tags", "tags"), ("edits", "edits"), ("runs", "crawl runs"),
)  # fmt: skip


def page(title: str, source: str, generated: str, totals: dict[str, Any], sections: list[Section]) -> str:
    """The whole HTML document."""
    body = "\n".join(card(section) for section in sections)
    toc = "".join(f'<a href="#{section.key}">{escape(section.title)}</a>' for section in sections)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="swampcrawl report">
<title>{escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<header><div class="wrap">
<h1>{escape(title)}</h1>
<div class="meta">From <code>{escape(source)}</code>, generated {escape(generated)}. Times are UTC.</div>
</div></header>
<div class="wrap">
{tiles(totals)}
<nav class="toc">{toc}</nav>
<main class="grid">
{body}
</main>
<footer>Made by <code>swampcrawl report</code>; the same counts as <code>swampcrawl stats</code>.
Removed stories are counted with the rest: the archive keeps them.</footer>
</div>
</body>
</html>
"""


def tiles(totals: dict[str, Any]) -> str:
    cells = "".join(f'<div class="tile" data-figure="{key}"><span class="value">{totals[key] or 0:,}</span>'
                    f'<span class="label">{escape(label)}</span></div>' for key, label in TILES)
    span = ""
    if totals["first_published"]:
        span = (f'<p class="span">Published {escape(totals["first_published"][:10])} to '
                f'{escape(totals["last_published"][:10])}; last captured {escape(totals["last_captured"] or "-")}.</p>')
    return f'<section class="tiles">{cells}</section>\n{span}'


def card(section: Section) -> str:
    """A section: its title, the chart (or a "no data" note), the caption, the numbers."""
    if section.svg is None:
        figure = (f'<figure class="chart" data-chart="{section.key}">'
                  f'<p class="nodata">{escape(section.caption)}</p></figure>')
    else:
        figure = (f'<figure class="chart" data-chart="{section.key}">{section.svg}\n'
                  f'<figcaption>{escape(section.caption)}</figcaption></figure>')
    return (f'<section class="card{" wide" if section.wide else ""}" id="{section.key}">\n'
            f'<h2>{escape(section.title)}</h2>\n{figure}\n{numbers(section.table)}</section>')


def numbers(rows: list[dict[str, Any]]) -> str:
    """The numbers behind a chart, as a table folded away under "The numbers"."""
    if not rows:
        return ""
    columns = list(rows[0])
    numeric = {column for column in columns if all(isinstance(row[column], (int, float)) or row[column] is None
                                                    for row in rows)}
    head = "".join(f'<th{_num(column, numeric)}>{escape(column.replace("_", " "))}</th>' for column in columns)
    body = "".join("<tr>" + "".join(f"<td{_num(column, numeric)}>{_cell(row[column])}</td>" for column in columns)
                   + "</tr>" for row in rows)
    return (f'<details><summary>The numbers ({len(rows):,} {"row" if len(rows) == 1 else "rows"})</summary><div class="table-scroll">'
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div></details>\n")


def _num(column: str, numeric: set[str]) -> str:
    return ' class="num"' if column in numeric else ""


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return escape(str(value))
