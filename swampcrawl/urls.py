"""URL rules: which URLs are Vocal's, their one normal form, and what kind of page each is.

Normalising is what keeps a crawl finite: tracking parameters are dropped, every
other unknown query string or trap-like path is refused (``None``), and URLs on any
host but the base URL's (mirror domains included) are refused.
"""

from __future__ import annotations

import re
from enum import StrEnum
from itertools import pairwise
from urllib.parse import parse_qsl, quote, unquote, urljoin, urlsplit

# Mirror sites and the communities' old domains re-serve Vocal pages: not Vocal.
MIRROR_HOSTS = frozenset({"poets.media", "theswamp.media"})
TRACKING_PARAMS = frozenset({"vocal_referral", "via", "_ga", "fbclid", "gclid"})
LISTING_SEGMENTS = frozenset({"latest-stories", "top-stories"})
# First path segments that are not communities.
RESERVED_SEGMENTS = frozenset(
    {
        "authors", "resources", "challenges", "vocal-plus", "signup", "login", "search",
        "admin", "api", "robots.txt", "_next", "static", "account", "settings", "logout",
        "notifications", "create", "dashboard", "subscribe", "tag", "tags",
    }
    | LISTING_SEGMENTS
)
MAX_SEGMENTS = 4
MAX_PAGE = 1_000_000
CACHE_SIZE = 50_000  # normalised links remembered per UrlRules: pages repeat most of their links
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.~%-]*$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class PageKind(StrEnum):
    STORY = "story"
    RESOURCES_STORY = "resources_story"
    CREATOR = "creator"
    COMMUNITY = "community"
    COMMUNITY_LISTING = "community_listing"
    TAG_LISTING = "tag_listing"
    GLOBAL_LISTING = "global_listing"
    OTHER = "other"


STORY_KINDS = frozenset({PageKind.STORY, PageKind.RESOURCES_STORY})


def _host_port(scheme: str, netloc: str) -> tuple[str, int] | None:
    """(host, port) with the trailing dot of a fully qualified host removed."""
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        host, port = parts.hostname, parts.port
    except ValueError:  # a bad port number
        return None
    if not host:
        return None
    return host.rstrip(".").lower(), port or _DEFAULT_PORTS.get(scheme, 0)


def path_segments(path: str) -> list[str]:
    return [seg for seg in path.split("/") if seg]


def url_segments(url: str) -> list[str]:
    """The path segments of an absolute URL, its query left out, still percent-encoded."""
    return path_segments(url.split("?")[0].split("://", 1)[-1])[1:]


def _reserved(segment: str) -> bool:
    return segment.lower() in RESERVED_SEGMENTS or segment.lower().startswith("sitemap") or "." in segment


def classify_segments(segments: list[str]) -> PageKind:
    """The page kind of a path given as its segments (no query, no host)."""
    n = len(segments)
    if n == 0 or any(not _SLUG.match(seg) for seg in segments):
        return PageKind.OTHER
    first = segments[0]
    if first in LISTING_SEGMENTS:
        return PageKind.GLOBAL_LISTING if n == 1 else PageKind.OTHER
    if first == "authors":
        return PageKind.CREATOR if n == 2 else PageKind.OTHER
    if first == "resources":
        # Resources is a community whose stories live at /resources/<slug>.
        kind = _classify_community_path(segments)
        return PageKind.RESOURCES_STORY if kind is PageKind.STORY else kind
    if _reserved(first):
        return PageKind.OTHER
    return _classify_community_path(segments)


def _classify_community_path(segments: list[str]) -> PageKind:
    n = len(segments)
    if n == 1:
        return PageKind.COMMUNITY
    if n == 2 and segments[1] in LISTING_SEGMENTS:
        return PageKind.COMMUNITY_LISTING
    if n == 3 and segments[1] == "tag":
        return PageKind.TAG_LISTING
    if n == 2 and segments[1] != "tag":
        return PageKind.STORY
    return PageKind.OTHER


def _loops(segments: list[str]) -> bool:
    """``/a/a`` or ``/a/b/a/b``: relative links resolved against themselves, over and over.

    A tag named like its community (``/horror/tag/horror``) is no loop.
    """
    pairs = list(pairwise(segments))
    return any(a == b for a, b in pairs) or len(set(pairs)) < len(pairs)


class UrlRules:
    """Normalise and classify URLs relative to one site (the crawl's base URL)."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url.strip())
        if parts.scheme not in _DEFAULT_PORTS or not parts.netloc:
            raise ValueError(f"base URL must be http(s)://host[:port], got {base_url!r}")
        host_port = _host_port(parts.scheme, parts.netloc)
        if host_port is None:
            raise ValueError(f"base URL has a bad host or port: {base_url!r}")
        self.scheme = parts.scheme
        self.host, self.port = host_port
        default = _DEFAULT_PORTS[self.scheme] == self.port
        self.netloc = self.host if default else f"{self.host}:{self.port}"
        self.base_url = f"{self.scheme}://{self.netloc}"
        self._normal: dict[tuple[str, str | None], str | None] = {}
        self._kinds: dict[str, PageKind] = {}

    def is_own_host(self, scheme: str, netloc: str) -> bool:
        host_port = _host_port(scheme, netloc)
        if host_port is None or host_port[0] in MIRROR_HOSTS:
            return False
        host, port = host_port
        # http and https of the same site are one site: the port is compared only when given.
        explicit = urlsplit(f"{scheme}://{netloc}").port is not None
        if explicit and port != self.port:
            return False
        if not explicit and self.port not in _DEFAULT_PORTS.values():
            return False
        return host == self.host or host == f"www.{self.host}"

    def normalize(self, url: str, referer: str | None = None) -> str | None:
        """The one form of ``url`` on this site, or None when it must not be followed."""
        # The referer matters only to paths relative to the page ("x", "../x", "?page=2").
        key = (url, None if url.startswith(("/", "http:", "https:")) else referer)
        if key not in self._normal:
            if len(self._normal) >= CACHE_SIZE:
                self._normal.clear()
            self._normal[key] = self._normalize(url, referer)
        return self._normal[key]

    def _normalize(self, url: str, referer: str | None) -> str | None:
        url = url.strip()
        if not url or url.startswith("#"):
            return None
        try:
            parts = urlsplit(urljoin(referer or self.base_url + "/", url))
        except ValueError:
            return None
        if parts.scheme not in _DEFAULT_PORTS or not self.is_own_host(parts.scheme, parts.netloc):
            return None
        segments = self._clean_segments(parts.path)
        if segments is None:
            return None
        kind = classify_segments(segments)
        query = self._clean_query(parts.query, kind)
        if query is None:
            return None
        path = "/" + "/".join(segments)
        return f"{self.base_url}{path}{query}"

    @staticmethod
    def _clean_segments(path: str) -> list[str] | None:
        segments = [quote(unquote(seg), safe="~@!$&'()*+,;=:-._") for seg in path_segments(path)]
        if len(segments) > MAX_SEGMENTS or _loops(segments):
            return None  # deep or looping paths are crawler traps
        if any(seg in (".", "..") for seg in segments):
            return None
        return segments

    @staticmethod
    def _clean_query(query: str, kind: PageKind) -> str | None:
        """``?page=N`` or ``""``; None for any other query string (a trap)."""
        page: str | None = None
        for key, value in parse_qsl(query, keep_blank_values=True):
            if key in TRACKING_PARAMS or key.startswith("utm_"):
                continue
            if key != "page" or page is not None:
                return None
            if not value.isdigit() or not 0 < int(value) <= MAX_PAGE:
                return None
            page = str(int(value))
        # A story has one URL whatever the query; its canonical form has none. Paging
        # starts at 1 and a missing page is the first one, so ?page=1 is the bare URL:
        # otherwise the first page of every listing would be fetched twice.
        if page is None or page == "1" or kind in STORY_KINDS:
            return ""
        return f"?page={page}"

    def classify(self, url: str) -> PageKind:
        """The kind of page ``url`` leads to (``other`` for foreign or odd URLs)."""
        kind = self._kinds.get(url)
        if kind is None:
            if len(self._kinds) >= CACHE_SIZE:
                self._kinds.clear()
            kind = self._kinds[url] = self._classify(url)
        return kind

    def _classify(self, url: str) -> PageKind:
        try:
            parts = urlsplit(url.strip())
        except ValueError:
            return PageKind.OTHER
        if parts.netloc and not self.is_own_host(parts.scheme or self.scheme, parts.netloc):
            return PageKind.OTHER
        return classify_segments(path_segments(parts.path))

    def canonical(self, *segments: str) -> str:
        """``<base>/<seg>/<seg>``: the canonical URL of a story, creator or community."""
        return self.base_url + "/" + "/".join(quote(seg, safe="~-._") for seg in segments)
