"""Hostile and damaged archives for the archive tests, built on disk: records written with
warcio's own writer (so damage is the only thing wrong with them), bombs by streaming
compression (never a gigabyte in memory), peak memory of a command measured in a subprocess."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zipfile
import zlib
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from swampcrawl.replica.site import build_site

BIN = Path(sys.executable).parent
SITE = "http://127.0.0.1:8000"
HTML = [("Content-Type", "text/html; charset=utf-8")]


def replica_pages(count: int, seed: int = 31, port: int = 8000) -> list[tuple[str, bytes, str]]:
    """(URL, HTML body, title) of a replica's story pages: the platform's pages, marks and all."""
    site = build_site(seed=seed, stories=count, port=port)
    pages = []
    for story in site.truth()["stories"]:
        _, _, body = site.render(story["path"], "")
        pages.append((f"http://127.0.0.1:{port}{story['path']}", body, story["title"]))
    return pages


def member(url: str, body: bytes, headers: list[tuple[str, str]] | None = None, status: str = "200 OK",
           record_type: str = "response") -> bytes:
    """One response record as warcio writes it: its own gzip member, digests included."""
    out = BytesIO()
    writer = WARCWriter(out, gzip=True)
    http = StatusAndHeaders(status, list(HTML if headers is None else headers), protocol="HTTP/1.1")
    block = http.to_bytes() + body  # given whole, with its length: warcio needs no temporary file
    writer.write_record(writer.create_warc_record(url, record_type, payload=BytesIO(block), length=len(block)))
    return out.getvalue()


def plain(data: bytes) -> bytes:
    return zlib.decompress(data, 31)


def cut_short(record_member: bytes, missing: int) -> bytes:
    """The record with the last ``missing`` bytes of its block gone, Content-Length unchanged
    (the gzip member itself whole): a download or a copy cut short."""
    record = plain(record_member)
    return gzip.compress(record[: -4 - missing] + b"\r\n\r\n", mtime=0)


def altered(record_member: bytes, old: bytes, new: bytes) -> bytes:
    """The record with bytes of its block changed, same length: digests no longer match."""
    assert len(old) == len(new)
    record = plain(record_member)
    assert old in record
    return gzip.compress(record.replace(old, new, 1), mtime=0)


def write_warc(path: Path, members: list[bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(members))
    return path


def gzip_zeros(size: int, head: bytes = b"<html><head><title>bomb</title></head><body>") -> bytes:
    """``head`` then ``size`` zero bytes, gzipped a megabyte at a time (level 1: fast, ~4.5 MB a GB)."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
    parts, zeros, left = [compressor.compress(head)], bytes(1 << 20), size
    while left > 0:
        parts.append(compressor.compress(zeros[: min(left, len(zeros))]))
        left -= len(zeros)
    return b"".join(parts) + compressor.flush()


def content_bomb_warc(path: Path, size: int = 1 << 30) -> Path:
    """A small WARC whose story page is gzip content-encoded and inflates to ``size`` bytes."""
    body = gzip_zeros(size)
    headers = [*HTML, ("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))]
    return write_warc(path, [member("https://vocal.media/fyi/bomb", body, headers)])


def record_bomb_warc(path: Path, size: int = 1 << 30) -> Path:
    """A WARC whose one record (a page, not content-encoded) is a gzip member inflating to ``size`` bytes."""
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % size
    head = (b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000002>\r\n"
            b"WARC-Date: 2026-01-01T00:00:00Z\r\nWARC-Target-URI: https://vocal.media/fyi/huge\r\n"
            b"Content-Type: application/http;msgtype=response\r\nContent-Length: %d\r\n\r\n" % (len(http) + size))
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
    parts, zeros, left = [compressor.compress(head + http)], bytes(1 << 20), size
    while left > 0:
        parts.append(compressor.compress(zeros[: min(left, len(zeros))]))
        left -= len(zeros)
    parts += [compressor.compress(b"\r\n\r\n"), compressor.flush()]
    return write_warc(path, [b"".join(parts)])


def deflated_wacz_bomb(path: Path, size: int = 3 << 29) -> Path:
    """A WACZ whose WARC member is deflated in the zip and inflates to ``size`` bytes."""
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % size
    head = (b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>\r\n"
            b"WARC-Date: 2026-01-01T00:00:00Z\r\nWARC-Target-URI: https://vocal.media/fyi/bomb\r\n"
            b"Content-Type: application/http;msgtype=response\r\nContent-Length: %d\r\n\r\n" % (len(http) + size))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("archive/bomb.warc", "w", force_zip64=True) as stream:
            stream.write(head + http)
            zeros, left = bytes(1 << 20), size
            while left > 0:
                stream.write(zeros[: min(left, len(zeros))])
                left -= len(zeros)
            stream.write(b"\r\n\r\n")
    return path


def peak_rss(*args: str, env: dict[str, str] | None = None) -> tuple[int, subprocess.CompletedProcess]:
    """Peak RSS (bytes) of a command, measured in a fresh process that runs only it."""
    probe = ("import json, resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
             "print(json.dumps([resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode, r.stdout, r.stderr]))")
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=300, env=env)
    peak_kb, code, stdout, stderr = json.loads(done.stdout)  # Linux: ru_maxrss in kilobytes
    return peak_kb * 1024, subprocess.CompletedProcess(args, code, stdout, stderr)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]
