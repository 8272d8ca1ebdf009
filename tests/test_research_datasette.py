"""``swampcrawl datasette`` over a crawl of the replica, checked through Datasette's JSON API.

The replica is crawled twice (epoch 1: stories, creators, communities; epoch 2: a full pass
that sees edits, a removal and a rename), then ``swampcrawl datasette`` runs as a subprocess
on a free port (Datasette's own warnings are not this test's: it runs outside pytest). Every
expected value comes from the replica's truth, never from the database.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import unicodedata
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from click.testing import CliRunner
from replica_process import swampcrawl_script
from research_support import TwoEpochs, crawl_two_epochs, unusable_database

from swampcrawl.cli import main
from swampcrawl.research.datasette_metadata import description_html, metadata, plain_text
from swampcrawl.store.descriptions import TABLES


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DatasetteProcess:
    """``swampcrawl datasette`` in a subprocess on 127.0.0.1, stopped with SIGTERM on exit."""

    def __init__(self, db: Path, logs: Path, *extra: str) -> None:
        self.port = free_port()
        self.command = [str(swampcrawl_script()), "datasette", "--db", str(db), "--port", str(self.port), *extra]
        self.logs = logs
        self.process: subprocess.Popen[bytes] | None = None
        self.returncode: int | None = None

    def __enter__(self) -> DatasetteProcess:
        with open(self.logs / "stdout", "wb") as out, open(self.logs / "stderr", "wb") as err:
            self.process = subprocess.Popen(self.command, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"datasette exited with {self.process.returncode}: {self.stderr()}")
            try:
                self.get("/-/versions.json")
                return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"datasette did not answer in time: {self.stderr()}")

    def __exit__(self, *exc_info: object) -> None:
        assert self.process is not None
        self.process.terminate()
        try:
            self.returncode = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def stderr(self) -> str:
        return (self.logs / "stderr").read_text(errors="replace")

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as response:
            return json.loads(response.read())


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> TwoEpochs:
    return crawl_two_epochs(tmp_path_factory.mktemp("datasette"), spiders=("stories", "creators", "communities"))


@pytest.fixture(scope="module")
def server(crawled: TwoEpochs):
    datasette = DatasetteProcess(crawled.db, crawled.data, "--", "--setting", "default_page_size", "7")
    with datasette:
        yield datasette
    assert datasette.returncode == 0, datasette.stderr()  # a clean shutdown on SIGTERM


def canned(server: DatasetteProcess, name: str, **params: str) -> list[dict[str, Any]]:
    query = "&".join(f"{key}={quote(value)}" for key, value in params.items())
    return server.get(f"/swamp/{name}.json?_shape=array&{query}")


# -- metadata -------------------------------------------------------------------------------------

def test_metadata_describes_every_table_and_column(server: DatasetteProcess) -> None:
    shipped = server.get("/-/metadata.json")
    assert shipped["title"] and shipped["source_url"] == "https://vocal.media" and shipped["license"]
    tables = shipped["databases"]["swamp"]["tables"]
    for table in TABLES:
        assert tables[table.name]["description_html"] == description_html(table)
        assert tables[table.name]["columns"] == {c.name: plain_text(c.description) for c in table.columns}
    assert tables["stories"]["columns"]["removed_at"].startswith("when the story's URL first answered 404")
    assert "<code>stories_fts.rowid = stories.rowid</code>" in tables["stories_fts"]["description_html"]


def test_settings_and_extra_arguments_reach_datasette(server: DatasetteProcess) -> None:
    settings = server.get("/-/settings.json")
    assert settings["sql_time_limit_ms"] == 5000 and settings["default_page_size"] == 7
    assert "swampcrawl.research.datasette_facets" in {plugin["name"] for plugin in server.get("/-/plugins.json")}


def test_metadata_out_writes_the_shipped_file_and_exits(crawled: TwoEpochs, tmp_path: Path) -> None:
    out = tmp_path / "metadata.json"
    result = CliRunner().invoke(main, ["datasette", "--db", str(crawled.db), "--metadata-out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == metadata("swamp")
    assert f"datasette {crawled.db} -m {out}" in result.output


# -- the stories table: sort, facets, search ---------------------------------------------------

def test_stories_are_newest_first(server: DatasetteProcess, crawled: TwoEpochs) -> None:
    rows = server.get("/swamp/stories.json?_shape=array&_size=max&_col=published_at")
    assert len(rows) == len(crawled.stories)
    expected = sorted((s["published_at"] for s in crawled.stories.values()), reverse=True)
    assert [row["published_at"] for row in rows] == expected


def facet_counts(server: DatasetteProcess, query: str = "") -> dict[str, dict[str, int]]:
    page = server.get(f"/swamp/stories.json?_size=0&_facet_size=max{query}")
    return {name: {str(v["value"]): v["count"] for v in facet["results"]} for name, facet in page["facet_results"].items()}


def test_facets_count_community_author_year_and_tag(server: DatasetteProcess, crawled: TwoEpochs) -> None:
    stories = crawled.stories.values()
    counts = facet_counts(server)
    assert counts["community"] == Counter(s["community"] for s in stories)
    assert counts["author"] == Counter(s["author"] for s in stories)
    assert counts["published_at"] == Counter(s["published_at"][:4] for s in stories)
    assert counts["tag_slug"] == Counter(tag["slug"] for s in stories for tag in s["tags"])


def test_a_year_and_a_tag_filter_the_stories(server: DatasetteProcess, crawled: TwoEpochs) -> None:
    stories = list(crawled.stories.values())
    year = stories[0]["published_at"][:4]
    tag = stories[0]["tags"][0]["slug"]
    page = server.get("/swamp/stories.json?_size=0&_facet_size=max")
    year_value = next(v for v in page["facet_results"]["published_at"]["results"] if v["value"] == year)
    tag_value = next(v for v in page["facet_results"]["tag_slug"]["results"] if v["value"] == tag)
    for value in (year_value, tag_value):
        url = urlsplit(value["toggle_url"])
        query = dict(parse_qsl(url.query)) | {"_shape": "array", "_size": "max", "_col": "url"}
        filtered = server.get(f"{url.path}?{urlencode(query)}")
        assert len(filtered) == value["count"]
    assert tag_value["label"] == next(t["name"] for t in crawled.truth2["tags"] if t["slug"] == tag)


def folded(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def distinctive_title_word(stories: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """(word, url): a word of one story's title whose stem is in no other title, preferring one
    that other stories' bodies contain, so that ranking (not filtering) puts the story first."""
    titles = {url: folded(story["title"]) for url, story in stories.items()}
    found = []
    for url, title in sorted(titles.items()):
        for word in sorted(set(re.findall(r"[a-z]{5,}", title))):
            stem = word[: max(4, len(word) - 3)]
            if sum(stem in other for other in titles.values()) == 1:
                in_bodies = sum(word in folded(s["body_text"]) for u, s in stories.items() if u != url)
                found.append((in_bodies, word, url))
    assert found, "no title word is distinctive"
    _, word, url = max(found)
    return word, url


def test_ranked_search_puts_the_story_with_the_word_in_its_title_first(server: DatasetteProcess, crawled: TwoEpochs) -> None:
    word, url = distinctive_title_word(crawled.stories)
    ranked = canned(server, "search_stories", q=word)
    assert ranked[0]["url"] == url
    assert [row["relevance"] for row in ranked] == sorted((row["relevance"] for row in ranked), reverse=True)
    # the table's search box finds it too (filtered, in the table's order), and takes any text
    found = server.get(f"/swamp/stories.json?_shape=array&_col=url&_size=max&_search={quote(word)}")
    assert url in {row["url"] for row in found}
    assert server.get(f"/swamp/stories.json?_shape=array&_search={quote(chr(34) + word + ' didn’t (x')}") == []


def test_search_form_opens_without_words(server: DatasetteProcess) -> None:
    assert canned(server, "search_stories") == []


# -- canned queries, against the truth -----------------------------------------------------------

def test_creator_output_counts_a_creators_stories_per_month(server: DatasetteProcess, crawled: TwoEpochs) -> None:
    stories = crawled.stories.values()
    author, _ = Counter(s["author"] for s in stories).most_common(1)[0]
    rows = canned(server, "creator_output", author=author)
    expected = Counter(s["published_at"][:7] for s in stories if s["author"] == author)
    assert {row["month"]: row["stories"] for row in rows} == expected
    assert [row["month"] for row in rows] == sorted(expected)


def test_removed_since_and_most_edited(server: DatasetteProcess, crawled: TwoEpochs) -> None:
    base = crawled.base
    removed = canned(server, "removed_since", since="2000-01-01")
    assert {row["url"] for row in removed} == {base + path for path in crawled.truth2["removed"]}
    assert canned(server, "removed_since", since="2999-01-01") == []
    edited = {base + new["path"] for _, new in crawled.edited}
    rows = canned(server, "most_edited")
    assert edited and {row["url"] for row in rows} == edited
    assert all(row["edits"] == 1 for row in rows)


def test_tags_by_community_and_stories_per_year(server: DatasetteProcess, crawled: TwoEpochs) -> None:
    stories = crawled.stories.values()
    pairs = Counter((s["community"], tag["slug"]) for s in stories for tag in s["tags"])
    expected = []
    for community in sorted({c for c, _ in pairs}):
        ranked = sorted(((n, t) for (c, t), n in pairs.items() if c == community), key=lambda p: (-p[0], p[1]))
        expected += [{"community": community, "tag": tag, "stories": n} for n, tag in ranked[:10]]
    assert canned(server, "tags_by_community") == expected
    per_year = {row["year"]: row["stories"] for row in canned(server, "stories_per_year")}
    assert per_year == Counter(s["published_at"][:4] for s in stories)


# -- errors: one line, exit 1 --------------------------------------------------------------------

@pytest.mark.parametrize("kind,message", [
    ("missing", "no database at"),
    ("empty", "is empty"),
    ("not sqlite", "cannot read"),
])
def test_an_unusable_database_is_one_line(tmp_path: Path, kind: str, message: str) -> None:
    db = unusable_database(tmp_path, kind)
    result = CliRunner().invoke(main, ["datasette", "--db", str(db)])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1 and message in result.output


def test_without_datasette_installed_it_says_how_to_install(crawled: TwoEpochs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "datasette.cli", None)  # import datasette.cli fails
    result = CliRunner().invoke(main, ["datasette", "--db", str(crawled.db)])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: swampcrawl datasette needs Datasette: pip install '.[datasette]'"
