"""Records out of WARC and ARC files, whatever state they are in: what every reader shares.

``read_records`` walks a file with warcio's ArchiveIterator and hands each record to a
callback that reads what it needs of it. A record warcio cannot parse is reported (file and
offset) and reading resumes at the next gzip member or ``WARC/`` line that reads as a record;
a record that parses but cannot be used (``BadRecord``) is reported and skipped.

``read_body`` decodes a payload (chunked transfer coding, gzip or deflate content coding)
without ever holding or inflating more than a cap; ``record_problem`` says why a record,
once read through, cannot be taken whole: cut short, digests not matching, WARC-Truncated.
"""

from __future__ import annotations

import os
import re
import zlib
from typing import Any, BinaryIO, Callable, Iterator, TypeVar

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import DecompressingBufferedReader
from warcio.recordloader import ArcWarcRecord

MAX_PAGE_SIZE_SETTING = "SWAMPCRAWL_MAX_PAGE_SIZE"
DEFAULT_MAX_PAGE_SIZE = 5_000_000  # bytes of a page's body once decoded
# Where a record may start: a gzip member (per-record compression) or a WARC version line.
_RECORD_START = re.compile(rb"\x1f\x8b\x08|(?<![^\n])WARC/1\.[01]\r\n")
_SCAN_CHUNK = 1 << 20
_READ_CHUNK = 1 << 16
_MAX_LINE = 1 << 20  # a header line longer than this is damage, not a header
_INFLATE_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}

T = TypeVar("T")
ErrorCallback = Callable[[str], None]


class BadRecord(ValueError):
    """A record that parses but cannot be used (a status line ``abc``, a URI ``http://[::1``)."""


def max_page_size(value: object = None) -> int:
    """The cap on a decoded body: ``value``, else ``$SWAMPCRAWL_MAX_PAGE_SIZE``, else 5 MB.

    Raises ValueError with one readable line when it is not a whole number of bytes >= 1.
    """
    raw = os.environ.get(MAX_PAGE_SIZE_SETTING, "") if value is None else value
    if raw in ("", None):
        return DEFAULT_MAX_PAGE_SIZE
    name = f"the page size cap (--max-page-size, ${MAX_PAGE_SIZE_SETTING})"
    try:
        size = int(str(raw).replace("_", ""))
    except ValueError:
        raise ValueError(f"{name} must be a whole number of bytes, not {raw!r}") from None
    if size < 1:
        raise ValueError(f"{name} must be at least 1, not {size}")
    return size


# -- warcio, made strict and quiet --------------------------------------------------------------


class _StrictReader(DecompressingBufferedReader):
    """warcio's reader, raising on a gzip member damaged past its first block (warcio prints the
    zlib error on stderr and reads on as if nothing was there) and never reading a line longer
    than _MAX_LINE (a header "line" of a gigabyte would be held whole)."""

    def _decompress(self, data: bytes) -> bytes:
        if self.decompressor is not None and data and self.num_block_read:
            return self.decompressor.decompress(data)
        return super()._decompress(data)

    def readline(self, length: int | None = None) -> bytes:
        return super().readline(_MAX_LINE if not length or length > _MAX_LINE else length)


class RecordIterator(ArchiveIterator):
    """ArchiveIterator on the strict reader; ``overrun`` tells (warcio prints it) that the record
    just read is followed by bytes of its own instead of blank lines: its Content-Length is wrong."""

    def __init__(self, stream: BinaryIO, **options: Any) -> None:
        super().__init__(stream, **options)
        self.reader = _StrictReader(self.fh, block_size=self.reader.block_size)
        self.overrun = False

    def _next_record(self, next_line: bytes | None) -> ArcWarcRecord:
        self.overrun = False
        return super()._next_record(next_line)

    def _consume_blanklines(self) -> tuple[bytes | None, int]:
        empty_size, first_line = 0, True
        while True:
            line = self.reader.readline()
            if not line:
                return None, empty_size
            if not line.rstrip() or first_line:
                empty_size += len(line)
                self.overrun = self.overrun or bool(line.rstrip())
                first_line = False
                continue
            return line, empty_size


# -- walking a file -----------------------------------------------------------------------------


def read_records(stream: BinaryIO, name: str, read: Callable[[ArcWarcRecord, RecordIterator], T | None],
                 on_error: ErrorCallback | None = None, check_digests: bool = False) -> Iterator[tuple[int, T]]:
    """(offset, ``read(record, records)``) for each record whose ``read`` returns a value.

    Without ``on_error`` the first unreadable or bad record raises; with it, it is reported in
    one line and reading goes on (the next record, or the next one that reads after damage).
    """
    resume: int | None = 0
    while resume is not None:
        stream.seek(resume)
        records = RecordIterator(stream, check_digests=check_digests)
        try:
            for record in records:
                offset = records.offset  # start of this record (get_record_offset would consume it)
                result = _read_one(record, records, read, f"{name}: offset {offset}", on_error)
                records.read_to_end()
                if result is not None:
                    yield offset, result
            return
        except Exception as error:  # warcio and zlib raise many kinds for a damaged record
            if on_error is None:
                raise
            failed = records.offset
            resume = next_record_start(stream, failed + 1)
            then = f"resumed at offset {resume}" if resume is not None else "nothing readable after it"
            on_error(f"{name}: unreadable record at offset {failed} ({first_line(error)}); {then}")


def _read_one(record: ArcWarcRecord, records: RecordIterator, read: Callable[..., T | None], where: str,
              on_error: ErrorCallback | None) -> T | None:
    try:
        return read(record, records)
    except BadRecord as error:
        if on_error is None:
            raise
        on_error(f"{where}: {error}; record skipped")
        return None


def unreadable_reason(stream: BinaryIO) -> str | None:
    """Why not one record can be read from the file (None: some can): it is empty, or neither
    a WARC nor an ARC file (warcio takes any line of text for an ARC record's header)."""
    stream.seek(0)
    try:
        record = next(iter(RecordIterator(stream)))
    except StopIteration:
        return "empty: not a WARC or ARC file"
    except Exception:  # a damaged first record: there may be records after it
        record = None
    if record is not None and _is_archive_record(record):
        return None
    return None if next_record_start(stream, 1) is not None else "not a WARC or ARC file"


def _is_archive_record(record: ArcWarcRecord) -> bool:
    if record.format.startswith("arc"):  # an ARC file starts with its filedesc:// record
        return (record.rec_headers.get_header("uri") or "").startswith("filedesc:")
    return record.format.startswith("warc")


def next_record_start(stream: BinaryIO, start: int) -> int | None:
    """The offset of the next gzip member or ``WARC/`` line from ``start`` on that reads as a record."""
    for offset in _candidate_starts(stream, start):
        stream.seek(offset)
        try:
            record = next(iter(RecordIterator(stream)))
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


def first_line(error: BaseException) -> str:
    """An error in one printable line (warcio's messages run over several; damage is no text)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    line = lines[0].split(", first line:")[0] if lines else type(error).__name__
    return printable(line)


def printable(text: str, limit: int = 160) -> str:
    return re.sub(r"[^\x20-\x7e]", "?", text)[:limit]


# -- one record's body and integrity ------------------------------------------------------------


def read_body(record: ArcWarcRecord, cap: int) -> tuple[bytes, str | None]:
    """The payload with transfer and content coding undone, and why it is not whole (or None).

    Never holds or inflates more than ``cap`` bytes: a body over it is given as ``b""`` with
    the reason. gzip and deflate are undone; a body that does not inflate from its first bytes
    is taken as it is (as warcio does), one that breaks later is kept up to the break.
    """
    http = record.http_headers
    pieces = _pieces(record.raw_stream)
    if http is not None and "chunked" in (http.get_header("Transfer-Encoding") or "").lower():
        pieces = _dechunked(record.raw_stream)
    encoding = (http.get_header("Content-Encoding") or "").strip().lower() if http is not None else ""
    return _decoded(pieces, encoding, cap)


def _pieces(stream: Any) -> Iterator[bytes]:
    while piece := stream.read(_READ_CHUNK):
        yield piece


def _dechunked(stream: Any) -> Iterator[bytes]:
    """Chunked transfer coding undone, a piece at a time; not chunked after all: as it is."""
    first = True
    while True:
        line = stream.readline(64)
        try:
            size = int(line.rstrip(b"\r\n").split(b";")[0], 16) if line.endswith(b"\n") else -1
        except ValueError:
            size = -1
        if size < 0:
            if first:  # served with a chunked header but not chunked (warcio's fallback too)
                yield line
                yield from _pieces(stream)
            return
        first = False
        if size == 0:
            return
        while size > 0 and (piece := stream.read(min(size, _READ_CHUNK))):
            size -= len(piece)
            yield piece
        stream.read(2)


def _decoded(pieces: Iterator[bytes], encoding: str, cap: int) -> tuple[bytes, str | None]:
    out = bytearray()
    inflater = _Inflater(encoding) if encoding in _INFLATE_WBITS else None
    for piece in pieces:
        if inflater is not None:
            try:
                piece = inflater.inflate(piece, cap + 1 - len(out))
            except zlib.error as error:
                return bytes(out), f"broken {encoding} content coding ({first_line(error)})"
        out += piece
        if len(out) > cap:
            return b"", f"body over the size cap of {cap} bytes (decoded)"
        if inflater is not None and inflater.done:
            break
    return bytes(out), None


class _Inflater:
    """gzip or deflate, never producing more than asked; data that does not inflate from its
    very first bytes is passed through as it is (served with a wrong Content-Encoding)."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.tries = [_INFLATE_WBITS[encoding]] + ([-zlib.MAX_WBITS] if encoding == "deflate" else [])
        self.inflater: Any = zlib.decompressobj(self.tries[0])
        self.started = False
        self.plain = False

    @property
    def done(self) -> bool:
        return not self.plain and self.inflater.eof

    def inflate(self, data: bytes, room: int) -> bytes:
        if self.plain:
            return data
        while True:
            try:
                out = self.inflater.decompress(data, room)
                self.started = True
                return out
            except zlib.error:
                if self.started:
                    raise
                self.tries.pop(0)
                if not self.tries:
                    self.plain = True
                    return data
                self.inflater = zlib.decompressobj(self.tries[0])


def record_problem(record: ArcWarcRecord, records: RecordIterator) -> str | None:
    """Why a record read through (``read_to_end``) cannot be taken whole, or None."""
    missing = getattr(record.raw_stream, "limit", 0)
    if missing > 0:
        declared = record.length or 0
        return f"cut short: Content-Length {declared}, {declared - missing} bytes there"
    if records.overrun:
        return "followed by bytes of its own: its Content-Length is wrong"
    checker = getattr(record, "digest_checker", None)
    if checker is not None and checker.passed is False:
        return _digest_problem(record, checker.problems)
    truncated = record.rec_headers.get_header("WARC-Truncated")
    if truncated:
        return f"truncated when archived (WARC-Truncated: {printable(truncated, 40)})"
    return None


def _digest_problem(record: ArcWarcRecord, problems: list[str]) -> str | None:
    block = [p for p in problems if p.startswith("block digest")]
    if block:
        return "WARC-Block-Digest does not match the bytes there"
    http = record.http_headers
    if http is not None and http.get_header("Transfer-Encoding"):
        return None  # tools disagree on whether a payload digest covers the transfer coding
    if problems and not record.rec_headers.get_header("WARC-Block-Digest"):
        return "WARC-Payload-Digest does not match the bytes there"
    return None
