"""Helpers of the research tests (search, query, export, history, stats, report, Datasette, the
schema's examples): one replica crawled at epoch 1 and again at epoch 2, and database files that
cannot be used.

    crawl = crawl_two_epochs(tmp_path_factory.mktemp("search"))  # the replica is stopped by then
    crawl.db, crawl.epoch1, crawl.truth1, crawl.truth2, crawl.base, crawl.months
    crawl.stories, crawl.edited                                   # what the truths say the database holds
    unusable_database(tmp_path, "damaged", real=crawl.db)
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawl_support import scrapy_crawl
from replica_process import ReplicaProcess

from swampcrawl.store import Store

CONTENT = ("title", "subtitle", "body_text")  # a change to one of them is an edit: a new version


@dataclass
class TwoEpochs:
    data: Path  # the folder both crawls wrote into: swamp.db, warc/, and epoch1.db
    epoch1: Path  # a copy of the database as the first crawl left it
    truth1: dict[str, Any]  # epoch 1's ground truth
    truth2: dict[str, Any]  # epoch 2's
    base: str  # the replica's base URL, the same at both epochs (one port)
    months: set[str]  # the months (UTC) the second crawl ran in

    @property
    def db(self) -> Path:
        """The database both crawls left."""
        return self.data / "swamp.db"

    @cached_property
    def stories(self) -> dict[str, dict[str, Any]]:
        """URL -> the truth of every row ``stories`` must hold: epoch 2's stories, and the removed
        ones as epoch 1 had them."""
        stories = {self.base + story["path"]: story for story in self.truth2["stories"]}
        removed = set(self.truth2["removed"])
        stories |= {self.base + story["path"]: story for story in self.truth1["stories"] if story["path"] in removed}
        return stories

    @cached_property
    def edited(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """(epoch 1, epoch 2) of the stories whose title, subtitle or text changed."""
        old = {story["id"]: story for story in self.truth1["stories"]}
        return [(old[s["id"]], s) for s in self.truth2["stories"]
                if s["id"] in old and any(s[field] != old[s["id"]][field] for field in CONTENT)]


def this_month() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m")


def crawl_two_epochs(data: Path, stories: int = 60, seed: int = 1, spiders: tuple[str, ...] = ("stories",)) -> TwoEpochs:
    """``scrapy crawl`` each of ``spiders`` on a replica's epoch 1, then ``scrapy crawl stories -a
    recheck=all`` on its epoch 2 at the same port (edits, removals, renames, new stories), all
    into ``data``; the database as epoch 1 left it copied to ``data / "epoch1.db"`` in between."""
    with ReplicaProcess(stories=stories, seed=seed) as first:
        for spider in spiders:
            result = scrapy_crawl(spider, base_url=first.base_url, data=data)
            assert result.returncode == 0, f"scrapy crawl {spider} failed:\n{result.stderr[-3000:]}"
        port, truth1 = urlsplit(first.base_url).port, first.truth
    with sqlite3.connect(data / "swamp.db") as source, sqlite3.connect(data / "epoch1.db") as copy:
        source.backup(copy)
    source.close()
    copy.close()
    time.sleep(1.1)  # WARC-Dates have whole seconds: the second crawl's captures come later
    with ReplicaProcess(stories=stories, seed=seed, epoch=2, port=port) as second:
        months = {this_month()}
        result = scrapy_crawl("stories", "-a", "recheck=all", base_url=second.base_url, data=data)
        assert result.returncode == 0, f"scrapy crawl stories -a recheck=all failed:\n{result.stderr[-3000:]}"
        months.add(this_month())
        crawl = TwoEpochs(data, data / "epoch1.db", truth1, second.truth, second.base_url, months)
    # what the tests compare with: epoch 2 changed stories, removed some and renamed some
    assert crawl.edited and crawl.truth2["removed"] and crawl.truth2["redirects"]
    assert all(crawl.base + path in crawl.stories for path in crawl.truth2["removed"])
    return crawl


UNUSABLE = ("missing", "empty", "not sqlite", "corrupt", "damaged", "not swampcrawl")


def unusable_database(folder: Path, kind: str, real: Path | None = None) -> Path:
    """A database file in ``folder`` that cannot be used, one of UNUSABLE: missing, empty, not
    SQLite (a CSV file), corrupt (a new swampcrawl database with all but its 100-byte header
    overwritten), damaged (``real``'s first page kept and every other page overwritten), or
    SQLite but not swampcrawl's."""
    assert kind in UNUSABLE, kind
    path = folder / f"{kind.replace(' ', '-')}.db"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "not sqlite":
        path.write_text("url,title\nhttps://vocal.media/a,A\n")
    elif kind == "corrupt":
        with Store(path):
            pass
        whole = path.read_bytes()
        path.write_bytes(whole[:100] + b"\xff" * (len(whole) - 100))  # the header kept, the pages gone
    elif kind == "damaged":  # the header page kept, every other page overwritten
        assert real is not None, "a damaged database is a copy of a real one: give real="
        data = real.read_bytes()
        path.write_bytes(data[:4096] + bytes(range(256)) * ((len(data) - 4096) // 256))
    elif kind == "not swampcrawl":
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE notes (text TEXT)")
        db.close()
    return path
