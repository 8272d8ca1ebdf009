"""The HTTP halves of an exchange as WARC blocks, with headers made to agree with the body.

Scrapy hands us the body de-chunked but still content-encoded, and drops or keeps headers in
ways that would make a replay tool misread the body (docs/archive.md): these functions decide
what the archived request and response say about themselves.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from archive.warcrecord import Headers, http1, http_header_block, status_line

# Statuses and methods whose responses carry no body whatever Content-Length says.
_BODYLESS_STATUSES = {204, 304}


def request_target(url: str) -> tuple[str, str]:
    """(path with query string, Host header value) for a request line."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return path, parts.netloc.rsplit("@", 1)[-1]


def build_request_block(url: str, method: str, protocol: str, headers: Headers, body: bytes) -> list[bytes]:
    """Request line with the full path and query, a Host header first (Twisted adds it on the
    wire, so Scrapy's request headers never hold it), then the headers as sent."""
    path, host = request_target(url)
    names = {name.lower() for name, _ in headers}
    out: Headers = [] if "host" in names else [("Host", host)]
    out += headers
    if body and "content-length" not in names:
        out.append(("Content-Length", str(len(body))))
    head = http_header_block(f"{method} {path} {http1(protocol)}", out)
    return [head, body] if body else [head]


def agreeing_headers(headers: Headers, body_length: int, status: int, method: str) -> Headers:
    """Drop Transfer-Encoding (the body is de-chunked) and make Content-Length tell the truth.

    Content-Encoding stays: the body is still encoded. A response whose Content-Length was
    wrong (truncated download) keeps the announced value as X-Archive-Orig-Content-Length.
    """
    had_chunked = any(name.lower() == "transfer-encoding" for name, _ in headers)
    out = [(n, v) for n, v in headers if n.lower() != "transfer-encoding"]
    if method.upper() == "HEAD" or status in _BODYLESS_STATUSES or 100 <= status < 200:
        return out
    lengths = [v for n, v in out if n.lower() == "content-length"]
    if lengths and lengths != [str(body_length)]:
        out = [(n, v) for n, v in out if n.lower() != "content-length"]
        out += [("X-Archive-Orig-Content-Length", lengths[0]), ("Content-Length", str(body_length))]
    elif not lengths and had_chunked:
        out.append(("Content-Length", str(body_length)))
    return out


def build_response_parts(
    protocol: str, status: int, headers: Headers, body: bytes, method: str
) -> tuple[bytes, bytes]:
    """(status line + headers, body) of the response record's block."""
    fixed = agreeing_headers(headers, len(body), status, method)
    return http_header_block(status_line(protocol, status), fixed), body


def is_dedupable(status: int, body: bytes, truncated: str | None) -> bool:
    """Only whole, non-empty 2xx payloads become originals or revisits (206 is a fragment)."""
    return 200 <= status < 300 and status != 206 and bool(body) and not truncated


_COMPRESSED_TYPES = ("image/", "video/", "audio/", "font/woff", "application/zip", "application/gzip",
                     "application/x-gzip", "application/zstd", "application/x-7z", "application/font-woff")


def is_precompressed(headers: Headers) -> bool:
    """True when gzip would waste CPU on the body: content-encoded, or a compressed format."""
    for name, value in headers:
        lowered = name.lower()
        if lowered == "content-encoding" and value.strip().lower() not in ("", "identity"):
            return True
        if lowered == "content-type":
            kind = value.strip().lower()
            if kind.startswith(_COMPRESSED_TYPES) and not kind.startswith("image/svg"):
                return True
    return False
