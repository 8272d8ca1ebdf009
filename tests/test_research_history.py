"""`swampcrawl history` on the database of real crawls of the replica (epoch 1, then epoch 2
with its edits, removals and renames), checked against both epochs' ground truth and the
WARC records the versions point at."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest
from click.testing import CliRunner
from research_support import CONTENT, TwoEpochs, crawl_two_epochs, unusable_database
from warcio.archiveiterator import ArchiveIterator

from swampcrawl.cli import main


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> TwoEpochs:
    """Epoch 1 then epoch 2 of one replica, crawled by `scrapy crawl stories` into one folder."""
    return crawl_two_epochs(tmp_path_factory.mktemp("history"))


def invoke(*args: str):
    return CliRunner().invoke(main, ["history", *args])


def history(crawl: TwoEpochs, url: str) -> dict[str, Any]:
    result = invoke(url, "--db", str(crawl.db), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_an_edited_story_has_its_old_and_new_versions_and_a_diff(crawled):
    for old, new in crawled.edited:
        found = history(crawled, crawled.base + new["path"])
        versions = found["versions"]
        assert [[v[field] for field in CONTENT] for v in versions] == [[old[f] for f in CONTENT], [new[f] for f in CONTENT]]
        assert versions[0]["captured_at"] < versions[1]["captured_at"] and versions[0]["diff"] is None
        diff = versions[1]["diff"].splitlines()
        if old["title"] != new["title"]:
            assert f"-title: {old['title']}" in diff and f"+title: {new['title']}" in diff
        added = set(new["body_text"].split("\n")) - set(old["body_text"].split("\n"))
        dropped = set(old["body_text"].split("\n")) - set(new["body_text"].split("\n"))
        assert added | dropped
        assert all(f"+{line}" in diff for line in added) and all(f"-{line}" in diff for line in dropped)
        assert not any(line[1:] in old["body_text"].split("\n") for line in diff if line.startswith("+") and line[1:])


def test_the_text_shows_the_versions_and_the_diff(crawled):
    old, new = crawled.edited[0]
    result = invoke(crawled.base + new["path"], "--db", str(crawled.db))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["story", crawled.base + new["path"]]
    heading = next(i for i, line in enumerate(lines) if line.startswith("number"))
    assert lines[heading].split() == ["number", "captured_at", "title", "words", "warc_filename", "warc_offset", "warc_record_id"]
    assert lines[heading + 1].split()[0] == "1" and lines[heading + 2].split()[0] == "2"
    assert old["title"] in lines[heading + 1] and new["title"] in lines[heading + 2]
    assert "changes in version 2:" in lines and any(line.startswith("@@ ") for line in lines)
    if old["title"] != new["title"]:
        assert f"-title: {old['title']}" in lines and f"+title: {new['title']}" in lines


def test_an_unchanged_story_has_one_version(crawled):
    changed = {new["id"] for _, new in crawled.edited}
    for story in [s for s in crawled.truth2["stories"] if s["id"] not in changed][:10]:
        [version] = history(crawled, crawled.base + story["path"])["versions"]
        assert [version[field] for field in CONTENT] == [story[field] for field in CONTENT]
        assert version["diff"] is None


def test_each_version_points_at_its_warc_record(crawled):
    urls = [crawled.base + new["path"] for _, new in crawled.edited] + [crawled.base + p for p in crawled.truth2["redirects"]]
    for url in urls:
        found = history(crawled, url)
        for version in found["versions"]:
            with open(crawled.data / "warc" / version["warc_filename"], "rb") as stream:
                stream.seek(version["warc_offset"])
                record = next(iter(ArchiveIterator(stream)))
                assert record.rec_type == "response"
                assert record.rec_headers.get_header("WARC-Record-ID") == version["warc_record_id"]
                assert record.rec_headers.get_header("WARC-Target-URI") in [found["url"], *found["previous_urls"]]
                assert version["captured_at"] == record.rec_headers.get_header("WARC-Date")[:19] + "Z"  # whole seconds


def test_an_old_url_finds_the_renamed_story(crawled):
    for old_path, new_path in crawled.truth2["redirects"].items():
        old_url, new_url = crawled.base + old_path, crawled.base + new_path
        found = history(crawled, old_url)
        assert found["url"] == new_url and found["asked_for"] == old_url
        assert old_url in found["previous_urls"]
        [rename] = [r for r in found["renames"] if r["from"] == old_url]
        assert rename["to"] == new_url and rename["redirect_captured_at"]
        story = next(s for s in crawled.truth2["stories"] if s["path"] == new_path)
        assert found["title"] == story["title"] and found["versions"][-1]["body_text"] == story["body_text"]
        text = invoke(old_url, "--db", str(crawled.db)).stdout
        assert f"renamed    {old_url} -> {new_url}" in text and "an earlier URL of the story" in text
        assert history(crawled, new_url)["renames"] == found["renames"]


def test_a_removed_story_shows_its_removal(crawled):
    with sqlite3.connect(crawled.db) as db:
        removed_at = dict(db.execute("SELECT url, removed_at FROM stories WHERE removed_at IS NOT NULL").fetchall())
    db.close()
    for path in crawled.truth2["removed"]:
        url = crawled.base + path
        found = history(crawled, url)
        story = next(s for s in crawled.truth1["stories"] if s["path"] == path)
        assert found["removed_at"] == removed_at[url] and found["title"] == story["title"]
        assert f"removed    {removed_at[url]}" in invoke(url, "--db", str(crawled.db)).stdout
    live = crawled.truth2["stories"][0]
    assert history(crawled, crawled.base + live["path"])["removed_at"] is None


def test_a_url_with_a_query_string_or_a_trailing_slash_finds_the_story(crawled):
    story = crawled.truth2["stories"][0]
    for url in (crawled.base + story["path"] + "/", crawled.base + story["path"] + "?utm_source=x#top"):
        assert history(crawled, url)["url"] == crawled.base + story["path"]


def test_an_unknown_url_is_one_line(crawled):
    url = crawled.base + "/fiction/no-such-story"
    result = invoke(url, "--db", str(crawled.db))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Error: history: no story at {url}, now or before a rename (find one with swampcrawl search)"]


@pytest.mark.parametrize("kind", ["missing", "empty", "not sqlite", "damaged", "not swampcrawl"])
def test_an_unusable_database_is_one_line(crawled, tmp_path, kind):
    path = unusable_database(tmp_path, kind, real=crawled.db)
    result = invoke(crawled.base + crawled.truth2["stories"][0]["path"], "--db", str(path))
    assert result.exit_code == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ") and str(path) in line
