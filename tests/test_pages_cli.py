"""``swampcrawl extract`` and ``swampcrawl fixture``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from swampcrawl.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = FIXTURES / "story" / "hand-sample-swamp"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_extract_prints_one_json_object():
    meta = json.loads((SAMPLE / "meta.json").read_text())
    result = run("extract", str(SAMPLE / "body.html"), "--url", meta["url"], "--captured-at", meta["captured_at"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record == json.loads((SAMPLE / "output.json").read_text())


def test_extract_decodes_with_the_content_type():
    case = FIXTURES / "story" / "hand-windows-1252-header"
    meta = json.loads((case / "meta.json").read_text())
    args = ["extract", str(case / "body.html"), "--url", meta["url"], "--captured-at", meta["captured_at"]]
    result = run(*args, "--content-type", meta["content_type"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads((case / "output.json").read_text(encoding="utf-8"))
    assert json.loads(result.output)["title"] == "Café “Le Moulin”"
    assert json.loads(run(*args).output)["title"] != "Café “Le Moulin”"  # read as UTF-8 without it


def test_extract_exits_1_with_errors_when_nothing_is_extractable(tmp_path):
    page = tmp_path / "empty.html"
    page.write_bytes(b"\x00\xff<<<not html")
    result = run("extract", str(page), "--url", "https://vocal.media/theSwamp/x")
    assert result.exit_code == 1
    record = json.loads(result.output)
    assert record["source"] == "none" and record["errors"]


def test_extract_listing_pages_print_their_links():
    case = FIXTURES / "listing" / "replica-global-latest"
    meta = json.loads((case / "meta.json").read_text())
    result = run("extract", str(case / "body.html"), "--url", meta["url"])
    assert result.exit_code == 0
    listing = json.loads(result.output)
    assert listing["kind"] == "global_listing" and listing["story_urls"]
    assert listing == json.loads((case / "output.json").read_text())


def test_bad_arguments_give_one_clear_line(tmp_path):
    page = tmp_path / "p.html"
    page.write_text("<h1>x</h1>")
    result = run("extract", str(page), "--url", "not a url")
    assert result.exit_code == 2 and "not an http(s) URL" in result.output
    result = run("extract", str(page), "--url", "https://vocal.media/a/b", "--captured-at", "yesterday")
    assert result.exit_code == 2 and "not an ISO 8601 time" in result.output
    assert "Traceback" not in result.output


def test_fixture_writes_a_case(tmp_path):
    result = run("fixture", str(SAMPLE / "body.html"), "--url", "https://vocal.media/theSwamp/s",
                 "--captured-at", "2026-11-24T09:30:00Z", "--kind-dir", str(tmp_path), "--name", "case")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "story" / "case"
    assert (folder / "body.html").read_bytes() == (SAMPLE / "body.html").read_bytes()
    assert json.loads((folder / "meta.json").read_text()) == {"url": "https://vocal.media/theSwamp/s", "captured_at": "2026-11-24T09:30:00Z"}
    assert json.loads((folder / "output.json").read_text())["title"].startswith("With Tensions High")


def test_fixture_keeps_the_content_type(tmp_path):
    case = FIXTURES / "story" / "hand-windows-1252-header"
    result = run("fixture", str(case / "body.html"), "--url", "https://vocal.media/theSwamp/cafe-le-moulin",
                 "--captured-at", "2026-11-24T09:30:00Z", "--kind-dir", str(tmp_path), "--name", "case",
                 "--content-type", "text/html; charset=windows-1252")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "story" / "case"
    assert json.loads((folder / "meta.json").read_text())["content_type"] == "text/html; charset=windows-1252"
    assert json.loads((folder / "output.json").read_text(encoding="utf-8")) == json.loads((case / "output.json").read_text(encoding="utf-8"))


def test_extract_refuses_a_file_over_the_page_size_cap(tmp_path, monkeypatch):
    page = tmp_path / "huge.html"
    with page.open("wb") as handle:  # a sparse 6 MB file: over the 5 MB default
        handle.truncate(6_000_000)
    result = run("extract", str(page), "--url", "https://vocal.media/theSwamp/a-story")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {page} is 6,000,000 bytes, over SWAMPCRAWL_MAX_PAGE_SIZE (5,000,000): not a page of this platform"]
    monkeypatch.setenv("SWAMPCRAWL_MAX_PAGE_SIZE", "lots")
    result = run("extract", str(page), "--url", "https://vocal.media/theSwamp/a-story")
    assert result.exit_code == 1 and "SWAMPCRAWL_MAX_PAGE_SIZE must be a whole number" in result.output
