"""The oversized answers of ``--faults bomb`` and ``--faults huge``, never held whole in memory.

The gzip bomb is built once per process from one compressed megabyte: a raw deflate stream
that ends in a full flush references nothing before it, so the same bytes repeated 1024 times
are a valid stream inflating to 1024 such megabytes. Only its CRC needs the whole gigabyte,
computed a megabyte at a time (about 0.2 s).
"""

from __future__ import annotations

import functools
import struct
import zlib
from typing import Iterator

HEAD = (b'<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/><title>Vocal</title></head>'
        b'<body><div id="__next"><main>')
TAIL = b"</main></div></body></html>"
# 64 KiB of HTML, mostly white space, which deflate packs close to its 1032:1 limit.
SEGMENT = b"<p>" + b" " * (65536 - 8) + b"</p>\n"
MEGABYTE = SEGMENT * 16
MEGABYTES = 1024
BOMB_INFLATED_BYTES = len(HEAD) + MEGABYTES * len(MEGABYTE) + len(TAIL)
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # deflate, no name, mtime 0, best

PARAGRAPH = (b"<p>The swamp kept its secrets the way rivers keep stones: patiently, one layer at a "
             b"time, under water that never quite cleared. Nobody who went looking came back with "
             b"the same story twice.</p>\n")
FILLER = PARAGRAPH * (65536 // len(PARAGRAPH))


def _deflated(data: bytes, final: bool) -> bytes:
    """Raw deflate of ``data`` by a fresh compressor: it references nothing before it."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    return packer.compress(data) + packer.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


@functools.cache
def gzip_bomb() -> bytes:
    """About 1.1 MB of gzip that inflates to ``BOMB_INFLATED_BYTES`` (1 GiB) of HTML."""
    crc = zlib.crc32(HEAD)
    for _ in range(MEGABYTES):
        crc = zlib.crc32(MEGABYTE, crc)
    crc = zlib.crc32(TAIL, crc)
    trailer = struct.pack("<II", crc, BOMB_INFLATED_BYTES & 0xFFFFFFFF)
    return (GZIP_HEADER + _deflated(HEAD, False) + _deflated(MEGABYTE, False) * MEGABYTES
            + _deflated(TAIL, True) + trailer)


def padded_page(page: bytes, size: int) -> tuple[int, Iterator[bytes]]:
    """``page`` grown to ``size`` bytes by paragraphs before its ``</main>``: (size, pieces)."""
    cut = page.rfind(b"</main>")
    cut = len(page) if cut < 0 else cut
    before, after = page[:cut] + b"<section>", b"</section>" + page[cut:]
    filler = max(0, size - len(before) - len(after))
    return len(before) + filler + len(after), _pieces(before, filler, after)


def _pieces(before: bytes, filler: int, after: bytes) -> Iterator[bytes]:
    yield before
    whole, rest = divmod(filler, len(FILLER))
    for _ in range(whole):
        yield FILLER
    yield b" " * rest
    yield after
