"""Lines spooled and sorted on disk: the CDXJ index's way to stay out of memory."""

from __future__ import annotations

import gc
import os
import random

from swampcrawl.disksort import DiskSort, LineSpool

from archive.cdxj import INDEX_NAME, read_index, sorted_lines, write_index


def some_lines(count: int, seed: int = 7) -> list[bytes]:
    chooser = random.Random(seed)
    lines = [f"com,vocal)/fiction/story-{chooser.randrange(count // 3 + 1)} 2026{chooser.randrange(10**9):010d} "
             f'{{"url": "https://vocal.media/caf\\u00e9/{chooser.random()}"}}'.encode() for _ in range(count)]
    return lines + [b"", b"z", b"\xc3\xa9", b"A"]  # an empty line, bytes above ASCII, duplicates above


def test_sorted_in_byte_order_in_memory_and_through_spilled_runs(tmp_path):
    lines = some_lines(3000)
    for chunk_bytes, fan_in in ((10**9, 64), (2000, 64), (700, 3), (1, 2)):
        with DiskSort(tmp_path, chunk_bytes=chunk_bytes, fan_in=fan_in) as ordered:
            ordered.extend(lines)
            assert list(ordered) == sorted(lines), (chunk_bytes, fan_in)
    assert os.listdir(tmp_path) == []  # unnamed temporary files: nothing left behind


def test_spilled_runs_are_merged_as_they_come_so_few_files_are_open(tmp_path):
    before = len(os.listdir("/proc/self/fd"))
    with DiskSort(tmp_path, chunk_bytes=1, fan_in=4) as ordered:
        ordered.extend(some_lines(3000))  # 3,004 runs of one line: 6 levels of merges
        assert len(os.listdir("/proc/self/fd")) - before <= 4 * 7
        assert len(list(ordered)) == 3004


def test_spool_gives_its_lines_back_in_order_and_takes_more(tmp_path):
    spool = LineSpool(tmp_path)
    try:
        assert list(spool) == []
        texts = [line.decode() for line in some_lines(500)]
        for text in texts:
            spool.add(text)
        assert list(spool) == texts and spool.count == len(texts)
        spool.add("one more")
        assert list(spool) == [*texts, "one more"]
        assert os.listdir(tmp_path) == []
    finally:
        spool.close()


def test_index_written_from_disk_runs_is_the_bytes_sorted_in_memory(tmp_path, monkeypatch):
    texts = [line.decode() for line in some_lines(2000) if line]
    monkeypatch.setattr("swampcrawl.disksort.CHUNK_BYTES", 5000)
    monkeypatch.setattr("swampcrawl.disksort.FAN_IN", 4)
    write_index(tmp_path, iter(texts))
    assert (tmp_path / INDEX_NAME).read_bytes() == sorted_lines(texts)
    assert read_index(tmp_path) == sorted(texts, key=str.encode)
    assert sorted(os.listdir(tmp_path)) == [INDEX_NAME]


def test_index_read_line_by_line_is_cut_where_splitlines_cuts_it(tmp_path):
    text = "a 1 {}\r\nb 2 {}\rc 3 {}\n\n   \nd 4 {}\x1ce 5 {}\u2028f 6 {}\r"
    (tmp_path / INDEX_NAME).write_text(text, "utf-8", newline="")
    assert read_index(tmp_path) == [line for line in text.splitlines() if line.strip()]


def test_a_spool_dropped_unclosed_closes_its_file_quietly(tmp_path):
    """As a writer abandoned by a killed crawl would leave it (warnings are errors here)."""
    spool = LineSpool(tmp_path)
    spool.add("a line")
    del spool
    gc.collect()
