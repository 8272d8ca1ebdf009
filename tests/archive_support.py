"""Helpers shared by the archive tests: fixed clocks and ids, warcio checks, record reading."""

from __future__ import annotations

import gzip
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

from warcio.archiveiterator import ArchiveIterator

from archive.writer import WarcWriter
from swampcrawl.records.provenance import WarcRef

BIN = Path(sys.executable).parent
# pywb pins redis 2.10, which scrapy-redis cannot use: scripts/setup.sh test installs it as its
# users do (`pip install pywb`), in a virtual environment of its own beside the project's.
PYWB_BIN = Path(__file__).resolve().parent.parent / ".venv-pywb" / "bin"
EXCHANGE_DATE = datetime(2026, 11, 24, 9, 30, 0, tzinfo=timezone.utc)
HTML = b"<html><head><title>A story &amp; more</title></head><body><p>Hello swamp</p></body></html>"
GZIP_HTML = gzip.compress(HTML, mtime=0)


class FixedClock:
    """A clock that starts at a fixed moment and ticks one second per call."""

    def __init__(self, start: datetime = datetime(2026, 11, 24, 9, 0, 0, tzinfo=timezone.utc)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        current = self.now
        self.now += timedelta(seconds=1)
        return current


class SequentialIds:
    def __init__(self, prefix: str = "rec") -> None:
        self.count = 0
        self.prefix = prefix

    def __call__(self) -> str:
        self.count += 1
        return f"<urn:uuid:00000000-0000-4000-8000-{self.count:012d}>"


@dataclass
class ReadRecord:
    rec_type: str
    warc: dict[str, list[str]]
    http_status: str | None
    http_headers: list[tuple[str, str]]
    raw: bytes
    offset: int
    length: int

    def get(self, name: str) -> str | None:
        values = self.warc.get(name.lower())
        return values[0] if values else None


def read_records(path: Path) -> list[ReadRecord]:
    """Every record of a WARC via warcio's ArchiveIterator, with offsets and lengths."""
    out = []
    with open(path, "rb") as stream:
        records = ArchiveIterator(stream)
        for record in records:
            warc: dict[str, list[str]] = {}
            for name, value in record.rec_headers.headers:
                warc.setdefault(name.lower(), []).append(value)
            http = record.http_headers
            raw = record.raw_stream.read()
            out.append(ReadRecord(record.rec_type, warc, http.statusline if http else None,
                                  list(http.headers) if http else [], raw,
                                  records.get_record_offset(), records.get_record_length()))
    return out


def assert_warcio_valid(*paths: Path) -> None:
    """``warcio check`` (digests) and ``warcio index`` must both accept the files."""
    names = [str(path) for path in paths]
    check = subprocess.run([str(BIN / "warcio"), "check", "-v", *names], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest failed" not in check.stdout, check.stdout
    index = subprocess.run([str(BIN / "warcio"), "index", *names], capture_output=True, text=True)
    assert index.returncode == 0 and index.stdout.strip(), index.stderr
    assert "Traceback" not in index.stderr + check.stderr


@pytest.fixture(autouse=True)
def every_written_warc_is_valid(tmp_path: Path) -> Iterator[None]:
    """Import into a test module: after each test, warcio checks every WARC left in tmp_path."""
    yield
    written = sorted(p for p in tmp_path.rglob("*") if p.name.endswith((".warc.gz", ".warc")))
    if written:
        assert_warcio_valid(*written)


def warc_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.warc.gz"))


def assert_folder_valid(directory: Path) -> None:
    files = warc_files(directory)
    assert files, f"no WARC in {directory}"
    assert_warcio_valid(*files)


# -- a writer with a fixed clock and ids, and one page written with it --------------------------

REQUEST_HEADERS = [("User-Agent", "swampcrawl-test"), ("Accept-Encoding", "gzip, deflate")]
RESPONSE_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Content-Encoding", "gzip"),
    ("Set-Cookie", "session=abc; Path=/"),
    ("Set-Cookie", "theme=dark; Path=/"),
]


def make_writer(directory: Path, **kwargs) -> WarcWriter:
    options = dict(host="testhost", warcinfo={"robots": "obey"}, clock=FixedClock(), record_id_factory=SequentialIds())
    options.update(kwargs)
    return WarcWriter(directory, **options)


def write_page(writer: WarcWriter, url: str = "https://vocal.media/fyi/a-story?ref=home&page=2",
               body: bytes = GZIP_HTML, status: int = 200, headers=None, **kwargs) -> WarcRef:
    return writer.write_exchange(
        url, "GET", REQUEST_HEADERS, b"", "HTTP/1.1", status,
        RESPONSE_HEADERS if headers is None else headers, body, EXCHANGE_DATE, **kwargs,
    )


# -- pywb and databases ------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError("pywb did not start")


def replay(base: str, timestamp: str, url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(f"{base}/{timestamp}id_/{url}", headers={"Accept-Encoding": "identity"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            body = response.read()
            if response.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            return response.status, body
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def rows_by_key(db: Path, table: str) -> dict[Any, dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(row) for row in conn.execute(f"SELECT * FROM {table}")]
        keys = [row[1] for row in conn.execute(f"PRAGMA table_info({table})") if row[5]]
    if keys == ["id"] and table == "errors":
        keys = ["url", "reason"]
    elif keys == ["id"]:
        keys = ["warc_record_id"]  # captures: their record in the archive identifies them
    keyed = {tuple(row[k] for k in keys): row for row in rows}
    assert len(keyed) == len(rows), f"{table}: duplicate keys"
    return keyed
