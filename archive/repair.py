"""Seal ``.warc.gz.open`` files left behind by a crash.

A writer killed mid-record leaves a file whose last gzip member (one record each) is cut
short. Repair keeps every complete record, byte for byte, stops at the first one that is
incomplete or corrupt, writes the result under the final name and removes the ``.open`` file.
Files still locked by a live writer (another crawl into the same folder) are left alone.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

from archive.warcrecord import GZIP_WBITS, sha1_digest

logger = logging.getLogger(__name__)

OPEN_SUFFIX = ".open"
CHUNK = 1 << 20
_LENGTH_RE = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)
_DIGEST_RE = re.compile(rb"\r\nwarc-block-digest:\s*(\S+)", re.IGNORECASE)


@dataclass(frozen=True)
class RepairResult:
    source: Path
    target: Path | None  # None when not one record was complete: nothing worth keeping
    records_kept: int
    bytes_dropped: int


def is_locked(path: Path) -> bool:
    """True when a live writer holds the file (WarcWriter keeps an flock on its open file)."""
    with open(path, "rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def repair_directory(directory: Path | str) -> list[RepairResult]:
    """Repair every unlocked ``*.warc.gz.open`` in the folder."""
    results = []
    for path in sorted(Path(directory).glob("*.warc.gz" + OPEN_SUFFIX)):
        if is_locked(path):
            logger.info("%s is being written by another process; left alone", path.name)
            continue
        results.append(repair_file(path))
    return results


def repair_file(path: Path | str) -> RepairResult:
    """Keep the complete records of one ``.open`` file under its final name."""
    source = Path(path)
    target = source.with_name(source.name.removesuffix(OPEN_SUFFIX))
    if target.exists():
        raise FileExistsError(f"{target} already exists; not overwriting it with {source.name}")
    kept, good_bytes = 0, 0
    temporary = target.with_name(target.name + ".repairing")
    with open(source, "rb") as reader, open(temporary, "wb") as writer:
        for member in complete_members(reader):
            writer.write(member)
            kept += 1
            good_bytes += len(member)
        writer.flush()
        os.fsync(writer.fileno())
    dropped = source.stat().st_size - good_bytes
    if kept:
        temporary.replace(target)
    else:
        temporary.unlink()
    source.unlink()
    logger.warning("repaired %s: kept %d records, dropped %d bytes", source.name, kept, dropped)
    return RepairResult(source, target if kept else None, kept, dropped)


def complete_members(stream: BinaryIO) -> Iterator[bytes]:
    """Yield the raw bytes of each gzip member holding one whole, valid WARC record."""
    pending = b""
    while True:
        member, pending = _next_member(stream, pending)
        if member is None:
            return
        raw, record = member
        if not record_is_complete(record):
            return
        yield raw


def _next_member(stream: BinaryIO, pending: bytes) -> tuple[tuple[bytes, bytes] | None, bytes]:
    """Read one gzip member: (its raw bytes, its decompressed bytes), and the bytes after it."""
    decompressor = zlib.decompressobj(GZIP_WBITS)
    raw, plain = [], []
    data = pending or stream.read(CHUNK)
    while data:
        try:
            plain.append(decompressor.decompress(data))
        except zlib.error:
            return None, b""
        if decompressor.eof:
            used = len(data) - len(decompressor.unused_data)
            raw.append(data[:used])
            return (b"".join(raw), b"".join(plain)), decompressor.unused_data
        raw.append(data)
        data = stream.read(CHUNK)
    return None, b""  # end of file inside a member (or no member at all)


def record_is_complete(record: bytes) -> bool:
    """One WARC record, its block as long as Content-Length says, digest matching if given."""
    if not record.startswith(b"WARC/"):
        return False
    head_end = record.find(b"\r\n\r\n")
    length = _LENGTH_RE.search(record, 0, head_end + 2) if head_end > 0 else None
    if length is None:
        return False
    block_start = head_end + 4
    block_end = block_start + int(length.group(1))
    if len(record) != block_end + 4 or not record.endswith(b"\r\n\r\n"):
        return False
    digest = _DIGEST_RE.search(record, 0, head_end + 2)
    if digest and digest.group(1).startswith(b"sha1:"):
        return sha1_digest(record[block_start:block_end]) == digest.group(1).decode("ascii")
    return True
