"""The archive-metadata pipeline: each extracted record written into the WARC.

A ``metadata`` record beside the response it was extracted from
(``WARC-Refers-To`` its record id) makes every database row provable from the
archive alone: the WARC holds both the page and what was read from it.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import NotConfigured

from swampcrawl.records.base import Record

# Bodies are in the response record already; the hash proves which text was read.
LEFT_OUT = {"body_html", "body_text"}


class ArchiveMetadataPipeline:
    def __init__(self, capture: Any) -> None:
        self.capture = capture

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchiveMetadataPipeline:
        capture = getattr(crawler, "warc_capture", None)
        if capture is None:
            raise NotConfigured("WARC capture is off: no metadata records")
        return cls(capture)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Record) and item.warc_record_id:
            payload = {key: value for key, value in item.page_dump().items() if key not in LEFT_OUT}
            payload["record_type"] = type(item).__name__.lower()
            url = getattr(item, "url", None)
            self.capture.write_metadata(url, item.warc_record_id, payload)
        return item
