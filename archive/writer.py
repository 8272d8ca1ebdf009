"""WarcWriter: WARC/1.1 files, gzip per record, warcinfo first, revisits for known payloads.

Layout and policies are described in docs/archive.md. Files are written as
``<prefix>-<YYYYMMDDhhmmss>-<serial>-<host>.warc.gz.open`` (``<host>-<process>`` for a fleet
worker, whose folder other processes share), held under an flock (so a repair
run by another process leaves them alone) and renamed without ``.open`` when closed.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import BinaryIO, Callable

from swampcrawl import __version__
from swampcrawl.disksort import LineSpool
from swampcrawl.records.provenance import WarcRef

from archive import cdxj
from archive.digests import DigestIndex, OriginalCapture
from archive.exchange import build_request_block, build_response_parts, is_dedupable, is_precompressed
from archive.repair import OPEN_SUFFIX, repair_directory
from archive.warcrecord import (
    REQUEST_CONTENT_TYPE,
    RESPONSE_CONTENT_TYPE,
    REVISIT_PROFILE,
    WARC_FIELDS_CONTENT_TYPE,
    Headers,
    as_utc,
    new_record_id,
    record_bytes,
    sha1_digest,
    timestamp14,
    utc_now,
    warc_date,
    warc_fields_block,
)

# Level 9 (warcio's) costs 2.15 ms a page. Bodies that arrive gzip-encoded are stored, not
# recompressed (see warcrecord.gzip_member): ~0.25 ms an exchange at any level. For a 50 KB
# plain HTML body, a whole exchange took 0.85 ms at level 3 against 1.6 at 6 or 9, 0.6 at 1,
# for files 6% larger than level 9's.
DEFAULT_GZIP_LEVEL = 3
WARCIO_VERSION = version("warcio")
logger = logging.getLogger(__name__)


def _software_version() -> str:
    return f"swampcrawl/{__version__}"


def _write_all(handle: BinaryIO, data: bytes) -> None:
    """All of ``data`` to an unbuffered file (a raw write may take only part of it)."""
    view = memoryview(data)
    while view:
        written = handle.write(view)
        if not written:
            raise OSError(f"could not write to {handle.name}")
        view = view[written:]


class WarcWriter:
    """Writes HTTP exchanges and metadata into rolling ``.warc.gz`` files in one folder."""

    def __init__(
        self,
        directory: Path | str,
        prefix: str = "swampcrawl",
        max_size: int = 10**9,
        host: str | None = None,
        warcinfo: dict | None = None,
        gzip_level: int = DEFAULT_GZIP_LEVEL,
        clock: Callable[[], datetime] | None = None,
        record_id_factory: Callable[[], str] | None = None,
        dedupe: bool = True,
        index: bool = True,
        process: str | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_size = max_size
        self.host = host or socket.gethostname()
        # Writers of several processes sharing the folder (a fleet's workers) name their files
        # after their process too (``<host>-<process>``): no two ever pick the same name, so
        # none renames its sealed file over another's.
        self.name_host = f"{self.host}-{process}" if process else self.host
        self.warcinfo = dict(warcinfo or {})
        self.gzip_level = gzip_level
        self.clock = clock or utc_now
        self.new_id = record_id_factory or new_record_id
        # Our own leftovers only: an .open file of another tool (or prefix) is left alone, named in a warning.
        self.repaired = repair_directory(self.directory, prefix)
        self.digests = DigestIndex(self.directory) if dedupe else None
        self._forget_missing_files()
        self.index = index
        self.files_written: list[str] = []
        # CDXJ lines of the current file's records, spooled to an unnamed temporary file beside
        # the WARCs and merged into index.cdxj when the file is sealed: the records need not be
        # read back, and memory does not grow with them (a 1 GB file has ~10^5 lines).
        self._index_spool: LineSpool | None = None
        self.bytes_written = 0
        self._serial = 0
        self._handle: BinaryIO | None = None
        self._name = ""

    # -- public API ---------------------------------------------------------------------------

    def write_exchange(
        self,
        url: str,
        method: str,
        request_headers: Headers,
        request_body: bytes,
        protocol: str,
        status: int,
        response_headers: Headers,
        body: bytes,
        date: datetime,
        truncated: str | None = None,
        ip_address: str | None = None,
    ) -> WarcRef:
        """Write a request record and its response (or revisit) record; flush both."""
        date = as_utc(date)
        when = warc_date(date)
        request_id, response_id = self.new_id(), self.new_id()
        payload_digest = sha1_digest(body)
        http_head, http_body = build_response_parts(protocol, status, response_headers, body, method)
        dedupable = self.digests is not None and is_dedupable(status, body, truncated)
        original = self.digests.lookup(payload_digest) if dedupable else None
        common = [("WARC-Date", when), ("WARC-Target-URI", url)]
        if ip_address:
            common.append(("WARC-IP-Address", ip_address))
        request = self._request_record(url, method, protocol, request_headers, request_body, common,
                                       (request_id, response_id))
        ids = (response_id, request_id)
        if original:
            response = self._revisit_record(common, ids, http_head, original, payload_digest)
        else:
            stored = bool(http_body) and is_precompressed(response_headers)
            response = self._response_record(common, ids, [http_head, http_body], payload_digest, truncated, stored)
        offset = self._append(request, response)
        location = WarcRef(self._name, offset, response_id, date, len(response), original is not None, payload_digest)
        self._remember(location, url, date, status, response_headers, payload_digest, dedupable and not original)
        self._roll_if_full()
        return location

    def write_metadata(
        self, target_uri: str, refers_to_record_id: str | None, payload: dict, date: datetime | None = None
    ) -> WarcRef:
        """A ``metadata`` record with a JSON body (e.g. the item extracted from a response)."""
        block = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
        record_id, date = self.new_id(), as_utc(date or self.clock())
        fields = [("WARC-Type", "metadata"), ("WARC-Record-ID", record_id),
                  ("WARC-Date", warc_date(date)), ("WARC-Target-URI", target_uri)]
        if refers_to_record_id:
            fields.append(("WARC-Refers-To", refers_to_record_id))
        fields.append(("Content-Type", "application/json"))
        record = record_bytes(fields, [block], self.gzip_level)
        offset = self._append(record)
        self._roll_if_full()
        return WarcRef(self._name, offset, record_id, date, len(record))

    def close(self) -> None:
        """Seal the current file (rename without ``.open``) and commit the digest index."""
        try:
            self._finish_file()
        finally:
            if self.digests:
                self.digests.close()
                self.digests = None

    def update_index(self) -> Path:
        """Bring ``index.cdxj`` up to date with every sealed WARC in the folder."""
        return cdxj.update_index(self.directory)

    @property
    def current_path(self) -> Path | None:
        return self.directory / (self._name + OPEN_SUFFIX) if self._handle else None

    def __enter__(self) -> "WarcWriter":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- records --------------------------------------------------------------------------------

    def _request_record(self, url: str, method: str, protocol: str, headers: Headers, body: bytes,
                        common: Headers, ids: tuple[str, str]) -> bytes:
        request_id, response_id = ids
        block = build_request_block(url, method, protocol, headers, body)
        fields = [("WARC-Type", "request"), ("WARC-Record-ID", request_id), *common,
                  ("WARC-Concurrent-To", response_id), ("Content-Type", REQUEST_CONTENT_TYPE)]
        return record_bytes(fields, block, self.gzip_level)

    def _response_record(self, common: Headers, ids: tuple[str, str], block: list[bytes], digest: str,
                         truncated: str | None, stored_body: bool) -> bytes:
        response_id, request_id = ids
        fields = [("WARC-Type", "response"), ("WARC-Record-ID", response_id), *common,
                  ("WARC-Concurrent-To", request_id), ("Content-Type", RESPONSE_CONTENT_TYPE),
                  ("WARC-Payload-Digest", digest)]
        if truncated:
            fields.append(("WARC-Truncated", truncated))
        return record_bytes(fields, block, self.gzip_level, stored_tail=1 if stored_body else 0)

    def _revisit_record(self, common: Headers, ids: tuple[str, str], http_head: bytes,
                        original: OriginalCapture, digest: str) -> bytes:
        """HTTP headers only, pointing at the original by digest, URI, date and record id."""
        response_id, request_id = ids
        fields = [("WARC-Type", "revisit"), ("WARC-Record-ID", response_id), *common,
                  ("WARC-Concurrent-To", request_id), ("Content-Type", RESPONSE_CONTENT_TYPE),
                  ("WARC-Profile", REVISIT_PROFILE), ("WARC-Refers-To-Target-URI", original.uri),
                  ("WARC-Refers-To-Date", original.warc_date), ("WARC-Refers-To", original.record_id),
                  ("WARC-Payload-Digest", digest)]
        return record_bytes(fields, [http_head], self.gzip_level)

    def _remember(self, location: WarcRef, url: str, date: datetime, status: int,
                  headers: Headers, digest: str, is_new_original: bool) -> None:
        if self.index:
            self._spool_index_line(cdxj.line_for(url, timestamp14(date), status, headers, digest, location))
        if is_new_original and self.digests:
            self.digests.add(digest, OriginalCapture(url, warc_date(date), location.record_id, location.filename))

    def _spool_index_line(self, line: str) -> None:
        """A line for the index; a spool that could not be written (a full disk) is given up:
        the file's lines are then read from the file when it is sealed."""
        spool = self._index_spool
        if spool is None:
            return
        try:
            spool.add(line)
        except OSError:
            spool.close()
            self._index_spool = None

    # -- files ----------------------------------------------------------------------------------

    def _append(self, *records: bytes) -> int:
        """Write records back to back; return the offset of the last one.

        The file is unbuffered: a record is on its way to disk when this returns, and a
        failed write (a full disk) is cut off at once, so the file still ends with a whole
        record and can be sealed.
        """
        handle = self._handle or self._open_file()
        start = handle.tell()
        try:
            for record in records:
                _write_all(handle, record)
        except OSError:
            os.ftruncate(handle.fileno(), start)
            handle.seek(start)
            raise
        end = handle.tell()
        self.bytes_written += end - start
        return end - len(records[-1])

    def _open_file(self) -> BinaryIO:
        stamp = timestamp14(self.clock())
        while True:
            name = f"{self.prefix}-{stamp}-{self._serial:05d}-{self.name_host}.warc.gz"
            self._serial += 1
            if (self.directory / name).exists():
                continue
            try:
                handle = open(self.directory / (name + OPEN_SUFFIX), "xb", buffering=0)
            except FileExistsError:
                continue
            break
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._handle, self._name = handle, name
        self._index_spool = LineSpool(self.directory) if self.index else None
        _write_all(handle, self._warcinfo_record(name))
        return handle

    def _warcinfo_record(self, name: str) -> bytes:
        info = {
            "software": f"{_software_version()} (warcio/{WARCIO_VERSION})",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "hostname": self.host,
            **self.warcinfo,
        }
        fields = [("WARC-Type", "warcinfo"), ("WARC-Record-ID", self.new_id()),
                  ("WARC-Date", warc_date(self.clock())), ("WARC-Filename", name),
                  ("Content-Type", WARC_FIELDS_CONTENT_TYPE)]
        return record_bytes(fields, [warc_fields_block(info)], self.gzip_level)

    def _roll_if_full(self) -> None:
        if self._handle and self._handle.tell() >= self.max_size:
            self._finish_file()

    def _finish_file(self) -> None:
        if not self._handle:
            return
        self._handle.flush()
        os.fsync(self._handle.fileno())
        final = self.directory / self._name
        os.rename(self.directory / (self._name + OPEN_SUFFIX), final)
        self._handle.close()  # closing releases the flock, after the rename: no repair race
        self.files_written.append(self._name)
        self._handle = None
        self._index_sealed_file()

    def _index_sealed_file(self) -> None:
        spool, self._index_spool = self._index_spool, None
        if not self.index:
            return
        try:
            cdxj.update_index(self.directory, {self._name: spool} if self._spooled(spool) else {})
        except Exception:  # the WARC is safe; `swampcrawl archive index` can rebuild the index
            logger.exception("could not update %s", self.directory / cdxj.INDEX_NAME)
        finally:
            if spool is not None:
                spool.close()

    @staticmethod
    def _spooled(spool: LineSpool | None) -> bool:
        """Whether every line of the sealed file is in its spool (else the file is read back)."""
        if spool is None:
            return False
        try:
            spool.flush()
        except OSError:
            return False
        return True

    def _forget_missing_files(self) -> None:
        """Digest entries pointing at deleted WARCs must not produce unresolvable revisits."""
        if not self.digests:
            return
        present = {path.name for path in self.directory.glob("*.warc.gz")}
        present |= {path.name.removesuffix(OPEN_SUFFIX) for path in self.directory.glob("*.warc.gz.open")}
        missing = self.digests.known_files() - present
        if missing:
            self.digests.forget_files(missing)
