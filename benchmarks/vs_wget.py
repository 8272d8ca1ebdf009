"""swampcrawl against wget and a bare Scrapy spider, on a static replica served by nginx.

    .venv/bin/python benchmarks/vs_wget.py [--stories 5000] [--rounds 3] [--seed 1]
    .venv/bin/python benchmarks/vs_wget.py --memory [--memory-stories 5000,50000]
    options: [--doc docs/BENCHMARKS.md | --no-write] [--keep]

Exports a replica to static files (`swampcrawl replica --export`), serves them with nginx
on 127.0.0.1 (benchmarks/nginx.conf; nginx and wget are installed with apt-get when
missing, which needs root), then runs, in rounds of a -> b -> c -> d -> e so that drift of
the machine touches every run alike:

  (a) wget --mirror --warc-file over the site
  (b) a bare Scrapy spider that follows every link (benchmarks/bare_spider.py)
  (c) scrapy crawl stories, the full pipeline (WARC + SQLite, requisites)
  (d) swampcrawl reparse of (c)'s WARCs into a new database
  (e) scrapy crawl stories again into (c)'s database: an incremental recrawl

and prints, per run, the medians of pages/s (pages: HTTP responses, counted in nginx's
access log; for (d), (c)'s count), CPU ms a page (user + system of the process and its
children, from wait4) and peak RSS, then the ratios c/a, c/b and d/c (pages/s; medians of
the rounds' ratios) and e/c (requests), each beside its target. --memory crawls (c) alone
at two sizes instead, for its peak RSS and its growth per 100,000 URLs (requests made).
Both write their part of docs/BENCHMARKS.md (between marker comments) with the machine's
description. Everything stays on 127.0.0.1. Benchmarks print; they never assert.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import os
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spiders.base import LOOPBACK_SETTINGS  # noqa: E402 (the concurrency (c) runs with)
from vs_wget_report import (  # noqa: E402 (benchmarks/ is not a package)
    Measure, Table, as_text, find_tool, machine, memory_tables, section, speed_tables, write_section,
)

BIN = Path(sys.executable).parent
TEMPLATE = ROOT / "benchmarks" / "nginx.conf"
DOC = ROOT / "docs" / "BENCHMARKS.md"
TEXT_SUFFIXES = (".html", ".css", ".js", ".xml", ".txt")  # served gzipped, as the replica does
# wget: a mirror with page requisites, HTML saved as .html (a page and a folder share names),
# gzip as the crawl asks for it, no ~/.wgetrc; skipping what the crawl never fetches:
# the tracking-parameter copies of story links, ?page=1 (the listing itself) and creators.
WGET_FLAGS = [
    "--no-config", "--mirror", "--page-requisites", "--adjust-extension", "--compression=auto",
    "--reject-regex", r"[?&](via|utm_source|_ga|vocal_referral)=|[?&]page=1$",
    "--exclude-directories=/authors", "--no-verbose",
]  # fmt: skip
WGET_OK = (0, 8)  # 8: some link answered an error (a 404); the mirror is still complete


# --- tools and processes ---


def ensure_tools() -> None:
    """nginx and wget from Debian's packages, installed when missing (as root)."""
    missing = [name for name in ("nginx", "wget") if find_tool(name) is None]
    if not missing:
        return
    names = " ".join(missing)
    if os.geteuid() != 0:
        raise SystemExit(f"vs_wget.py: {names} missing: run as root (it installs them) or apt-get install {names}")
    print(f"installing {names} (apt-get)", file=sys.stderr)
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(install, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)  # stale package lists
        subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=True)


def child_env() -> dict[str, str]:
    """No proxy (everything is on 127.0.0.1) and no Scrapy project but the one a command finds."""
    drop = {"http_proxy", "https_proxy", "all_proxy", "SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT"}
    return {key: value for key, value in os.environ.items() if key.lower() not in drop and key not in drop}


def vm_hwm_kb(pid: int) -> int:
    """The peak RSS of a running process's memory since its exec (0 once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)


class PeakWatch(threading.Thread):
    """Polls a child's VmHWM. wait4's ru_maxrss also counts the memory of this (Python, Scrapy
    imported) process, which the child had before its exec: below that, only polling tells."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            self.peak_kb = max(self.peak_kb, vm_hwm_kb(self.pid))


def run_measured(command: list[str], cwd: Path, log: Path, ok: tuple[int, ...] = (0,)) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system, children included) and peak RSS (MB) of a
    command, from wait4; stdout and stderr go to ``log``."""
    inherited_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with open(log, "wb") as out:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, env=child_env(), stdout=out, stderr=subprocess.STDOUT)
        watch = PeakWatch(child.pid)
        watch.start()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    watch.done.set()
    watch.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in ok:
        tail = log.read_text(errors="replace")[-3000:]
        raise SystemExit(f"vs_wget.py: {shlex.join(command)} exited {child.returncode}:\n{tail}")
    peak_kb = usage.ru_maxrss if usage.ru_maxrss > inherited_kb else watch.peak_kb
    return wall, usage.ru_utime + usage.ru_stime, peak_kb / 1024


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


# --- the site ---


class StaticSite:
    """A replica exported to ``run/site`` and served by nginx on two free ports of 127.0.0.1
    (the site and its image host); nginx's log, pid and temp files are in ``run``."""

    def __init__(self, run: Path, stories: int, seed: int) -> None:
        self.run, self.stories, self.seed = run, stories, seed
        self.port, self.image_port = free_ports(2)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.access_log = run / "access.log"
        self._nginx: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> StaticSite:
        print(f"exporting {self.stories:,} stories to {self.run / 'site'}, served by nginx on {self.base_url}",
              file=sys.stderr)
        self.export()
        try:
            self.start_nginx()
        except BaseException:
            self.__exit__(None, None, None)  # a started nginx that does not serve is stopped too
            raise
        return self

    def export(self) -> None:
        command = [str(BIN / "swampcrawl"), "replica", "--stories", str(self.stories), "--seed", str(self.seed),
                   "--port", str(self.port), "--image-port", str(self.image_port), "--export", str(self.run / "site")]
        subprocess.run(command, cwd=ROOT, env=child_env(), stdout=subprocess.DEVNULL, check=True)
        for path in (self.run / "site").rglob("*"):
            if path.suffix in TEXT_SUFFIXES and path.is_file():
                path.with_name(path.name + ".gz").write_bytes(gzip.compress(path.read_bytes(), 6, mtime=0))

    def start_nginx(self) -> None:
        values = {"@RUN_DIR@": self.run, "@SITE_ROOT@": self.run / "site", "@PORT@": self.port,
                  "@IMAGE_ROOT@": self.run / "site" / f"127.0.0.1_{self.image_port}", "@IMAGE_PORT@": self.image_port}
        conf = TEMPLATE.read_text(encoding="utf-8")
        for key, value in values.items():
            conf = conf.replace(key, str(value))
        (self.run / "nginx.conf").write_text(conf, encoding="utf-8")
        command = [find_tool("nginx") or "nginx", "-p", str(self.run), "-e", str(self.run / "error.log"),
                   "-c", str(self.run / "nginx.conf")]
        with open(self.run / "nginx.out", "wb") as out:
            self._nginx = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.wait_listening()
        self.check_serving()

    def wait_listening(self) -> None:
        assert self._nginx is not None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._nginx.poll() is not None:
                logs = [self.run / "error.log", self.run / "nginx.out"]
                errors = "".join(log.read_text(errors="replace") for log in logs if log.exists())
                raise SystemExit(f"vs_wget.py: nginx exited {self._nginx.returncode}: {errors[-2000:]}")
            try:
                for port in (self.port, self.image_port):
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("vs_wget.py: nginx did not listen in time")

    def check_serving(self) -> None:
        """robots.txt answers 200: nginx's worker can read the export."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)  # no proxy, ever
        connection.request("GET", "/robots.txt")
        status = connection.getresponse().status
        connection.close()
        if status != 200:
            raise SystemExit(f"vs_wget.py: nginx answers {status} for /robots.txt: can its worker read {self.run}? "
                             "(started as root, it runs as nobody)")

    def __exit__(self, *exc_info: object) -> None:
        if self._nginx is not None and self._nginx.poll() is None:
            self._nginx.send_signal(signal.SIGQUIT)  # graceful stop of the master we started
            try:
                self._nginx.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._nginx.kill()
                self._nginx.wait()
        self._nginx = None

    def responses_since(self, offset: int) -> int:
        """Responses nginx logged after byte ``offset`` of its access log (one line each). A 5xx
        is nginx failing (out of descriptors, say), not the site: the run's figures are void."""
        with open(self.access_log, "rb") as log:
            log.seek(offset)
            lines = log.read().splitlines()
        failed = sum(1 for line in lines if line[:1] == b"5")
        if failed:
            raise SystemExit(f"vs_wget.py: nginx answered {failed} requests with 5xx (see {self.run / 'error.log'}): "
                             "the figures would not be comparable")
        return len(lines)

    def measure(self, command: list[str], cwd: Path, log: Path, ok: tuple[int, ...] = (0,)) -> Measure:
        offset = self.access_log.stat().st_size if self.access_log.exists() else 0
        wall, cpu, rss = run_measured(command, cwd, log, ok)
        return Measure(wall, cpu, rss, self.responses_since(offset))


# --- the runs ---


def wget_command(site: StaticSite, folder: Path) -> list[str]:
    return [find_tool("wget") or "wget", *WGET_FLAGS, f"--warc-file={folder / 'wget'}",
            f"--directory-prefix={folder / 'mirror'}", site.base_url + "/"]


def bare_command(site: StaticSite) -> list[str]:
    settings = [arg for name, value in LOOPBACK_SETTINGS.items() for arg in ("-s", f"{name}={value}")]
    return [str(BIN / "scrapy"), "runspider", str(ROOT / "benchmarks" / "bare_spider.py"),
            "-a", f"start={site.base_url}/", *settings, "-L", "WARNING"]


def crawl_command(site: StaticSite, folder: Path) -> list[str]:
    return [str(BIN / "scrapy"), "crawl", "stories", "-L", "WARNING", "-s", f"SWAMPCRAWL_BASE_URL={site.base_url}",
            "-s", f"SWAMPCRAWL_DB={folder / 'swamp.db'}", "-s", f"SWAMPCRAWL_WARC_DIR={folder / 'warc'}"]


def reparse_command(site: StaticSite, folder: Path) -> list[str]:
    return [str(BIN / "swampcrawl"), "reparse", str(folder / "warc"), "--db", str(folder / "reparsed.db"),
            "--base-url", site.base_url, "--no-progress", "--json"]


def one_round(site: StaticSite, folder: Path, label: str) -> dict[str, Measure]:
    """a -> b -> c -> d -> e in a fresh folder (the bare spider runs where no scrapy.cfg is)."""
    (folder / "bare").mkdir(parents=True)
    a = shown(label, "a", site.measure(wget_command(site, folder), folder, folder / "a.log", WGET_OK))
    b = shown(label, "b", site.measure(bare_command(site), folder / "bare", folder / "b.log"))
    c = shown(label, "c", site.measure(crawl_command(site, folder), ROOT, folder / "c.log"))
    wall, cpu, rss = run_measured(reparse_command(site, folder), ROOT, folder / "d.log")
    d = shown(label, "d", Measure(wall, cpu, rss, c.pages))
    e = shown(label, "e", site.measure(crawl_command(site, folder), ROOT, folder / "e.log"))
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def shown(label: str, key: str, measure: Measure) -> Measure:
    """Progress on stderr, one line a run."""
    print(f"{label} ({key}): {measure.pages:,} pages in {measure.wall:,.1f} s, {measure.pages_per_s:,.1f} pages/s, "
          f"{measure.cpu_ms_per_page:.3f} CPU ms/page, peak RSS {measure.max_rss_mb:,.1f} MB", file=sys.stderr)
    return measure


def commands_shown(site: StaticSite, folder: Path) -> dict[str, str]:
    """Each run's command line, with $RUN for the round's folder and $PORT for nginx's port."""
    commands = {"a": wget_command(site, folder), "b": bare_command(site), "c": crawl_command(site, folder),
                "d": reparse_command(site, folder), "e": crawl_command(site, folder)}
    lines = {}
    for key, command in commands.items():
        text = shlex.join([Path(arg).name if arg.startswith(str(BIN)) else arg for arg in command])
        text = text.replace(str(ROOT) + "/", "").replace(str(folder), "$RUN").replace(str(site.port), "$PORT")
        lines[key] = text.replace(str(Path(find_tool("wget") or "wget")), "wget")
    return lines


# --- main ---


def speed_run(args: argparse.Namespace, run: Path) -> tuple[str, list[Table], list[str]]:
    rounds = []
    with StaticSite(run, args.stories, args.seed) as site:
        for number in range(1, args.rounds + 1):
            folder = run / f"round-{number}"
            rounds.append(one_round(site, folder, f"round {number}/{args.rounds}"))
            if not args.keep:
                shutil.rmtree(folder)
        commands = commands_shown(site, folder)
    title = (f"{args.stories:,} stories (seed {args.seed}), {args.rounds} round(s) of a, b, c, d, e: "
             "medians of the rounds")
    notes = ["Commands (`$RUN`: the round's folder, `$PORT`: nginx's port):",
             "\n".join(f"- ({key}) `{command}`" for key, command in commands.items())]
    return title, speed_tables(rounds), notes


def memory_run(args: argparse.Namespace, run: Path) -> tuple[str, list[Table], list[str]]:
    results = []
    for stories in args.memory_stories:
        folder = run / f"memory-{stories}"
        folder.mkdir()
        with StaticSite(folder, stories, args.seed) as site:
            measure = site.measure(crawl_command(site, folder), ROOT, folder / "c.log")
            results.append((stories, shown(f"memory, {stories:,} stories", "c", measure)))
            command = commands_shown(site, folder)["c"]
        if not args.keep:
            shutil.rmtree(folder)
    title = f"(c) alone at {args.memory_stories[0]:,} and {args.memory_stories[1]:,} stories (seed {args.seed})"
    notes = ["URLs: the requests (c) made, counted in nginx's access log. Command (`$RUN`: the size's "
             f"folder, `$PORT`: nginx's port): `{command}`"]
    return title, memory_tables(results), notes


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=5000, help="stories of the replica (default 5000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of a -> b -> c -> d -> e (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="the replica's seed (default 1)")
    parser.add_argument("--memory", action="store_true", help="only (c), at the --memory-stories sizes")
    parser.add_argument("--memory-stories", default="5000,50000", help="two sizes for --memory (default 5000,50000)",
                        type=lambda text: sorted(int(size) for size in text.split(",")))
    parser.add_argument("--doc", type=Path, default=DOC, help="the document to write (default docs/BENCHMARKS.md)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder (printed) with its logs")
    args = parser.parse_args(argv)
    if args.stories < 1 or args.rounds < 1 or len(args.memory_stories) != 2 or min(args.memory_stories) < 1:
        parser.error("--stories and --rounds must be at least 1; --memory-stories two sizes of at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    os.umask(0o022)  # nginx's worker (nobody, when started as root) reads the export
    ensure_tools()
    described = "; ".join(f"{key}: {value}" for key, value in machine().items())
    run = Path(tempfile.mkdtemp(prefix="swampcrawl-vs-wget-"))
    run.chmod(0o755)
    try:
        title, tables, notes = memory_run(args, run) if args.memory else speed_run(args, run)
    finally:
        if args.keep:
            print(f"run folder kept: {run}", file=sys.stderr)
        else:
            shutil.rmtree(run, ignore_errors=True)
    command_line = shlex.join(["python", "benchmarks/vs_wget.py", *(sys.argv[1:] if argv is None else argv)])
    print("\n\n".join([title, command_line, described, *(as_text(table) for table in tables)]))
    if not args.no_write:
        body = section(title, command_line, described, tables, notes)
        write_section(args.doc, "memory" if args.memory else "speed", body)
        print(f"written to {args.doc}", file=sys.stderr)


if __name__ == "__main__":
    main()
