"""Repair of ``.open`` files a crash left, and of damaged WARC files: every intact record kept
at its offset (database pointers stay valid), damaged bytes set aside, nothing lost or replaced
before the result reads back, foreign files left alone."""

from __future__ import annotations

import hashlib
import io
import logging
import resource
import subprocess
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.members import placeholder
from archive.repair import repair_directory, repair_file
from archive.writer import WarcWriter
from archive_support import BIN, FixedClock, SequentialIds, assert_folder_valid, read_records, warc_files
from archive_support import every_written_warc_is_valid  # noqa: F401 (autouse: warcio checks)
from archive_support import write_page
from swampcrawl.store import Store


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
    original = path.read_bytes()
    result = repair_file(path)
    assert not path.exists() and result.target.name == locations[0].filename
    records = read_records(result.target)
    # warcinfo + two whole exchanges + the request of the torn third one
    assert [r.rec_type for r in records] == ["warcinfo"] + ["request", "response"] * 2 + ["request"]
    assert result.records_kept == 6 and result.bytes_dropped > 0
    torn = records[-1].offset + records[-1].length
    assert result.damaged.read_bytes() == original[torn:]  # the torn record set aside, not thrown away
    assert result.target.read_bytes() == original[:torn]
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


def test_nothing_intact_is_set_aside_not_deleted(tmp_path):
    path = tmp_path / "swampcrawl-20260101000000-00000-h.warc.gz.open"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    result = repair_file(path)
    assert result.target is None and [p.name for p in tmp_path.iterdir()] == [result.damaged.name]
    assert result.damaged.name == "swampcrawl-20260101000000-00000-h.warc.gz.damaged"
    assert result.damaged.read_bytes() == b"\x1f\x8b\x08\x00garbage"


# -- damage in the middle: a killed crawl's file with a flipped byte --------------------------------


def killed_crawl(tmp_path: Path, pages: int = 30) -> tuple[Path, Path, bytes, tuple[int, int], Path]:
    """A crawl killed mid-record, its captures rows in a real database, then one bit flipped in the
    record at 30% of the file: the folder, the .open file, its bytes on disk, the damaged record's
    (offset, length), the database."""
    folder, db = tmp_path / "warc", tmp_path / "swamp.db"
    writer = WarcWriter(folder, host="testhost", clock=FixedClock(), record_id_factory=SequentialIds())
    refs = [write_page(writer, url=f"https://vocal.media/fyi/story-{n}", body=page_body(n)) for n in range(pages)]
    path = writer.current_path
    writer._handle.close()  # killed: no rename, the last record cut
    writer.digests.close()
    with open(path, "r+b") as handle:
        handle.truncate(refs[-1].offset + refs[-1].length // 2)
    with Store(db) as store:  # what the crawl's store pipeline recorded, record by record
        run = store.start_run("stories")
        store.add_captures([{"url": f"https://vocal.media/fyi/story-{n}", "status": 200, "captured_at": ref.date,
                             "kind": "story", "warc_filename": ref.filename, "warc_offset": ref.offset,
                             "warc_record_id": ref.record_id, "run_id": run} for n, ref in enumerate(refs)])
    data = bytearray(path.read_bytes())
    hit = next(ref for ref in refs if ref.offset + ref.length > len(data) * 0.3)
    data[hit.offset + hit.length // 2] ^= 0x01  # one bit, inside the record's gzip member
    path.write_bytes(bytes(data))
    return folder, path, bytes(data), (hit.offset, hit.length), db


def page_body(number: int) -> bytes:
    """A gzip-encoded body of ~1.3 KB that does not compress: the same every run."""
    return b"".join(hashlib.sha256(b"%d-%d" % (number, i)).digest() for i in range(40))


def whole_records(data: bytes) -> dict[int, tuple[int, str, str]]:
    """Offset -> (length, type, record id) of the records warcio reads whole, up to the first
    that is not (the one the kill cut)."""
    found, records = {}, ArchiveIterator(io.BytesIO(data))
    for record in records:
        records.read_to_end()
        if record.raw_stream.limit:  # fewer bytes than its Content-Length
            break
        found[records.get_record_offset()] = (records.get_record_length(), record.rec_type,
                                              record.rec_headers.get_header("WARC-Record-ID"))
    return found


def records_at(path: Path) -> dict[int, tuple[str, str]]:
    """Offset -> (type, record id) of every record, warcio reading the file to its end, digests checked."""
    found = {}
    with open(path, "rb") as stream:
        records = ArchiveIterator(stream, check_digests="raise")
        for record in records:
            records.read_to_end()
            found[records.get_record_offset()] = (record.rec_type, record.rec_headers.get_header("WARC-Record-ID"))
    return found


@pytest.mark.parametrize("how", ["command", "crawl start"])
def test_a_flipped_byte_costs_one_record_and_no_database_pointer(tmp_path, how):
    folder, path, on_disk, (hole, hole_length), db = killed_crawl(tmp_path)
    unflipped = bytearray(on_disk)
    unflipped[hole + hole_length // 2] ^= 0x01
    before = whole_records(bytes(unflipped))  # what the file held before the bit flipped
    tail = max(offset + length for offset, (length, _, _) in before.items())
    if how == "command":
        run = subprocess.run([str(BIN / "swampcrawl"), "archive", "repair", str(folder)], capture_output=True, text=True)
        assert run.returncode == 0 and run.stderr == "", run.stderr
        [line] = run.stdout.splitlines()
    else:
        with WarcWriter(folder, host="testhost") as writer:
            [result] = writer.repaired
        line = result.line()
    repaired = path.with_name(path.name.removesuffix(".open"))
    damaged = repaired.with_name(repaired.name + ".damaged")
    assert not path.exists() and f"set aside in {damaged.name}" in line
    now = records_at(repaired)
    assert set(now) == set(before)  # every record where it was
    assert now[hole][0] == "metadata" and now[hole][1] != before[hole][2]  # a placeholder in the damaged one's place
    assert all(now[offset] == (kind, record_id) for offset, (_, kind, record_id) in before.items() if offset != hole)
    assert damaged.read_bytes() == on_disk[hole:hole + hole_length] + on_disk[tail:]
    with Store(db) as store:
        rows = list(store.db.query("SELECT warc_filename, warc_offset, warc_record_id FROM captures"))
    assert {row["warc_filename"] for row in rows} == {repaired.name}
    gone = [row for row in rows if row["warc_offset"] not in now or now[row["warc_offset"]][1] != row["warc_record_id"]]
    assert sorted(row["warc_offset"] for row in gone) == [hole, tail]  # the flipped record, the one the kill cut
    with open(repaired, "rb") as stream:  # the placeholder says where the damaged bytes went
        stream.seek(hole)
        note = next(iter(ArchiveIterator(stream))).content_stream().read()
    assert damaged.name.encode() in note and b"keep their offsets" in note


def test_no_room_for_the_damaged_bytes_leaves_the_file_as_it_was(tmp_path):
    folder, path, on_disk, _, _ = killed_crawl(tmp_path)

    def full_disk() -> None:  # no file may grow past 100 bytes: the damaged bytes cannot be set aside
        resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))

    run = subprocess.run([str(BIN / "swampcrawl"), "archive", "repair", str(folder)], capture_output=True, text=True,
                         preexec_fn=full_disk)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    [line] = run.stderr.splitlines()
    assert line.startswith(f"{path.name}: left as it was: no room to set ") and "(File too large)" in line
    assert path.read_bytes() == on_disk and sorted(p.name for p in folder.iterdir()) == [
        ".swampcrawl-digests.sqlite", path.name]
    path.unlink()  # damaged on purpose: not for the warcio check of what tests leave


def test_a_damaged_sealed_file_is_repaired_in_place(tmp_path):
    folder, path, on_disk, (hole, _), _ = killed_crawl(tmp_path)
    sealed = path.with_name(path.name.removesuffix(".open"))
    path.rename(sealed)
    run = subprocess.run([str(BIN / "swampcrawl"), "archive", "repair", str(sealed)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert records_at(sealed)[hole][0] == "metadata" and sealed.with_name(sealed.name + ".damaged").exists()


def test_a_stretch_too_short_for_a_placeholder_leaves_the_file_as_it_was(tmp_path):
    path, _ = crashed_file(tmp_path)
    data = path.read_bytes()
    records = whole_records(data)
    second = sorted(records)[1]  # a few bytes of junk between two records: no placeholder fits in them
    path.write_bytes(data[:second] + b"\x1f\x8b\x08junk" + data[second:])
    before = path.read_bytes()
    result = repair_file(path)
    assert result.left_alone == ("a damaged stretch of 7 bytes at offset %d is too short for a placeholder record, "
                                 "and removing it would move the records after it" % second)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == [
        ".swampcrawl-digests.sqlite", path.name]
    path.unlink()


# -- other tools' files, placeholders ---------------------------------------------------------------


def test_foreign_open_files_are_left_alone_and_named(tmp_path, caplog):
    ours, _ = crashed_file(tmp_path)
    torn = ours.read_bytes()
    foreign = {"heritrix-20261124093000-00001~crawler~8443.warc.gz.open": torn,  # another crawler's, torn too
               "notes.warc.gz.open": b"\x1f\x8b\x08\x00 not ours at all",
               "other-20261124093000-00000-crawler1.warc.gz.open": torn}  # our layout, another prefix
    for name, data in foreign.items():
        (tmp_path / name).write_bytes(data)
    with caplog.at_level(logging.WARNING), WarcWriter(tmp_path, host="testhost") as writer:
        repaired = [result.source.name for result in writer.repaired if not result.left_alone]
    assert repaired == [ours.name]
    assert {name: (tmp_path / name).read_bytes() for name in foreign} == foreign
    for name in foreign:
        assert any(name in message and "left alone" in message for message in caplog.messages), name
    run = subprocess.run([str(BIN / "swampcrawl"), "archive", "repair", str(tmp_path)], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout == ""
    assert sorted(line.split(":")[0] for line in run.stderr.splitlines()) == sorted(foreign)
    assert {name: (tmp_path / name).read_bytes() for name in foreign} == foreign
    for name in foreign:
        (tmp_path / name).unlink()


def test_placeholders_fit_any_length_and_read_with_warcio():
    fields = [("WARC-Type", "metadata"), ("WARC-Record-ID", "<urn:uuid:9910ba6d-09d4-468c-b53f-e1ad23137e75>"),
              ("WARC-Date", "2026-11-24T09:30:00Z"), ("Content-Type", "text/plain; charset=utf-8")]
    note = b"bytes 100-999 of x.warc.gz are kept in x.warc.gz.damaged\n"
    smallest = next(length for length in range(1, 1000) if placeholder(length, fields, note) is not None)
    assert smallest < 228  # shorter than the shortest record swampcrawl writes (a metadata record)
    for length in [*range(smallest, smallest + 400), 65535, 65540 + 5, 3 * 65535 + 17, 1 << 20]:
        data = b"".join(placeholder(length, fields, note))
        assert len(data) == length
        records = ArchiveIterator(io.BytesIO(data), check_digests="raise")
        [(kind, body)] = [(record.rec_type, record.content_stream().read()) for record in records]
        assert kind == "metadata" and len(body) <= length
        assert body.startswith(note) or length < smallest + 200  # short ones may leave the note out
