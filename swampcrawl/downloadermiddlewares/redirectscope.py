"""RedirectScopeMiddleware: a redirect is followed only where the crawl may go, never in circles.

A page's redirect is followed only to the base URL's scheme, host and port; a requisite's to
the hosts its scope allows (``SWAMPCRAWL_REQUISITES``, ``SWAMPCRAWL_REQUISITE_HOSTS``); and
never to a trap (``traps``). Any other target is not requested: the request's errback
records "out of scope (redirect to URL)", or "out of scope (redirect to a URL longer than
2000 characters)". A redirect back to a URL of its own chain is refused as "redirect loop or too many
redirects" (the duplicate filter would otherwise drop it without a word); so is a chain
longer than ``REDIRECT_MAX_TIMES``, which Scrapy's RedirectMiddleware ends itself. The 3xx
response is archived either way. robots.txt requests are left to Scrapy, as are responses
RedirectMiddleware would not follow.

Its process_response must run before RedirectMiddleware's (600): priority 610.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from w3lib.url import safe_url_string

from swampcrawl.config import parse_base_url
from swampcrawl.downloadermiddlewares import RequestRefused, traps
from swampcrawl.requisites import RequisiteScope

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
LOOP = "redirect loop or too many redirects"
STATS = "swampcrawl/redirects/refused"
_DEFAULT_PORTS = {"http": 80, "https": 443}


class RedirectRefused(RequestRefused):
    """A redirect out of the crawl's scope, or back into its own chain."""


def origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of a URL, the port made explicit; None for a malformed one."""
    try:
        parts = urlsplit(url)
        return parts.scheme.lower(), (parts.hostname or "").rstrip("."), parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None


def redirect_target(request: Request, response: Response, spider: object) -> str | None:
    """Where RedirectMiddleware would send ``request`` after ``response`` (None: nowhere)."""
    meta = request.meta
    if (response.status not in REDIRECT_STATUSES or b"Location" not in response.headers
            or meta.get("dont_redirect") or meta.get("handle_httpstatus_all")
            or response.status in meta.get("handle_httpstatus_list", ())
            or response.status in getattr(spider, "handle_httpstatus_list", ())):
        return None
    # As RedirectMiddleware reads it; urljoin gives "//host/path" the request's scheme.
    return urljoin(request.url, safe_url_string(response.headers[b"Location"]))


def is_robots_txt(request: Request) -> bool:
    return bool(request.meta.get("dont_obey_robotstxt")) and urlsplit(request.url).path == "/robots.txt"


class RedirectScopeMiddleware:
    """Refuse a redirect that leaves the crawl's scope or comes back to a URL it came from."""

    def __init__(self, crawler: Crawler, base_url: str, requisites: RequisiteScope, max_url_length: int) -> None:
        self.crawler = crawler
        self.site = origin(base_url)
        self.requisites = requisites
        self.max_url_length = max_url_length

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectScopeMiddleware:
        settings = crawler.settings
        base_url = parse_base_url(settings.get("SWAMPCRAWL_BASE_URL"))
        return cls(crawler, base_url, RequisiteScope.from_settings(settings, base_url), traps.max_url_length(settings))

    def allows(self, request: Request, target: str) -> bool:
        if request.meta.get("requisite"):
            return self.requisites.allows(target)
        return origin(target) == self.site

    def process_response(self, request: Request, response: Response) -> Response:
        target = redirect_target(request, response, self.crawler.spider)
        if target is None or is_robots_txt(request):
            return response
        reason = self.refusal(request, target)
        if reason is not None:
            self.crawler.stats.inc_value(STATS)
            raise RedirectRefused(reason, response.status)
        return response

    def refusal(self, request: Request, target: str) -> str | None:
        """Why the redirect of ``request`` to ``target`` is not followed; None when it is."""
        if kind := traps.trap_kind(target, self.max_url_length):
            self.crawler.stats.inc_value(traps.STATS)
            return f"out of scope (redirect to a URL {kind})"
        if not self.allows(request, target):
            return f"out of scope (redirect to {target})"
        if target in (*request.meta.get("redirect_urls", ()), request.url):
            return LOOP
        return None
