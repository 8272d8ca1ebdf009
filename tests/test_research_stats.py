"""`swampcrawl stats` against the database of real crawls of a replica (``scrapy crawl``
subprocesses), the replica's ground truth as the oracle: epoch 1, then epoch 2 on the same port
(edits, removals, renames, new stories) with every known URL asked again."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from crawl_support import scrapy_crawl
from replica_process import ReplicaProcess

from swampcrawl.research.stats import stats
from swampcrawl.store import Store


@dataclass
class Crawled:
    epoch1: Path  # the database as the first crawl left it
    epoch2: Path  # the same after the second crawl
    truth1: dict[str, Any]
    truth2: dict[str, Any]
    months: set[str]  # the months (UTC) the second crawl ran in


def this_month() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> Crawled:
    data = tmp_path_factory.mktemp("stats")
    with ReplicaProcess(stories=60, seed=1) as first:
        result = scrapy_crawl("stories", base_url=first.base_url, data=data)
        assert result.returncode == 0, result.stderr[-3000:]
        port, truth1 = urlsplit(first.base_url).port, first.truth
    with sqlite3.connect(data / "swamp.db") as source, sqlite3.connect(data / "epoch1.db") as copy:
        source.backup(copy)
    with ReplicaProcess(stories=60, seed=1, epoch=2, port=port) as second:
        months = {this_month()}
        result = scrapy_crawl("stories", "-a", "recheck=all", base_url=second.base_url, data=data)
        assert result.returncode == 0, result.stderr[-3000:]
        months.add(this_month())
        truth2 = second.truth
    return Crawled(data / "epoch1.db", data / "swamp.db", truth1, truth2, months)


def invoke(*args: str):
    return CliRunner().invoke(stats, list(args))


def counted(db: Path, *args: str) -> dict[str, Any]:
    result = invoke("--db", str(db), "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def edited_ids(crawled: Crawled) -> set[str]:
    """Stories of both epochs whose content changed (the replica's edits)."""
    before = {story["id"]: story for story in crawled.truth1["stories"]}
    return {story["id"] for story in crawled.truth2["stories"] if story["id"] in before
            and (story["title"], story["body_text"]) != (before[story["id"]]["title"], before[story["id"]]["body_text"])}


# -- epoch 1: every count against the truth ------------------------------------------------------


def test_stories_per_community_are_the_truths(crawled):
    rows = counted(crawled.epoch1, "--by", "community")["community"]
    assert {row["community"]: row["stories"] for row in rows} == Counter(s["community"] for s in crawled.truth1["stories"])
    assert all(row["live"] == row["stories"] and row["removed"] == 0 for row in rows)
    assert [row["stories"] for row in rows] == sorted((row["stories"] for row in rows), reverse=True)
    names = {c["slug"]: c["name"] for c in crawled.truth1["communities"]}
    assert all(row["name"] == names[row["community"]] for row in rows if row["community"] in names)


def test_stories_per_month_are_the_truths(crawled):
    rows = counted(crawled.epoch1, "--by", "month")["month"]
    assert {row["month"]: row["stories"] for row in rows} == Counter(s["published_at"][:7] for s in crawled.truth1["stories"])
    assert [row["month"] for row in rows] == sorted(row["month"] for row in rows)
    assert all(row["edits"] == 0 and row["removals"] == 0 for row in rows)


def test_top_creators_and_tags_are_the_truths(crawled):
    found = counted(crawled.epoch1, "--by", "creator", "--limit", "5")["creator"]
    stories = crawled.truth1["stories"]
    per_creator = Counter(s["author"] for s in stories)
    expected = sorted(per_creator.items(), key=lambda item: (-item[1], item[0]))[:5]
    assert [(row["creator"], row["stories"]) for row in found] == expected
    names = {s["author"]: s["author_name"] for s in stories}
    for row in found:
        assert row["name"] == names[row["creator"]]
        assert row["words"] == sum(s["word_count"] for s in stories if s["author"] == row["creator"])
    tags = counted(crawled.epoch1, "--by", "tag", "--limit", "7")["tag"]
    per_tag = Counter(tag["slug"] for s in stories for tag in s["tags"])
    assert [(row["tag"], row["stories"]) for row in tags] == sorted(per_tag.items(), key=lambda i: (-i[1], i[0]))[:7]


# -- epoch 2: edits, removals, runs ---------------------------------------------------------------


def test_edits_and_removals_per_month_are_the_truths(crawled):
    rows = counted(crawled.epoch2, "--by", "month")["month"]
    changed = [row for row in rows if row["edits"] or row["removals"]]
    assert changed and {row["month"] for row in changed} <= crawled.months
    assert sum(row["edits"] for row in rows) == len(edited_ids(crawled)) > 0
    assert sum(row["removals"] for row in rows) == len(crawled.truth2["removed"]) > 0
    # the stories published are still those of the truth: epoch 2's live ones and the removed ones
    removed = [s for s in crawled.truth1["stories"] if s["path"] in crawled.truth2["removed"]]
    published = Counter(s["published_at"][:7] for s in crawled.truth2["stories"] + removed)
    assert {row["month"]: row["stories"] for row in rows if row["stories"]} == published


def test_removed_stories_stay_counted_by_community(crawled):
    rows = {row["community"]: row for row in counted(crawled.epoch2, "--by", "community")["community"]}
    removed = Counter(s["community"] for s in crawled.truth1["stories"] if s["path"] in crawled.truth2["removed"])
    live = Counter(s["community"] for s in crawled.truth2["stories"])
    assert {c: row["stories"] for c, row in rows.items()} == live + removed
    assert {c: row["removed"] for c, row in rows.items() if row["removed"]} == removed
    assert {c: row["live"] for c, row in rows.items() if row["live"]} == live


def test_totals_runs_and_the_last_run(crawled):
    found = counted(crawled.epoch2)
    assert list(found) == ["totals", "community", "month", "creator", "tag", "runs", "last_run"]
    totals, truth2 = found["totals"], crawled.truth2
    assert totals["stories"] == len(truth2["stories"]) + len(truth2["removed"])
    assert (totals["live"], totals["removed"]) == (len(truth2["stories"]), len(truth2["removed"]))
    assert totals["edits"] == len(edited_ids(crawled)) and totals["versions"] == totals["stories"] + totals["edits"]
    assert totals["runs"] == 2
    assert found["runs"] == [{"status": "finished", "runs": 2, "last_started_at": found["last_run"]["started_at"]}]
    last = found["last_run"]
    new_ids = {s["id"] for s in truth2["stories"]} - {s["id"] for s in crawled.truth1["stories"]}
    assert (last["id"], last["spider"], last["status"]) == (2, "stories", "finished")
    assert (last["new"], last["changed"], last["removed"]) == (len(new_ids), len(edited_ids(crawled)), len(truth2["removed"]))


# -- for people -----------------------------------------------------------------------------------


def test_people_get_one_titled_aligned_table_per_section(crawled):
    before = hashlib.sha256(crawled.epoch2.read_bytes()).hexdigest()
    result = invoke("--db", str(crawled.epoch2), "--limit", "3")
    assert result.exit_code == 0, result.output
    blocks = result.stdout.strip().split("\n\n")
    titles = [block.splitlines()[0] for block in blocks]
    assert titles == ["Totals", "Stories by community", "Stories published, edits and removals by month",
                      "Top 3 creators", "Top 3 tags", "Crawl runs by status", "Last crawl run"]
    for block in blocks:
        title, underline, heading, *lines = block.splitlines()
        assert underline == "-" * len(title) and lines
    community = blocks[1].splitlines()
    assert community[2].split() == ["community", "name", "stories", "live", "removed"]
    end = community[2].index("stories") + len("stories")  # numbers end under their heading
    assert all(line[end - 1].isdigit() and line[end] == " " for line in community[3:])
    assert len(blocks[3].splitlines()) == 3 + 3
    assert hashlib.sha256(crawled.epoch2.read_bytes()).hexdigest() == before  # only read


def test_an_empty_database_counts_nothing(tmp_path):
    with Store(tmp_path / "swamp.db"):
        pass
    found = counted(tmp_path / "swamp.db")
    assert found["totals"]["stories"] == 0 and found["last_run"] is None
    assert all(found[name] == [] for name in ("community", "month", "creator", "tag", "runs"))
    result = invoke("--db", str(tmp_path / "swamp.db"), "--by", "tag")
    assert result.exit_code == 0 and result.stdout.splitlines()[-1] == "none"


# -- unusable databases: one line, exit 1 ---------------------------------------------------------


def broken_database(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.db"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "corrupt":
        with Store(tmp_path / "whole.db"):
            pass
        whole = (tmp_path / "whole.db").read_bytes()
        path.write_bytes(whole[:100] + b"\xff" * (len(whole) - 100))  # the header kept, the pages gone
    elif kind == "not-sqlite":
        path.write_text("url,title\nhttps://vocal.media/a,A\n")
    elif kind == "other-sqlite":
        sqlite3.connect(path).execute("CREATE TABLE notes (text TEXT)").connection.commit()
    return path


@pytest.mark.parametrize("kind,message", [
    ("missing", "no database at"), ("empty", "is empty"), ("corrupt", "cannot read"),
    ("not-sqlite", "cannot read"), ("other-sqlite", "not a swampcrawl database"),
])  # fmt: skip
def test_an_unusable_database_is_one_line_and_exit_1(tmp_path, kind, message):
    path = broken_database(tmp_path, kind)
    result = invoke("--db", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], result.stderr
