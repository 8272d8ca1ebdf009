"""Figures, tables, the machine's description and docs/BENCHMARKS.md for benchmarks/vs_wget.py.

Each run is a ``Measure``; a benchmark's result is a list of tables (headers, rows of text),
printed as aligned text and written as Markdown between the document's marker comments.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

Table = tuple[list[str], list[list[str]]]

STEPS = {
    "a": "wget --mirror",
    "b": "bare Scrapy spider",
    "c": "scrapy crawl stories",
    "d": "swampcrawl reparse",
    "e": "incremental recrawl",
}
# (ratio, what it compares, op, target)
SPEED_TARGETS = [
    ("c/a", "pages/s", ">=", 1.0),
    ("c/b", "pages/s", None, None),
    ("d/c", "pages/s", ">=", 5.0),
    ("e/c", "requests", "<=", 0.05),
]
MEMORY_TARGET_STORIES, MEMORY_TARGET_MB, GROWTH_TARGET_MB = 50_000, 200.0, 30.0


@dataclass
class Measure:
    wall: float
    cpu: float
    max_rss_mb: float
    pages: int  # HTTP responses (for reparse: those of the crawl it reads)

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall if self.wall else 0.0

    @property
    def cpu_ms_per_page(self) -> float:
        return 1000 * self.cpu / self.pages if self.pages else 0.0


def find_tool(name: str) -> str | None:
    """A program on PATH, or in /usr/sbin (nginx, for a user whose PATH lacks it)."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


# --- figures ---


def ratios(rounds: list[dict[str, Measure]]) -> dict[str, float]:
    """Medians of each round's ratios: runs next to each other share the machine's state."""
    per_round = {
        "c/a": lambda r: r["c"].pages_per_s / r["a"].pages_per_s,
        "c/b": lambda r: r["c"].pages_per_s / r["b"].pages_per_s,
        "d/c": lambda r: r["d"].pages_per_s / r["c"].pages_per_s,
        "e/c": lambda r: r["e"].pages / r["c"].pages,
    }
    return {name: statistics.median(ratio(r) for r in rounds) for name, ratio in per_round.items()}


def verdict(value: float, op: str | None, target: float | None) -> str:
    if op is None or target is None:
        return "(no target)"
    return "met" if (value >= target if op == ">=" else value <= target) else "missed"


def shown_ratio(name: str, value: float) -> str:
    return f"{100 * value:.1f}%" if name == "e/c" else f"{value:.2f}x"


def shown_target(name: str, op: str | None, target: float | None) -> str:
    return "" if op is None or target is None else f"{op} {shown_ratio(name, target)}"


def median_of(rounds: list[dict[str, Measure]], key: str, field: str) -> float:
    return statistics.median(getattr(r[key], field) for r in rounds)


def speed_tables(rounds: list[dict[str, Measure]]) -> list[Table]:
    runs = [[f"({key}) {label}", f"{median_of(rounds, key, 'pages'):,.0f}",
             f"{median_of(rounds, key, 'pages_per_s'):,.1f}", f"{median_of(rounds, key, 'cpu_ms_per_page'):.3f}",
             f"{median_of(rounds, key, 'max_rss_mb'):,.1f}"] for key, label in STEPS.items()]
    values = ratios(rounds)
    checks = [[f"{name} ({what})", shown_ratio(name, values[name]), shown_target(name, op, target),
               verdict(values[name], op, target)] for name, what, op, target in SPEED_TARGETS]
    each = [[str(number), *(f"{r[key].pages_per_s:,.1f}" for key in STEPS)] for number, r in enumerate(rounds, 1)]
    return [
        (["run", "pages", "pages/s", "CPU ms/page", "peak RSS MB"], runs),
        (["ratio", "value", "target", "status"], checks),
        (["round", *(f"{key} pages/s" for key in STEPS)], each),
    ]


def memory_tables(results: list[tuple[int, Measure]]) -> list[Table]:
    (small, first), (large, last) = results[0], results[-1]
    growth = (last.max_rss_mb - first.max_rss_mb) / max(last.pages - first.pages, 1) * 100_000
    runs = [[f"{stories:,}", f"{m.pages:,}", f"{m.max_rss_mb:,.1f}", f"{m.wall:,.1f}", f"{m.pages_per_s:,.1f}"]
            for stories, m in results]
    at_target = (verdict(last.max_rss_mb, "<=", MEMORY_TARGET_MB) if large == MEMORY_TARGET_STORIES
                 else f"not judged: measured at {large:,} stories")
    checks = [
        [f"peak RSS of (c) at {large:,} stories", f"{last.max_rss_mb:,.1f} MB",
         f"<= {MEMORY_TARGET_MB:.0f} MB at {MEMORY_TARGET_STORIES:,} stories", at_target],
        [f"growth from {small:,} to {large:,} stories", f"{growth:,.1f} MB per 100,000 URLs",
         f"<= {GROWTH_TARGET_MB:.0f} MB per 100,000 URLs", verdict(growth, "<=", GROWTH_TARGET_MB)],
    ]
    return [(["stories", "URLs (requests)", "peak RSS MB", "wall s", "pages/s"], runs),
            (["figure", "value", "target", "status"], checks)]


def as_text(table: Table) -> str:
    headers, rows = table
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
                     for row in [headers, *rows])


def as_markdown(table: Table) -> str:
    headers, rows = table
    lines = [headers, ["---"] * len(headers), *rows]
    return "\n".join("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in lines)


# --- the machine and the document ---


def first_line(command: list[str], stderr: bool = False) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True)
    except OSError:
        return "(not found)"
    return ((done.stderr if stderr else done.stdout).strip().splitlines() or ["?"])[0]


def proc_value(path: str, key: str) -> str:
    for line in Path(path).read_text(errors="replace").splitlines():
        if line.startswith(key):
            return line.split(":" if ":" in line else "=", 1)[1].strip().strip('"')
    return "?"


def machine() -> dict[str, str]:
    kib = int(proc_value("/proc/meminfo", "MemTotal").split()[0])
    return {
        "CPU": proc_value("/proc/cpuinfo", "model name"),
        "cores": str(os.cpu_count()),
        "RAM": f"{kib / 1024 / 1024:.1f} GiB",
        "OS": f"{proc_value('/etc/os-release', 'PRETTY_NAME')}, Linux {platform.release()}",
        "Python": platform.python_version(),
        "Scrapy": version("scrapy"),
        "nginx": first_line([find_tool("nginx") or "nginx", "-v"], stderr=True).removeprefix("nginx version: "),
        "wget": " ".join(first_line([find_tool("wget") or "wget", "--version"]).split()[:3]),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def section(title: str, command_line: str, described: str, tables: list[Table], notes: list[str]) -> str:
    parts = [f"{title}: `{command_line}`", f"Machine: {described}.", *(as_markdown(t) for t in tables), *notes]
    return "\n\n".join(parts)


def write_section(doc: Path, name: str, body: str) -> None:
    """Replace what stands between the ``name`` markers of ``doc``."""
    start, end = f"<!-- vs_wget.py {name}: start -->", f"<!-- vs_wget.py {name}: end -->"
    text = doc.read_text(encoding="utf-8")
    before, found, rest = text.partition(start)
    if not found or end not in rest:
        raise SystemExit(f"vs_wget.py: {doc} has no {start} ... {end} markers")
    doc.write_text(f"{before}{start}\n{body}\n{end}{rest.split(end, 1)[1]}", encoding="utf-8")


