"""docs/schema.md against the real schema, swampcrawl/store/descriptions.py and a real crawl.

Every table and column a freshly created database has is described in descriptions.py (and
nothing else is); the page's table sections are exactly what descriptions.py renders; and
every ```sql example on the page runs against a crawl of the replica (two epochs, so that
edits and removals exist), returns rows, and where it answers a question the replica's truth
knows, the right ones.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from crawl_support import ROOT
from research_support import TwoEpochs, crawl_two_epochs

from swampcrawl.store import Store
from swampcrawl.store.descriptions import TABLES, markdown, replace_generated

DOC = ROOT / "docs" / "schema.md"


def real_schema(db: sqlite3.Connection) -> dict[str, list[str]]:
    """Table -> its columns, as SQLite lists them; FTS5's shadow tables left out (SQLite's own)."""
    found = db.execute("SELECT name, sql FROM sqlite_master WHERE type IN ('table', 'view') "
                       "AND name NOT LIKE 'sqlite_%'").fetchall()
    virtual = [name for name, sql in found if sql.upper().startswith("CREATE VIRTUAL TABLE")]
    shadow = {f"{name}_{part}" for name in virtual for part in ("data", "idx", "docsize", "config", "content")}
    return {name: [row[1] for row in db.execute(f"PRAGMA table_info([{name}])")]
            for name, _ in found if name not in shadow}


def test_every_table_and_column_of_the_schema_is_described(tmp_path: Path) -> None:
    with Store(tmp_path / "swamp.db") as store:
        schema = real_schema(store.db.conn)
    described = {table.name: [column.name for column in table.columns] for table in TABLES}
    assert described == schema  # in the schema's order: the docs and Datasette show them so


def test_every_description_says_something() -> None:
    for table in TABLES:
        assert table.title and not table.title.endswith("."), table.name
        for column in table.columns:
            assert column.type and column.meaning.strip(), f"{table.name}.{column.name}"
            assert column.meaning == column.meaning.strip() and "\n" not in column.meaning


def test_the_page_shows_the_descriptions() -> None:
    page = DOC.read_text(encoding="utf-8")
    assert markdown() in page
    assert replace_generated(page) == page, "docs/schema.md is stale: run python scripts/schema-docs.py"


def test_the_script_checks_the_page() -> None:
    check = subprocess.run([sys.executable, "scripts/schema-docs.py", "--check"], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


# -- the examples, against a crawl ---------------------------------------------------------------

def examples() -> dict[str, str]:
    """Caption (the line before the block, up to a colon or parenthesis) -> SQL, for every ```sql block."""
    found = re.findall(r"^([^\n:(]+?) *[:(][^\n]*\n\n```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S | re.M)
    return {caption: sql for caption, sql in found}


def test_every_example_is_found() -> None:
    blocks = re.findall(r"```sql\n", DOC.read_text(encoding="utf-8"))
    assert len(examples()) == len(blocks) >= 9


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> TwoEpochs:
    """Epoch 1 (stories, creators, communities), then epoch 2's full pass: edits, a removal, a rename."""
    return crawl_two_epochs(tmp_path_factory.mktemp("examples"), spiders=("stories", "creators", "communities"))


def edited_urls(crawled: TwoEpochs) -> set[str]:
    return {crawled.base + new["path"] for _, new in crawled.edited}


# The values the page's examples name, which the crawl replaces with its own.
PLACEHOLDERS = ("'some-creator'", "'climate change'", "'https://vocal.media/fiction/some-story'", "'2026-01-01'")


def placeholders(crawled: TwoEpochs, db: sqlite3.Connection) -> dict[str, str]:
    """The page's example values -> values this crawl has: its most prolific creator, a word of
    a title, an edited story, and the start of the first crawl (before the removal was seen)."""
    live = crawled.truth2["stories"]
    author, _ = Counter(s["author"] for s in live).most_common(1)[0]
    words = [w for s in live for w in s["title"].lower().split() if w.isascii() and w.isalpha() and len(w) >= 5]
    first_run = db.execute("SELECT min(started_at) FROM crawl_runs").fetchone()[0]
    values = (author, max(words), sorted(edited_urls(crawled))[0], first_run)
    return {literal: f"'{value}'" for literal, value in zip(PLACEHOLDERS, values)}


def run_examples(crawled: TwoEpochs) -> dict[str, list[sqlite3.Row]]:
    db = sqlite3.connect(f"file:{crawled.db}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        values = placeholders(crawled, db)
        results = {}
        for caption, sql in examples().items():
            for literal, value in values.items():
                sql = sql.replace(literal, value)
            results[caption] = db.execute(sql).fetchall()
        return results
    finally:
        db.close()


def test_every_example_runs_and_returns_rows(crawled: TwoEpochs) -> None:
    page = DOC.read_text(encoding="utf-8")
    assert all(literal in page for literal in PLACEHOLDERS)
    for caption, rows in run_examples(crawled).items():
        assert rows, f"no rows: {caption}"


def test_examples_answer_as_the_truth_says(crawled: TwoEpochs) -> None:
    base, truth1, truth2 = crawled.base, crawled.truth1, crawled.truth2
    results = run_examples(crawled)
    live = truth2["stories"]
    per_community = results["Stories per community, live ones only"]
    assert {row["community"]: row["stories"] for row in per_community} == Counter(s["community"] for s in live)
    removed = results["Stories removed since a date"]
    assert {row["url"] for row in removed} == {base + path for path in truth2["removed"]}
    edited = results["Most-edited stories"]
    assert {row["url"] for row in edited} == edited_urls(crawled) and all(row["edits"] == 1 for row in edited)
    assert len(results["Every version of a story, oldest first"]) == 2
    author, count = Counter(s["author"] for s in live).most_common(1)[0]
    gone = [s for s in truth1["stories"] if s["path"] in truth2["removed"] and s["author"] == author]
    assert sum(row["stories"] for row in results["A creator's output over time"]) == count + len(gone)
    stored = live + [s for s in truth1["stories"] if s["path"] in truth2["removed"]]
    pairs = Counter((s["community"], t["slug"]) for s in stored for t in s["tags"])
    assert {(r["community"], r["tag"]): r["stories"] for r in results["Tags by community"]} == pairs
