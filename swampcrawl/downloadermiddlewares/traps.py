"""Crawler traps: URLs no crawl asks for, whoever names them (a page's links, a stylesheet's,
a redirect's ``Location``).

A URL longer than ``SWAMPCRAWL_MAX_URL_LENGTH`` characters, or whose path holds one segment
three times or more (``/a/b/a/c/a``: relative links resolved against their own page, over and
over). The spiders drop such links before building a request (``spiders.base.TrapGuard``);
``RedirectScopeMiddleware`` refuses redirects to them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from swampcrawl.config import parse_size

DEFAULT_MAX_URL_LENGTH = 2000
REPEATS = 3
STATS = "swampcrawl/requests/trap"


def max_url_length(settings: Any) -> int:
    """``SWAMPCRAWL_MAX_URL_LENGTH`` from Scrapy settings, or one SettingsError line."""
    value = settings.get("SWAMPCRAWL_MAX_URL_LENGTH", DEFAULT_MAX_URL_LENGTH)
    return parse_size("SWAMPCRAWL_MAX_URL_LENGTH", value, minimum=1)


def trap_kind(url: str, max_length: int) -> str | None:
    """Why ``url`` is a trap, in words that follow "URLs" or "a URL"; None when it is none."""
    if len(url) > max_length:
        return f"longer than {max_length} characters"
    counts = Counter(segment for segment in urlsplit(url).path.split("/") if segment)
    if counts and max(counts.values()) >= REPEATS:
        return f"with a path segment {REPEATS} times or more"
    return None
