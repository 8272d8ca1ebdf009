"""A small HTTP site on 127.0.0.1 for crawl tests of limits and faults.

    with LocalSite(upstream=replica.base_url) as site:   # a replica's pages, served through
        site.route("/fiction/a-story", answers(too_many(1), too_many(1)))  # two 429s, then upstream
        scrapy_crawl("stories", base_url=site.base_url, data=tmp_path)
        site.times("/fiction/a-story")   # server-side monotonic times of its requests

A route is a function of the request handler that answers it (or returns False to let the
upstream, else a 404, answer). Every request is logged with its monotonic time, as the
server received it. Runs in a thread of the test process: the crawl is a subprocess.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

Route = Callable[["SiteHandler"], Any]
HOP_HEADERS = frozenset({"connection", "transfer-encoding", "content-length", "keep-alive"})


class SiteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    site: LocalSite

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.site.log.append((time.monotonic(), self.path))
        try:
            route = self.site.routes.get(self.path) or self.site.routes.get(self.path.split("?")[0])
            for answer in (self.site.before, route):
                if answer is not None and answer(self) is not False:
                    return
            self.site.pass_on(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the crawler stopped reading (a size cap): expected

    def answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def stream(self, status: int, chunks: Iterable[bytes], headers: dict[str, str], length: int | None = None) -> None:
        """Send ``chunks`` as they come: with a Content-Length when given, else until the
        connection closes (no length announced)."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if length is None:
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        for chunk in chunks:
            self.wfile.write(chunk)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # quiet: the site's own log is LocalSite.log


class LocalSite:
    """A ThreadingHTTPServer on 127.0.0.1 with routes, a request log and an optional upstream."""

    def __init__(self, upstream: str | None = None) -> None:
        self.upstream = urlsplit(upstream) if upstream else None
        self.routes: dict[str, Route] = {}
        self.before: Route | None = None  # consulted for every request, before the routes
        self.log: list[tuple[float, str]] = []
        self.base_url = ""

    def route(self, path: str, answer: Route) -> None:
        self.routes[path] = answer

    def times(self, path: str) -> list[float]:
        return [at for at, logged in self.log if logged == path]

    def paths(self) -> list[str]:
        return [path for _, path in self.log]

    def __enter__(self) -> LocalSite:
        handler = type("Handler", (SiteHandler,), {"site": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def pass_on(self, handler: SiteHandler) -> None:
        """Answer from the upstream (its status, headers and body), else 404."""
        if self.upstream is None:
            handler.answer(404, b"not here", {"Content-Type": "text/plain"})
            return
        connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        try:
            connection.request("GET", handler.path, headers={"User-Agent": handler.headers.get("User-Agent", "")})
            response = connection.getresponse()
            body = response.read()
            headers = {k: v for k, v in response.getheaders() if k.lower() not in HOP_HEADERS}
            # Pages name their stylesheets and scripts by absolute URL: through this site,
            # so its routes can answer for them too.
            body = body.replace(self.upstream.geturl().encode(), self.base_url.encode())
        finally:
            connection.close()
        handler.answer(response.status, body, headers)


# --- answers ------------------------------------------------------------------------------------

def answers(*first: Route) -> Route:
    """Answer the first requests of a path with ``first``, one each; later ones pass on."""
    remaining = list(first)
    lock = threading.Lock()

    def answer(handler: SiteHandler) -> Any:
        with lock:
            step = remaining.pop(0) if remaining else None
        return False if step is None else step(handler)

    return answer


def too_many(retry_after: str | None = None, status: int = 429) -> Route:
    """429 (or another status) with ``Retry-After: retry_after`` when given."""
    def answer(handler: SiteHandler) -> None:
        headers = {"Content-Type": "text/plain", "Date": formatdate(usegmt=True)}
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        handler.answer(status, b"slow down", headers)

    return answer


def retry_at(seconds: int, status: int = 429) -> Route:
    """``status`` with ``Retry-After`` as an HTTP date ``seconds`` after its ``Date``."""
    def answer(handler: SiteHandler) -> None:
        now = time.time()
        headers = {"Date": formatdate(now, usegmt=True), "Retry-After": formatdate(int(now) + seconds, usegmt=True)}
        handler.answer(status, b"slow down", headers)

    return answer


def redirect(location: str, status: int = 301) -> Route:
    return lambda handler: handler.answer(status, b"", {"Location": location})


def html(body: str, status: int = 200) -> Route:
    data = body.encode()
    return lambda handler: handler.answer(status, data, {"Content-Type": "text/html; charset=utf-8"})


def filler(total: int, chunk: int = 1 << 16) -> Iterator[bytes]:
    """``total`` bytes of an HTML page, made as they are sent."""
    yield b"<!DOCTYPE html><html><body><p>"
    sent = 30
    block = b"x" * chunk
    while sent < total:
        piece = block[: min(chunk, total - sent)]
        sent += len(piece)
        yield piece
