"""swampcrawl's Scrapy downloader middlewares: the limits a crawl of a real site needs.

- ``retryafter.RetryAfterMiddleware``: a 429 or 503 is retried after the time the site asks
  for (``Retry-After``) or an exponential backoff, with the whole download slot held back
  meanwhile, on its own budget (``SWAMPCRAWL_RETRY_AFTER_*``).
- ``sizecap.SizeCapMiddleware``: a response whose body passes its cap is cut where it passed
  it (what came is archived, marked truncated) and never parsed; decoding is capped too, so a
  gzip bomb is not inflated (``SWAMPCRAWL_MAX_PAGE_SIZE``, ``SWAMPCRAWL_REQUISITE_MAX_SIZE``).
- ``redirectscope.RedirectScopeMiddleware``: a redirect is followed only within the crawl's
  scope, never to a trap URL, and never back into its own chain.
- ``traps``: which URLs are crawler traps (too long, a path segment repeated), for the spiders
  and the redirect middleware alike (``SWAMPCRAWL_MAX_URL_LENGTH``).

Each refuses a request by raising a ``RequestRefused``: Scrapy then calls the request's
errback, whose failure says why in one line (the spiders record it as an ``errors`` row).
Enabled in ``DOWNLOADER_MIDDLEWARES`` (swampcrawl/settings.py; docs/settings.md).
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest


class RequestRefused(IgnoreRequest):
    """A request given up on by one of these middlewares: ``str()`` is the one-line reason
    for the ``errors`` table, ``status`` the HTTP status of the response refused (if any)."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status
