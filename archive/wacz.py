"""Package a WARC folder as a WACZ 1.1.1 file, streamed to disk.

Layout: ``archive/*.warc.gz`` (stored, not deflated, so replay tools can seek into them),
``indexes/index.cdx`` (CDXJ lines: pywb ignores a file named index.cdxj), ``pages/pages.jsonl``,
``datapackage.json`` (sha256 and size of each file) and ``datapackage-digest.json``.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import uuid
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import urlsplit

from archive import cdxj
from archive.bars import ProgressBar, no_progress
from archive.reader import Capture, iter_captures
from archive.warcrecord import utc_now
from archive.writer import _software_version

WACZ_VERSION = "1.1.1"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
_NOT_PAGES = re.compile(r"(latest-stories|top-stories|/tag/|^/robots\.txt$|sitemap)")
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
CHUNK = 1 << 20

TitleCallback = Callable[[Capture], str | None]
PageFilter = Callable[[Capture], bool]


def is_page(capture: Capture) -> bool:
    """An HTML 200 response that is a story, creator or community page (not a listing)."""
    if capture.status != 200 or capture.content_type not in ("text/html", "application/xhtml+xml"):
        return False
    parts = urlsplit(capture.url)
    if parts.scheme not in ("http", "https"):  # e.g. urn:pageinfo:… (metadata, never a page)
        return False
    return not _NOT_PAGES.search(parts.path)


def page_id(url: str, ts: str) -> str:
    """A stable id for a pages.jsonl line: the same capture always gets the same id.

    Pages in WACZ files carry one (Browsertrix writes it, ReplayWeb.page keys its page list by it).
    """
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ts} {url}"))


def html_title(body: bytes) -> str:
    match = _TITLE.search(body[:200_000])
    if not match:
        return ""
    return " ".join(html.unescape(match.group(1).decode("utf-8", "replace")).split())


def page_entries(directory: Path, title_for: TitleCallback | None = None,
                 page_filter: PageFilter = is_page, progress: Any = None) -> list[dict]:
    """One entry per page URL (its first capture), in capture order: ``id``, ``url``, ``ts``, ``title``.

    Only responses and revisits are captures: metadata records (``urn:pageinfo:<url>``) never
    become pages. ``progress.update(n)`` is told the bytes of WARC read.
    """
    entries: dict[str, dict] = {}
    position = _Position(directory, progress)
    for capture in iter_captures([directory]):
        position.reached(capture.filename, capture.offset)
        if capture.url in entries or not page_filter(capture):
            continue
        title = (title_for(capture) if title_for else None) or html_title(capture.body)
        stamp = capture.captured_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        entries[capture.url] = {"id": page_id(capture.url, stamp), "url": capture.url, "ts": stamp,
                                "title": title}
    return list(entries.values())


def write_wacz(directory: Path | str, output: Path | str, title_for: TitleCallback | None = None,
               clock: Callable[[], datetime] | None = None, page_filter: PageFilter = is_page,
               progress: ProgressBar | None = None) -> Path:
    """Write the WACZ of a WARC folder; returns its path.

    ``title_for(capture)`` may name a page (else its HTML <title>); ``page_filter(capture)``
    decides which captures are listed in pages.jsonl (default: ``is_page``). ``progress``
    makes a bar for each pass over the WARCs (``indexing``, ``pages``, ``writing``), told the
    bytes done.
    """
    directory, output = Path(directory), Path(output)
    warcs = [p for p in cdxj.warc_files(directory) if p.name.endswith(".warc.gz")]
    if not warcs:
        raise FileNotFoundError(f"no .warc.gz files in {directory}")
    bar, total = progress or no_progress, sum(path.stat().st_size for path in warcs)
    with bar("indexing", total) as indexing:
        index = cdxj.sorted_lines(_index_lines(warcs, indexing))
    with bar("pages", sum(path.stat().st_size for path in cdxj.warc_files(directory))) as reading:
        pages = _pages_jsonl(page_entries(directory, title_for, page_filter, reading))
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    with zipfile.ZipFile(partial, "w", allowZip64=True) as archive, bar("writing", total) as writing:
        resources = [_store_file(archive, path, "archive/" + path.name, writing) for path in warcs]
        resources.append(_store_bytes(archive, "indexes/index.cdx", index))
        resources.append(_store_bytes(archive, "pages/pages.jsonl", pages))
        package = _datapackage(resources, (clock or utc_now)())
        _store_bytes(archive, "datapackage.json", package)
        digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package).hexdigest()}
        _store_bytes(archive, "datapackage-digest.json", json.dumps(digest, indent=2).encode("utf-8"))
    partial.replace(output)
    return output


def _index_lines(warcs: list[Path], progress: Any) -> Iterator[str]:
    for path in warcs:
        yield from cdxj.index_warc(path)
        progress.update(path.stat().st_size)


class _Position:
    """Tells a progress bar how far into the folder's WARCs (all bytes, in name order) reading is."""

    def __init__(self, directory: Path, progress: Any) -> None:
        self.progress = progress
        self.starts: dict[str, int] = {}
        total = 0
        for path in cdxj.warc_files(directory):
            self.starts[path.name] = total
            total += path.stat().st_size
        self.done = 0

    def reached(self, filename: str, offset: int) -> None:
        if self.progress is None or filename not in self.starts:
            return
        position = self.starts[filename] + offset
        if position > self.done:
            self.progress.update(position - self.done)
            self.done = position




def _pages_jsonl(entries: Iterable[dict]) -> bytes:
    lines = [json.dumps(PAGES_HEADER)] + [json.dumps(entry, ensure_ascii=False) for entry in entries]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _store_file(archive: zipfile.ZipFile, path: Path, name: str, progress: Any = None) -> dict:
    """Copy a file into the zip uncompressed, hashing it on the way (one read of the WARC)."""
    hasher, size = hashlib.sha256(), 0
    info = zipfile.ZipInfo.from_file(path, name)
    info.compress_type = zipfile.ZIP_STORED
    # A ZIP64 field in the local header only when the central directory has one too (a file over
    # 4 GiB): ReplayWeb.page's zip reader (wabac.js) takes the data of an entry whose central record
    # has no extra field to start right after the local header's name, and read every WARC of
    # the WACZ 20 bytes early ("Archived Page Not Found") when the local header had one.
    zip64 = info.file_size > zipfile.ZIP64_LIMIT
    if not zip64:
        info.file_size = 0  # zipfile would otherwise add the field from 95% of 4 GiB on
    with open(path, "rb") as source, archive.open(info, "w", force_zip64=zip64) as target:
        for chunk in _chunks(source):
            hasher.update(chunk)
            target.write(chunk)
            size += len(chunk)
            if progress is not None:
                progress.update(len(chunk))
    return {"name": path.name, "path": name, "hash": "sha256:" + hasher.hexdigest(), "bytes": size}


def _chunks(stream) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


def _store_bytes(archive: zipfile.ZipFile, name: str, data: bytes) -> dict:
    archive.writestr(zipfile.ZipInfo(name, date_time=utc_now().timetuple()[:6]), data, compress_type=zipfile.ZIP_STORED)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    return {"name": Path(name).name, "path": name, "hash": digest, "bytes": len(data)}


def _datapackage(resources: list[dict], created: datetime) -> bytes:
    package = {
        "profile": "data-package",
        "wacz_version": WACZ_VERSION,
        "title": "swampcrawl archive",
        "software": _software_version(),
        "created": created.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resources": resources,
    }
    return json.dumps(package, indent=2).encode("utf-8")
