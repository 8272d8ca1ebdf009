"""Read captures back from WARC, WARC.gz, ARC, folders and WACZ files, ours or other tools'.

Each capture has its body decoded (chunked transfer coding and gzip/deflate content coding
undone, never more than a cap) so that extraction sees what a browser would. Revisits are
resolved to the payload of the original with the same digest found anywhere in the inputs.
A record that cannot be taken whole (cut short, digests not matching, truncated when archived,
a body over the cap) comes with its ``problem``; one that cannot be read is reported.
"""

from __future__ import annotations

import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator
from urllib.parse import urlsplit

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import iso_date_to_datetime, timestamp_to_datetime

from archive.records import (
    DEFAULT_MAX_PAGE_SIZE,
    BadRecord,
    ErrorCallback,
    RecordIterator,
    printable,
    read_body,
    read_records,
    record_problem,
)

CAPTURE_TYPES = ("response", "revisit")
WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
# A WARC member of a WACZ inflating more than this many times its size in the zip is refused:
# WACZ stores WARCs uncompressed, and a gzipped WARC deflates by a few percent at most.
MAX_ZIP_RATIO = 100


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
    problem: str | None = None  # why the record cannot be taken whole (cut short, ...): body untrusted

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
class ReadOptions:
    """How captures are read: where problems are told, the cap on a body, which bodies to read."""

    on_error: ErrorCallback | None = None  # None: the first unreadable record raises
    max_body: int = DEFAULT_MAX_PAGE_SIZE
    wants_body: Callable[[Capture], bool] | None = None  # None: every capture's body

    def wants(self, capture: Capture) -> bool:
        return self.wants_body is None or self.wants_body(capture)


class UnreadableSource(ValueError):
    """A file that cannot be read as an archive at all (a .wacz that is no zip, a zip bomb)."""


@dataclass(frozen=True)
class WarcSource:
    """A WARC to read: a path on disk, or a member of a WACZ (zip) file."""

    path: Path
    member: str | None = None

    @property
    def filename(self) -> str:
        return Path(self.member).name if self.member else self.path.name

    @property
    def label(self) -> str:
        """How messages name it: the file, or the WACZ and its member."""
        return f"{self.path.name}:{self.member}" if self.member else self.path.name

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
        with zipfile.ZipFile(self.path) as archive:
            _check_member(archive.getinfo(self.member))
            # Stored (as WACZ requires), the member stream is cheaply seekable.
            with archive.open(self.member) as stream:
                yield stream


def _check_member(info: zipfile.ZipInfo) -> None:
    if info.compress_type != zipfile.ZIP_STORED and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
        raise UnreadableSource(f"would inflate from {info.compress_size} to {info.file_size} bytes in the zip "
                               "(WACZ stores WARCs uncompressed)")


def list_sources(paths: Iterable[Path | str], on_error: ErrorCallback | None = None) -> list[WarcSource]:
    """The WARC files the inputs stand for (folders expanded, WACZ members listed).

    A path that does not exist raises FileNotFoundError, a named .wacz that is no zip
    UnreadableSource; such a file met in a folder is told to ``on_error`` (when given) and left out.
    """
    return list(_expand(paths, on_error))


def _expand(paths: Iterable[Path | str], on_error: ErrorCallback | None) -> Iterator[WarcSource]:
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and (child.name.endswith(WARC_SUFFIXES) or child.suffix == ".wacz"):
                    yield from _in_folder(child, on_error)
        elif path.exists():
            yield from _expand_file(path)
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")


def _in_folder(path: Path, on_error: ErrorCallback | None) -> list[WarcSource]:
    try:
        return list(_expand_file(path))
    except (UnreadableSource, OSError) as error:
        if on_error is None:
            raise
        on_error(f"{path.name}: {error}; skipped")
        return []


def _expand_file(path: Path) -> Iterator[WarcSource]:
    if path.suffix != ".wacz":
        yield WarcSource(path)
        return
    try:
        with zipfile.ZipFile(path) as archive:
            names = sorted(n for n in archive.namelist() if n.startswith("archive/") and n.endswith(WARC_SUFFIXES))
    except zipfile.BadZipFile as error:
        raise UnreadableSource(f"not a WACZ file: {path} ({error})") from error
    yield from (WarcSource(path, name) for name in names)


def iter_captures(paths: Iterable[Path | str], on_error: ErrorCallback | None = None,
                  max_body: int = DEFAULT_MAX_PAGE_SIZE,
                  wants_body: Callable[[Capture], bool] | None = None) -> Iterator[Capture]:
    """Yield every response and revisit capture of the inputs, revisits resolved.

    A broken record raises, unless ``on_error`` is given: it is then told (one line) and
    reading resumes at the next readable record of the file. Bodies are decoded up to
    ``max_body`` bytes (over it: ``b""`` and a ``problem``), for the captures ``wants_body``
    accepts (default: all).
    """
    options = ReadOptions(on_error, max_body, wants_body)
    yield from iter_source_captures(list_sources(paths, on_error), options)


def iter_source_captures(sources: Iterable[WarcSource], options: ReadOptions | None = None) -> Iterator[Capture]:
    """``iter_captures`` of sources already listed (``list_sources``)."""
    options = options or ReadOptions()
    originals: dict[str, tuple[WarcSource, int]] = {}
    deferred: list[Capture] = []
    for source in sources:
        for capture in _read_source(source, originals, options):
            if capture.revisit and not _resolve(capture, originals, options):
                deferred.append(capture)  # its original may come in a later file
                continue
            yield capture
    for capture in deferred:
        capture.resolved = _resolve(capture, originals, options)
        yield capture


def _read_source(source: WarcSource, originals: dict[str, tuple[WarcSource, int]],
                 options: ReadOptions) -> Iterator[Capture]:
    read = partial(_capture_of, source=source, options=options)
    try:
        with source.open() as stream:
            for offset, capture in read_records(stream, source.label, read, options.on_error, check_digests=True):
                if not capture.revisit and capture.payload_digest and capture.problem is None:
                    originals.setdefault(capture.payload_digest, (source, offset))
                yield capture
    except (UnreadableSource, OSError, zipfile.BadZipFile) as error:
        if options.on_error is None:
            raise
        options.on_error(f"{source.label}: {error}; skipped")


def _capture_of(record: ArcWarcRecord, records: RecordIterator, source: WarcSource,
                options: ReadOptions) -> Capture | None:
    if record.rec_type not in CAPTURE_TYPES or record.http_headers is None:
        return None
    capture = _capture_from(record, source, records.offset)
    if not capture.revisit and options.wants(capture):
        capture.body, capture.problem = read_body(record, options.max_body)
    records.read_to_end()
    capture.length = records.get_record_length()
    capture.problem = record_problem(record, records) or capture.problem
    return capture


def _capture_from(record: ArcWarcRecord, source: WarcSource, offset: int) -> Capture:
    """The capture of a record's headers; BadRecord when its status or URI is unusable."""
    headers, http = record.rec_headers, record.http_headers
    arc = record.format.startswith("arc")  # ARC headers: uri, archive-date; no record id, no digests
    url = headers.get_header("uri" if arc else "WARC-Target-URI") or ""
    return Capture(
        url=_usable_url(url),
        status=_status(http),
        headers=list(http.headers),
        body=b"",
        captured_at=parse_warc_date(headers.get_header("archive-date" if arc else "WARC-Date") or ""),
        filename=source.filename,
        offset=offset,
        record_id=headers.get_header("WARC-Record-ID") or "",
        revisit=record.rec_type == "revisit",
        payload_digest=headers.get_header("WARC-Payload-Digest"),
        source=str(source.path),
    )


def _status(http: StatusAndHeaders) -> int:
    code = (http.get_statuscode() or "").strip()
    if not code.isdigit() or not 100 <= int(code) <= 999:
        raise BadRecord(f"unreadable HTTP status line {printable(http.statusline or '', 60)!r}")
    return int(code)


def _usable_url(url: str) -> str:
    try:
        urlsplit(url).port  # noqa: B018 (raises on a bad host or port)
    except ValueError as error:
        raise BadRecord(f"unusable WARC-Target-URI {printable(url, 80)!r} ({error})") from None
    return url


def _resolve(capture: Capture, originals: dict[str, tuple[WarcSource, int]], options: ReadOptions) -> bool:
    located = originals.get(capture.payload_digest or "")
    if located is None:
        return False
    if options.wants(capture):
        capture.body, problem = read_body_at(*located, cap=options.max_body)
        capture.problem = capture.problem or problem
    return True


def read_body_at(source: WarcSource, offset: int, cap: int = DEFAULT_MAX_PAGE_SIZE) -> tuple[bytes, str | None]:
    """The decoded body (at most ``cap`` bytes) of the record starting at ``offset``, and its problem."""
    try:
        with source.open() as stream:
            stream.seek(offset)
            for record in RecordIterator(stream):
                return read_body(record, cap)
    except Exception as error:  # read whole once already: only a file changed since fails here
        return b"", f"original at offset {offset} of {source.label} unreadable ({printable(str(error))})"
    return b"", f"no record at offset {offset} of {source.label}"


def parse_warc_date(text: str) -> datetime:
    """A WARC-Date (ISO 8601) or an ARC date (14 digits); the epoch when unreadable."""
    text = text.strip()
    try:
        if text.isdigit():
            return timestamp_to_datetime(text, tz_aware=True)
        return iso_date_to_datetime(text, tz_aware=True)
    except (ValueError, TypeError):
        return datetime.fromtimestamp(0, timezone.utc)
