"""Progress of long work: a live line on a terminal, a plain line every interval elsewhere.

``CrawlProgress`` is a Scrapy extension (``EXTENSIONS`` in swampcrawl/settings.py, in place
of Scrapy's LogStats). When stderr is a terminal it redraws one line in place (``\\r``) at
most twice a second: pages done and queued, stories new/changed/unchanged, errors, the rate
and, when the site's declared story count is known (stat ``swampcrawl/site/story_count``),
an estimate of the time left. Otherwise (cron, a pipe; also into ``LOG_FILE`` when one is
set) it logs the same figures every ``SWAMPCRAWL_PROGRESS_INTERVAL`` seconds. The live line
is cleared before any log line is written and at the end, so the crawl's summary line stands
alone.

``plain_bars`` gives ``swampcrawl reparse`` and ``swampcrawl wacz`` the plain lines, with the
interface of a click progress bar. This module imports no Scrapy when loaded: those commands
run without a crawler.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from swampcrawl.config import SettingsError

logger = logging.getLogger(__name__)

INTERVAL_SETTING = "SWAMPCRAWL_PROGRESS_INTERVAL"
LIVE_REDRAW = 0.5  # seconds between redraws of the live line
RATE_WINDOW = 30.0  # seconds of history the rates are measured over

# The stats the figures are read from (the store sets the stories', the spiders the rest).
PAGES_STAT = "downloader/response_count"
STORY_STATS = ("swampcrawl/stories/new", "swampcrawl/stories/changed", "swampcrawl/stories/unchanged")
FAILED_STAT = "swampcrawl/requests/failed"
DECLARED_STAT = "swampcrawl/site/story_count"

Clock = Callable[[], float]


def parse_interval(value: object) -> float:
    """``SWAMPCRAWL_PROGRESS_INTERVAL``: seconds between plain lines, 0 for no progress at all."""
    try:
        seconds = float(str(value).strip())
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise SettingsError(f"{INTERVAL_SETTING} must be a number of seconds (0: no progress), not {value!r}")
    return seconds


def human_duration(seconds: float) -> str:
    """``42 s``, ``5 min 03 s``, ``2 h 05 min``."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


# -- the crawl's figures ---------------------------------------------------------------------


class Rates:
    """Pages and stories per second over the last ``window`` seconds of samples."""

    def __init__(self, window: float = RATE_WINDOW) -> None:
        self.window = window
        self.samples: deque[tuple[float, int, int]] = deque()

    def add(self, at: float, pages: int, stories: int) -> None:
        self.samples.append((at, pages, stories))
        while len(self.samples) > 2 and at - self.samples[1][0] >= self.window:
            self.samples.popleft()

    def per_second(self) -> tuple[float, float]:
        """(pages, stories) per second; 0 before two samples."""
        if len(self.samples) < 2:
            return 0.0, 0.0
        (t0, pages0, stories0), (t1, pages1, stories1) = self.samples[0], self.samples[-1]
        seconds = t1 - t0
        if seconds <= 0:
            return 0.0, 0.0
        return (pages1 - pages0) / seconds, (stories1 - stories0) / seconds


@dataclass(frozen=True)
class CrawlFigures:
    pages: int
    queued: int
    new: int
    changed: int
    unchanged: int
    errors: int
    rate: float  # pages per second
    elapsed: float  # seconds
    left: float | None  # seconds, when the site's declared story count allows an estimate


def _stat(stats: dict[str, Any], key: str) -> int:
    value = stats.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def stories_done(stats: dict[str, Any]) -> int:
    return sum(_stat(stats, key) for key in STORY_STATS)


def time_left(stats: dict[str, Any], stories_per_second: float) -> float | None:
    """Seconds until the declared story count is reached at the current rate, or None."""
    remaining = _stat(stats, DECLARED_STAT) - stories_done(stats)
    if remaining <= 0 or stories_per_second <= 0:
        return None
    return remaining / stories_per_second


def crawl_figures(stats: dict[str, Any], elapsed: float, rates: Rates) -> CrawlFigures:
    pages_per_second, stories_per_second = rates.per_second()
    new, changed, unchanged = (_stat(stats, key) for key in STORY_STATS)
    return CrawlFigures(
        pages=_stat(stats, PAGES_STAT),
        queued=max(0, _stat(stats, "scheduler/enqueued") - _stat(stats, "scheduler/dequeued")),
        new=new, changed=changed, unchanged=unchanged,
        errors=_stat(stats, FAILED_STAT),
        rate=pages_per_second, elapsed=elapsed,
        left=time_left(stats, stories_per_second),
    )  # fmt: skip


def describe(figures: CrawlFigures) -> str:
    """The figures in one line, the same on a terminal and in a log."""
    left = f", about {human_duration(figures.left)} left" if figures.left is not None else ""
    return (
        f"{figures.pages:,} pages done, {figures.queued:,} queued; "
        f"stories {figures.new:,} new, {figures.changed:,} changed, {figures.unchanged:,} unchanged; "
        f"{figures.errors:,} errors; {figures.rate:.1f} pages/s; "
        f"{human_duration(figures.elapsed)} elapsed{left}"
    )


# -- a line redrawn in place -----------------------------------------------------------------


class LiveLine:
    """One line of a terminal, redrawn in place (``\r``, then spaces over what is left of the
    last drawing): cut to the terminal's width, so it never wraps."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = 0  # characters on the line now

    def width(self) -> int:
        return shutil.get_terminal_size(fallback=(80, 24)).columns

    def draw(self, text: str) -> None:
        text = " ".join(text.split())[: max(self.width() - 1, 20)]  # one line, whatever the text
        self.stream.write("\r" + text.ljust(self.shown))
        self.stream.flush()
        self.shown = len(text)

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * self.shown + "\r")
            self.stream.flush()
            self.shown = 0


class ClearBeforeLogging(logging.Filter):
    """On a handler writing to the live line's stream: clear the line before a log line."""

    def __init__(self, live: LiveLine) -> None:
        super().__init__()
        self.live = live

    def filter(self, record: logging.LogRecord) -> bool:
        self.live.clear()
        return True


# -- the Scrapy extension --------------------------------------------------------------------


class CrawlProgress:
    """A crawl's progress: a live line on a terminal, a log line every interval elsewhere."""

    def __init__(self, crawler: Any, interval: float, live: LiveLine | None, log: bool,
                 clock: Clock = time.monotonic) -> None:
        self.crawler = crawler
        self.interval = interval
        self.live = live
        self.log = log
        self.clock = clock
        self.tick_seconds = min(LIVE_REDRAW, interval) if live else interval
        self.ticks_per_log = max(1, round(interval / self.tick_seconds))
        self.ticks = 0
        self.started = clock()
        self.rates = Rates()
        self.task: Any = None
        self.filter = ClearBeforeLogging(live) if live else None

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlProgress:
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        settings = crawler.settings
        if settings.getbool("SWAMPCRAWL_INTERACTIVE"):
            raise NotConfigured("scrapy shell / parse: no progress")
        interval = parse_interval(settings.get(INTERVAL_SETTING, 60))
        if not interval:
            raise NotConfigured(f"{INTERVAL_SETTING} is 0")
        live = LiveLine(sys.stderr) if sys.stderr.isatty() else None
        progress = cls(crawler, interval, live, log=live is None or bool(settings.get("LOG_FILE")))
        crawler.signals.connect(progress.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(progress.spider_closed, signal=signals.spider_closed)
        return progress

    def spider_opened(self, spider: Any = None) -> None:
        from scrapy.utils.asyncio import create_looping_call

        self.started = self.clock()
        self.rates.add(self.started, 0, 0)
        self._watch_logging(True)
        self.task = create_looping_call(self.tick)
        self.task.start(self.tick_seconds, now=False)

    def figures(self) -> CrawlFigures:
        stats = self.crawler.stats.get_stats()
        now = self.clock()
        self.rates.add(now, _stat(stats, PAGES_STAT), stories_done(stats))
        return crawl_figures(stats, now - self.started, self.rates)

    def tick(self) -> None:
        text = describe(self.figures())
        self.ticks += 1
        if self.live is not None:
            self.live.draw(text)
        if self.log and self.ticks % self.ticks_per_log == 0:
            logger.info("progress: %s", text)

    def spider_closed(self, spider: Any = None, reason: str | None = None) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        self._watch_logging(False)
        if self.live is not None:
            self.live.clear()

    def _watch_logging(self, on: bool) -> None:
        """Clear the live line before any handler writing to its stream prints a log line."""
        if self.filter is None:
            return
        for handler in logging.getLogger().handlers:
            if getattr(handler, "stream", None) is self.live.stream:
                (handler.addFilter if on else handler.removeFilter)(self.filter)


# -- plain lines for the commands (reparse, wacz) ----------------------------------------------


class PlainProgress:
    """A click progress bar's interface (a context manager with ``update(n)``) that writes a
    plain line every ``interval`` seconds instead of redrawing: for logs and cron mail."""

    def __init__(self, command: str, label: str, length: int, interval: float,
                 stream: TextIO | None = None, clock: Clock = time.monotonic) -> None:
        self.command, self.label, self.length = command, label, max(0, length)
        self.interval = interval
        self.stream = stream
        self.clock = clock
        self.done = 0
        self.started = self.last = clock()

    def __enter__(self) -> PlainProgress:
        self.started = self.last = self.clock()
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def update(self, n: int) -> None:
        self.done += n
        now = self.clock()
        if now - self.last >= self.interval:
            self.last = now
            stream = self.stream or sys.stderr
            stream.write(self.line(now) + "\n")
            stream.flush()

    def line(self, now: float) -> str:
        elapsed = now - self.started
        share = min(self.done / self.length, 1.0) if self.length else 0.0
        left = ""
        if 0 < share < 1 and elapsed > 0:
            left = f", about {human_duration(elapsed / share - elapsed)} left"
        return f"{self.command}: {self.label} {share:.0%}, {human_duration(elapsed)} elapsed{left}"


def plain_bars(command: str, interval: float, stream: TextIO | None = None,
               clock: Clock = time.monotonic) -> Callable[[str, int], PlainProgress]:
    """A progress bar factory, ``(label, length) -> bar``, writing plain lines to ``stream``
    (stderr by default) every ``interval`` seconds."""

    def bar(label: str, length: int) -> PlainProgress:
        return PlainProgress(command, label, length, interval, stream, clock)

    return bar
