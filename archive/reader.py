"""Read captures back from WARC, WARC.gz, folders and WACZ files, ours or other tools'.

Each capture has its body decoded (chunked transfer coding and gzip/deflate content coding
undone) so that extraction sees what a browser would. Revisits are resolved to the payload
of the original with the same digest found anywhere in the inputs.
"""

from __future__ import annotations

import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
import re
from typing import BinaryIO, Callable, Iterable, Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.timeutils import iso_date_to_datetime, timestamp_to_datetime

CAPTURE_TYPES = ("response", "revisit")
WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
# Where a record may start: a gzip member (per-record compression) or a WARC version line.
_RECORD_START = re.compile(rb"\x1f\x8b\x08|(?<![^\n])WARC/1\.[01]\r\n")
_SCAN_CHUNK = 1 << 20


@dataclass
class Capture:
    """One archived HTTP response; for a revisit, ``body`` is the original's payload."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    captured_at: datetime
    filename: str
    offset: int
    record_id: str
    revisit: bool = False
    payload_digest: str | None = None
    source: str = ""  # the file given to the reader: the WARC itself, or the WACZ holding it
    resolved: bool = True  # False: a revisit whose original is not among the inputs
    length: int | None = None  # bytes of the record as stored (its gzip member, when gzipped)

    def header(self, name: str, default: str | None = None) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return default

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class WarcSource:
    """A WARC to read: a path on disk, or a member of a WACZ (zip) file."""

    path: Path
    member: str | None = None

    @property
    def filename(self) -> str:
        return Path(self.member).name if self.member else self.path.name

    @property
    def size(self) -> int:
        if self.member is None:
            return self.path.stat().st_size
        with zipfile.ZipFile(self.path) as archive:
            return archive.getinfo(self.member).file_size

    @contextmanager
    def open(self) -> Iterator[BinaryIO]:
        if self.member is None:
            with open(self.path, "rb") as stream:
                yield stream
            return
        # WARCs are stored uncompressed in a WACZ, so the member stream is cheaply seekable.
        with zipfile.ZipFile(self.path) as archive, archive.open(self.member) as stream:
            yield stream


def list_sources(paths: Iterable[Path | str]) -> list[WarcSource]:
    """The WARC files the inputs stand for (folders expanded, WACZ members listed)."""
    return list(_expand(paths))


def iter_captures(paths: Iterable[Path | str], on_error: Callable[[str], None] | None = None) -> Iterator[Capture]:
    """Yield every response and revisit capture of the inputs, revisits resolved.

    A broken record raises, unless ``on_error`` is given: it is then told (one line) and
    reading resumes at the next readable record of the file.
    """
    yield from iter_source_captures(list_sources(paths), on_error)


def iter_source_captures(
    sources: Iterable[WarcSource], on_error: Callable[[str], None] | None = None
) -> Iterator[Capture]:
    """``iter_captures`` of sources already listed (``list_sources``)."""
    originals: dict[str, tuple[WarcSource, int]] = {}
    deferred: list[Capture] = []
    for source in sources:
        for capture in _read_source(source, originals, on_error):
            if capture.revisit and not _resolve(capture, originals):
                deferred.append(capture)  # its original may come in a later file
                continue
            yield capture
    for capture in deferred:
        capture.resolved = _resolve(capture, originals)
        yield capture


def _expand(paths: Iterable[Path | str]) -> Iterator[WarcSource]:
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and (child.name.endswith(WARC_SUFFIXES) or child.suffix == ".wacz"):
                    yield from _expand([child])
        elif path.suffix == ".wacz":
            with zipfile.ZipFile(path) as archive:
                names = sorted(n for n in archive.namelist() if n.startswith("archive/") and n.endswith(WARC_SUFFIXES))
            yield from (WarcSource(path, name) for name in names)
        elif path.exists():
            yield WarcSource(path)
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")


def _read_source(
    source: WarcSource, originals: dict[str, tuple[WarcSource, int]], on_error: Callable[[str], None] | None
) -> Iterator[Capture]:
    with source.open() as stream:
        for record, offset, records in _records(stream, source, on_error):
            if record.rec_type not in CAPTURE_TYPES or record.http_headers is None:
                continue
            capture = _capture_from(record, source, offset)
            if not capture.revisit:
                capture.body = _decoded_body(record)
                if capture.payload_digest:
                    originals.setdefault(capture.payload_digest, (source, offset))
            records.read_to_end()
            capture.length = records.get_record_length()
            yield capture


def _records(stream: BinaryIO, source: WarcSource,
             on_error: Callable[[str], None] | None) -> Iterator[tuple[ArcWarcRecord, int, ArchiveIterator]]:
    """(record, offset, iterator) triples; past a broken record, on to the next one that reads (if on_error)."""
    resume: int | None = 0
    while resume is not None:
        stream.seek(resume)
        records = ArchiveIterator(stream)
        last = resume
        try:
            for record in records:
                last = records.offset  # start of this record (get_record_offset would consume it)
                yield record, last, records
            return
        except Exception as error:  # warcio raises several kinds for a damaged record
            if on_error is None:
                raise
            resume = _next_record_start(stream, last + 1)
            then = f"resumed at offset {resume}" if resume is not None else "nothing readable after it"
            on_error(f"{source.filename}: unreadable record after offset {last} ({_first_line(error)}); {then}")


def _next_record_start(stream: BinaryIO, start: int) -> int | None:
    """The offset of the next gzip member or ``WARC/`` line after ``start`` that reads as a record."""
    for offset in _candidate_starts(stream, start):
        stream.seek(offset)
        try:
            record = next(iter(ArchiveIterator(stream)))
        except Exception:
            continue  # more damage
        if record.format.startswith("warc"):  # not a gzipped body read as an ARC line
            return offset
    return None


def _candidate_starts(stream: BinaryIO, start: int) -> Iterator[int]:
    """Offsets where a record may start, read a window at a time (only after damage)."""
    position = start
    while True:
        stream.seek(position)
        window = stream.read(_SCAN_CHUNK + 16)  # the overlap catches a start cut by the window
        found = [match.start() for match in _RECORD_START.finditer(window) if match.start() < _SCAN_CHUNK]
        yield from (position + found_at for found_at in found)
        if len(window) <= _SCAN_CHUNK:
            return
        position += _SCAN_CHUNK


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    line = lines[0].split(", first line:")[0] if lines else type(error).__name__
    return re.sub(r"[^\x20-\x7e]", "?", line)[:160]  # damaged bytes are no text for a terminal


def _capture_from(record: ArcWarcRecord, source: WarcSource, offset: int) -> Capture:
    headers = record.rec_headers
    http = record.http_headers
    return Capture(
        url=headers.get_header("WARC-Target-URI") or "",
        status=int(http.get_statuscode() or 0),
        headers=list(http.headers),
        body=b"",
        captured_at=parse_warc_date(headers.get_header("WARC-Date") or ""),
        filename=source.filename,
        offset=offset,
        record_id=headers.get_header("WARC-Record-ID") or "",
        revisit=record.rec_type == "revisit",
        payload_digest=headers.get_header("WARC-Payload-Digest"),
        source=str(source.path),
    )


def _decoded_body(record: ArcWarcRecord) -> bytes:
    """Undo chunking and gzip/deflate (warcio falls back to the raw bytes if they are not)."""
    try:
        return record.content_stream().read()
    except Exception:  # a broken encoding must not stop a reparse: keep what is there
        return record.raw_stream.read()


def _resolve(capture: Capture, originals: dict[str, tuple[WarcSource, int]]) -> bool:
    located = originals.get(capture.payload_digest or "")
    if located is None:
        return False
    source, offset = located
    capture.body = read_body_at(source, offset)
    return True


def read_body_at(source: WarcSource, offset: int) -> bytes:
    """The decoded body of the record starting at ``offset``."""
    with source.open() as stream:
        stream.seek(offset)
        for record in ArchiveIterator(stream):
            return _decoded_body(record)
    return b""


def parse_warc_date(text: str) -> datetime:
    """A WARC-Date (ISO 8601) or an ARC date (14 digits); the epoch when unreadable."""
    text = text.strip()
    try:
        if text.isdigit():
            return timestamp_to_datetime(text, tz_aware=True)
        return iso_date_to_datetime(text, tz_aware=True)
    except (ValueError, TypeError):
        return datetime.fromtimestamp(0, timezone.utc)
