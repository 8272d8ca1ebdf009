"""Scrapy settings for swampcrawl (the module named in scrapy.cfg).

Defaults are polite for the real site. Every value can be overridden with
``scrapy crawl SPIDER -s NAME=value``. When SWAMPCRAWL_BASE_URL points at a
loopback address (the replica), the spiders lift the delay and AutoThrottle
at "spider" priority, so values given with ``-s`` still win.
"""

from swampcrawl import __version__

BOT_NAME = "swampcrawl"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
# `scrapy crawl` replaced by a subclass that validates settings first and
# reports a crawl that could not run with one line and a non-zero exit.
COMMANDS_MODULE = "swampcrawl.scrapy_commands"

# --- swampcrawl's own settings (see docs/settings.md) ---
SWAMPCRAWL_BASE_URL = "https://vocal.media"
SWAMPCRAWL_DB = "data/swamp.db"
SWAMPCRAWL_WARC_DIR = "data/warc"
SWAMPCRAWL_WARC_PREFIX = "swampcrawl"
SWAMPCRAWL_WARC_MAX_SIZE = 1_000_000_000
SWAMPCRAWL_WARC_GZIP_LEVEL = 3
SWAMPCRAWL_STORE_BATCH = 200
# 0: as deep as the site's declared story count warrants (2000 pages when none is declared)
SWAMPCRAWL_MAX_LISTING_PAGES = 0
# --- limits (swampcrawl/downloadermiddlewares; docs/settings.md) ---
SWAMPCRAWL_MAX_PAGE_SIZE = 5_000_000  # bytes of a page's body, as sent and once decompressed
SWAMPCRAWL_MAX_URL_LENGTH = 2000  # characters; longer URLs (and repeating paths) are traps
# 429 and 503: retried after Retry-After (else 1 s, doubling), at most this many seconds...
SWAMPCRAWL_RETRY_AFTER_MAX = 120
# ... this many times, on top of RETRY_TIMES
SWAMPCRAWL_RETRY_AFTER_TIMES = 5
# Page requisites (stylesheets, scripts, fonts, images): all | site | none (docs/settings.md)
SWAMPCRAWL_REQUISITES = "all"
SWAMPCRAWL_REQUISITE_HOSTS = "res.cloudinary.com,images.unsplash.com"
SWAMPCRAWL_REQUISITE_MAX_SIZE = 20_000_000  # bytes, as sent and once decompressed, per requisite
# Progress: a live line on a terminal, else a log line every this many seconds (0: none)
SWAMPCRAWL_PROGRESS_INTERVAL = 60
# Incremental crawls: when a stored story is asked for again (swampcrawl/recheck.py)
SWAMPCRAWL_RECHECK_YOUNG_DAYS = 7
SWAMPCRAWL_RECHECK_YOUNG_EVERY_DAYS = 1
SWAMPCRAWL_RECHECK_OLD_EVERY_DAYS = 30
# Ask for stored pages with If-None-Match / If-Modified-Since (False: fetch them whole, e.g.
# for a complete new snapshot with -a recheck=all)
SWAMPCRAWL_CONDITIONAL_REQUESTS = True
# Fleet mode (docs/fleet.md): several workers on one shared frontier in this Redis, e.g.
# redis://127.0.0.1:6379/0; empty: a single crawl
SWAMPCRAWL_REDIS_URL = ""
# Seconds a worker may go without a heartbeat before its requests are given to others
SWAMPCRAWL_REDIS_LEASE_SECONDS = 30

# --- politeness for the real site ---
USER_AGENT = f"swampcrawl/{__version__} (archival crawler; +https://github.com/swampcrawl/swampcrawl)"
ROBOTSTXT_OBEY = True
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # +-50% around DOWNLOAD_DELAY
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en",
    # pywb and ReplayWeb.page cannot replay br or zstd: ask for what they can.
    "Accept-Encoding": "gzip, deflate",
}

# --- archive ---
EXTENSIONS = {
    "archive.capture.WarcCapture": 100,
    # progress in place of Scrapy's "Crawled N pages (at N pages/min)" lines
    "swampcrawl.progress.CrawlProgress": 500,
    "scrapy.extensions.logstats.LogStats": None,
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
}
ITEM_PIPELINES = {
    "pipelines.store.StorePipeline": 300,
}
# Scrapy's feed exporters (-O out.csv) with the database's values: tags as slugs, times as
# 2026-11-24T09:30:00Z.
FEED_EXPORTERS = {
    "json": "swampcrawl.feeds.JsonItemExporter",
    "jsonlines": "swampcrawl.feeds.JsonLinesItemExporter",
    "jsonl": "swampcrawl.feeds.JsonLinesItemExporter",
    "jl": "swampcrawl.feeds.JsonLinesItemExporter",
    "csv": "swampcrawl.feeds.CsvItemExporter",
    "xml": "swampcrawl.feeds.XmlItemExporter",
}

# Archival crawls keep no cookies: pages are the same for everyone, and the
# cookie middleware's public-suffix lookup would try to download a list offline.
COOKIES_ENABLED = False
# Request fingerprints on disk, not in a Python set (spiders/dupefilter.py).
DUPEFILTER_CLASS = "spiders.dupefilter.DiskDupeFilter"
RETRY_TIMES = 2
# Scrapy's list without 429 and 503: RetryAfterMiddleware retries those, after a wait.
RETRY_HTTP_CODES = [500, 502, 504, 522, 524, 408]
DOWNLOADER_MIDDLEWARES = {
    # Each sees responses before the Scrapy middleware it works with (process_response runs
    # from high numbers to low): RedirectMiddleware 600, HttpCompressionMiddleware 590,
    # RetryMiddleware 550.
    "swampcrawl.downloadermiddlewares.redirectscope.RedirectScopeMiddleware": 610,
    "swampcrawl.downloadermiddlewares.sizecap.SizeCapMiddleware": 595,
    "swampcrawl.downloadermiddlewares.retryafter.RetryAfterMiddleware": 560,
}
# Backstops above the size caps (SizeCapMiddleware cuts bodies at their cap and keeps what came).
DOWNLOAD_MAXSIZE = 64_000_000
DOWNLOAD_WARNSIZE = 10_000_000
DOWNLOAD_TIMEOUT = 60
HTTPERROR_ALLOWED_CODES = [304, 404, 410]
# CPU per response (docs/BENCHMARKS.md, "Profile"): Scrapy starts CONCURRENT_ITEMS asyncio
# tasks for each response's output (our pipelines are synchronous: one is enough), and
# re-parses each callback's source to warn about generator return values (requests back from
# the disk queue are new bound methods: its cache never hits). Together 23% of a crawl's CPU.
CONCURRENT_ITEMS = 1
WARN_ON_GENERATOR_RETURN_VALUE = False
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
