"""Story pages extracted per second from saved files, on one core (one process).

    .venv/bin/python benchmarks/extract_bench.py [--seconds 5] [FIXTURE_DIR ...]

Reads every story fixture (body.html + meta.json) under tests/fixtures/story/, or the
folders given, then extracts them in a loop for about ``--seconds`` and prints the rate.
Also reports extract_links() on the same pages, which the crawler runs on every page.
The aim is at least 500 story pages per second.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime
from pathlib import Path

from swampcrawl.pages import extract, extract_links

ROOT = Path(__file__).resolve().parent.parent
TARGET = 500.0


def load_pages(folders: list[Path]) -> list[tuple[bytes, str, datetime]]:
    pages = []
    for folder in folders:
        meta = json.loads((folder / "meta.json").read_text())
        when = datetime.fromisoformat(meta["captured_at"].replace("Z", "+00:00"))
        pages.append(((folder / "body.html").read_bytes(), meta["url"], when))
    return pages


def rate(pages: list, seconds: float, work) -> tuple[float, int]:
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for page in pages:
            work(page)
        done += len(pages)
    return done / (time.perf_counter() - start), done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    folders = args.folders or sorted(p.parent for p in (ROOT / "tests/fixtures/story").glob("*/body.html"))
    pages = load_pages(folders)
    size = sum(len(body) for body, _, _ in pages) / len(pages)
    story_rate, done = rate(pages, args.seconds, lambda p: extract(p[0], p[1], p[2]))
    links_rate, _ = rate(pages, args.seconds / 2, lambda p: extract_links(p[0], p[1], p[1].split("/", 3)[0] + "//" + p[1].split("/", 3)[2]))
    print(f"pages: {len(pages)} saved story pages, {size / 1024:.1f} KiB on average")
    print(f"extract: {story_rate:.0f} story pages/s ({done} extractions, {1000 / story_rate:.2f} ms a page; aim >= {TARGET:.0f}/s)")
    print(f"extract_links: {links_rate:.0f} pages/s ({1000 / links_rate:.2f} ms a page)")


if __name__ == "__main__":
    main()
