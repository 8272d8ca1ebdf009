"""`swampcrawl export` on the database of real crawls of the replica (epoch 1, then epoch 2),
checked against the replica's ground truth; the data package reloaded with `frictionless`."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from frictionless import Package, validate
from research_support import TwoEpochs, crawl_two_epochs, unusable_database

from swampcrawl.cli import main
from swampcrawl.research import export as export_module


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> TwoEpochs:
    """Epoch 1 then epoch 2 of one replica, crawled by `scrapy crawl stories` into one database.
    Its stories (``crawled.stories``) are epoch 2's, and the removed ones as epoch 1 had them;
    ``crawled.edited`` the stories whose title, subtitle or text changed between the epochs."""
    return crawl_two_epochs(tmp_path_factory.mktemp("export"))


def invoke(*args: str):
    return CliRunner().invoke(main, ["export", *args])


def exported(crawl: TwoEpochs, *args: str) -> str:
    result = invoke(*args, "--db", str(crawl.db))
    assert result.exit_code == 0, result.output
    return result.stdout


def assert_stories_match_the_truth(rows: list[dict[str, Any]], stories: dict[str, dict[str, Any]], text: bool) -> None:
    """Every story once, with the truth's values (as text when exported as CSV)."""
    assert sorted(row["url"] for row in rows) == sorted(stories)
    for row in rows:
        story = stories[row["url"]]
        for field in ("id", "title", "author", "community", "published_at", "body_text", "word_count"):
            assert row[field] == (str(story[field]) if text else story[field]), field


def test_csv_to_a_file(crawled, tmp_path):
    target = tmp_path / "stories.csv"
    assert exported(crawled, "stories", "-o", str(target)) == ""
    with open(target, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert_stories_match_the_truth(rows, crawled.stories, text=True)
    with sqlite3.connect(crawled.db) as db:
        removed = {url for (url,) in db.execute("SELECT url FROM stories WHERE removed_at IS NOT NULL")}
    db.close()
    assert removed and {row["url"] for row in rows if row["removed_at"]} == removed  # NULL is an empty field
    assert not list(tmp_path.glob("*.part"))


def test_jsonl_and_json_to_standard_output(crawled):
    lines = exported(crawled, "stories", "--format", "jsonl").splitlines()
    rows = [json.loads(line) for line in lines]
    assert_stories_match_the_truth(rows, crawled.stories, text=False)
    assert json.loads(exported(crawled, "stories", "--format", "json")) == rows
    assert json.loads(exported(crawled, "tags", "--format", "json", "--where", "0")) == []


def test_where_with_parameters(crawled):
    community = next(iter(crawled.stories.values()))["community"]
    text = exported(crawled, "stories", "--format", "jsonl", "--where", "community = :c and removed_at is null",
                    "--param", f"c={community}")
    got = sorted(json.loads(line)["url"] for line in text.splitlines())
    with sqlite3.connect(crawled.db) as db:
        removed = {url for (url,) in db.execute("SELECT url FROM stories WHERE removed_at IS NOT NULL")}
    db.close()
    assert got == sorted(url for url, s in crawled.stories.items() if s["community"] == community and url not in removed)


def test_progress_lines_on_stderr(crawled, monkeypatch):
    monkeypatch.setattr(export_module, "PROGRESS_SECONDS", 0.0)
    monkeypatch.setattr(export_module, "PROGRESS_STEP", 10)
    result = invoke("stories", "--format", "jsonl", "--db", str(crawled.db))
    assert result.exit_code == 0, result.output
    progress = result.stderr.splitlines()
    assert len(progress) >= len(crawled.stories) // 10 and all(line.startswith("export: stories ") for line in progress)
    assert progress[-1].startswith("export: stories 100%")


BAD = [
    (["nosuchtable"], "Error: export: no table 'nosuchtable' (tables: captures, "),
    (["stories", "--where", "nosuchcolumn = 1"], "Error: export: bad --where 'nosuchcolumn = 1': no such column: nosuchcolumn"),
    (["stories", "--where", "url = = 1"], "Error: export: bad --where 'url = = 1': near \"=\": syntax error"),
    (["stories", "--where", "url = :u"], "Error: export: bad --where 'url = :u': no value for :u: give it as --param u=VALUE"),
]


@pytest.mark.parametrize("args,message", BAD, ids=["table", "column", "syntax", "parameter"])
def test_an_unknown_table_or_column_is_one_line_and_writes_nothing(crawled, tmp_path, args, message):
    target = tmp_path / "out.csv"
    result = invoke(*args, "-o", str(target), "--db", str(crawled.db))
    assert result.exit_code == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(message)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [[], ["stories", "--dataset", "out"], ["--dataset", "out", "--format", "json"]])
def test_a_table_or_a_dataset_is_needed_not_both(crawled, args):
    result = invoke(*args, "--db", str(crawled.db))
    assert result.exit_code == 2 and result.stdout == ""


@pytest.fixture(scope="module")
def dataset(crawled, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dataset") / "vocal"
    result = CliRunner().invoke(main, ["export", "--dataset", str(folder), "--db", str(crawled.db)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and result.stderr.splitlines()[-1].startswith("export: ")
    return folder


def database_counts(db_path: Path) -> dict[str, int]:
    with sqlite3.connect(db_path) as db:
        names = [name for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name NOT LIKE 'stories_fts%'")]
        counts = {name: db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}
    db.close()
    return counts


def test_the_dataset_reloads_with_the_database_counts(crawled, dataset):
    package = Package(dataset / "datapackage.json")
    counts = {}
    for resource in package.resources:
        with resource:
            counts[resource.name] = len(resource.read_rows())
    assert counts == database_counts(crawled.db)
    assert counts["stories"] == len(crawled.stories)
    assert counts["story_versions"] == len(crawled.stories) + len(crawled.edited)
    assert sorted(path.name for path in dataset.iterdir()) == sorted([f"{n}.csv" for n in counts] + ["datapackage.json"])


def test_the_dataset_has_typed_values_keys_and_descriptions(crawled, dataset):
    package = Package(dataset / "datapackage.json")
    stories = package.get_resource("stories")
    with stories:
        rows = [row.to_dict() for row in stories.read_rows()]
    assert_stories_match_the_truth(rows, crawled.stories, text=False)  # word_count read back as an integer
    assert all(row["subtitle"] == crawled.stories[row["url"]]["subtitle"] for row in rows)  # NULL read back as None
    assert stories.schema.primary_key == ["url"]
    assert {fk["fields"][0]: fk["reference"]["resource"] for fk in stories.schema.foreign_keys} == {
        "author": "creators", "community": "communities"}
    assert package.get_resource("story_tags").schema.primary_key == ["story_url", "tag_slug"]
    assert all(field.description for resource in package.resources for field in resource.schema.fields)
    assert stories.schema.get_field("word_count").type == "integer"
    assert validate(dataset / "datapackage.json").valid


@pytest.mark.parametrize("kind", ["missing", "empty", "not sqlite", "damaged", "not swampcrawl"])
@pytest.mark.parametrize("args", [["stories"], ["--dataset", "out"]], ids=["table", "dataset"])
def test_an_unusable_database_is_one_line(crawled, tmp_path, kind, args):
    path = unusable_database(tmp_path, kind, real=crawled.db)
    result = invoke(*[str(tmp_path / a) if a == "out" else a for a in args], "--db", str(path))
    assert result.exit_code == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ") and str(path) in line


def test_csv_quoting_survives_newlines_and_commas(crawled):
    text = exported(crawled, "story_versions", "--where", "story_url = :u", "--param", f"u={next(iter(crawled.stories))}")
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["body_text"] == next(iter(crawled.stories.values()))["body_text"] and "\n\n" in row["body_text"]


def test_an_output_that_cannot_be_written_is_one_line(crawled, tmp_path):
    (tmp_path / "a-file").write_text("")
    for args, message in ((["tags", "-o", str(tmp_path / "no-folder" / "tags.csv")], "Error: export: cannot write "),
                          (["--dataset", str(tmp_path / "a-file" / "dataset")], "Error: export: cannot make ")):
        result = invoke(*args, "--db", str(crawled.db))
        assert result.exit_code == 1 and result.stdout == ""
        [line] = result.stderr.splitlines()
        assert line.startswith(message)
