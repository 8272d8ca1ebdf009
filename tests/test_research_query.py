"""`swampcrawl query` on the database of real crawls of the replica (epoch 1, then epoch 2),
checked against the replica's ground truth; writes refused, the file left as it was."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from crawl_support import scrapy_crawl
from replica_process import ReplicaProcess

from swampcrawl.cli import main


class Crawl(NamedTuple):
    db: Path
    stories: dict[str, dict[str, Any]]  # URL -> the truth of what the database should hold


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> Crawl:
    """Epoch 1 then epoch 2 of one replica, crawled by `scrapy crawl stories` into one database.
    Its stories are epoch 2's, and the removed ones as epoch 1 had them."""
    data = tmp_path_factory.mktemp("query")
    with ReplicaProcess(stories=60, seed=1) as first:
        assert scrapy_crawl("stories", base_url=first.base_url, data=data).returncode == 0
        port, before = urlsplit(first.base_url).port, first.truth
    time.sleep(1.1)  # WARC-Dates have whole seconds
    with ReplicaProcess(stories=60, seed=1, epoch=2, port=port) as second:
        result = scrapy_crawl("stories", "-a", "recheck=all", base_url=second.base_url, data=data)
        assert result.returncode == 0, result.stderr[-3000:]
        truth, base = second.truth, second.base_url
    stories = {base + story["path"]: story for story in truth["stories"]}
    stories |= {base + story["path"]: story for story in before["stories"] if story["path"] in truth["removed"]}
    return Crawl(data / "swamp.db", stories)


def invoke(*args: str):
    return CliRunner().invoke(main, ["query", *args])


def rows(crawl: Crawl, sql: str, *args: str) -> list[dict[str, Any]]:
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


def unusable_database(kind: str, folder: Path, real: Path) -> Path:
    """A database file that cannot be used: missing, empty, not SQLite, damaged, or another's."""
    path = folder / f"{kind.replace(' ', '-')}.db"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "not sqlite":
        path.write_text("url,title\nhttps://vocal.media/a,A\n")
    elif kind == "damaged":  # the header page kept, every other page overwritten
        data = real.read_bytes()
        path.write_bytes(data[:4096] + bytes(range(256)) * ((len(data) - 4096) // 256))
    elif kind == "not swampcrawl":
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE notes (text TEXT)")
        db.close()
    return path


@pytest.mark.parametrize("kind", ["missing", "empty", "not sqlite", "damaged", "not swampcrawl"])
def test_an_unusable_database_is_one_line(crawled, tmp_path, kind):
    path = unusable_database(kind, tmp_path, crawled.db)
    result = invoke("select count(*) from stories", "--db", str(path))
    assert result.exit_code == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ") and str(path) in line
