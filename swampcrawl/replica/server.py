"""Serve a ``Site`` over HTTP/1.1: gzip, ETag/Last-Modified, 304s, one JSON log line per request.

Two servers share one ``Site`` and one log: ``ReplicaServer`` with ``ReplicaHandler`` (the
site: pages and ``/_next/static/`` assets) and, on its own port, ``ReplicaServer`` with
``ImageHandler`` (the image host). A log line's ``host`` (the Host header) tells them apart.
With ``--faults`` the site server asks its ``FaultResponder`` first (``fault_replies.py``).
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import struct
import sys
import threading
import time
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any
from urllib.parse import urlsplit

from swampcrawl.replica.fault_replies import FaultReply, FaultResponder
from swampcrawl.replica.site import Site


class RequestLog:
    """``--log FILE``: one JSON object per line, flushed, so tests can read it at once."""

    def __init__(self, stream: IO[str] | None) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def write(self, entry: dict[str, Any]) -> None:
        if self.stream is None:
            return
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self.lock:
            self.stream.write(line)
            self.stream.flush()


class GzipCache:
    """Gzipped bodies, compressed once per body (mtime 0 keeps the bytes deterministic)."""

    def __init__(self) -> None:
        self._bodies: dict[str, bytes] = {}

    def get(self, etag: str, body: bytes) -> bytes:
        packed = self._bodies.get(etag)
        if packed is None:
            packed = self._bodies[etag] = gzip.compress(body, compresslevel=6, mtime=0)
        return packed


def accepts_gzip(header: str) -> bool:
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "x-gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def compressible(content_type: str) -> bool:
    """Text is gzipped when the client allows it; fonts and images are sent as they are."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind.startswith("text/") or kind in ("application/javascript", "application/json", "application/xml")


def not_modified(headers: Any, etag: str, last_modified: str) -> bool:
    """RFC 9110: If-None-Match wins over If-Modified-Since."""
    match = headers.get("If-None-Match")
    if match is not None:
        wanted = {tag.strip().removeprefix("W/") for tag in match.split(",")}
        return "*" in wanted or etag in wanted or etag.replace('-gz"', '"') in wanted
    since = headers.get("If-Modified-Since")
    if since is None:
        return False
    try:
        return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


class ReplicaHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a crawl reuses connections
    disable_nagle_algorithm = True  # else keep-alive responses wait on delayed ACKs (~40 ms)
    wbufsize = 1 << 16  # headers and body leave in one write; flushed after each request
    server_version = "swampcrawl-replica"
    sys_version = ""
    server: "ReplicaServer"

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        url = urlsplit(self.path)
        faults = self.server.faults
        fault = faults.reply(url.path or "/", url.query) if faults is not None else None
        if fault is not None and fault.wire != "page":
            self._send_broken(url.path, url.query, fault, send_body)
            return
        if fault is None:
            status, headers, body = self.server.site.render(url.path or "/", url.query)
        else:
            status, headers, body = fault.status, dict(fault.headers), fault.body
        etag = headers["ETag"]
        if compressible(headers["Content-Type"]):
            if status != 301 and accepts_gzip(self.headers.get("Accept-Encoding", "")):
                body = self.server.gzip_cache.get(etag, body)
                etag = headers["ETag"] = etag[:-1] + '-gz"'
                headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
        self._send(url.path, url.query, status, headers, body, send_body, fault)

    def _send(self, path: str, query: str, status: int, headers: dict[str, str], body: bytes,
              send_body: bool, fault: FaultReply | None = None) -> None:
        """Answer 304 to a matching conditional GET, log the request, write the response
        (a slow fault's after its delay: logged when it arrives, sent when it is due)."""
        if status == 200 and not_modified(self.headers, headers["ETag"], headers["Last-Modified"]):
            status, body = 304, b""
            headers.pop("Content-Encoding", None)
        self._log(path, query, status, fault)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and status != 304:
            self.wfile.write(body)

    def _send_broken(self, path: str, query: str, fault: FaultReply, send_body: bool) -> None:
        """A reset, short or streamed answer: its headers and pieces as they are (no gzip, no
        304), then a reset (``SO_LINGER`` 0), a close, or the connection kept."""
        self._log(path, query, fault.status, fault)
        self.send_response(fault.status)
        for name, value in fault.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(fault.length))
        self.end_headers()
        for piece in fault.pieces if send_body else ():
            self.wfile.write(piece)
        self.wfile.flush()
        if fault.wire in ("reset", "short"):
            self.close_connection = True
        if fault.wire == "reset":
            time.sleep(0.05)  # let the half body arrive: the reset comes mid-transfer
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # Close the descriptor itself: the server's shutdown would send a FIN first.
            os.close(self.connection.detach())

    def _log(self, path: str, query: str, status: int, fault: FaultReply | None = None) -> None:
        entry = {"method": self.command, "path": path, "query": query,
                 "host": self.headers.get("Host", ""), "status": status,
                 "user_agent": self.headers.get("User-Agent", ""),
                 "accept_encoding": self.headers.get("Accept-Encoding", "")}
        if fault is not None:
            entry.update(fault=fault.fault, variant=fault.variant)
        self.server.request_log.write(entry)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: requests go to --log, not to stderr."""


class ImageHandler(ReplicaHandler):
    """The image host: pictures (``Site.render_image``) and an allow-all robots.txt."""

    server_version = "swampcrawl-replica-images"

    def _answer(self, send_body: bool) -> None:
        url = urlsplit(self.path)
        status, headers, body = self.server.site.render_image(url.path or "/", url.query)
        self._send(url.path, url.query, status, headers, body, send_body)


class ReplicaServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], site: Site, log: RequestLog,
                 handler: type[ReplicaHandler] = ReplicaHandler, faults: FaultResponder | None = None) -> None:
        super().__init__(address, handler)
        self.site = site
        self.request_log = log
        self.gzip_cache = GzipCache()
        self.faults = faults  # only the site server's: the image host is never faulted

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client gone mid-answer (its timeout, its size limit) is no error of the server's."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)
