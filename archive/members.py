"""The gzip members of a ``.warc.gz`` file, checked one by one; placeholders of an exact length.

Each record of a replayable ``.warc.gz`` is a gzip member of its own. ``scan`` walks a file
member by member and checks that each holds one whole WARC record (Content-Length bytes, the
block digest matching when it is sha1); past damage it resynchronises at the next member
that checks, so that every intact record is found where it is. Memory stays bounded whatever
a member inflates to.

``placeholder`` streams a gzip member of exactly a given length (from about 200 bytes on)
holding a ``metadata`` record: written over damaged bytes, it keeps every record after them
at its offset, and the file readable to its end.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
import zlib
from dataclasses import dataclass
from itertools import chain
from typing import BinaryIO, Iterator

from archive.warcrecord import GZIP_WBITS, warc_header_block

CHUNK = 1 << 16
MAX_HEAD = 1 << 16  # WARC headers longer than this are no WARC headers
_GZIP_MAGIC = b"\x1f\x8b\x08"
_LENGTH_RE = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)[ \t]*\r\n", re.IGNORECASE)
_DIGEST_RE = re.compile(rb"\r\nwarc-block-digest:[ \t]*sha1:([A-Za-z0-9=]+)[ \t]*\r\n", re.IGNORECASE)
_ID_RE = re.compile(rb"\r\nwarc-record-id:[ \t]*(\S+)[ \t]*\r\n", re.IGNORECASE)


@dataclass(frozen=True)
class Span:
    """A stretch of the file: one intact member (its record id), or damaged bytes."""

    start: int
    end: int
    intact: bool
    record_id: str | None = None

    @property
    def length(self) -> int:
        return self.end - self.start


def scan(stream: BinaryIO, size: int) -> Iterator[Span]:
    """The file as intact members and damaged stretches, in order, covering every byte."""
    position = 0
    found = check_member(stream, 0) if size else None
    while position < size:
        if found is not None:
            length, record_id = found
            yield Span(position, position + length, True, record_id)
            position += length
            found = check_member(stream, position) if position < size else None
            continue
        following = _next_intact(stream, position + 1)
        end = following[0] if following else size
        yield Span(position, end, False)
        position, found = end, following[1] if following else None


def _next_intact(stream: BinaryIO, start: int) -> tuple[int, tuple[int, str]] | None:
    for offset in _gzip_starts(stream, start):
        found = check_member(stream, offset)
        if found is not None:
            return offset, found
    return None


def _gzip_starts(stream: BinaryIO, start: int) -> Iterator[int]:
    position = start
    while True:
        stream.seek(position)
        window = stream.read(CHUNK * 16 + 2)
        at = window.find(_GZIP_MAGIC)
        while 0 <= at < CHUNK * 16:
            yield position + at
            at = window.find(_GZIP_MAGIC, at + 1)
        if len(window) <= CHUNK * 16:
            return
        position += CHUNK * 16


def check_member(stream: BinaryIO, offset: int) -> tuple[int, str] | None:
    """(length, record id) of the gzip member at ``offset`` when it holds one whole WARC record."""
    stream.seek(offset)
    inflater, record, position = zlib.decompressobj(GZIP_WBITS), _RecordCheck(), offset
    while data := stream.read(CHUNK):
        while data:
            try:
                out = inflater.decompress(data, CHUNK)
            except zlib.error:
                return None
            if not record.feed(out):
                return None  # not a WARC record, or more than one: rejected at once
            if inflater.eof:
                end = position + len(data) - len(inflater.unused_data)
                return (end - offset, record.record_id) if record.complete() else None
            position += len(data) - len(inflater.unconsumed_tail)
            data = inflater.unconsumed_tail
    return None  # the file ends inside the member


class _RecordCheck:
    """One WARC record fed a piece at a time: headers, Content-Length bytes, the closing CRLFs."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.left: int | None = None  # block bytes still to come, once the headers are read
        self.hasher = hashlib.sha1()
        self.digest: bytes | None = None
        self.record_id = ""
        self.tail = bytearray()

    def feed(self, data: bytes) -> bool:
        if self.left is None:
            self.head += data
            if self.head[:5] != b"WARC/"[: len(self.head)]:
                return False
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return len(self.head) <= MAX_HEAD
            data = bytes(self.head[end + 4 :])
            if not self._read_head(bytes(self.head[: end + 2])):
                return False
        block, self.left = data[: self.left], self.left - min(len(data), self.left)
        self.hasher.update(block)
        self.tail += data[len(block) :]
        return len(self.tail) <= 4

    def _read_head(self, head: bytes) -> bool:
        length = _LENGTH_RE.search(head)
        if length is None:
            return False
        self.left = int(length.group(1))
        digest, record_id = _DIGEST_RE.search(head), _ID_RE.search(head)
        self.digest = digest.group(1) if digest else None
        self.record_id = record_id.group(1).decode("ascii", "replace") if record_id else ""
        return True

    def complete(self) -> bool:
        if self.left != 0 or self.tail != b"\r\n\r\n":
            return False
        if self.digest is None:
            return True
        raw = self.hasher.digest()
        return self.digest.upper() in (base64.b32encode(raw), raw.hex().upper().encode("ascii"))


# -- placeholders ---------------------------------------------------------------------------------

_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_STORED_MAX = 65535
_EMPTY_BLOCK = b"\x00\x00\x00\xff\xff"  # a non-final stored block of no bytes: 5 bytes of slack


def placeholder(length: int, fields: list[tuple[str, str]], note: bytes) -> Iterator[bytes] | None:
    """A gzip member of exactly ``length`` bytes holding a metadata record (``fields``: its
    WARC-Type, WARC-Record-ID, WARC-Date...), whose block is ``note`` padded with spaces.
    The note, then the block digest, are left out when the length is too short for them;
    None when it is too short for any record.

    Layout: the fixed headers deflated, the block digest and Content-Length stored, the note
    deflated, the padding stored: every part but the stored ones has a fixed size, so the
    content length that gives the exact size is found by a search.
    """
    head = _deflated(warc_header_block(fields)[:-2])
    for digest, text in ((True, note), (True, b""), (False, b"")):
        packed = _deflated(text) if text else b""
        fit = _fit(length, len(head) + len(packed), digest, len(text))
        if fit is not None:
            return _member(head, packed, text, digest, *fit)
    return None


def _deflated(data: bytes) -> bytes:
    """Raw deflate, flushed to a byte boundary and not final: stored blocks can follow."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


def _stored_head(content: int, digest: str | None) -> bytes:
    lines = ([f"WARC-Block-Digest: {digest}"] if digest is not None else []) + [f"Content-Length: {content}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def _stored_size(size: int) -> int:
    return size + 5 * max(1, -(-size // _STORED_MAX))


def _size(fixed: int, digest: bool, note: int, content: int, extra: int) -> int:
    head = len(_stored_head(content, "sha1:" + "A" * 32 if digest else None))
    padding = content - note + 4  # and the record's closing CRLFs
    return len(_GZIP_HEADER) + fixed + _stored_size(head) + _stored_size(padding) + 5 * extra + 8


def _fit(length: int, fixed: int, digest: bool, note: int) -> tuple[int, int] | None:
    """(content length, empty blocks) giving a member of exactly ``length`` bytes."""
    for extra in range(6):
        low, high = note, max(note, length)
        while low < high:  # the smallest content length reaching the size (sizes only grow)
            middle = (low + high) // 2
            low, high = (middle + 1, high) if _size(fixed, digest, note, middle, extra) < length else (low, middle)
        if _size(fixed, digest, note, low, extra) == length:
            return low, extra
    return None


def _member(head: bytes, packed: bytes, note: bytes, digest: bool, content: int, extra: int) -> Iterator[bytes]:
    hasher = hashlib.sha1(note)
    for part in _padding(content - len(note)):
        hasher.update(part)
    value = "sha1:" + base64.b32encode(hasher.digest()).decode("ascii") if digest else None
    stored_head = _stored_head(content, value)
    plain = zlib.decompressobj(-zlib.MAX_WBITS).decompress(head) + stored_head + note
    check = [zlib.crc32(plain), len(plain)]

    def padding() -> Iterator[bytes]:
        for part in chain(_padding(content - len(note)), [b"\r\n\r\n"]):
            check[0], check[1] = zlib.crc32(part, check[0]), check[1] + len(part)
            yield part

    yield _GZIP_HEADER + head + _EMPTY_BLOCK * extra
    yield from _stored_blocks(iter([stored_head]), final=False)
    yield packed
    yield from _stored_blocks(padding(), final=True)
    yield struct.pack("<II", check[0] & 0xFFFFFFFF, check[1] & 0xFFFFFFFF)


def _padding(size: int) -> Iterator[bytes]:
    while size > 0:
        yield b" " * min(size, CHUNK)
        size -= CHUNK


def _stored_blocks(parts: Iterator[bytes], final: bool) -> Iterator[bytes]:
    """Deflate stored blocks of the parts' bytes, the last one final when ``final``."""
    pending = bytearray()
    for part in parts:
        pending += part
        while len(pending) > _STORED_MAX:  # more to come: this block is not the last
            yield _stored(bytes(pending[:_STORED_MAX]), final=False)
            del pending[:_STORED_MAX]
    yield _stored(bytes(pending), final=final)


def _stored(data: bytes, final: bool) -> bytes:
    return bytes([1 if final else 0]) + struct.pack("<HH", len(data), len(data) ^ 0xFFFF) + data
