"""`swampcrawl summary`: rows per table, runs, archive size, a sample query; --json for scripts."""

from __future__ import annotations

import json

from click.testing import CliRunner
from store_rows import story_row

from swampcrawl.cli import main
from swampcrawl.store import Store


def make_db(path):
    with Store(path) as store:
        run = store.start_run("stories")
        store.upsert_stories([story_row(1), story_row(2), story_row(3, community="poets", url="https://vocal.media/poets/story-3")])
        store.finish_run(run, "finished", {"downloader/response_count": 7, "item_scraped_count": 3})


def test_summary_json_counts_rows_and_runs(tmp_path):
    make_db(tmp_path / "swamp.db")
    (tmp_path / "warc").mkdir()
    (tmp_path / "warc" / "a.warc.gz").write_bytes(b"x" * 10)
    result = CliRunner().invoke(main, ["summary", "--db", str(tmp_path / "swamp.db"), "--warc-dir", str(tmp_path / "warc"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["rows"]["stories"] == 3 and summary["rows"]["crawl_runs"] == 1
    assert summary["runs"][0]["responses"] == 7 and summary["runs"][0]["status"] == "finished"
    assert summary["warc"] == {"folder": str(tmp_path / "warc"), "files": 1, "bytes": 10, "open_files": 0}
    assert [(r["community"], r["stories"]) for r in summary["sample_rows"]] == [("fiction", 2), ("poets", 1)]


def test_summary_for_people_names_tables_and_the_query(tmp_path):
    make_db(tmp_path / "swamp.db")
    result = CliRunner().invoke(main, ["summary", "--db", str(tmp_path / "swamp.db")])
    assert result.exit_code == 0
    assert "stories" in result.output and "3 rows" in result.output and "select community" in result.output
    lines = [line.split() for line in result.output.splitlines()]
    assert ["stories", "3", "rows"] in lines and ["crawl_runs", "1", "rows"] in lines
    assert any(line[:3] == ["#1", "stories", "finished"] and "7 responses," in " ".join(line) for line in lines)
    assert [line[:3] for line in lines if line[2:3] == ["stories"]] == [["fiction", "2", "stories"], ["poets", "1", "stories"]]


def test_summary_without_a_database_is_one_line(tmp_path):
    result = CliRunner().invoke(main, ["summary", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: no database at {tmp_path / 'none.db'}"
