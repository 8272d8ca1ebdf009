"""Search speed and export memory on a synthetic database of 100,000 stories.

    .venv/bin/python benchmarks/research_bench.py [--stories 100000] [--db PATH] [--repeat 5]

Builds a database with swampcrawl's real schema (``Store`` creates and migrates it; the rows
go in with plain INSERTs, so the full-text triggers index them as a crawl's would): stories of
about 700 words (log-normal, 150 to 3,000), a title, a subtitle, HTML and text bodies, tags,
30 communities, 2,000 authors, one in fifty removed. Words follow a Zipf law over a made-up
vocabulary of 30,000, so there are very common words and rare ones. ``--db PATH`` keeps the
database (and reuses it on the next run when it has the stories asked for).

Then prints the median and 95th percentile time of ``search_stories`` (what
``swampcrawl search`` runs) over many queries (common, medium and rare words, AND, OR,
phrases, prefixes, with and without filters), each repeated ``--repeat`` times; the target
is a median under 50 ms. And the peak RSS of ``swampcrawl export stories`` to CSV and JSONL
in a subprocess, for 1,000, 10,000 and all stories: flat when rows are streamed.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from swampcrawl.research.database import open_readonly
from swampcrawl.research.search import search_stories
from swampcrawl.store import Store

TARGET_MS = 50.0
VOCABULARY = 30_000
COMMUNITIES = [f"community-{n:02d}" for n in range(30)]
AUTHORS = [f"author-{n:04d}" for n in range(2000)]
TAGS = [f"tag-{n:03d}" for n in range(300)]
SYLLABLES = "ba be bi bo bu da de di do du ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo vu".split()


class Words:
    """A made-up vocabulary whose word frequencies follow a Zipf law (rank 1 most common)."""

    def __init__(self, rng: random.Random, size: int = VOCABULARY) -> None:
        found: dict[str, None] = {}
        while len(found) < size:
            found["".join(rng.choices(SYLLABLES, k=rng.choice((1, 2, 2, 3, 3, 4))))] = None
        self.words = list(found)
        self.cumulative = list(_accumulate(1.0 / rank**1.07 for rank in range(1, size + 1)))
        self.rng = rng

    def pick(self, count: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cumulative, k=count)

    def sentence(self, count: int) -> str:
        text = " ".join(self.pick(count))
        return text[0].upper() + text[1:] + self.rng.choice(".....?!")


def _accumulate(values) -> list[float]:  # type: ignore[no-untyped-def]
    total, out = 0.0, []
    for value in values:
        total += value
        out.append(total)
    return out


def story_row(number: int, words: Words, rng: random.Random) -> tuple:
    length = max(150, min(3000, int(rng.lognormvariate(math.log(700), 0.5))))
    paragraphs, written = [], 0
    while written < length:
        sentences = [words.sentence(rng.randint(8, 20)) for _ in range(rng.randint(2, 6))]
        paragraphs.append(" ".join(sentences))
        written += sum(len(s.split()) for s in sentences)
    community, slug = rng.choice(COMMUNITIES), f"story-{number}"
    published = f"20{rng.randint(19, 26)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z"
    removed = "2026-11-20T00:00:00Z" if number % 50 == 0 else None
    title = words.sentence(rng.randint(3, 8)).rstrip(".?!")
    body_text = "\n\n".join(paragraphs)
    body_html = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"https://vocal.media/{community}/{slug}", f"id-{number}", community, slug, title,
            words.sentence(rng.randint(6, 12)), paragraphs[0][:200], rng.choice(AUTHORS), published,
            written, max(1, round(written / 265)), body_html, body_text, "2026-11-24T09:30:00Z",
            "2026-11-24T09:30:00Z", removed, "synthetic.warc.gz", number * 4096, f"<urn:uuid:{number}>")


STORY_INSERT = (
    "INSERT INTO stories (url, id, community, slug, title, subtitle, summary, author, published_at, "
    "word_count, reading_minutes, body_html, body_text, first_seen_at, last_seen_at, removed_at, "
    "warc_filename, warc_offset, warc_record_id) VALUES (" + ", ".join("?" * 19) + ")"
)


def build(path: Path, stories: int, seed: int = 7) -> Words:
    """A database of ``stories`` synthetic stories at ``path`` (reused when it has them)."""
    rng = random.Random(seed)
    words = Words(rng)
    if path.exists() and _count(path) == stories:
        print(f"reusing {path} ({stories:,} stories)")
        return words
    path.unlink(missing_ok=True)
    Store(path).close()  # the real schema, migrated
    started = time.perf_counter()
    db = sqlite3.connect(path)
    db.executemany("INSERT INTO tags (slug, name) VALUES (?, ?)", [(t, t) for t in TAGS])
    for first in range(1, stories + 1, 1000):
        batch = [story_row(n, words, rng) for n in range(first, min(first + 1000, stories + 1))]
        with db:
            db.executemany(STORY_INSERT, batch)
            db.executemany("INSERT INTO story_tags (story_url, tag_slug, position) VALUES (?, ?, ?)",
                           [(row[0], tag, i) for row in batch for i, tag in enumerate(rng.sample(TAGS, 3))])
        if (first + len(batch) - 1) % 10_000 == 0:
            print(f"{first + len(batch) - 1:,} stories", file=sys.stderr, flush=True)
    db.close()
    print(f"built {stories:,} stories in {time.perf_counter() - started:.0f} s: "
          f"{path.stat().st_size / 1e9:.2f} GB", file=sys.stderr)
    return words


def _count(path: Path) -> int:
    try:
        with sqlite3.connect(path) as db:
            return db.execute("SELECT count(*) FROM stories").fetchone()[0]
    except sqlite3.Error:
        return -1


def queries(words: Words) -> list[tuple[str, str, dict[str, str]]]:
    """(kind, FTS query, filters) covering common to rare words, operators and filters."""
    w = words.words
    return [
        ("very common word", w[2], {}), ("common word", w[60], {}), ("medium word", w[1500], {}),
        ("rare word", w[20000], {}), ("rare word", w[29000], {}),
        ("two words (AND)", f"{w[300]} {w[900]}", {}), ("OR", f"{w[4000]} OR {w[5000]}", {}),
        ("phrase", f'"{w[0]} {w[1]}"', {}), ("prefix", w[700][:3] + "*", {}),
        ("title column", f"title:{w[200]}", {}),
        ("common + community", w[60], {"community": COMMUNITIES[3]}),
        ("common + author", w[60], {"author": AUTHORS[10]}),
        ("common + tag", w[60], {"tag": TAGS[5]}),
        ("medium + since", w[1500], {"since": "2026-01-01T00:00:00Z"}),
    ]  # fmt: skip


def bench_search(path: Path, words: Words, repeat: int) -> None:
    times: list[float] = []
    print(f"\nsearch_stories, --limit 20, {repeat} runs each (ms): kind, query, matches, median")
    with open_readonly(path) as db:
        for kind, text, filters in queries(words):
            found = search_stories(db, text, filters, 20)  # a first run warms the cache
            runs = []
            for _ in range(repeat):
                started = time.perf_counter()
                search_stories(db, text, filters, 20)
                runs.append((time.perf_counter() - started) * 1000)
            matches = db.execute("SELECT count(*) FROM stories_fts WHERE stories_fts MATCH ?", [text]).fetchone()[0]
            times += runs
            print(f"  {kind:20} {text[:28]:28} {matches:>7,} {len(found):>3} shown  {statistics.median(runs):8.1f}")
    p95 = statistics.quantiles(times, n=20)[-1]
    verdict = "under" if statistics.median(times) < TARGET_MS else "OVER"
    print(f"all {len(times)} searches: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms "
          f"({verdict} the {TARGET_MS:.0f} ms target)")


# Runs ``swampcrawl ARGS`` and, at exit, prints the process's own peak RSS (VmHWM, Linux) on
# stderr. Not the rusage of the child: a child started by vfork inherits its parent's peak.
MEASURED = """
import atexit, sys
def peak():
    status = open("/proc/self/status").read()
    print("VmHWM", status.split("VmHWM:")[1].split()[0], file=sys.stderr)
atexit.register(peak)
from swampcrawl.cli import main
sys.argv = ["swampcrawl", *sys.argv[1:]]
main()
"""


def peak_rss(args: list[str]) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of ``swampcrawl ARGS`` in a subprocess."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", MEASURED, *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if result.returncode:
        raise SystemExit(f"swampcrawl {' '.join(args)} failed: {result.stderr}")
    kilobytes = int(result.stderr.rsplit("VmHWM", 1)[1].split()[0])
    return kilobytes / 1024, seconds


def bench_export(path: Path, stories: int, out: Path) -> None:
    print("\nswampcrawl export stories in a subprocess: rows, format, peak RSS, time, output size")
    rss, _ = peak_rss(["export", "tags", "--db", str(path)])
    print(f"  (baseline: swampcrawl export of the 300 tags, {rss:.1f} MB)")
    for rows in sorted({min(1000, stories), min(10_000, stories), stories}):
        for fmt in ("csv", "jsonl"):
            target = out / f"stories.{fmt}"
            where = ["--where", f"rowid <= {rows}"] if rows < stories else []
            rss, seconds = peak_rss(["export", "stories", "--format", fmt, "-o", str(target), "--db", str(path), *where])
            print(f"  {rows:>7,} {fmt:5} {rss:7.1f} MB {seconds:7.1f} s {target.stat().st_size / 1e6:8.1f} MB")
            target.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="Keep the database here (reused when it has --stories stories).")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="research-bench-") as tmp:
        path = args.db or Path(tmp) / "bench.db"
        words = build(path, args.stories)
        print(f"database: {args.stories:,} stories, {path.stat().st_size / 1e9:.2f} GB; "
              f"SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
        bench_search(path, words, args.repeat)
        bench_export(path, args.stories, Path(tmp))


if __name__ == "__main__":
    main()
