"""Lines kept or sorted on disk: bounded memory whatever their number.

A WARC folder's CDXJ index (``archive.cdxj``) has a line per archived response of every run
into the folder; held in lists and sorted in RAM, it made a crawl's memory grow with the site.
``LineSpool`` keeps the lines of the WARC file being written until it is sealed; ``DiskSort``
sorts lines in byte order (``LC_ALL=C``) as sorted runs of a few MB spilled to disk and merged.
Both write unnamed temporary files (in the folder they are given): nothing is left behind when
the process is killed.
"""

from __future__ import annotations

import heapq
import tempfile
import weakref
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

# Bytes of lines sorted in memory before a run is spilled (each line costs ~33 bytes more as a
# Python object), and how many runs are merged at once (an open file each).
CHUNK_BYTES = 4_000_000
FAN_IN = 64
READ_BUFFER = 64 * 1024


def _temporary(directory: Path | str | None) -> BinaryIO:
    # On Linux an O_TMPFILE: no name in the folder at any moment.
    return tempfile.TemporaryFile(dir=directory)


class LineSpool:
    """Text lines (without newlines) appended to a temporary file, read back in order."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = directory
        self.count = 0
        self._file: BinaryIO | None = None
        self._closer: weakref.finalize | None = None

    def add(self, line: str) -> None:
        if self._file is None:
            self._file = _temporary(self.directory)
            # A spool dropped unclosed (its writer abandoned, as a killed crawl leaves it) closes
            # its file quietly: nothing in it has to be kept.
            self._closer = weakref.finalize(self, self._file.close)
        self._file.write(line.encode("utf-8") + b"\n")
        self.count += 1

    def flush(self) -> None:
        """Write out what is buffered (raises OSError on a full disk)."""
        if self._file is not None:
            self._file.flush()

    def __iter__(self) -> Iterator[str]:
        if self._file is None:
            return
        self._file.flush()
        self._file.seek(0)
        for raw in self._file:
            yield raw[:-1].decode("utf-8")
        self._file.seek(0, 2)  # further lines are appended

    def close(self) -> None:
        if self._closer is not None:
            self._closer()
        self._file, self._closer = None, None


class DiskSort:
    """Byte strings (without ``b"\\n"``) given in any order, iterated in byte order once all are added.

    Up to ``chunk_bytes`` are sorted in memory; more are spilled as sorted runs to temporary
    files in ``directory``, merged ``fan_in`` runs of one size into one run of the next size as
    they come (open files stay few, each line is rewritten about log_fan_in(runs) times), and
    merged once more as they are read. Memory stays near ``chunk_bytes`` however many lines
    there are. Duplicates are kept.
    """

    def __init__(self, directory: Path | str | None = None, chunk_bytes: int | None = None,
                 fan_in: int | None = None) -> None:
        self.directory = directory
        self.chunk_bytes = chunk_bytes or CHUNK_BYTES
        self.fan_in = max(2, fan_in or FAN_IN)
        self._chunk: list[bytes] = []
        self._chunk_size = 0
        self._runs: list[BinaryIO] = []
        self._levels: list[int] = []  # of each run: it holds about fan_in**level chunks

    def add(self, line: bytes) -> None:
        self._chunk.append(line)
        self._chunk_size += len(line)
        if self._chunk_size >= self.chunk_bytes:
            self._spill()

    def extend(self, lines: Iterable[bytes]) -> None:
        for line in lines:
            self.add(line)

    def __iter__(self) -> Iterator[bytes]:
        self._chunk.sort()  # timsort: linear on lines that come sorted already (an index)
        if not self._runs:
            return iter(self._chunk)
        if self._chunk:
            self._spill()
        while len(self._runs) > self.fan_in:
            self._merge_last(self.fan_in)
        return heapq.merge(*(self._read(run) for run in self._runs))

    def close(self) -> None:
        for run in self._runs:
            run.close()
        self._runs, self._levels, self._chunk, self._chunk_size = [], [], [], 0

    def __enter__(self) -> DiskSort:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _spill(self) -> None:
        self._chunk.sort()
        self._runs.append(self._write_run(self._chunk))
        self._levels.append(0)
        self._chunk, self._chunk_size = [], 0
        while len(self._levels) >= self.fan_in and len(set(self._levels[-self.fan_in :])) == 1:
            self._merge_last(self.fan_in)

    def _merge_last(self, count: int) -> None:
        """The last ``count`` runs merged into one, a level above the highest of them."""
        merging, self._runs = self._runs[-count:], self._runs[:-count]
        level, self._levels = max(self._levels[-count:]) + 1, self._levels[:-count]
        self._runs.append(self._write_run(heapq.merge(*(self._read(run) for run in merging))))
        self._levels.append(level)
        for run in merging:
            run.close()

    def _write_run(self, lines: Iterable[bytes]) -> BinaryIO:
        run = _temporary(self.directory)
        run.writelines(line + b"\n" for line in lines)
        run.flush()
        return run

    @staticmethod
    def _read(run: BinaryIO) -> Iterator[bytes]:
        run.seek(0)
        reader = open(run.fileno(), "rb", buffering=READ_BUFFER, closefd=False)
        with reader:
            for raw in reader:
                yield raw[:-1]
