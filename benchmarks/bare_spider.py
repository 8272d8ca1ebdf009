"""A bare Scrapy spider for benchmarks/vs_wget.py: it follows every link and does nothing else.

    scrapy runspider benchmarks/bare_spider.py -a start=http://127.0.0.1:PORT/ \\
        -s CONCURRENT_REQUESTS=16 -s CONCURRENT_REQUESTS_PER_DOMAIN=16 ...

Run from a folder without scrapy.cfg, so no project settings (pipelines, extensions,
middlewares) apply: Scrapy's defaults, plus what the crawl also sets for a loopback site
(vs_wget.py passes the same concurrency settings). No extraction, no archive, no
database: it yields requests only, and relies on Scrapy's duplicate filter to drop the
links it has seen.

"Every link": each ``href``, ``src`` and ``srcset`` candidate of an HTML page (pages,
stylesheets, scripts, images) and each ``url(...)`` of a stylesheet, on the start URL's host
(any port: the replica's image host is another port of 127.0.0.1). Nothing else is ever
requested, so it never leaves the machine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.http import HtmlResponse, Response, TextResponse

CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)""")


class BareSpider(scrapy.Spider):
    name = "bare"
    custom_settings = {
        "ROBOTSTXT_OBEY": True,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "DEFAULT_REQUEST_HEADERS": {"Accept": "text/html,*/*;q=0.8", "Accept-Encoding": "gzip, deflate"},
    }

    def __init__(self, start: str = "http://127.0.0.1:8000/", **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.start_urls = [start]
        self.host = urlsplit(start).hostname or ""
        self.allowed_domains = [self.host]

    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        for link in self.links(response):
            url = response.urljoin(link)
            if urlsplit(url).hostname == self.host and url.startswith("http"):
                yield scrapy.Request(url.split("#", 1)[0])

    def links(self, response: Response) -> Iterator[str]:
        if isinstance(response, HtmlResponse):
            yield from response.xpath("//@href | //@src").getall()
            for srcset in response.xpath("//@srcset").getall():
                yield from (candidate.split()[0] for candidate in srcset.split(", ") if candidate.strip())
        elif isinstance(response, TextResponse) and b"css" in response.headers.get("Content-Type", b""):
            yield from CSS_URL.findall(response.text)
