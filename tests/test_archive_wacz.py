"""WACZ packaging: validates with ``wacz validate``, stores WARCs, lists the pages."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import uuid
import zipfile

from archive.wacz import is_page, page_id, write_wacz
from archive_support import BIN
from archive_support import every_written_warc_is_valid  # noqa: F401 (autouse: warcio checks)
from archive_support import make_writer, write_page

HTML_HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")]


def page(title: str) -> bytes:
    return gzip.compress(f"<html><head><title>{title}</title></head><body>{title}</body></html>".encode())


def archive_folder(tmp_path):
    folder = tmp_path / "warc"
    with make_writer(folder) as writer:
        story = write_page(writer, url="https://vocal.media/fyi/a-story", body=page("A story"), headers=HTML_HEADERS)
        # What a crawl writes beside a page: the extracted item, under a URI no browser asks for.
        writer.write_metadata("urn:pageinfo:https://vocal.media/fyi/a-story", story.record_id, {"title": "A story"})
        write_page(writer, url="https://vocal.media/authors/jo", body=page("Jo &amp; co"), headers=HTML_HEADERS)
        write_page(writer, url="https://vocal.media/fyi/copy", body=page("A story"), headers=HTML_HEADERS)
        write_page(writer, url="https://vocal.media/latest-stories", body=page("Latest"), headers=HTML_HEADERS)
        write_page(writer, url="https://vocal.media/tag/cats", body=page("Cats"), headers=HTML_HEADERS)
        write_page(writer, url="https://vocal.media/robots.txt", body=b"User-agent: *", headers=[("Content-Type", "text/plain")])
        write_page(writer, url="https://vocal.media/fyi/gone", status=404, body=page("Gone"), headers=HTML_HEADERS)
    return folder


def test_wacz_validates_and_lists_pages(tmp_path):
    output = write_wacz(archive_folder(tmp_path), tmp_path / "vocal.wacz")
    run = subprocess.run([str(BIN / "wacz"), "validate", "-f", str(output)], capture_output=True, text=True)
    assert run.returncode == 0 and "valid" in run.stdout, run.stdout + run.stderr
    with zipfile.ZipFile(output) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        pages = [json.loads(line) for line in archive.read("pages/pages.jsonl").splitlines()]
        package = json.loads(archive.read("datapackage.json"))
        index = archive.read("indexes/index.cdx").splitlines()
    warcs = [name for name in infos if name.startswith("archive/")]
    assert warcs and all(infos[name].compress_type == zipfile.ZIP_STORED for name in warcs)
    assert pages[0] == {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
    assert [(p["url"], p["title"]) for p in pages[1:]] == [
        ("https://vocal.media/fyi/a-story", "A story"), ("https://vocal.media/authors/jo", "Jo & co"),
        ("https://vocal.media/fyi/copy", "A story"),  # a revisit: title from the original's payload
    ]
    assert pages[1]["ts"] == "2026-11-24T09:30:00Z"
    # Every page has an id (ReplayWeb.page keys its page list by it), stable from run to run.
    assert all(set(p) == {"id", "url", "ts", "title"} for p in pages[1:])
    ids = [p["id"] for p in pages[1:]]
    assert len(set(ids)) == len(ids) and all(uuid.UUID(i) for i in ids)
    assert pages[1]["id"] == page_id("https://vocal.media/fyi/a-story", "2026-11-24T09:30:00Z")  # stable
    assert not any(b"urn:" in line for line in index)  # metadata records are neither indexed nor pages
    assert package["wacz_version"] == "1.1.1" and package["profile"] == "data-package"
    assert {r["path"] for r in package["resources"]} == set(infos) - {"datapackage.json", "datapackage-digest.json"}
    assert index == sorted(index) and len(index) == 7


def test_title_callback(tmp_path):
    output = write_wacz(archive_folder(tmp_path), tmp_path / "t.wacz", title_for=lambda c: c.url.upper())
    with zipfile.ZipFile(output) as archive:
        pages = [json.loads(line) for line in archive.read("pages/pages.jsonl").splitlines()[1:]]
    assert pages[0]["title"] == "HTTPS://VOCAL.MEDIA/FYI/A-STORY"


def test_wacz_command_with_default_folder_from_environment(tmp_path):
    folder = archive_folder(tmp_path)
    env = {**os.environ, "SWAMPCRAWL_WARC_DIR": str(folder)}
    run = subprocess.run([str(BIN / "swampcrawl"), "wacz", "-o", str(tmp_path / "x.wacz")], env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "x.wacz").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    failed = subprocess.run([str(BIN / "swampcrawl"), "wacz", str(empty), "-o", str(tmp_path / "y.wacz")],
                            capture_output=True, text=True)
    assert failed.returncode != 0 and failed.stderr.strip().count("\n") == 0 and "no .warc.gz" in failed.stderr


def test_which_captures_are_pages():
    from archive.reader import Capture
    from archive_support import EXCHANGE_DATE

    def capture(url, status=200, kind="text/html"):
        return Capture(url, status, [("Content-Type", kind)], b"", EXCHANGE_DATE, "f", 0, "id")

    assert is_page(capture("https://vocal.media/fyi/story"))
    assert is_page(capture("https://vocal.media/authors/jo"))
    assert not is_page(capture("urn:pageinfo:https://vocal.media/fyi/story"))
    assert not is_page(capture("https://vocal.media/fyi/story", status=301))
    assert not is_page(capture("https://vocal.media/top-stories"))
    assert not is_page(capture("https://vocal.media/sitemap.xml", kind="application/xml"))
    assert not is_page(capture("https://vocal.media/a.png", kind="image/png"))
