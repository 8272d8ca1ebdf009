"""`swampcrawl query` on the database of real crawls of the replica (epoch 1, then epoch 2),
checked against the replica's ground truth; writes refused, the file left as it was."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from research_support import TwoEpochs, crawl_two_epochs, unusable_database

from swampcrawl.cli import main


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> TwoEpochs:
    """Epoch 1 then epoch 2 of one replica, crawled by `scrapy crawl stories` into one database.
    Its stories (``crawled.stories``) are epoch 2's, and the removed ones as epoch 1 had them."""
    return crawl_two_epochs(tmp_path_factory.mktemp("query"))


def invoke(*args: str):
    return CliRunner().invoke(main, ["query", *args])


def rows(crawl: TwoEpochs, sql: str, *args: str) -> list[dict[str, Any]]:
    result = invoke(sql, *args, "--db", str(crawl.db), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_count_is_the_number_of_stories(crawled):
    assert rows(crawled, "select count(*) as n from stories") == [{"n": len(crawled.stories)}]


def test_named_parameters_are_bound(crawled):
    for url, story in list(crawled.stories.items())[:10]:
        [row] = rows(crawled, "select title, word_count from stories where url = :url", "--param", f"url={url}")
        assert row == {"title": story["title"], "word_count": story["word_count"]}
    author, community = next((s["author"], s["community"]) for s in crawled.stories.values())
    found = rows(crawled, "select url from stories where author = :a and community = :c order by url",
                 "-p", f"a={author}", "-p", f"c={community}")
    assert [row["url"] for row in found] == sorted(
        url for url, s in crawled.stories.items() if s["author"] == author and s["community"] == community)
    limited = rows(crawled, "select url from stories limit :n", "--param", "n=3")  # text a LIMIT takes
    assert len(limited) == 3


def test_the_table_is_aligned_and_numbers_right_aligned(crawled):
    result = invoke("select community, count(*) as stories from stories group by community order by community",
                    "--db", str(crawled.db))
    assert result.exit_code == 0, result.output
    heading, *lines = result.stdout.splitlines()
    assert heading.split() == ["community", "stories"]
    expected = Counter(story["community"] for story in crawled.stories.values())
    assert [line.split() for line in lines] == [[name, str(count)] for name, count in sorted(expected.items())]
    end = len(heading)  # the count column ends where its heading ends
    assert all(len(line) == end and line[-1] != " " for line in lines)


def test_a_repeated_column_name_keeps_both_values(crawled):
    [row] = rows(crawled, "select s.url, v.story_url as url from stories s join story_versions v "
                          "on v.story_url = s.url limit 1")
    assert row["url"] == row["url_2"] and row["url"] in crawled.stories


WRITES = [
    "insert into tags (slug, name) values ('x', 'x')",
    "update stories set title = 'changed'",
    "delete from stories",
    "replace into tags (slug, name) values ('x', 'x')",
    "drop table stories",
    "create table notes (text)",
    "create index idx_notes on stories (title)",
    "alter table stories add column notes text",
    "create temp table notes (text)",
    "pragma user_version = 7",
    "vacuum",
]


@pytest.mark.parametrize("sql", WRITES, ids=[sql.split(" (")[0] for sql in WRITES])
def test_a_write_is_refused_and_the_file_is_unchanged(crawled, sql):
    before = digest(crawled.db)
    result = invoke(sql, "--db", str(crawled.db))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "Error: query: the database is opened read-only: INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, "
        "ATTACH and other writes are refused"]
    assert digest(crawled.db) == before
    assert rows(crawled, "select count(*) as n from stories") == [{"n": len(crawled.stories)}]


def test_attach_creates_no_file(crawled, tmp_path):
    other = tmp_path / "other.db"
    result = invoke(f"attach database '{other}' as other", "--db", str(crawled.db))
    assert result.exit_code == 1 and "read-only" in result.stderr
    assert not other.exists()


ERRORS = [
    ("selec * from stories", "Error: query: near \"selec\": syntax error"),
    ("select * from nosuchtable", "Error: query: no such table: nosuchtable (tables: captures, "),
    ("select nosuchcolumn from stories", "Error: query: no such column: nosuchcolumn"),
    ("select title from stories where url = :url", "Error: query: no value for :url: give it as --param url=VALUE"),
    ("select 1; select 2", "Error: query: one SQL statement at a time"),
    ("select title from stories where url = ?", "Error: query: use named parameters (:name)"),
]


@pytest.mark.parametrize("sql,message", ERRORS, ids=[message.split(": ")[2] for _, message in ERRORS])
def test_an_sql_error_is_one_line(crawled, sql, message):
    result = invoke(sql, "--db", str(crawled.db))
    assert result.exit_code == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(message)


def test_a_param_without_a_value_is_a_usage_error(crawled):
    result = invoke("select :a", "--param", "a", "--db", str(crawled.db))
    assert result.exit_code == 2 and "is not name=value" in result.stderr


def test_no_rows(crawled):
    assert rows(crawled, "select * from stories where 0") == []
    result = invoke("select * from stories where 0", "--db", str(crawled.db))
    assert result.exit_code == 0 and result.stdout == "no rows\n"


@pytest.mark.parametrize("kind", ["missing", "empty", "not sqlite", "damaged", "not swampcrawl"])
def test_an_unusable_database_is_one_line(crawled, tmp_path, kind):
    path = unusable_database(tmp_path, kind, real=crawled.db)
    result = invoke("select count(*) from stories", "--db", str(path))
    assert result.exit_code == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ") and str(path) in line
