"""Package a WARC folder as a WACZ 1.1.1 file, streamed to disk.

Layout: ``archive/*.warc.gz`` (stored, not deflated, so replay tools can seek into them),
``indexes/index.cdx`` (CDXJ lines: pywb ignores a file named index.cdxj), ``pages/pages.jsonl``,
``datapackage.json`` (sha256 and size of each file) and ``datapackage-digest.json``.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import uuid
import zipfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator
from urllib.parse import urlsplit

from archive import cdxj
from archive.bars import ProgressBar, no_progress
from archive.reader import Capture, iter_captures
from archive.records import DEFAULT_MAX_PAGE_SIZE, ErrorCallback
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


class OutputError(ValueError):
    """The WACZ cannot be written where asked (a device, a folder, a link is there)."""


def page_entries(warcs: list[Path], title_for: TitleCallback | None = None, page_filter: PageFilter = is_page,
                 progress: Any = None, on_error: ErrorCallback | None = None,
                 max_body: int = DEFAULT_MAX_PAGE_SIZE) -> list[dict]:
    """One entry per page URL (its first capture), in capture order: ``id``, ``url``, ``ts``, ``title``.

    Only responses and revisits are captures: metadata records (``urn:pageinfo:<url>``) never
    become pages. ``page_filter`` sees a capture before its body is read; bodies over
    ``max_body`` bytes are not read (no title). ``progress.update(n)`` is told the bytes of
    WARC read; damage is told to ``on_error`` (else it raises).
    """
    entries: dict[str, dict] = {}
    position = _Position(warcs, progress)
    for capture in iter_captures(warcs, on_error, max_body, wants_body=page_filter):
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
               progress: ProgressBar | None = None, on_error: ErrorCallback | None = None,
               max_body: int = DEFAULT_MAX_PAGE_SIZE) -> Path:
    """Write the WACZ of a WARC folder; returns its path.

    ``title_for(capture)`` may name a page (else its HTML <title>); ``page_filter(capture)``
    decides which captures are listed in pages.jsonl (default: ``is_page``). ``progress``
    makes a bar for each pass over the WARCs (``indexing``, ``pages``, ``writing``), told the
    bytes done. A damaged record raises, unless ``on_error`` is given: it is then told and
    left out of the index (a file with nothing readable is left out of the WACZ). The WACZ is
    written to a temporary file beside ``output``, renamed over it when complete; ``output``
    must not be anything but a regular file (OutputError).
    """
    directory, output = Path(directory), Path(output)
    check_output(output)
    warcs = [p for p in cdxj.warc_files(directory) if p.name.endswith(".warc.gz")]
    if not warcs:
        raise FileNotFoundError(f"no .warc.gz files in {directory}")
    bar = progress or no_progress
    with bar("indexing", sum(path.stat().st_size for path in warcs)) as indexing:
        warcs, lines = _readable(warcs, indexing, on_error)
    index = cdxj.sorted_lines(lines)
    total = sum(path.stat().st_size for path in warcs)
    with bar("pages", total) as reading:
        pages = _pages_jsonl(page_entries(warcs, title_for, page_filter, reading, on_error, max_body))
    output.parent.mkdir(parents=True, exist_ok=True)
    with _replacing(output) as stream, zipfile.ZipFile(stream, "w", allowZip64=True) as archive:
        with bar("writing", total) as writing:
            resources = [_store_file(archive, path, "archive/" + path.name, writing) for path in warcs]
        resources.append(_store_bytes(archive, "indexes/index.cdx", index))
        resources.append(_store_bytes(archive, "pages/pages.jsonl", pages))
        package = _datapackage(resources, (clock or utc_now)())
        _store_bytes(archive, "datapackage.json", package)
        digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package).hexdigest()}
        _store_bytes(archive, "datapackage-digest.json", json.dumps(digest, indent=2).encode("utf-8"))
    return output


def check_output(output: Path) -> None:
    """Refuse to write over anything but a regular file (``-o /dev/full`` must stay a device)."""
    if output.is_symlink() or (output.exists() and not output.is_file()):
        raise OutputError(f"{output} exists and is not a regular file: not writing over it")


@contextmanager
def _replacing(output: Path) -> Iterator[BinaryIO]:
    """A new file beside ``output``, renamed over it when the block ends well, else removed."""
    temporary = output.with_name(f".{output.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        with open(temporary, "xb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        check_output(output)  # nothing else may have taken the name meanwhile
        os.replace(temporary, output)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _readable(warcs: list[Path], progress: Any, on_error: ErrorCallback | None) -> tuple[list[Path], list[str]]:
    """The WARCs worth packaging and their index lines; a file in which nothing reads is left out."""
    kept, lines = [], []
    for path in warcs:
        problems: list[str] = []
        found = list(cdxj.index_warc(path, problems.append if on_error else None))
        progress.update(path.stat().st_size)
        if problems and not found:
            on_error(f"{path.name}: nothing in it reads as a record ({problems[0].split(': ', 1)[-1]}); "
                     "left out of the WACZ")
            continue
        for problem in problems:
            on_error(problem)
        kept.append(path)
        lines += found
    return kept, lines


class _Position:
    """Tells a progress bar how far into the WARCs (all bytes, in the order given) reading is."""

    def __init__(self, warcs: list[Path], progress: Any) -> None:
        self.progress = progress
        self.starts: dict[str, int] = {}
        total = 0
        for path in warcs:
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
