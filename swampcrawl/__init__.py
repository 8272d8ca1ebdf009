"""swampcrawl: an archival crawler for Vocal (vocal.media).

This package is the core that works without Scrapy's engine: typed records,
page objects (extraction), URL rules, the SQLite store, the offline replica
and the command line. It must not import ``spiders``, ``pipelines`` or
``archive`` at module level.
"""

__version__ = "0.1.0"
