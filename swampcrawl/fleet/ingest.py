"""The fleet's single database writer: worker messages from Redis into one SQLite database.

SQLite takes one writer at a time, and a database file shared over a network by workers on
several machines is not safe: so no worker writes the database. Each worker's FleetPipeline
pushes its rows to the crawl's ``rows`` list (``swampcrawl.fleet.messages``); this writer, the
only process holding the database's lock, writes them with the ``RowBuffer`` a crawl and
reparse use, so the three build a database the same way.

Nothing is lost when the writer is killed: a batch of messages is moved (atomically, in Redis)
to ``rows:processing`` and deleted there only after the SQLite transaction holding its rows
committed. That transaction also records a digest of the batch in the run's stats, so a
restarted writer that finds the batch still in ``rows:processing`` knows whether it was
committed (delete it) or not (write it). One ``crawl_runs`` row covers the whole fleet crawl:
its id is kept in Redis (``run``), so a writer started again continues it.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis

from swampcrawl.fleet.keys import CrawlKeys
from swampcrawl.fleet.leases import reap_dead_workers
from swampcrawl.fleet.messages import Message, MessageError, parse_message
from swampcrawl.store import Store
from swampcrawl.store.ingest import RowBuffer
from swampcrawl.store.runs import FINISHED_WITH_ERRORS, INTERRUPTED
from swampcrawl.store.schema import RUN_FIGURE_COLUMNS
from swampcrawl.store.values import now_iso, to_json

SPIDERS = ("stories", "creators", "communities")
STATUS_STAT = "swampcrawl/run/status"
MARKER = "swampcrawl/fleet/committed_batch"  # digest of the last batch committed, in the run's stats
# Stats a worker reports that the writer gives for the whole crawl instead of summing them.
WRITER_STATS = frozenset({"elapsed_time_seconds", "start_time", "finish_time", "finish_reason", STATUS_STAT})
TAKE_MAX = 1000  # messages moved by one script call (Lua's unpack has a stack limit)
REAP_SECONDS = 1.0

# KEYS: rows, rows:processing. ARGV: how many. The first messages of ``rows`` moved to the end
# of ``rows:processing``, in order, atomically: each message is in exactly one of the two lists.
TAKE = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items > 0 then
  redis.call('RPUSH', KEYS[2], unpack(items))
  redis.call('LTRIM', KEYS[1], #items, -1)
end
return items
"""


@dataclass
class Ended:
    """How the writing of one fleet crawl ended."""

    spider: str
    run_id: int
    status: str
    code: int  # the exit status it gives (0, 4, 1, 130)
    stats: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)


def batch_marker(texts: list[bytes]) -> str:
    """A batch's digest: worker ids and sequence numbers make every batch's text unique."""
    return hashlib.sha256(b"\n".join(texts)).hexdigest()


def add_worker_stats(total: dict[str, Any], closed: dict[str, Any]) -> None:
    """A closed worker's counters summed into the crawl's (peaks maxed), its status counted."""
    stats, status = closed["stats"], str(closed.get("status"))
    for key, value in stats.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or key in WRITER_STATS:
            continue
        total[key] = max(total.get(key, 0), value) if key.startswith("memusage/") else total.get(key, 0) + value
    for key in ("swampcrawl/fleet/workers", f"swampcrawl/fleet/workers/{status}"):
        total[key] = total.get(key, 0) + 1
    if stats.get("swampcrawl/store/error"):  # a push failed: the worker stopped early
        total["swampcrawl/fleet/push_errors"] = total.get("swampcrawl/fleet/push_errors", 0) + 1


class CrawlWriter:
    """One fleet crawl (one spider's keys) into the store: its run, its batches, its end."""

    def __init__(self, server: redis.Redis, store: Store, spider: str, batch: int,
                 warn: Callable[[str], None]) -> None:
        self.server, self.store, self.batch, self.warn = server, store, batch, warn
        self.spider = spider
        self.keys = CrawlKeys(spider)
        self.processing = f"{self.keys.rows}:processing"
        self.run_key = f"{self.keys.prefix}:run"
        self.take_script = server.register_script(TAKE)
        self.run_id = 0
        self.stats: dict[str, Any] = {}  # as committed: the workers' sums and the writer's counts
        self.settings: dict[str, Any] | None = None
        self.pending: dict[str, Any] = {}  # the stats as the batch being written leaves them
        self.buffer = RowBuffer(store, sys.maxsize, on_written=self._count)
        self.ended: Ended | None = None
        self.cleaned = False

    # -- the run ------------------------------------------------------------------------------

    def begin(self) -> None:
        """Continue the crawl's run (a writer stopped before the end), or start one; then settle
        a batch a killed writer left in ``rows:processing``."""
        run = self._run_to_continue()
        if run is None:
            self.run_id = self.store.start_run(self.spider, None)
            started = self.store.run(self.run_id)["started_at"]
            self.server.set(self.run_key, f"{self.run_id} {started}")
        else:
            self.run_id, self.stats, self.settings = run["id"], run["stats"] or {}, run["settings"]
            figures = ", ".join(f'"{name}" = NULL' for name in ("pages", "items", *RUN_FIGURE_COLUMNS))
            with self.store.db.atomic():
                self.store.db.execute(f"UPDATE crawl_runs SET status = 'running', finished_at = NULL, {figures} "
                                      "WHERE id = ?", [self.run_id])
        left = self.server.lrange(self.processing, 0, -1)
        if left and batch_marker(left) == self.stats.get(MARKER):
            self.server.delete(self.processing)  # committed just before the writer died

    def _run_to_continue(self) -> dict[str, Any] | None:
        """The run named in Redis, when this database holds it (same id, spider, start)."""
        token = (self.server.get(self.run_key) or b"").decode()
        run_id, _, started = token.partition(" ")
        run = self.store.run(int(run_id)) if run_id.isdigit() else None
        if run is None or run["spider"] != self.spider or run["started_at"] != started:
            return None
        return run

    def finish(self, status: str) -> Ended:
        """Close the run: the workers' summed stats, the writer's times; the exit status."""
        stats = dict(self.stats)  # the batch digest kept: a batch committed may still be in Redis
        started = self._started()
        stats.update({"start_time": started, "finish_time": now_iso(), "finish_reason": status,
                      "elapsed_time_seconds": _seconds_since(started), STATUS_STAT: status})
        self.store.finish_run(self.run_id, status, stats)
        run = self.store.run(self.run_id)
        code = run["exit_status"]
        if status == "incomplete":  # stored what was queued, as asked: not a failure
            code = FINISHED_WITH_ERRORS if run["errors"] else 0
            with self.store.db.atomic():
                self.store.db.execute("UPDATE crawl_runs SET exit_status = ? WHERE id = ?", [code, self.run_id])
        self.ended = Ended(self.spider, self.run_id, status, code, stats, self.settings or {})
        return self.ended

    def _started(self) -> str:
        """When the crawl's first worker joined, else when its run started (Redis may be gone)."""
        try:
            started = (self.server.get(self.keys.started) or b"").decode()
        except redis.RedisError:
            started = ""
        return started or self.store.run(self.run_id)["started_at"]

    # -- batches ------------------------------------------------------------------------------

    def take(self) -> bool:
        """Write one batch: what ``rows:processing`` holds, topped up from ``rows`` to at least
        ``batch`` rows; False when there was nothing."""
        self.pending = dict(self.stats)
        texts = self.server.lrange(self.processing, 0, -1)
        messages = self._parse(texts)
        while (rows := sum(len(m.body) for m in messages if m.kind == "rows")) < self.batch:
            taken = self.take_script(keys=[self.keys.rows, self.processing],
                                     args=[min(TAKE_MAX, self.batch - rows)])
            if not taken:
                break
            texts += taken
            messages += self._parse(taken)
        if not texts:
            return False
        self._write(texts, messages)
        self.server.delete(self.processing)  # only once its rows committed
        return True

    def wait_for_message(self, seconds: float) -> None:
        """Block until a message arrives (moved into ``rows:processing``) or ``seconds`` pass."""
        self.server.blmove(self.keys.rows, self.processing, seconds, "LEFT", "RIGHT")

    def _parse(self, texts: list[bytes]) -> list[Message]:
        messages = []
        for text in texts:
            try:
                messages.append(parse_message(text))
            except MessageError as error:
                self.warn(f"skipped a message of the {self.spider} crawl that is not a worker's: {error}")
                self.pending["swampcrawl/fleet/bad_messages"] = self.pending.get("swampcrawl/fleet/bad_messages", 0) + 1
        return messages

    def _write(self, texts: list[bytes], messages: list[Message]) -> None:
        """The batch's rows, the run's stats and the batch's digest: one transaction."""
        stats = self.pending
        for message in messages:
            self._apply(message, stats)
        before = Counter(self.store.outcomes)
        try:
            with self.store.db.atomic():
                self.buffer.flush()
                for outcome, count in (self.store.outcomes - before).items():
                    key = f"swampcrawl/stories/{outcome}"
                    stats[key] = stats.get(key, 0) + count
                stats[MARKER] = batch_marker(texts)
                self.store.db.execute("UPDATE crawl_runs SET stats = ?, settings = ? WHERE id = ?",
                                      [to_json(stats), to_json(self.settings), self.run_id])
        except BaseException:
            self.buffer = RowBuffer(self.store, sys.maxsize, on_written=self._count)  # left in Redis
            raise
        self.stats = stats

    def _apply(self, message: Message, stats: dict[str, Any]) -> None:
        if message.kind == "rows":
            for _, row in message.body:
                if isinstance(row, dict) and "run_id" in row:
                    row["run_id"] = self.run_id
            self.buffer.add(message.body)
        elif message.kind == "closed":
            add_worker_stats(stats, message.body)
        elif self.settings is None:  # opened: the first worker's settings are the run's
            self.settings = message.body.get("settings")

    def _count(self, table: str, rows: int) -> None:
        key = f"swampcrawl/store/{table}"
        self.pending[key] = self.pending.get(key, 0) + rows

    # -- the end of the crawl -----------------------------------------------------------------

    def crawl_over(self) -> bool:
        """The workers set ``done``, all have left (or were reaped), every message is stored."""
        with self.server.pipeline(transaction=True) as pipe:
            pipe.exists(self.keys.done).scard(self.keys.workers).llen(self.keys.rows).llen(self.processing)
            done, workers, queued, processing = pipe.execute()
        return bool(done) and not (workers or queued or processing)

    def clean_up(self) -> bool:
        """Delete the crawl's keys so the next run starts afresh; False while a worker is still
        a member (a late one joining the finished crawl: it leaves at once)."""
        with self.server.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(self.keys.workers, self.keys.started)
                if pipe.scard(self.keys.workers):
                    return False
                names = list(pipe.scan_iter(match=self.keys.crawl_keys_pattern(), count=1000))
                pipe.multi()
                if names:
                    pipe.delete(*names)
                pipe.execute()
            except redis.WatchError:
                return False
        self.cleaned = True
        return True


def _seconds_since(started: str) -> float:
    try:
        moment = datetime.fromisoformat(started)
    except ValueError:
        return 0.0
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return round((datetime.now(UTC) - moment).total_seconds(), 1)


class FleetWriter:
    """The writer's loop over the crawls it serves (one spider, or every spider's)."""

    def __init__(self, server: redis.Redis, store: Store, spiders: tuple[str, ...], batch: int,
                 warn: Callable[[str], None]) -> None:
        self.server, self.store, self.spiders, self.batch, self.warn = server, store, spiders, batch, warn
        self.writers: dict[str, CrawlWriter] = {}
        self.stopping = False  # set by a signal handler: finish the batch, then stop
        self.reaped_at = 0.0

    def run(self, wait: bool) -> list[Ended]:
        """Write until every crawl served is over (``wait``), or until nothing is queued."""
        try:
            while not self.stopping:
                self._discover()
                took = [writer.take() for writer in self._open()]  # every crawl, each round
                self._reap()
                self._finish_over()
                if any(took):
                    continue
                if self._settled() or not wait:
                    break
                self._idle()
        except KeyboardInterrupt:  # a second Ctrl-C: the batch being written stays in Redis
            self.stopping = True
        except BaseException:
            self._end_all("failed")
            raise
        self._end_all("shutdown" if self.stopping else "incomplete")
        return [writer.ended for writer in self.writers.values() if writer.ended is not None]

    def _open(self) -> list[CrawlWriter]:
        return [writer for writer in self.writers.values() if writer.ended is None]

    def _settled(self) -> bool:
        """Some crawl was served, and each is over, its keys deleted."""
        if not self.writers or self._open():
            return False
        return all(writer.cleaned or writer.clean_up() for writer in self.writers.values())

    def _discover(self) -> None:
        """Begin writing each crawl served that has keys in Redis (once per invocation)."""
        for spider in self.spiders:
            if spider not in self.writers and _has_keys(self.server, CrawlKeys(spider)):
                writer = CrawlWriter(self.server, self.store, spider, self.batch, self.warn)
                writer.begin()
                self.writers[spider] = writer

    def _reap(self) -> None:
        if time.monotonic() - self.reaped_at >= REAP_SECONDS:
            self.reaped_at = time.monotonic()
            for writer in self._open():
                reap_dead_workers(self.server, writer.keys)

    def _finish_over(self) -> None:
        for writer in self._open():
            if writer.crawl_over():
                writer.finish("finished")
                writer.clean_up()

    def _idle(self) -> None:
        """Nothing to write: wait for a message of an open crawl (or a crawl to appear)."""
        open_writers = self._open()
        if open_writers:
            open_writers[int(time.monotonic()) % len(open_writers)].wait_for_message(1)
        else:
            time.sleep(1)

    def _end_all(self, status: str) -> None:
        """Close the runs of the crawls not over: interrupted, failed, or stored as far as queued."""
        for writer in self._open():
            writer.finish(status)


def _has_keys(server: redis.Redis, keys: CrawlKeys) -> bool:
    names = (keys.workers, keys.rows, f"{keys.rows}:processing", keys.started, keys.done, keys.requests)
    return bool(server.exists(*names))


def exit_status(ended: list[Ended]) -> int:
    """The command's exit status: the worst of its crawls' (130, 1, 4, 0)."""
    codes = {e.code for e in ended}
    for code in (INTERRUPTED, 1, FINISHED_WITH_ERRORS):
        if code in codes:
            return code
    return 0
