"""Lock files, so two crawls never write one database or one WARC folder at once.

``<db>.lock`` beside the database, ``.swampcrawl.lock`` inside the WARC folder. ``flock`` is
released by the kernel when the holding process dies, so the lock of a crawl killed with
SIGKILL is taken over by the next one at once: no stale lock is ever left behind.

The workers of a fleet crawl share a WARC folder (each writes files of its own): they take
its lock *shared*, so they run together, while a single crawl's exclusive lock keeps a fleet
and a single crawl from ever writing one folder at once.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class LockedError(RuntimeError):
    """Another process holds the lock."""


class CrawlLock:
    def __init__(self, db_path: str | os.PathLike[str], what: str | None = None, shared: bool = False) -> None:
        self.path = Path(f"{db_path}.lock")
        self.what = what or f"database {db_path}"
        self.shared = shared
        self._fd: int | None = None

    @classmethod
    def for_folder(cls, folder: str | os.PathLike[str], shared: bool = False) -> CrawlLock:
        """The lock of a WARC folder (a file inside it); ``shared`` for a fleet worker."""
        return cls(Path(folder) / ".swampcrawl", what=f"WARC folder {folder}", shared=shared)

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise LockedError(f"{self.what} is locked by another crawl (pid {holder})") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> CrawlLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
