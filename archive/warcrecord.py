"""Byte-level building blocks of WARC/1.1 records: digests, dates, header blocks, gzip members.

The writer assembles records itself instead of going through warcio's RecordBuilder: warcio
hard-codes gzip level 9 and copies the body through temporary files, which we measured
as the main cost of archiving a page. The bytes produced are the same shape warcio writes, and
every test reads them back with warcio's ArchiveIterator and ``warcio check``.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import uuid
import zlib
from datetime import datetime, timezone
from http import HTTPStatus

from warcio.timeutils import datetime_to_iso_date, datetime_to_timestamp

WARC_VERSION = "WARC/1.1"
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
RESPONSE_CONTENT_TYPE = "application/http;msgtype=response"
REQUEST_CONTENT_TYPE = "application/http;msgtype=request"
WARC_FIELDS_CONTENT_TYPE = "application/warc-fields"
CRLF = b"\r\n"
# For reading members back (repair): wbits 16+15 means a gzip header and trailer.
GZIP_WBITS = zlib.MAX_WBITS | 16

Headers = list[tuple[str, str]]


def sha1_digest(*parts: bytes) -> str:
    """``sha1:`` + base32, the single digest form used everywhere (pywb compares the strings)."""
    hasher = hashlib.sha1()
    for part in parts:
        hasher.update(part)
    return "sha1:" + base64.b32encode(hasher.digest()).decode("ascii")


def as_utc(moment: datetime) -> datetime:
    """Aware and in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def warc_date(moment: datetime) -> str:
    """ISO 8601 UTC; microseconds only when the moment has them (WARC/1.1 allows both)."""
    return datetime_to_iso_date(_naive_utc(moment), use_micros=True)


def timestamp14(moment: datetime) -> str:
    """The 14-digit form used in file names and CDXJ lines."""
    return datetime_to_timestamp(_naive_utc(moment))


def _naive_utc(moment: datetime) -> datetime:
    # warcio's formatters take naive UTC datetimes; a naive one is taken to be UTC already.
    return as_utc(moment).replace(tzinfo=None)


def new_record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def http1(protocol: str) -> str:
    """The protocol as archived: pywb and ReplayWeb.page read only HTTP/1.x (h2 becomes 1.1)."""
    return protocol if protocol.upper().startswith("HTTP/1.") else "HTTP/1.1"


def status_line(protocol: str, status: int) -> str:
    """A real HTTP/1.x status line, with the standard reason phrase."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    return f"{http1(protocol)} {status} {reason}"


def _clean(value: str) -> str:
    # A newline inside a value would start a forged header line in the record.
    if "\n" in value or "\r" in value:
        return value.replace("\r", " ").replace("\n", " ")
    return value


def encode_header_value(text: str) -> bytes:
    """HTTP headers are bytes on the wire; latin-1 round-trips what Scrapy gave us exactly."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def http_header_block(first_line: str, headers: Headers) -> bytes:
    """Status or request line, headers, blank line: the HTTP part of a WARC block."""
    lines = [first_line] + [f"{_clean(name)}: {_clean(value)}" for name, value in headers]
    return encode_header_value("\r\n".join(lines)) + CRLF + CRLF


def warc_header_block(fields: Headers) -> bytes:
    """WARC named fields are UTF-8 (WARC/1.1 section 4)."""
    lines = [WARC_VERSION] + [f"{name}: {_clean(value)}" for name, value in fields]
    return "\r\n".join(lines).encode("utf-8") + CRLF + CRLF


# gzip header of every member: no name, mtime 0 (byte-identical output for identical input).
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
STORED = 0


def gzip_member(segments: list[tuple[list[bytes], int]]) -> bytes:
    """One gzip member from (parts, level) segments, without joining the parts first.

    Each segment is its own raw deflate stream, sync-flushed so the next can follow it; this
    lets an already compressed body be stored (level 0, 4x cheaper than any real level, no
    bigger) while the headers before it are compressed.
    """
    out, crc, size = [_GZIP_HEADER], 0, 0
    for number, (parts, level) in enumerate(segments):
        compressor = _compressor(level, sum(len(part) for part in parts))
        for part in parts:
            out.append(compressor.compress(part))
            crc = zlib.crc32(part, crc)
            size += len(part)
        out.append(compressor.flush(zlib.Z_FINISH if number == len(segments) - 1 else zlib.Z_SYNC_FLUSH))
    out.append(struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF))
    return b"".join(out)


def _compressor(level: int, size: int) -> "zlib._Compress":
    """A raw deflate compressor sized to the data: zlib's default 256 KB of tables costs
    ~55 us to set up, more than compressing a small request record."""
    if level == STORED:
        return zlib.compressobj(STORED, zlib.DEFLATED, -9, 1)
    window_bits = min(zlib.MAX_WBITS, max(9, size.bit_length()))
    return zlib.compressobj(level, zlib.DEFLATED, -window_bits, 8 if size > 32768 else 5)


def record_bytes(fields: Headers, block: list[bytes], level: int, stored_tail: int = 0) -> bytes:
    """One complete gzipped record: WARC headers, the block, the two closing CRLFs.

    ``fields`` must not hold Content-Length or the block digest: both are computed here so
    they can never disagree with the block. The last ``stored_tail`` parts of the block (an
    already compressed body) are stored rather than compressed again.
    """
    length = sum(len(part) for part in block)
    fields = fields + [("WARC-Block-Digest", sha1_digest(*block)), ("Content-Length", str(length))]
    head = [warc_header_block(fields), *block[: len(block) - stored_tail]]
    if not stored_tail:
        return gzip_member([(head + [CRLF + CRLF], level)])
    return gzip_member([(head, level), (block[len(block) - stored_tail :] + [CRLF + CRLF], STORED)])


def warc_fields_block(info: dict[str, object]) -> bytes:
    """``application/warc-fields`` body (warcinfo): one ``name: value`` line per entry."""
    lines = [f"{name}: {_clean(str(value))}\r\n" for name, value in info.items() if value not in (None, "")]
    return "".join(lines).encode("utf-8")
