"""Showing results: an aligned text table for people, JSON for scripts.

    show(rows, as_json)                  # rows: a list of dicts with the same keys
    show(rows, as_json, columns=["url", "title"], right={"stories"})
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import click

# A cell longer than this is cut with "…" in tables (never in JSON).
MAX_CELL = 80


def show(rows: Sequence[dict[str, Any]], as_json: bool, columns: Sequence[str] | None = None,
         right: Iterable[str] = (), empty: str = "no rows") -> None:
    """Print ``rows`` as JSON (a list of objects) or as an aligned table."""
    if as_json:
        click.echo(json.dumps(list(rows), indent=2, ensure_ascii=False, default=str))
    elif not rows:
        click.echo(empty)
    else:
        click.echo("\n".join(table_lines(rows, columns or list(rows[0]), set(right))))


def table_lines(rows: Sequence[dict[str, Any]], columns: Sequence[str], right: set[str] = frozenset()) -> list[str]:
    """A heading line, then one line per row; numbers right-aligned, None shown as ``-``."""
    cells = [list(columns)] + [[cell(row.get(column)) for column in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    aligned = []
    for line in cells:
        parts = []
        for text, width, column in zip(line, widths, columns):
            numeric = column in right or isinstance(rows[0].get(column), (int, float))
            parts.append(text.rjust(width) if numeric else text.ljust(width))
        aligned.append("  ".join(parts).rstrip())
    return aligned


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    text = " ".join(str(value).split())
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"
