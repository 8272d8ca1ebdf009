"""How a hostile replica answers: ``FaultResponder.reply(path, query)`` gives a ``FaultReply``
for a request its ``FaultPlan`` mistreats, else None (the site answers as usual).

It counts the site server's requests (the rate-limit burst) and each faulted path's (a 429
twice, a 5xx once); requests answered by the burst do not count for a path. Broken pages
are built once per path and kept.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable
from urllib.parse import parse_qs

from swampcrawl.replica import fault_pages
from swampcrawl.replica.clock import http_date
from swampcrawl.replica.fault_bodies import gzip_bomb, padded_page
from swampcrawl.replica.faults import (BURST_COUNT, BURST_FIRST, HUGE_BYTES, LIMITED_REQUESTS, NESTING_DEPTH,
                                       RETRY_AFTER, FaultPlan, foreign_links, long_links, redirect_target)
from swampcrawl.replica.index import PAGE_SIZE

if TYPE_CHECKING:
    from swampcrawl.replica.site import Site

HTML = "text/html; charset=utf-8"


@dataclass
class FaultReply:
    """One faulted answer. ``wire``: ``page`` is sent as any page (gzip, 304, after ``delay``
    seconds); ``reset``, ``short`` and ``stream`` send ``status``, ``headers`` and
    ``Content-Length: length``, then ``pieces`` as they are, then reset, close or keep the
    connection."""

    fault: str
    variant: str
    status: int
    headers: dict[str, str]
    body: bytes = b""
    wire: str = "page"
    delay: float = 0.0
    length: int = 0
    pieces: Iterable[bytes] = field(default_factory=tuple)


def _page_number(query: str) -> int | None:
    values = parse_qs(query).get("page")
    text = values[-1] if values else "1"
    return int(text) if text.isdigit() and int(text) >= 1 and len(text) < 9 else None


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:20] + '"'


class FaultResponder:
    def __init__(self, site: "Site", plan: FaultPlan) -> None:
        self.site, self.plan = site, plan
        self._lock = threading.Lock()
        self._requests = 0  # every request to the site server
        self._answered: dict[str, int] = {}  # faulted path -> its requests outside the burst
        self._broken: dict[str, bytes] = {}  # faulted path -> its broken page

    def reply(self, path: str, query: str) -> FaultReply | None:
        in_burst, seen = self._count(path)
        if in_burst:
            return self._error("rate-limit", "burst", 503, retry=True)
        found = self.plan.stories.get(path)
        if found is not None:
            return self._story(path, query, found[0], found[1], seen)
        if path in self.plan.loop_via:
            return self._redirect("loop", self.plan.loop_via[path])
        if self.plan.endless and path == f"/{self.plan.endless}/latest-stories":
            return self._endless(path, query)
        return None

    def _count(self, path: str) -> tuple[bool, int]:
        with self._lock:
            self._requests += 1
            if "rate-limit" in self.plan and BURST_FIRST <= self._requests < BURST_FIRST + BURST_COUNT:
                return True, 0
            if path not in self.plan.stories:
                return False, 0
            seen = self._answered[path] = self._answered.get(path, 0) + 1
            return False, seen

    def _error(self, fault: str, variant: str, status: int, retry: bool = False) -> FaultReply:
        body = fault_pages.error_page(status)
        headers = {"Content-Type": HTML, "ETag": _etag(body), "Last-Modified": http_date(self.site.now),
                   "Cache-Control": "no-store"}
        if retry:
            headers["Retry-After"] = str(RETRY_AFTER)
        return FaultReply(fault, variant, status, headers, body)

    def _redirect(self, variant: str, location: str) -> FaultReply:
        body = f'<html><body><a href="{location}">Moved</a></body></html>'.encode()
        headers = {"Content-Type": HTML, "Location": location, "ETag": _etag(body),
                   "Last-Modified": http_date(self.site.now)}
        return FaultReply("redirects", variant, 301, headers, body)

    def _story(self, path: str, query: str, fault: str, variant: str, seen: int) -> FaultReply | None:
        """The faults decided before the page is rendered, then the others (``_rendered``)."""
        if fault == "rate-limit":
            return self._error(fault, variant, 429, retry=True) if seen <= LIMITED_REQUESTS else None
        if fault == "server-errors":
            kind, status = variant.split("-")
            return self._error(fault, kind, int(status)) if kind == "always" or seen == 1 else None
        if fault == "redirects":
            return self._redirect(variant, redirect_target(self.site, self.plan, path, variant))
        if fault == "maintenance":
            body = fault_pages.maintenance_page(self.site.index, path)
            headers = {"Content-Type": HTML, "ETag": _etag(body), "Last-Modified": http_date(self.site.now)}
            return FaultReply(fault, "maintenance", int(variant[-3:]), headers, body)
        status, headers, body = self.site.render(path, query)
        return self._rendered(path, fault, variant, headers, body) if status == 200 else None

    def _rendered(self, path: str, fault: str, variant: str, headers: dict[str, str], body: bytes) -> FaultReply:
        if fault == "slow":
            return FaultReply(fault, variant, 200, headers, body, delay=self.plan.slow_seconds)
        if fault in ("reset", "short"):  # the first half, or three quarters, of the page
            cut = len(body) // 2 if fault == "reset" else len(body) * 3 // 4
            return FaultReply(fault, variant, 200, headers, wire=fault, length=len(body), pieces=(body[:cut],))
        if fault == "bomb":
            bomb = gzip_bomb()
            headers = {**headers, "Content-Encoding": "gzip", "ETag": _etag(bomb)}
            return FaultReply(fault, variant, 200, headers, wire="stream", length=len(bomb), pieces=(bomb,))
        if fault == "huge":
            length, pieces = padded_page(body, HUGE_BYTES)
            return FaultReply(fault, variant, 200, {**headers, "ETag": '"huge-' + headers["ETag"][1:]},
                              wire="stream", length=length, pieces=pieces)
        broken = self._broken.get(path)
        if broken is None:
            broken = self._broken[path] = self._break(path, variant, body)
        headers = {**headers, "ETag": _etag(broken)}
        if fault == "charset":
            headers["Content-Type"] = "text/html; charset=windows-1252"
        return FaultReply(fault, variant, 200, headers, broken)

    def _break(self, path: str, variant: str, body: bytes) -> bytes:
        if variant == "invalid-json":
            return fault_pages.invalid_next_data(body)
        if variant == "deep-nesting":
            return fault_pages.deep_next_data(body, NESTING_DEPTH)
        if variant == "malformed":
            return fault_pages.malformed(body)
        if variant == "windows-1252":
            return fault_pages.windows_1252(body)
        links = foreign_links(self.site, path) if variant == "foreign-links" else long_links(self.site, path)
        return fault_pages.with_links(body, self.site.index, links)

    def _endless(self, path: str, query: str) -> FaultReply | None:
        """The last real page gains a next link; every page after it is ten new cards."""
        number, count = _page_number(query), self.plan.endless_count
        last = max(1, -(-count // PAGE_SIZE))
        if number is None or number < last:
            return None
        next_href = f"{path}?page={number + 1}"
        if number == last:
            status, headers, body = self.site.render(path, query)
            body = fault_pages.with_next_link(body, self.site.index, next_href)
        else:
            community = self.site.index.community(self.plan.endless or "")
            body = fault_pages.endless_page(self.site.index, community, number, count)
            headers = {"Content-Type": HTML, "Last-Modified": http_date(self.site.now)}
        return FaultReply("endless", "endless", 200, {**headers, "ETag": _etag(body)}, body)
