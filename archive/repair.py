"""Repair of WARC files: ``.warc.gz.open`` files a crash left behind, or any damaged ``.warc.gz``.

Repair keeps every intact record where it is: no record ever moves, so the offsets the
database (captures, stories: ``warc_filename`` + ``warc_offset``) and index.cdxj hold stay
valid. ``archive.members.scan`` finds the intact gzip members and the damaged stretches
between them. Each damaged stretch is copied to ``NAME.damaged`` beside the file, then
overwritten in place by a placeholder ``metadata`` record of exactly its length that says
where its bytes went; a damaged end (the record a kill cut short) is cut off once copied.

Nothing is changed before the damaged bytes are safely aside (no room for them: the file is
left as it was). The result is read to its end by warcio, digests checked, before an
``.open`` file gets its final name; should that fail, the damaged bytes are put back.
Files still locked by a live writer, and ``.open`` files not named like this crawler's, are
left alone.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator

from archive.members import Span, placeholder, scan
from archive.warcrecord import new_record_id, utc_now, warc_date

logger = logging.getLogger(__name__)

OPEN_SUFFIX = ".open"
DAMAGED_SUFFIX = ".damaged"
CHUNK = 1 << 20


@dataclass(frozen=True)
class RepairResult:
    source: Path
    target: Path | None  # the repaired file; None when nothing in it was intact, or it was left alone
    records_kept: int
    bytes_dropped: int  # bytes set aside in ``damaged`` (and no longer in the WARC)
    damaged: Path | None = None
    regions: list[tuple[int, int]] = field(default_factory=list)  # [start, end) of each damaged stretch
    left_alone: str | None = None  # why the file was not touched
    foreign: bool = False  # left alone as another tool's (or another prefix's) file: not a failure

    def line(self) -> str:
        """What happened, in one line."""
        if self.left_alone:
            return f"{self.source.name}: left as it was: {self.left_alone}"
        if self.target is None:
            return f"{self.source.name}: nothing intact in it; its {self.bytes_dropped} bytes moved to {self._aside()}"
        line = f"{self.source.name} -> {self.target.name}: {self.records_kept} records kept"
        if not self.regions:
            return line + ", nothing damaged"
        stretches = ", ".join(f"{end - start} bytes at offset {start}" for start, end in self.regions)
        return (f"{line}, every one at its offset; damaged: {stretches}; {self.bytes_dropped} bytes set aside "
                f"in {self._aside()}")

    def _aside(self) -> str:
        return self.damaged.name if self.damaged else "(nothing)"


def is_locked(path: Path) -> bool:
    """True when a live writer holds the file (WarcWriter keeps an flock on its open file)."""
    with open(path, "rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def is_own_name(name: str, prefix: str) -> bool:
    """Named as WarcWriter names its open files: ``<prefix>-<14 digits>-<5 digits>-<host>.warc.gz.open``."""
    return re.fullmatch(rf"{re.escape(prefix)}-\d{{14}}-\d{{5,}}-[^/]+\.warc\.gz{re.escape(OPEN_SUFFIX)}", name) is not None


def repair_directory(directory: Path | str, prefix: str | None = None) -> list[RepairResult]:
    """Repair every unlocked ``*.warc.gz.open`` of the folder named like ours (``prefix``; None: any)."""
    results = []
    for path in sorted(Path(directory).glob("*.warc.gz" + OPEN_SUFFIX)):
        if prefix is not None and not is_own_name(path.name, prefix):
            reason = f"not named like this crawler's files ({prefix}-TIMESTAMP-SERIAL-HOST.warc.gz.open)"
            logger.warning("%s: %s; left alone", path.name, reason)
            results.append(RepairResult(path, None, 0, 0, left_alone=reason, foreign=True))
        elif is_locked(path):
            logger.info("%s is being written by another process; left alone", path.name)
        else:
            results.append(repair_file(path))
    return results


def repair_file(path: Path | str) -> RepairResult:
    """Repair one file: an ``.open`` file gets its final name, any other is repaired in place."""
    source = Path(path)
    target = source.with_name(source.name.removesuffix(OPEN_SUFFIX))
    if source != target and target.exists():
        return _left_alone(source, f"{target.name} already exists")
    if is_locked(source):
        return _left_alone(source, "a running crawl is writing it")
    if source.stat().st_size == 0 and source != target:
        source.unlink()  # a crawl killed before its first record: nothing to keep
        return _logged(RepairResult(source, None, 0, 0))
    with open(source, "r+b") as stream:
        spans = list(scan(stream, os.fstat(stream.fileno()).st_size))
        kept = [span for span in spans if span.intact]
        damaged = [span for span in spans if not span.intact]
        if not kept and source == target:  # a file named by hand: not ours to rename
            return _left_alone(source, "nothing in it reads as a WARC record")
        if not kept:
            return _logged(_all_damaged(source, target, spans))
        aside = _mend(stream, target, spans) if damaged else None
        if isinstance(aside, str):  # why it could not be mended
            return _left_alone(source, aside)
    if source != target:
        os.rename(source, target)
        _sync_folder(target.parent)
    regions = [(span.start, span.end) for span in damaged]
    return _logged(RepairResult(source, target, len(kept), sum(s.length for s in damaged), aside, regions))


def _mend(stream: BinaryIO, target: Path, spans: list[Span]) -> Path | str:
    """Set the damaged stretches aside, put placeholders in their place, cut a damaged end off,
    and check the result; the file of damaged bytes, or why the file was left as it was."""
    size = spans[-1].end
    damaged = [span for span in spans if not span.intact]
    aside = _free_name(target.with_name(target.name + DAMAGED_SUFFIX))
    plan = _plan(spans, aside)
    if isinstance(plan, str):
        return plan
    try:
        _copy_aside(stream, damaged, aside)
    except OSError as error:
        aside.unlink(missing_ok=True)
        return f"no room to set {sum(s.length for s in damaged)} damaged bytes aside in {aside.name} ({_reason(error)})"
    try:
        _write_placeholders(stream, plan)
        if damaged[-1].end == size:
            stream.truncate(damaged[-1].start)
        stream.flush()
        os.fsync(stream.fileno())
        _verify(stream, _expected(spans, plan))
    except Exception as error:  # never leave the file worse than it was: put the damaged bytes back
        _put_back(stream, damaged, aside, size)
        aside.unlink(missing_ok=True)
        return f"the repaired file did not read back ({_reason(error)}); its damaged bytes were put back"
    return aside


Placeholder = tuple[Span, list[tuple[str, str]], bytes]  # the stretch, the record's fields, its note


def _plan(spans: list[Span], aside: Path) -> list[Placeholder] | str:
    """The placeholder of each damaged stretch but a damaged end (cut off), each checked to fit;
    or why the file cannot be mended without moving records."""
    plan, kept_at, size = [], 0, spans[-1].end
    for span in (span for span in spans if not span.intact):
        if span.end < size:
            fields = [("WARC-Type", "metadata"), ("WARC-Record-ID", new_record_id()), ("WARC-Date", _now()),
                      ("Content-Type", "text/plain; charset=utf-8")]
            note = (f"swampcrawl archive repair: damaged bytes {span.start}-{span.end - 1} are kept in {aside.name} "
                    f"from its byte {kept_at}; this record holds their place, so that the records after it keep "
                    "their offsets.\n").encode("utf-8")
            if placeholder(span.length, fields, note) is None:
                return (f"a damaged stretch of {span.length} bytes at offset {span.start} is too short for a "
                        "placeholder record, and removing it would move the records after it")
            plan.append((span, fields, note))
        kept_at += span.length
    return plan


def _copy_aside(stream: BinaryIO, damaged: list[Span], aside: Path) -> None:
    with open(aside, "xb") as out:
        for span in damaged:
            stream.seek(span.start)
            left = span.length
            while left > 0:
                data = stream.read(min(left, CHUNK))
                if not data:
                    raise OSError(f"{span.start}: the file ended early")
                out.write(data)
                left -= len(data)
        out.flush()
        os.fsync(out.fileno())


def _write_placeholders(stream: BinaryIO, plan: list[Placeholder]) -> None:
    for span, fields, note in plan:
        stream.seek(span.start)
        for piece in placeholder(span.length, fields, note) or ():
            stream.write(piece)


def _expected(spans: list[Span], plan: list[Placeholder]) -> list[tuple[int, str]]:
    """(offset, record id) of every record warcio must read back: intact ones and placeholders."""
    ids = {span.start: dict(fields)["WARC-Record-ID"] for span, fields, _ in plan}
    return [(span.start, span.record_id if span.intact else ids[span.start])
            for span in spans if span.intact or span.start in ids]


def _verify(stream: BinaryIO, expected: list[tuple[int, str]]) -> None:
    """warcio reads the file to its end, digests checked, and finds the records expected where expected."""
    stream.seek(0)
    records = ArchiveIterator(stream, check_digests="raise")
    found = []
    for record in records:
        records.read_to_end()
        found.append((records.get_record_offset(), record.rec_headers.get_header("WARC-Record-ID") or ""))
    if found != expected:
        raise ValueError(f"warcio read {len(found)} records, {len(expected)} expected")


def _put_back(stream: BinaryIO, damaged: list[Span], aside: Path, size: int) -> None:
    with open(aside, "rb") as saved:
        for span in damaged:
            stream.seek(span.start)
            stream.write(saved.read(span.length))
    stream.truncate(size)
    stream.flush()
    os.fsync(stream.fileno())


def _all_damaged(source: Path, target: Path, spans: list[Span]) -> RepairResult:
    """Nothing intact: the file itself becomes the file of damaged bytes (a rename, no copy)."""
    aside = _free_name(target.with_name(target.name + DAMAGED_SUFFIX))
    os.rename(source, aside)
    size = spans[-1].end if spans else 0
    return RepairResult(source, None, 0, size, aside, [(0, size)])


def _now() -> str:
    return warc_date(utc_now().replace(microsecond=0))  # whole seconds: a shorter placeholder


def _free_name(path: Path) -> Path:
    """``path``, or ``NAME.2.damaged``, ``NAME.3.damaged``... when taken."""
    number = 1
    candidate = path
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name.removesuffix(DAMAGED_SUFFIX)}.{number}{DAMAGED_SUFFIX}")
    return candidate


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _left_alone(source: Path, reason: str) -> RepairResult:
    return _logged(RepairResult(source, None, 0, 0, left_alone=reason))


def _logged(result: RepairResult) -> RepairResult:
    logger.warning("repair: %s", result.line())
    return result
