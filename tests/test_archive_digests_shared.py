"""The revisit digest index of a WARC folder shared by several writing processes (a fleet's
workers on one machine): opened at the same moment by all of them, it opens for each."""

from __future__ import annotations

import multiprocessing

from archive.digests import DigestIndex, OriginalCapture


def _open_and_add(folder: str, barrier, number: int) -> None:
    barrier.wait()  # every process switches the new index to WAL at the same moment
    index = DigestIndex(folder)
    index.add(f"sha1:{number}", OriginalCapture(f"https://vocal.media/{number}", "2026-12-02T09:00:00Z",
                                                 f"<urn:uuid:{number}>", f"file-{number}.warc.gz"))
    index.close()


def test_processes_opening_a_new_index_at_once_all_open_it(tmp_path):
    context = multiprocessing.get_context("fork")
    for attempt in range(100):
        folder = tmp_path / str(attempt)
        folder.mkdir()
        barrier = context.Barrier(6)
        processes = [context.Process(target=_open_and_add, args=(str(folder), barrier, n)) for n in range(6)]
        for process in processes:
            process.start()
        for process in processes:
            process.join(60)
        assert [process.exitcode for process in processes] == [0] * 6, attempt  # "database is locked" before
        index = DigestIndex(folder)
        assert all(index.lookup(f"sha1:{n}") is not None for n in range(6))
        index.close()
