"""Replay in pywb: a gzip page comes back as archived, revisits resolve (same and other URL)."""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone

import pytest

from archive_support import PYWB_BIN, HTML, GZIP_HTML, assert_folder_valid, free_port, replay, wait_for_port
from archive_support import every_written_warc_is_valid  # noqa: F401 (autouse: warcio checks)
from archive_support import RESPONSE_HEADERS, make_writer

DAY1 = datetime(2026, 11, 1, 10, 0, 0, tzinfo=timezone.utc)
DAY2 = datetime(2026, 11, 2, 10, 0, 0, tzinfo=timezone.utc)
URL = "https://vocal.media/fyi/a-story?ref=home"


def write(writer, url: str, date: datetime, status: int = 200, body: bytes = GZIP_HTML):
    return writer.write_exchange(url, "GET", [], b"", "HTTP/1.1", status, RESPONSE_HEADERS, body, date)


@pytest.fixture
def wayback(tmp_path):
    """A pywb instance serving the folder's index.cdxj as collection ``coll``."""
    folder = tmp_path / "warc"
    with make_writer(folder) as writer:
        assert not write(writer, URL, DAY1).revisit
        assert write(writer, "https://vocal.media/fyi/mirror", DAY2).revisit
    with make_writer(folder) as writer:  # a second run into the same folder
        assert write(writer, URL, DAY2).revisit
        write(writer, "https://vocal.media/gone", DAY2, status=404, body=b"not here")
    writer.update_index()
    assert_folder_valid(folder)
    (tmp_path / "config.yaml").write_text(
        f"collections:\n  coll:\n    index_paths: {folder / 'index.cdxj'}\n    archive_paths: {folder}/\n"
    )
    port = free_port()
    process = subprocess.Popen([str(PYWB_BIN / "wayback"), "-p", str(port), "-b", "127.0.0.1"], cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}/coll"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_replay_original_and_revisits(wayback):
    assert replay(wayback, "20261101100000", URL) == (200, HTML)
    assert replay(wayback, "20261102100000", URL) == (200, HTML)  # revisit, same URL, other file
    assert replay(wayback, "20261102100000", "https://vocal.media/fyi/mirror") == (200, HTML)  # other URL
    assert replay(wayback, "20261102100000", "https://vocal.media/gone") == (404, b"not here")
