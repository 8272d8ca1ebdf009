"""Repair of half-written ``.open`` files: every complete record kept, the torn one dropped."""

from __future__ import annotations

import subprocess

from archive.repair import repair_directory, repair_file
from archive.writer import WarcWriter
from archive_support import BIN, FixedClock, SequentialIds, assert_folder_valid, read_records, warc_files
from archive_support import every_written_warc_is_valid  # noqa: F401 (autouse: warcio checks)
from archive_support import write_page


def crashed_file(tmp_path, pages: int = 3):
    """A writer 'killed' in the middle of its last response record."""
    writer = WarcWriter(tmp_path, host="testhost", clock=FixedClock(), record_id_factory=SequentialIds())
    locations = [write_page(writer, url=f"https://vocal.media/s{i}", body=bytes([i]) * 500) for i in range(pages)]
    path = writer.current_path
    writer._handle.close()  # no rename: what a kill leaves behind
    last = locations[-1]
    with open(path, "r+b") as handle:
        handle.truncate(last.offset + last.length // 2)
    writer.digests.close()
    return path, locations


def test_repair_keeps_complete_records(tmp_path):
    path, locations = crashed_file(tmp_path)
    result = repair_file(path)
    assert not path.exists() and result.target.name == locations[0].filename
    records = read_records(result.target)
    # warcinfo + two whole exchanges + the request of the torn third one
    assert [r.rec_type for r in records] == ["warcinfo"] + ["request", "response"] * 2 + ["request"]
    assert result.records_kept == 6 and result.bytes_dropped > 0
    assert_folder_valid(tmp_path)


def test_writer_repairs_leftovers_when_it_starts(tmp_path):
    path, _ = crashed_file(tmp_path)
    with WarcWriter(tmp_path, host="testhost") as writer:
        assert [r.records_kept for r in writer.repaired] == [6]
        write_page(writer, url="https://vocal.media/next", body=b"new")
    assert not list(tmp_path.glob("*.open")) and len(warc_files(tmp_path)) == 2
    assert_folder_valid(tmp_path)


def test_file_of_a_live_writer_is_left_alone(tmp_path):
    live = WarcWriter(tmp_path, host="one")
    write_page(live)
    assert repair_directory(tmp_path) == []
    assert live.current_path.exists()
    live.close()


def test_repair_command(tmp_path):
    crashed_file(tmp_path)
    run = subprocess.run([str(BIN / "swampcrawl"), "archive", "repair", str(tmp_path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "6 records kept" in run.stdout and not list(tmp_path.glob("*.open"))
    missing = subprocess.run([str(BIN / "swampcrawl"), "archive", "repair", str(tmp_path / "nope")],
                             capture_output=True, text=True)
    assert missing.returncode != 0 and "no such folder" in missing.stderr


def test_nothing_complete_leaves_no_file(tmp_path):
    path = tmp_path / "swampcrawl-20260101000000-00000-h.warc.gz.open"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    result = repair_file(path)
    assert result.target is None and not list(tmp_path.iterdir())
