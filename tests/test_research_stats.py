"""`swampcrawl stats` against the database of real crawls of a replica (``scrapy crawl``
subprocesses), the replica's ground truth as the oracle: epoch 1, then epoch 2 on the same port
(edits, removals, renames, new stories) with every known URL asked again."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from research_support import TwoEpochs, crawl_two_epochs, unusable_database

from swampcrawl.research.stats import stats
from swampcrawl.store import Store


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> TwoEpochs:
    """``crawled.epoch1``: the database as epoch 1's crawl left it; ``crawled.db`` the same after
    epoch 2's, which ran in ``crawled.months``."""
    return crawl_two_epochs(tmp_path_factory.mktemp("stats"))


def invoke(*args: str):
    return CliRunner().invoke(stats, list(args))


def counted(db: Path, *args: str) -> dict[str, Any]:
    result = invoke("--db", str(db), "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def edited_ids(crawled: TwoEpochs) -> set[str]:
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
    rows = counted(crawled.db, "--by", "month")["month"]
    changed = [row for row in rows if row["edits"] or row["removals"]]
    assert changed and {row["month"] for row in changed} <= crawled.months
    assert sum(row["edits"] for row in rows) == len(edited_ids(crawled)) > 0
    assert sum(row["removals"] for row in rows) == len(crawled.truth2["removed"]) > 0
    # the stories published are still those of the truth: epoch 2's live ones and the removed ones
    removed = [s for s in crawled.truth1["stories"] if s["path"] in crawled.truth2["removed"]]
    published = Counter(s["published_at"][:7] for s in crawled.truth2["stories"] + removed)
    assert {row["month"]: row["stories"] for row in rows if row["stories"]} == published


def test_removed_stories_stay_counted_by_community(crawled):
    rows = {row["community"]: row for row in counted(crawled.db, "--by", "community")["community"]}
    removed = Counter(s["community"] for s in crawled.truth1["stories"] if s["path"] in crawled.truth2["removed"])
    live = Counter(s["community"] for s in crawled.truth2["stories"])
    assert {c: row["stories"] for c, row in rows.items()} == live + removed
    assert {c: row["removed"] for c, row in rows.items() if row["removed"]} == removed
    assert {c: row["live"] for c, row in rows.items() if row["live"]} == live


def test_totals_runs_and_the_last_run(crawled):
    found = counted(crawled.db)
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
    before = hashlib.sha256(crawled.db.read_bytes()).hexdigest()
    result = invoke("--db", str(crawled.db), "--limit", "3")
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
    assert hashlib.sha256(crawled.db.read_bytes()).hexdigest() == before  # only read


def test_an_empty_database_counts_nothing(tmp_path):
    with Store(tmp_path / "swamp.db"):
        pass
    found = counted(tmp_path / "swamp.db")
    assert found["totals"]["stories"] == 0 and found["last_run"] is None
    assert all(found[name] == [] for name in ("community", "month", "creator", "tag", "runs"))
    result = invoke("--db", str(tmp_path / "swamp.db"), "--by", "tag")
    assert result.exit_code == 0 and result.stdout.splitlines()[-1] == "none"


# -- unusable databases: one line, exit 1 ---------------------------------------------------------


@pytest.mark.parametrize("kind,message", [
    ("missing", "no database at"), ("empty", "is empty"), ("corrupt", "cannot read"),
    ("not sqlite", "cannot read"), ("not swampcrawl", "not a swampcrawl database"),
])  # fmt: skip
def test_an_unusable_database_is_one_line_and_exit_1(tmp_path, kind, message):
    path = unusable_database(tmp_path, kind)
    result = invoke("--db", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], result.stderr
