"""CDXJ index: SURT keys as pywb computes them, byte order, the same lines as cdxj-indexer."""

from __future__ import annotations

import json
import subprocess

import pytest
import surt as surt_package

from archive.cdxj import INDEX_NAME, build_index, read_index, surt, update_index
from archive.writer import WarcWriter
from archive_support import BIN, FixedClock, HTML, warc_files
from archive_support import every_written_warc_is_valid  # noqa: F401 (autouse: warcio checks)
from archive_support import make_writer, write_page

URLS = [
    "https://vocal.media/", "https://vocal.media", "https://www.vocal.media/fyi",
    "https://vocal.media/fyi/a-story?ref=home&page=2", "https://vocal.media/fyi/A-Story/",
    "http://127.0.0.1:8000/robots.txt", "https://vocal.media:443/x", "http://vocal.media:8080/x?b=2&a=1",
    "https://vocal.media/a/..//b/", "https://vocal.media/caf%C3%A9?q=%20x", "https://vocal.media/tag/x?",
    "https://vocal.media/search?q=Hello+World&z", "https://vocal.media/a%2fb/./c",
]


@pytest.mark.parametrize("url", URLS)
def test_surt_matches_the_surt_package(url):
    assert surt(url) == surt_package.surt(url)


def filled_folder(tmp_path):
    with make_writer(tmp_path) as writer:
        write_page(writer, url="https://vocal.media/zeta")
        write_page(writer, url="https://vocal.media/alpha")  # a revisit
        write_page(writer, url="https://vocal.media/Beta", status=404, body=b"gone", headers=[])
        write_page(writer, url="https://vocal.media/old", status=301, body=b"", headers=[("Location", "/new")])
        writer.write_metadata("https://vocal.media/zeta", None, {"x": 1})
    return writer


def test_index_sorted_in_byte_order_and_equal_to_cdxj_indexer(tmp_path):
    filled_folder(tmp_path)
    build_index(tmp_path)
    raw = (tmp_path / INDEX_NAME).read_bytes().splitlines()
    assert raw == sorted(raw) and len(raw) == 4
    reference = subprocess.run([str(BIN / "cdxj-indexer"), "--records", "response,revisit",
                                *map(str, warc_files(tmp_path))],
                               capture_output=True, check=True, cwd=tmp_path).stdout.splitlines()
    assert raw == sorted(reference)
    revisit = [json.loads(line.split(b" ", 2)[2]) for line in raw if b"alpha" in line][0]
    assert revisit["mime"] == "warc/revisit" and revisit["status"] == "200"


def test_writer_lines_equal_lines_read_from_the_files(tmp_path):
    writer = filled_folder(tmp_path)
    from_writer = (tmp_path / INDEX_NAME).read_bytes()  # merged by close(), from the writer's own lines
    assert from_writer == writer.update_index().read_bytes() == build_index(tmp_path).read_bytes()


def test_update_index_adds_new_files_and_drops_deleted_ones(tmp_path):
    with make_writer(tmp_path) as writer:
        first = write_page(writer, url="https://vocal.media/one", body=HTML)
    update_index(tmp_path)
    with WarcWriter(tmp_path, host="h", clock=FixedClock()) as writer:
        write_page(writer, url="https://vocal.media/two", body=HTML + b"2")
    writer.update_index()
    assert len(read_index(tmp_path)) == 2
    (tmp_path / first.filename).unlink()
    update_index(tmp_path)
    assert [json.loads(line.split(" ", 2)[2])["url"] for line in read_index(tmp_path)] == ["https://vocal.media/two"]


def test_index_command(tmp_path):
    filled_folder(tmp_path)
    run = subprocess.run([str(BIN / "swampcrawl"), "archive", "index", str(tmp_path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "4 lines" in run.stdout and (tmp_path / INDEX_NAME).exists()


def test_writer_lines_wait_in_no_file_of_the_folder_and_span_rolled_files(tmp_path):
    """Lines wait in unnamed temporary files: the folder holds WARCs and the index only; a file
    rolled over mid-run is merged with its own lines, the same index as read from the files."""
    with make_writer(tmp_path, max_size=1) as writer:
        for number in range(5):
            write_page(writer, url=f"https://vocal.media/p{number}", body=HTML + bytes([65 + number]))
            names = {path.name for path in tmp_path.iterdir() if not path.name.startswith(".swampcrawl-digests")}
            assert {name for name in names if not name.endswith(".warc.gz")} <= {INDEX_NAME, INDEX_NAME + ".lock"}
    assert len(writer.files_written) == 5 and len(read_index(tmp_path)) == 5
    assert (tmp_path / INDEX_NAME).read_bytes() == build_index(tmp_path).read_bytes()


def test_a_spool_that_cannot_be_written_has_the_sealed_file_read_back(tmp_path, monkeypatch):
    """A full disk under the spool (not under the WARC) costs a second read of the file, not its lines."""
    def full(self, line):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("swampcrawl.disksort.LineSpool.add", full)
    filled_folder(tmp_path)
    index = (tmp_path / INDEX_NAME).read_bytes()
    assert len(index.splitlines()) == 4 and index == build_index(tmp_path).read_bytes()
