"""Helpers of the replay tests (pywb, ReplayWeb.page): real crawls of a replica, WARC reading.

    data = crawl_replica(tmp, ["stories", "stories", "creators"], stories=20)
    data.warc_dir, data.truth, data.base_url      # the replica is stopped once this returns
    captures_of(read_warcs(data.warc_dir), url)   # what a replay tool should serve for url
"""

from __future__ import annotations

import gzip
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from crawl_support import scrapy_crawl
from replica_process import ReplicaProcess

PAGEINFO = "urn:pageinfo:"


@dataclass
class CrawledReplica:
    base_url: str
    truth: dict[str, Any]
    warc_dir: Path
    db: Path


def crawl_replica(data: Path, spiders: list[str], stories: int = 20, seed: int = 1) -> CrawledReplica:
    """Crawl a replica with each spider in turn (>= 1 s apart, so WARC-Dates differ), then stop it."""
    with ReplicaProcess(stories=stories, seed=seed) as replica:
        for number, spider in enumerate(spiders):
            if number:
                time.sleep(1.1)
            # A spider run again takes a full new snapshot: every stored page whole (revisits).
            again = ("-a", "recheck=all", "-s", "SWAMPCRAWL_CONDITIONAL_REQUESTS=False") if spider in spiders[:number] else ()
            result = scrapy_crawl(spider, *again, base_url=replica.base_url, data=data)
            assert result.returncode == 0, f"scrapy crawl {spider} failed:\n{result.stderr[-4000:]}"
        return CrawledReplica(replica.base_url, replica.truth, data / "warc", data / "swamp.db")


@dataclass
class Record:
    """One WARC record, as a replay tool sees it."""

    type: str
    target: str
    timestamp: str  # 14 digits, as in CDX lines and replay URLs
    record_id: str
    refers_to: str | None
    payload_digest: str | None
    content_type: str | None  # the HTTP Content-Type of a response or revisit
    body: bytes | None  # a response's payload, content-encoding undone


def decode_body(body: bytes, encoding: str | None) -> bytes:
    encoding = (encoding or "").strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return gzip.decompress(body)
    if encoding == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, -zlib.MAX_WBITS)
    return body


def read_warcs(directory: Path) -> list[Record]:
    """Every record of every .warc.gz in the folder, with warcio (not the project's reader)."""
    records = []
    for path in sorted(directory.glob("*.warc.gz")):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                headers = record.rec_headers
                http = record.http_headers
                body = None
                if record.rec_type == "response" and http is not None:
                    body = decode_body(record.raw_stream.read(), http.get_header("Content-Encoding"))
                date = headers.get_header("WARC-Date") or ""
                records.append(Record(
                    type=record.rec_type,
                    target=headers.get_header("WARC-Target-URI") or "",
                    timestamp="".join(ch for ch in date if ch.isdigit())[:14],
                    record_id=headers.get_header("WARC-Record-ID") or "",
                    refers_to=headers.get_header("WARC-Refers-To"),
                    payload_digest=headers.get_header("WARC-Payload-Digest"),
                    content_type=http.get_header("Content-Type") if http is not None else None,
                    body=body,
                ))
    return records


def captures_of(records: list[Record], url: str) -> list[tuple[str, bytes]]:
    """(timestamp, payload) of every response and revisit of url; a revisit's payload is its original's."""
    by_digest = {r.payload_digest: r.body for r in records if r.type == "response" and r.body is not None}
    found = []
    for record in records:
        if record.target != url or record.type not in ("response", "revisit"):
            continue
        body = record.body if record.type == "response" else by_digest.get(record.payload_digest)
        assert body is not None, f"revisit of {url} at {record.timestamp} without its original"
        found.append((record.timestamp, body))
    return found


def metadata_of(records: list[Record], url: str) -> list[Record]:
    """The metadata records written for url's captures (they refer to the response or revisit)."""
    capture_ids = {r.record_id for r in records if r.target == url and r.type in ("response", "revisit")}
    return [r for r in records if r.type == "metadata" and r.refers_to in capture_ids]
