"""Helpers shared by the archive tests: fixed clocks and ids, warcio checks, record reading."""

from __future__ import annotations

import gzip
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest

from warcio.archiveiterator import ArchiveIterator

BIN = Path(sys.executable).parent
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
