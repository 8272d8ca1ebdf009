"""Scrapy's duplicate filter with its request fingerprints on disk (``swampcrawl.diskset``).

Scrapy's ``RFPDupeFilter`` keeps every fingerprint of a crawl in a Python set; a crawl of a
million URLs would hold them all in RAM. Named in the ``DUPEFILTER_CLASS`` setting.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.dupefilters import RFPDupeFilter

from swampcrawl.diskset import DiskSet


class DiskDupeFilter(RFPDupeFilter):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.seen = DiskSet()

    def request_seen(self, request: Request) -> bool:
        return not self.seen.add(self.fingerprinter.fingerprint(request))

    def close(self, reason: str) -> None:
        self.seen.close()
        super().close(reason)
