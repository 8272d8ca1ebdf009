"""CDXJ index (``index.cdxj``) of a WARC folder, in the form pywb and cdxj-indexer use.

One line per response or revisit record (metadata records are left out: pywb could serve
one instead of the page captured at nearly the same second): ``<SURT key> <14-digit timestamp> <JSON>``, sorted
in byte order (``LC_ALL=C``), which is what pywb's binary search expects.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping
from urllib.parse import quote_from_bytes, unquote_to_bytes, urlsplit

from warcio.recordloader import ArcWarcRecord

from swampcrawl.disksort import DiskSort

from archive.records import BadRecord, ErrorCallback, RecordIterator, printable, read_records, unreadable_reason

if TYPE_CHECKING:
    from swampcrawl.records.provenance import WarcRef

logger = logging.getLogger(__name__)

INDEX_NAME = "index.cdxj"
INDEXED_TYPES = ("response", "revisit")
_WWW = re.compile(r"^www\d*\.")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# The characters surt's escapeOnce leaves alone (everything else outside 0x21-0x7e is escaped).
_SAFE = b"!\"$&'()*+,-./:;<=>?@[\\]^_`{|}~"


def surt(url: str) -> str:
    """The SURT key pywb computes (``surt.surt``) for ordinary http(s) URLs.

    Ported from the ``surt`` package's default IA canonicalizer, without session-id stripping
    and IP-format guessing, which URLs of this site never need. Tests compare with ``surt``.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").strip(".").lower()
    host = _WWW.sub("", host)
    key = ",".join(reversed(host.split(".")))
    if parts.port and parts.port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        key += f":{parts.port}"
    path = _escape_once(_normalize_path(_unescape(parts.path.encode("utf-8")))).lower()
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    key += ")" + path
    if parts.query:
        key += "?" + _reorder_query(_escape_once(_unescape(parts.query.encode("utf-8"))).lower())
    return key


def _unescape(raw: bytes) -> bytes:
    while True:
        once = unquote_to_bytes(raw)
        if once == raw:
            return raw
        raw = once


def _escape_once(raw: bytes) -> str:
    return quote_from_bytes(raw, safe=_SAFE)


def _normalize_path(path: bytes) -> bytes:
    """Resolve ``.`` and ``..`` segments and drop empty inner ones, as surt does."""
    kept: list[bytes] = []
    for segment in path.split(b"/")[1:]:
        if segment == b".":
            continue
        if segment == b".." and kept:
            kept.pop()
        else:
            kept.append(segment)
    if not kept:
        return b"/"
    return b"/" + b"".join(p + b"/" for p in kept[:-1] if p) + kept[-1]


def _reorder_query(query: str) -> str:
    pairs = sorted(tuple(arg.split("=", 1)) for arg in query.split("&"))
    return "&".join("=".join(pair) for pair in pairs)


def format_line(url: str, timestamp: str, fields: dict[str, str | None]) -> str:
    """Fields in cdxj-indexer's order; a missing mime is left out, as cdxj-indexer does."""
    return _line(surt(url), url, timestamp, fields)


def _line(key: str, url: str, timestamp: str, fields: dict[str, str | None]) -> str:
    kept = {name: value for name, value in fields.items() if value is not None}
    return f"{key} {timestamp} {json.dumps({'url': url, **kept})}"


def line_for(url: str, timestamp: str, status: int, headers: list[tuple[str, str]], digest: str,
             location: "WarcRef") -> str:
    """The line of a record the writer has just written (no need to read it back)."""
    mime = "warc/revisit" if location.revisit else _mime(headers)
    return format_line(url, timestamp, {
        "mime": mime, "status": str(status), "digest": digest, "length": str(location.length),
        "offset": str(location.offset), "filename": location.filename,
    })


def _mime(headers: Iterable[tuple[str, str]]) -> str | None:
    for name, value in headers:
        if name.lower() == "content-type":
            return value.split(";", 1)[0].strip()
    return None


class UnreadableWarc(ValueError):
    """A WARC file warcio cannot parse; the message names the file and the offset."""


def index_warc(path: Path, on_error: ErrorCallback | None = None) -> Iterator[str]:
    """Lines for the response and revisit records of one WARC file.

    A damaged record raises UnreadableWarc, unless ``on_error`` is given: it is then told (one
    line naming the file and offset) and the records after the damage are indexed.
    """
    on_error = on_error or _raise_unreadable
    with open(path, "rb") as stream:
        reason = unreadable_reason(stream)
        if reason is not None:
            on_error(f"{path.name}: {reason}; skipped")
            return
        read = partial(_index_line, filename=path.name)
        for _, line in read_records(stream, path.name, read, on_error):
            yield line


def _raise_unreadable(message: str) -> None:
    raise UnreadableWarc(message)


def _index_line(record: ArcWarcRecord, records: RecordIterator, filename: str) -> str | None:
    if record.rec_type not in INDEXED_TYPES:
        return None
    headers = record.rec_headers
    url = headers.get_header("WARC-Target-URI")
    if not url:  # nothing a replay could look it up by
        return None
    try:
        key = surt(url)
    except ValueError as error:  # a URI such as http://[::1
        raise BadRecord(f"unusable WARC-Target-URI {printable(url, 80)!r} ({error})") from None
    date = headers.get_header("WARC-Date") or ""
    http = record.http_headers
    mime = "warc/revisit" if record.rec_type == "revisit" else _mime(http.headers if http else [])
    records.read_to_end()
    return _line(key, url, re.sub(r"\D", "", date)[:14], {
        "mime": mime, "status": http.get_statuscode() if http else "-",
        "digest": headers.get_header("WARC-Payload-Digest") or "-",
        "length": str(records.get_record_length()), "offset": str(records.get_record_offset()),
        "filename": filename,
    })


def warc_files(directory: Path) -> list[Path]:
    return sorted(p for p in Path(directory).iterdir() if p.name.endswith((".warc.gz", ".warc")))


@contextmanager
def _index_lock(directory: Path) -> Iterator[None]:
    """Serialise read-merge-write of the index between writers sharing the folder."""
    with open(directory / (INDEX_NAME + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def build_index(directory: Path | str, on_error: ErrorCallback | None = None) -> Path:
    """Rebuild ``index.cdxj`` from scratch by reading every WARC in the folder.

    Damage (a garbage file, a broken record) is told to ``on_error`` (default: a logged
    warning) and skipped: the index holds every record that reads.
    """
    directory, on_error = Path(directory), on_error or _warn
    with _index_lock(directory):
        lines = (line for path in warc_files(directory) for line in index_warc(path, on_error))
        return write_index(directory, lines)


def update_index(directory: Path | str, known: Mapping[str, Iterable[str]] | None = None,
                 on_error: ErrorCallback | None = None) -> Path:
    """Keep the lines of files still present, add lines for new files (from ``known`` when the
    writer already has them, else by reading the file), drop lines of deleted files. Damage is
    told to ``on_error`` (default: a logged warning) and skipped, as in ``build_index``.

    The index is streamed and sorted on disk (``DiskSort``): memory does not grow with it."""
    directory = Path(directory)
    with _index_lock(directory):
        return _merge_index(directory, known or {}, on_error or _warn)


def _warn(message: str) -> None:
    logger.warning("index.cdxj: %s", message)


def _merge_index(directory: Path, known: Mapping[str, Iterable[str]], on_error: ErrorCallback) -> Path:
    present = {p.name for p in warc_files(directory)}
    indexed: set[str] = set()

    def kept() -> Iterator[str]:
        for line in iter_index(directory):
            name = json.loads(line.split(" ", 2)[2])["filename"]
            if name in present and name not in known:
                indexed.add(name)
                yield line
        for name in sorted(present - indexed):
            yield from known[name] if name in known else index_warc(directory / name, on_error)

    return write_index(directory, kept())


def read_index(directory: Path) -> list[str]:
    return list(iter_index(directory))


def iter_index(directory: Path) -> Iterator[str]:
    """The lines of ``index.cdxj``, read as they are needed (blank lines left out)."""
    path = Path(directory) / INDEX_NAME
    if not path.exists():
        return
    # newline="": each piece ends at \n, \r\n or \r; splitlines then also cuts where str.splitlines
    # would cut the whole text, so the lines are those of read_text().splitlines().
    with open(path, encoding="utf-8", newline="") as index:
        for piece in index:
            yield from (line for line in piece.splitlines() if line.strip())


def sorted_lines(lines: Iterable[str]) -> bytes:
    """The lines sorted in byte order (``LC_ALL=C``), as an index file's bytes."""
    return b"".join(line + b"\n" for line in sorted(line.encode("utf-8") for line in lines))


def write_index(directory: Path, lines: Iterable[str]) -> Path:
    """Sort in byte order and replace the index atomically (a reader never sees half a file).
    The same bytes as ``sorted_lines``, sorted on disk beside the index (``DiskSort``)."""
    target = Path(directory) / INDEX_NAME
    temporary = target.with_name(INDEX_NAME + ".tmp")
    with DiskSort(directory) as ordered:
        ordered.extend(line.encode("utf-8") for line in lines)
        with open(temporary, "wb") as out:
            out.writelines(line + b"\n" for line in ordered)
    os.replace(temporary, target)
    return target
