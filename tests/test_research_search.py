"""`swampcrawl search` on the database of real crawls of the replica (epoch 1, then epoch 2
with its edits, removals and renames), checked against the replica's ground truth."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from research_support import TwoEpochs, crawl_two_epochs, unusable_database

from swampcrawl.cli import main


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> TwoEpochs:
    """Epoch 1 then epoch 2 of one replica, crawled by `scrapy crawl stories` into one database.
    Its stories (``crawled.stories``) are epoch 2's, and the removed ones as epoch 1 had them."""
    return crawl_two_epochs(tmp_path_factory.mktemp("search"))


def invoke(*args: str):
    return CliRunner().invoke(main, ["search", *args])


def found(crawl: TwoEpochs, *args: str) -> list[dict[str, Any]]:
    result = invoke(*args, "--db", str(crawl.db), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def words(story: dict[str, Any]) -> set[str]:
    """The words of a story's indexed text, lowercased, split where the index splits them."""
    return set(re.findall(r"[^\W_]+", f"{story['title']} {story['subtitle'] or ''} {story['body_text']}".lower()))


def distinctive_words(stories: dict[str, dict[str, Any]]) -> dict[str, str]:
    """URL -> a plain ASCII word of that story that no other story has, even as another form of
    the same stem (no other story has a word beginning with its first five letters)."""
    vocabulary = {url: words(story) for url, story in stories.items()}
    stems = Counter(stem for found in vocabulary.values() for stem in {word[:5] for word in found})
    chosen = {}
    for url, found in vocabulary.items():
        unique = sorted(w for w in found if len(w) >= 6 and w.isascii() and w.isalpha() and stems[w[:5]] == 1)
        if unique:
            chosen[url] = unique[0]
    return chosen


def matching(stories: dict[str, dict[str, Any]], word: str) -> tuple[set[str], set[str]]:
    """(stories holding ``word`` itself, stories holding a word that begins like it): what a
    stemmed search must find at least, and may find at most."""
    exact = {url for url, story in stories.items() if word in words(story)}
    alike = {url for url, story in stories.items() if any(w.startswith(word[:4]) for w in words(story))}
    return exact, alike


def test_a_distinctive_word_finds_its_story_first(crawled):
    chosen = distinctive_words(crawled.stories)
    assert len(chosen) >= 5
    for url, word in chosen.items():
        results = found(crawled, word)
        assert results and results[0]["url"] == url, (word, results[:2])
        assert results[0]["title"] == crawled.stories[url]["title"]
        assert f"[{word}]" in results[0]["snippet"].lower(), results[0]["snippet"]


def test_a_phrase_from_a_title_finds_that_story_first(crawled):
    titles = Counter(story["title"] for story in crawled.stories.values())
    for url, story in list(crawled.stories.items())[:15]:
        if titles[story["title"]] == 1:
            phrase = '"' + " ".join(re.findall(r"[^\W_]+", story["title"])) + '"'
            assert found(crawled, phrase)[0]["url"] == url, phrase


def common_word(stories: dict[str, dict[str, Any]]) -> str:
    """The longest word found in between a third and two thirds of the stories."""
    counts = Counter(word for story in stories.values() for word in words(story))
    fitting = [w for w, n in counts.items() if len(stories) / 3 <= n <= 2 * len(stories) / 3 and w.isascii() and w.isalpha()]
    return max(sorted(fitting), key=len)


def the_day_after(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def filter_cases(stories: dict[str, dict[str, Any]]) -> list[tuple[list[str], Any]]:
    """(options, what a story must satisfy) for each filter, its value taken from the truth."""
    days = sorted(story["published_at"][:10] for story in stories.values())
    middle = days[len(days) // 2]
    community = Counter(s["community"] for s in stories.values()).most_common(1)[0][0]
    author = Counter(s["author"] for s in stories.values()).most_common(1)[0][0]
    tag = Counter(t["slug"] for s in stories.values() for t in s["tags"]).most_common(1)[0][0]
    return [
        (["--community", community], lambda s: s["community"] == community),
        (["--author", author], lambda s: s["author"] == author),
        (["--tag", tag], lambda s: tag in {t["slug"] for t in s["tags"]}),
        (["--since", middle], lambda s: s["published_at"] >= middle),
        (["--until", middle], lambda s: s["published_at"] < the_day_after(middle)),
        (["--since", middle + "T00:00:00Z", "--until", days[-1]], lambda s: s["published_at"] >= middle),
        (["--community", community, "--since", days[0]], lambda s: s["community"] == community),
    ]


def test_filters_keep_exactly_the_stories_that_satisfy_them(crawled):
    word = common_word(crawled.stories)
    exact, alike = matching(crawled.stories, word)
    for options, keep in filter_cases(crawled.stories):
        wanted = {url for url in exact if keep(crawled.stories[url])}
        allowed = {url for url in alike if keep(crawled.stories[url])}
        got = {row["url"] for row in found(crawled, word, *options, "--limit", "1000")}
        assert wanted <= got <= allowed, options
        assert wanted, options  # the filter was tried on some matches


def test_results_are_best_first_and_limited(crawled):
    word = common_word(crawled.stories)
    exact, alike = matching(crawled.stories, word)
    everything = found(crawled, word, "--limit", "1000")
    assert exact <= {row["url"] for row in everything} <= alike
    scores = [row["score"] for row in everything]
    assert scores == sorted(scores) and [row["rank"] for row in everything] == list(range(1, len(everything) + 1))
    assert [row["url"] for row in found(crawled, word, "--limit", "3")] == [row["url"] for row in everything[:3]]
    assert len(found(crawled, word)) == min(20, len(everything))


def test_removed_stories_are_found_and_marked(crawled):
    with sqlite3.connect(crawled.db) as db:
        removed_at = dict(db.execute("SELECT url, removed_at FROM stories WHERE removed_at IS NOT NULL").fetchall())
    db.close()
    assert removed_at.keys() and removed_at.keys() <= crawled.stories.keys()
    for url in removed_at:
        phrase = '"' + " ".join(re.findall(r"[^\W_]+", crawled.stories[url]["title"])) + '"'
        [row] = [row for row in found(crawled, phrase, "--limit", "1000") if row["url"] == url]
        assert row["removed"] is True and row["removed_at"] == removed_at[url]
        [line] = [line for line in invoke(phrase, "--db", str(crawled.db)).stdout.splitlines() if url in line]
        assert removed_at[url][:10] in line
    live = found(crawled, common_word(crawled.stories), "--limit", "1000")
    assert all(row["removed"] is (row["url"] in removed_at) for row in live)


def test_the_table_is_aligned_with_one_line_per_story(crawled):
    word = common_word(crawled.stories)
    result = invoke(word, "--db", str(crawled.db), "--limit", "5")
    assert result.exit_code == 0, result.output
    heading, *lines = result.stdout.splitlines()
    assert heading.split() == ["#", "published", "title", "author", "removed", "snippet", "url"]
    assert len(lines) == 5
    start = heading.index("url")
    assert all(line[start:] in crawled.stories for line in lines)
    empty = invoke("zzzzqqqq", "--db", str(crawled.db))
    assert empty.exit_code == 0 and empty.stdout.strip() == "no stories match 'zzzzqqqq'"


@pytest.mark.parametrize("words", ['"unclosed', "AND AND", "nosuchcolumn:badger", "badger)", "   "])
def test_a_bad_search_is_explained_in_one_line(crawled, words):
    result = invoke(words, "--db", str(crawled.db))
    assert result.exit_code == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: bad search: ") and "put phrases in double quotes" in line


@pytest.mark.parametrize("option", ["--since", "--until"])
def test_a_date_that_is_not_one_is_a_usage_error(crawled, option):
    result = invoke("badger", option, "last tuesday", "--db", str(crawled.db))
    assert result.exit_code == 2 and "is not a date" in result.stderr


@pytest.mark.parametrize("kind", ["missing", "empty", "not sqlite", "damaged", "not swampcrawl"])
def test_an_unusable_database_is_one_line(crawled, tmp_path, kind):
    path = unusable_database(tmp_path, kind, real=crawled.db)
    result = invoke("badger", "--db", str(path))
    assert result.exit_code == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ") and str(path) in line
