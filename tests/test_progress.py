"""Progress of long work: the crawl's live line and log lines (swampcrawl.progress), and the
plain lines of `swampcrawl reparse` and `swampcrawl wacz` when stderr is not a terminal.

Nothing here times anything: figures are checked for sense (they grow, they add up), and the
live line with a fake terminal."""

from __future__ import annotations

import gzip
import io
import logging
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from crawl_support import scrapy_crawl, table
from replica_process import ReplicaProcess

from archive.writer import WarcWriter
from swampcrawl.config import SettingsError
from swampcrawl.progress import (
    ClearBeforeLogging,
    CrawlProgress,
    LiveLine,
    PlainProgress,
    Rates,
    crawl_figures,
    describe,
    human_duration,
    parse_interval,
)
from swampcrawl.replica.site import build_site

BIN = Path(sys.executable).parent
PROGRESS = re.compile(
    r"progress: (?P<pages>[\d,]+) pages done, (?P<queued>[\d,]+) queued; "
    r"stories (?P<new>[\d,]+) new, (?P<changed>[\d,]+) changed, (?P<unchanged>[\d,]+) unchanged; "
    r"(?P<errors>[\d,]+) errors; (?P<rate>[\d.]+) pages/s; (?P<elapsed>.+?) elapsed"
)


def progress_lines(log: str) -> list[dict[str, int | float]]:
    found = []
    for match in PROGRESS.finditer(log):
        figures = {k: int(v.replace(",", "")) for k, v in match.groupdict().items() if k not in ("rate", "elapsed")}
        found.append({**figures, "rate": float(match["rate"])})
    return found


# -- a crawl, not on a terminal: a log line every interval -----------------------------------------


def test_a_crawl_logs_progress_lines_with_growing_figures(tmp_path):
    with ReplicaProcess(stories=15, seed=4) as replica:
        result = scrapy_crawl("stories", "-L", "INFO", "-s", "SWAMPCRAWL_PROGRESS_INTERVAL=1",
                              "-s", "DOWNLOAD_DELAY=0.05", "-s", "CONCURRENT_REQUESTS=1",
                              base_url=replica.base_url, data=tmp_path)
        stories = len(replica.truth["stories"])
    assert result.returncode == 0, result.stderr[-3000:]
    lines = progress_lines(result.stderr)
    assert len(lines) >= 2, result.stderr[-3000:]
    assert len(lines) == result.stderr.count("[swampcrawl.progress] INFO: progress: ")  # every line parses
    [run] = table(tmp_path / "swamp.db", "crawl_runs")
    for earlier, later in zip(lines, lines[1:]):
        assert later["pages"] >= earlier["pages"] and later["new"] >= earlier["new"]
    assert lines[-1]["pages"] > lines[0]["pages"] > 0
    assert lines[-1]["pages"] <= run["responses"] and lines[-1]["new"] <= run["new"] <= stories
    assert all(line["errors"] == 0 and line["changed"] == 0 and line["rate"] >= 0 for line in lines)
    assert any(line["queued"] > 0 for line in lines) and any(line["rate"] > 0 for line in lines)
    assert "\r" not in result.stderr  # no live line off a terminal
    assert "Crawled 0 pages" not in result.stderr  # Scrapy's LogStats is off
    assert "swampcrawl: stories finished in" in result.stdout


def test_a_bad_interval_is_one_line_and_exit_2(tmp_path):
    with ReplicaProcess(stories=3, seed=4) as replica:
        result = scrapy_crawl("communities", "-s", "SWAMPCRAWL_PROGRESS_INTERVAL=soon",
                              base_url=replica.base_url, data=tmp_path)
    assert result.returncode == 2
    assert [line for line in result.stderr.splitlines() if line.strip()] == [
        "scrapy crawl: error: SWAMPCRAWL_PROGRESS_INTERVAL must be a number of seconds (0: no progress), not 'soon'"]


@pytest.mark.parametrize("value, seconds", [("60", 60.0), (" 1.5 ", 1.5), (0, 0.0)])
def test_parse_interval(value, seconds):
    assert parse_interval(value) == seconds


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf", ""])
def test_parse_interval_refuses(value):
    with pytest.raises(SettingsError, match="SWAMPCRAWL_PROGRESS_INTERVAL must be a number of seconds"):
        parse_interval(value)


# -- the figures --------------------------------------------------------------------------------


def stats(**values: int) -> dict[str, int]:
    names = {"pages": "downloader/response_count", "enqueued": "scheduler/enqueued", "dequeued": "scheduler/dequeued",
             "new": "swampcrawl/stories/new", "changed": "swampcrawl/stories/changed",
             "unchanged": "swampcrawl/stories/unchanged", "failed": "swampcrawl/requests/failed",
             "declared": "swampcrawl/site/story_count"}
    return {names[key]: value for key, value in values.items()}


def test_figures_and_their_line():
    rates = Rates()
    rates.add(0.0, 0, 0)
    rates.add(10.0, 100, 20)
    figures = crawl_figures(stats(pages=100, enqueued=150, dequeued=120, new=15, changed=3, unchanged=2, failed=1),
                            10.0, rates)
    assert (figures.pages, figures.queued, figures.new, figures.changed, figures.unchanged, figures.errors) == (
        100, 30, 15, 3, 2, 1)
    assert figures.rate == 10.0 and figures.left is None  # no declared story count: no estimate
    assert describe(figures) == ("100 pages done, 30 queued; stories 15 new, 3 changed, 2 unchanged; "
                                 "1 errors; 10.0 pages/s; 10 s elapsed")


def test_the_time_left_comes_from_the_declared_story_count():
    rates = Rates()
    rates.add(0.0, 0, 0)
    rates.add(10.0, 100, 20)  # 2 stories a second
    figures = crawl_figures(stats(pages=100, new=20, declared=260), 10.0, rates)
    assert figures.left == 120.0 and describe(figures).endswith("10 s elapsed, about 2 min 00 s left")
    assert crawl_figures(stats(pages=100, new=20, declared=20), 10.0, rates).left is None  # all seen


def test_rates_are_measured_over_the_last_window():
    rates = Rates(window=30.0)
    for second in range(0, 101, 10):
        rates.add(float(second), second * (1 if second <= 50 else 5), 0)
    pages, _ = rates.per_second()
    assert pages == pytest.approx(5.0, rel=0.35)  # the last 30 s, not the whole run's average
    assert Rates().per_second() == (0.0, 0.0)


@pytest.mark.parametrize("seconds, text", [(0, "0 s"), (59.4, "59 s"), (65, "1 min 05 s"), (3725, "1 h 02 min")])
def test_human_duration(seconds, text):
    assert human_duration(seconds) == text


# -- on a terminal: one line redrawn in place ---------------------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def screen(written: str, width: int) -> list[str]:
    """What a terminal of ``width`` columns shows for ``written``: \\r goes back to the line's
    start, \\n to a new line, and a line longer than the width wraps."""
    lines, column = [[]], 0
    for char in written:
        if char == "\r":
            column = 0
        elif char == "\n":
            lines.append([])
            column = 0
        else:
            if column == width:
                lines.append([])
                column = 0
            line = lines[-1]
            line.extend(" " * (column + 1 - len(line)))
            line[column] = char
            column += 1
    return ["".join(line).rstrip() for line in lines]


def live_line(width: int = 60) -> tuple[LiveLine, FakeTerminal]:
    terminal = FakeTerminal()
    line = LiveLine(terminal)
    line.width = lambda: width  # type: ignore[method-assign]
    return line, terminal


def test_the_live_line_is_redrawn_in_place_and_stays_one_line():
    line, terminal = live_line(width=60)
    long_text = describe(crawl_figures(stats(pages=123456, enqueued=999999, new=77777), 4000.0, Rates()))
    assert len(long_text) > 60
    line.draw(long_text)
    line.draw("12 pages done")
    written = terminal.getvalue()
    assert written.startswith("\r") and written.count("\r") == 2 and "\n" not in written
    assert screen(written, 60) == ["12 pages done"]  # the longer drawing is wiped
    line.draw(long_text)
    assert screen(terminal.getvalue(), 60) == [long_text[:59]]  # cut to the width: never wraps
    line.clear()
    assert screen(terminal.getvalue(), 60) == [""] and terminal.getvalue().endswith("\r")
    cleared = terminal.getvalue()
    line.clear()  # nothing drawn: nothing written
    assert terminal.getvalue() == cleared


def test_a_log_line_clears_the_live_line_first():
    line, terminal = live_line(width=80)
    handler = logging.StreamHandler(terminal)
    handler.addFilter(ClearBeforeLogging(line))
    logger = logging.getLogger("swampcrawl.test_progress")
    logger.addHandler(handler)
    try:
        line.draw("40 pages done, 3 queued")
        logger.warning("failed: http://x/y (timeout)")
        line.draw("41 pages done, 2 queued")
    finally:
        logger.removeHandler(handler)
    assert screen(terminal.getvalue(), 80) == ["failed: http://x/y (timeout)", "41 pages done, 2 queued"]


class FakeStats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def get_stats(self) -> dict[str, int]:
        return dict(self.values)


class FakeCrawler:
    def __init__(self) -> None:
        self.stats = FakeStats()


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_extension_redraws_on_a_terminal_and_logs_every_interval(caplog):
    crawler, clock = FakeCrawler(), FakeClock()
    line, terminal = live_line(width=200)
    progress = CrawlProgress(crawler, interval=2.0, live=line, log=True, clock=clock)
    progress.started = clock()
    progress.rates.add(clock(), 0, 0)
    assert progress.tick_seconds == 0.5 and progress.ticks_per_log == 4
    with caplog.at_level(logging.INFO, logger="swampcrawl.progress"):
        for tick in range(8):
            clock.now += 0.5
            crawler.stats.values = stats(pages=10 * (tick + 1), enqueued=50, dequeued=10 * (tick + 1), new=tick)
            progress.tick()
    shown = screen(terminal.getvalue(), 200)
    assert len(shown) == 1 and shown[0].startswith("80 pages done, 0 queued; stories 7 new")
    assert shown[0].endswith("20.0 pages/s; 4 s elapsed")
    logged = [record.getMessage() for record in caplog.records]
    assert [entry.split(";")[0] for entry in logged] == ["progress: 40 pages done, 10 queued", "progress: 80 pages done, 0 queued"]
    progress.spider_closed()
    assert screen(terminal.getvalue(), 200) == [""]


# -- reparse and wacz: plain lines off a terminal -------------------------------------------------


def small_archive(folder: Path, stories: int = 4) -> Path:
    site = build_site(seed=8, stories=stories, port=8000)
    captured = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    with WarcWriter(folder, host="test") as writer:
        for number, story in enumerate(site.truth()["stories"]):
            status, headers, body = site.render(story["path"], "")
            writer.write_exchange("http://127.0.0.1:8000" + story["path"], "GET", [], b"", "HTTP/1.1", status,
                                  [*headers.items(), ("Content-Encoding", "gzip")], gzip.compress(body, mtime=0),
                                  captured + timedelta(seconds=number))
    return folder


def swampcrawl(*args: str, interval: str | None = None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "SWAMPCRAWL_PROGRESS_INTERVAL"}
    if interval is not None:
        env["SWAMPCRAWL_PROGRESS_INTERVAL"] = interval
    return subprocess.run([str(BIN / "swampcrawl"), *args], capture_output=True, text=True, timeout=120, env=env)


def test_reparse_writes_plain_progress_lines_when_stderr_is_no_terminal(tmp_path):
    folder = small_archive(tmp_path / "warc")
    result = swampcrawl("reparse", str(folder), "--db", str(tmp_path / "r.db"), interval="0.000001")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines and all(re.fullmatch(r"reparse: (reading|writing) \d+%, \d+ s elapsed(, about .+ left)?", line)
                         for line in lines), lines
    assert {line.split()[1] for line in lines} == {"reading", "writing"} and "\r" not in result.stderr
    assert result.stdout.startswith("reparse: 1 files, 4 records, 4 pages")
    quiet = swampcrawl("reparse", str(folder), "--db", str(tmp_path / "q.db"), "--no-progress", interval="0.000001")
    assert quiet.returncode == 0 and quiet.stderr == ""
    default = swampcrawl("reparse", str(folder), "--db", str(tmp_path / "d.db"))  # a line a minute: none here
    assert default.returncode == 0 and default.stderr == ""


def test_wacz_writes_plain_progress_lines_when_stderr_is_no_terminal(tmp_path):
    folder = small_archive(tmp_path / "warc")
    result = swampcrawl("wacz", str(folder), "-o", str(tmp_path / "a.wacz"), interval="0.000001")
    assert result.returncode == 0, result.stderr
    labels = [line.split()[1] for line in result.stderr.splitlines()]
    assert {"indexing", "writing"} <= set(labels) <= {"indexing", "pages", "writing"}, result.stderr
    assert labels == sorted(labels, key=["indexing", "pages", "writing"].index)  # the passes in order
    assert (tmp_path / "a.wacz").exists() and result.stdout.strip() == f"wrote {tmp_path / 'a.wacz'}"
    forced = swampcrawl("wacz", str(folder), "-o", str(tmp_path / "b.wacz"), "--progress")
    assert forced.returncode == 0 and "writing" in forced.stderr  # click's bar, drawn on request
    quiet = swampcrawl("wacz", str(folder), "-o", str(tmp_path / "c.wacz"), "--no-progress", interval="0.000001")
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_a_bad_interval_for_a_command_is_one_line(tmp_path):
    folder = small_archive(tmp_path / "warc", stories=1)
    result = swampcrawl("wacz", str(folder), "-o", str(tmp_path / "a.wacz"), interval="later")
    assert result.returncode == 1 and result.stderr.strip().count("\n") == 0
    assert "SWAMPCRAWL_PROGRESS_INTERVAL must be a number of seconds" in result.stderr


def test_plain_progress_line():
    clock, out = FakeClock(), io.StringIO()
    with PlainProgress("wacz", "writing", 1000, interval=10.0, stream=out, clock=clock) as bar:
        clock.now += 5
        bar.update(100)  # before the interval: nothing
        clock.now += 5
        bar.update(150)  # 25% in 10 s
        clock.now += 30
        bar.update(750)
    assert out.getvalue().splitlines() == ["wacz: writing 25%, 10 s elapsed, about 30 s left",
                                           "wacz: writing 100%, 40 s elapsed"]
