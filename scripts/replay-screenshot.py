#!/usr/bin/env python3
"""Replay one page of a WACZ file in ReplayWeb.page, in headless Chromium, and save a screenshot.

    bash scripts/install-replay-deps.sh          # once: Chromium, ReplayWeb.page (see that script)
    bash scripts/setup.sh test                   # once: .venv with Playwright
    .venv/bin/python scripts/replay-screenshot.py vocal.wacz https://vocal.media/fyi/a-story -o story.png

What it does, as an archivist would by hand: serves the WACZ and ReplayWeb.page's ``ui.js`` and
``sw.js`` (from .cache/replaywebpage/, put there by scripts/install-replay-deps.sh) on 127.0.0.1
with HTTP Range support, opens a page holding
``<replay-web-page source="/archive.wacz" url="URL">`` in Debian's Chromium (driven by Playwright;
no browser is downloaded), waits until the archived page is replayed inside ReplayWeb.page's
frames, saves a PNG of the window and prints the replayed page's title. Chromium resolves no host
name: nothing but 127.0.0.1 is contacted, so what shows comes from the WACZ alone.

Options: ``--ts 20261124093000`` (a capture other than the latest), ``--text FILE`` (also write
the replayed page's visible text), ``--timeout SECONDS`` (default 60), ``--size 1280x1600``.
Exit status 1 (and a line on stderr, with what ReplayWeb.page showed) when the page did not
replay in time, e.g. ReplayWeb.page's "Archived Page Not Found".

The test suite (tests/test_replay_webpage.py) imports this file and uses ``replay_page``.
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import mimetypes
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RWP_VERSION = "2.5.3"  # keep in step with scripts/install-replay-deps.sh
RWP_DIR = ROOT / ".cache" / "replaywebpage" / RWP_VERSION
CHROMIUM = "/usr/bin/chromium"
NOT_FOUND = "Archived Page Not Found"
# Every host name fails to resolve: the browser can reach 127.0.0.1 and nothing else.
CHROMIUM_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]

INDEX_HTML = """<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>swampcrawl: replay</title>
<script src="/ui.js"></script>
<style>html, body {{ margin: 0; height: 100%; }} replay-web-page {{ display: block; height: 100vh; }}</style>
</head>
<body>
<replay-web-page source="/archive.wacz" url="{url}" ts="{ts}" replayBase="/replay/"></replay-web-page>
</body>
</html>
"""


# ReplayWeb.page reloads a frame that its service worker did not serve three times, 100 ms apart;
# on a busy machine the worker can take longer to activate. This 404 page keeps reloading until
# the worker is in control (at most 50 times).
NOT_CONTROLLED_HTML = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>not served by the service worker</title></head>
<body><p>swampcrawl replay server: not found (the service worker was not in control yet)</p>
<script>
const key = "swampcrawl-replay-reloads", tries = Number(sessionStorage.getItem(key) || 0);
if (navigator.serviceWorker && tries < 50) {
  navigator.serviceWorker.ready.then(() => setTimeout(() => {
    sessionStorage.setItem(key, String(tries + 1));
    location.reload();
  }, 200));
}
</script></body></html>
"""


class RangeHandler(BaseHTTPRequestHandler):
    """GET and HEAD of a fixed set of paths, with single-range ``Range`` requests (206)."""

    server: "ReplayServer"
    protocol_version = "HTTP/1.1"

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def _serve(self, send_body: bool) -> None:
        path = urlsplit(self.path).path
        if path in ("/", "/index.html"):
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", self.server.index_html.encode("utf-8"), send_body)
            return
        source = self.server.files.get(path)
        if source is None and path.startswith("/replay/"):
            # The service worker serves everything under /replay/ but sw.js: this frame loaded
            # before it was in control.
            self._send(HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", NOT_CONTROLLED_HTML, send_body)
            return
        if source is None or not source.is_file():
            self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found", send_body)
            return
        size = source.stat().st_size
        start, end = 0, size - 1
        status = HTTPStatus.OK
        wanted = self.headers.get("Range")
        if wanted:
            match = re.fullmatch(r"bytes=(\d*)-(\d*)", wanted.strip())
            if not match or match.groups() == ("", ""):
                return self._send(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, "text/plain", b"", send_body,
                                  [("Content-Range", f"bytes */{size}")])
            first, last = match.groups()
            if first:
                start, end = int(first), min(int(last), size - 1) if last else size - 1
            else:  # a suffix: the last N bytes
                start = max(size - int(last), 0)
            if start >= size or start > end:
                return self._send(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, "text/plain", b"", send_body,
                                  [("Content-Range", f"bytes */{size}")])
            status = HTTPStatus.PARTIAL_CONTENT
        kind = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        if source.suffix == ".wacz":
            kind = "application/wacz"
        elif source.suffix == ".js":
            kind = "application/javascript"
        headers = [("Content-Range", f"bytes {start}-{end}/{size}")] if status == HTTPStatus.PARTIAL_CONTENT else []
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "no-store")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if not send_body:
            return
        with open(source, "rb") as stream:
            stream.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                chunk = stream.read(min(remaining, 1 << 16))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)

    def _send(self, status: HTTPStatus, kind: str, body: bytes, send_body: bool,
              headers: list[tuple[str, str]] = ()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "no-store")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


class ReplayServer(ThreadingHTTPServer):
    """127.0.0.1 on a free port: the replay page, ui.js, replay/sw.js and the WACZ as /archive.wacz.

    A context manager: serves from a thread until the ``with`` block ends.
    """

    daemon_threads = True

    def __init__(self, wacz: Path, url: str, ts: str = "", rwp_dir: Path = RWP_DIR) -> None:
        super().__init__(("127.0.0.1", 0), RangeHandler)
        self.index_html = INDEX_HTML.format(url=html.escape(url, quote=True), ts=html.escape(ts, quote=True))
        self.files = {
            "/archive.wacz": Path(wacz),
            "/ui.js": Path(rwp_dir) / "ui.js",
            "/replay/ui.js": Path(rwp_dir) / "ui.js",  # the page the service worker serves asks for it there
            "/replay/sw.js": Path(rwp_dir) / "sw.js",
        }
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: object, client_address: object) -> None:
        # The browser drops connections it no longer needs (aborted range reads): not an error.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

    def __enter__(self) -> "ReplayServer":
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)


@dataclass
class Replayed:
    """What ReplayWeb.page showed: the archived page's frame, or what it showed instead."""

    ok: bool
    title: str = ""
    text: str = ""
    frame_url: str = ""
    frames: list[str] = field(default_factory=list)  # every frame's URL and text start, for reports
    console: list[str] = field(default_factory=list)  # console errors of the page and its frames
    probe: object = None  # what ``probe`` (a JavaScript function) returned in the replayed frame

    def report(self) -> str:
        lines = [f"frame: {entry}" for entry in self.frames] + [f"console: {line}" for line in self.console[-20:]]
        return "\n".join(lines)


def missing_dependencies(chromium: str = CHROMIUM, rwp_dir: Path = RWP_DIR) -> list[str]:
    """What scripts/install-replay-deps.sh and setup.sh would install, when it is not there."""
    missing = []
    if not Path(chromium).exists():
        missing.append(f"{chromium} (Debian's chromium)")
    for name in ("ui.js", "sw.js"):
        if not (Path(rwp_dir) / name).is_file():
            missing.append(str(Path(rwp_dir) / name) + f" (npm replaywebpage@{RWP_VERSION})")
    if importlib.util.find_spec("playwright") is None:
        missing.append("playwright (pip, the test extra)")
    return missing


def _is_replay_frame(frame_url: str, url: str) -> bool:
    """ReplayWeb.page shows a capture in an iframe at .../w/<collection>[/<source>]/<ts>mp_/<url>."""
    match = re.search(r"/w/\S*?/(\d*)mp_/(.*)$", frame_url)
    return bool(match) and match.group(2).rstrip("/") == url.rstrip("/")


def _frame_state(frame) -> tuple[str, str, str]:
    """(readyState, title, visible text) of a frame; raises if it went away meanwhile."""
    return tuple(frame.evaluate(
        "() => [document.readyState, document.title, document.body ? document.body.innerText : '']"))


def replay_page(wacz: Path | str, url: str, screenshot: Path | str | None = None, ts: str = "",
                timeout: float = 60.0, expect_text: str | None = None, size: tuple[int, int] = (1280, 1600),
                chromium: str = CHROMIUM, rwp_dir: Path = RWP_DIR, probe: str | None = None) -> Replayed:
    """Open ``url`` of ``wacz`` in ReplayWeb.page and wait (up to ``timeout`` s) until it is replayed.

    Replayed means: an iframe of ReplayWeb.page at ``…mp_/<url>`` has loaded a document that is not
    ReplayWeb.page's "Archived Page Not Found" (and, with ``expect_text``, whose text holds it).
    Saves ``screenshot`` (PNG) either way. ``probe``: a JavaScript function evaluated in the
    replayed frame once it is replayed (e.g. to read a computed style); its result is
    ``Replayed.probe``. Uses Playwright's sync API: call it from a thread where no asyncio loop runs.
    """
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    console: list[str] = []
    with ReplayServer(Path(wacz), url, ts, rwp_dir) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": size[0], "height": size[1]})
            page = context.new_page()
            page.on("console", lambda message: console.append(f"{message.type}: {message.text}")
                    if message.type == "error" else None)
            deadline = time.monotonic() + timeout
            result = Replayed(ok=False, console=console)
            page.goto(server.base_url + "/", wait_until="load")
            # The first visit registers the service worker; ReplayWeb.page's frame can load before
            # the worker is active (a 404 from this server) and gives up after three quick reloads.
            # Once the worker is active, a reload of the page is served by it from the start.
            try:
                page.wait_for_function(
                    "async () => { const r = await navigator.serviceWorker.getRegistration('/replay/');"
                    " return !!(r && r.active); }", timeout=timeout * 1000, polling=100)
                page.reload(wait_until="load")
            except PlaywrightError as error:
                result.frames = [f"ReplayWeb.page's service worker did not start: {error.message.splitlines()[0]}"]
                deadline = 0.0
            while time.monotonic() < deadline:
                result.frames = []
                for frame in page.frames:
                    try:
                        state, title, text = _frame_state(frame)
                    except PlaywrightError:  # detached or navigating: look again
                        continue
                    result.frames.append(f"{frame.url} {title!r} {' '.join(text.split())[:160]!r}")
                    if not _is_replay_frame(frame.url, url) or state != "complete":
                        continue
                    if NOT_FOUND in title or NOT_FOUND in text:
                        continue
                    if expect_text is not None and expect_text not in text:
                        continue
                    result = Replayed(True, title, text, frame.url, result.frames, console)
                    if probe is not None:
                        frame.wait_for_load_state("load")
                        result.probe = frame.evaluate(probe)
                    break
                if result.ok:
                    break
                page.wait_for_timeout(250)
            if result.ok:
                page.wait_for_timeout(500)  # let the last paint happen before the screenshot
            if screenshot is not None:
                page.screenshot(path=str(screenshot))
            return result
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Replay one page of a WACZ in ReplayWeb.page (headless Chromium) and save a PNG screenshot.",
        epilog="Example: .venv/bin/python scripts/replay-screenshot.py vocal.wacz "
               "https://vocal.media/fyi/a-story -o story.png")
    parser.add_argument("wacz", type=Path, help="the WACZ file (e.g. from `swampcrawl wacz data/warc -o vocal.wacz`)")
    parser.add_argument("url", help="the archived page's URL, as crawled")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the PNG to write")
    parser.add_argument("--ts", default="", help="14-digit timestamp of the capture (default: the latest)")
    parser.add_argument("--text", type=Path, help="also write the replayed page's visible text to this file")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the replay (default 60)")
    parser.add_argument("--size", default="1280x1600", help="window size, WIDTHxHEIGHT (default 1280x1600)")
    parser.add_argument("--chromium", default=CHROMIUM, help=f"the browser (default {CHROMIUM})")
    args = parser.parse_args(argv)
    if not args.wacz.is_file():
        parser.error(f"no such file: {args.wacz}")
    missing = missing_dependencies(args.chromium)
    if missing:
        print("replay-screenshot: missing " + ", ".join(missing) + ": run scripts/install-replay-deps.sh "
              "and scripts/setup.sh test", file=sys.stderr)
        return 1
    width, _, height = args.size.partition("x")
    result = replay_page(args.wacz, args.url, args.output, ts=args.ts, timeout=args.timeout,
                         size=(int(width), int(height)), chromium=args.chromium)
    if args.text is not None:
        args.text.write_text(result.text, encoding="utf-8")
    if not result.ok:
        print(f"replay-screenshot: {args.url} was not replayed within {args.timeout:g} s "
              f"(screenshot of what showed: {args.output})\n{result.report()}", file=sys.stderr)
        return 1
    print(f"{result.title}\n{args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
