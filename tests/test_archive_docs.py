"""docs/archive.md is the archive's contract: every command and setting must be in it."""

from __future__ import annotations

import gzip
import re
import subprocess
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from archive.capture import WarcCapture
from archive_support import BIN

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "archive.md").read_text()


@pytest.mark.parametrize("command", ["swampcrawl wacz", "swampcrawl archive repair", "swampcrawl archive index"])
def test_command_documented_with_an_example(command):
    assert re.search(rf"Example:\s+{re.escape(command)} ", DOC), command
    help_text = subprocess.run([str(BIN / "swampcrawl"), *command.split()[1:], "--help"],
                               capture_output=True, text=True, check=True).stdout
    assert "Example:" in help_text and command in help_text


@pytest.mark.parametrize("setting", ["SWAMPCRAWL_WARC_DIR", "SWAMPCRAWL_WARC_PREFIX", "SWAMPCRAWL_WARC_MAX_SIZE",
                                     "SWAMPCRAWL_WARC_GZIP_LEVEL"])
def test_setting_documented_and_read(setting, tmp_path):
    assert setting in DOC
    # read by the extension, or by the validator it calls in from_crawler
    assert setting in (ROOT / "archive" / "capture.py").read_text() + (ROOT / "swampcrawl" / "config.py").read_text()
    values = {"SWAMPCRAWL_WARC_DIR": tmp_path / "warc", "SWAMPCRAWL_WARC_PREFIX": "docs",
              "SWAMPCRAWL_WARC_MAX_SIZE": 12345, "SWAMPCRAWL_WARC_GZIP_LEVEL": 7}
    writer = WarcCapture.from_crawler(get_crawler(settings_dict=values)).writer
    read = {"SWAMPCRAWL_WARC_DIR": writer.directory, "SWAMPCRAWL_WARC_PREFIX": writer.prefix,
            "SWAMPCRAWL_WARC_MAX_SIZE": writer.max_size, "SWAMPCRAWL_WARC_GZIP_LEVEL": writer.gzip_level}
    writer.close()
    assert read[setting] == values[setting]  # the extension builds its writer from the setting


def test_corrupt_warc_gives_one_line_error(tmp_path):
    # a response record without WARC-Target-URI: warcio itself fails on it
    (tmp_path / "bad.warc.gz").write_bytes(gzip.compress(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 5\r\n\r\nabc"))
    run = subprocess.run([str(BIN / "swampcrawl"), "archive", "index", str(tmp_path)], capture_output=True, text=True)
    assert run.returncode != 0 and len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
    assert "bad.warc.gz" in run.stderr
