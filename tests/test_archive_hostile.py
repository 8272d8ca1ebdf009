"""Hostile and damaged input for the commands that read archives: reparse, wacz, archive index.

Every test builds real files, runs the real command in a subprocess and reads back what came
out (the SQLite database, the WACZ, index.cdxj). The files here are damaged on purpose:
warcio's check is not run over them.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import resource
import sqlite3
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

from archive.writer import WarcWriter
from archive_support import FixedClock, SequentialIds, rows_by_key, write_page
from hostile_warcs import (
    BIN,
    SITE,
    altered,
    content_bomb_warc,
    cut_short,
    deflated_wacz_bomb,
    lines,
    member,
    peak_rss,
    record_bomb_warc,
    replica_pages,
    write_warc,
)
from swampcrawl.store import Store

MB = 1 << 20
SUMMARY = re.compile(r"reparse: (\d+) files, (\d+) records, (\d+) pages, (\d+) stored, (\d+) skipped, "
                     r"(\d+) duplicate, (\d+) unresolved, (\d+) errors -> ")


def swampcrawl(*args: str, env: dict[str, str] | None = None, **options) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "swampcrawl"), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, **options)


def reparse(*args: str, **options) -> subprocess.CompletedProcess:
    return swampcrawl("reparse", *args, **options)


def stories(db: Path) -> set[str]:
    return {key[0] for key in rows_by_key(db, "stories")}


def offsets(members: list[bytes]) -> list[int]:
    found, at = [], 0
    for data in members:
        found.append(at)
        at += len(data)
    return found


def assert_no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


# -- bad records, records cut short ---------------------------------------------------------------


def test_bad_records_are_reported_with_file_and_offset_and_the_run_goes_on(tmp_path):
    pages = replica_pages(3)
    good = [member(url, body) for url, body, _ in pages]
    members = [good[0], member(SITE + "/fyi/bad-status", b"<html></html>", status="abc"),
               good[1], member("http://[::1", b"<html></html>"), good[2]]
    warc = write_warc(tmp_path / "warc" / "hostile.warc.gz", members)
    result = reparse(str(warc), "--db", str(tmp_path / "r.db"))
    assert_no_traceback(result)
    assert result.returncode == 4, result.stderr
    at = offsets(members)
    assert lines(result.stderr) == [
        f"warning: hostile.warc.gz: offset {at[1]}: unreadable HTTP status line 'abc'; record skipped",
        f"warning: hostile.warc.gz: offset {at[3]}: unusable WARC-Target-URI 'http://[::1' (Invalid IPv6 URL); "
        "record skipped",
    ]
    assert stories(tmp_path / "r.db") == {url for url, _, _ in pages}
    assert [int(n) for n in SUMMARY.match(result.stdout).groups()] == [1, 3, 3, 3, 0, 0, 0, 2]
    with sqlite3.connect(tmp_path / "r.db") as conn:  # the run says what the command said
        assert conn.execute("SELECT errors, exit_status FROM crawl_runs").fetchall() == [(2, 4)]


def test_a_record_cut_short_or_altered_is_an_error_not_a_story(tmp_path):
    pages = replica_pages(4)
    members = [member(url, body) for url, body, _ in pages]
    members[1] = cut_short(members[1], 2000)
    members[2] = altered(members[2], b"<title>", b"<TITLE>")
    warc = write_warc(tmp_path / "warc" / "damaged.warc.gz", members)
    result = reparse(str(warc), "--db", str(tmp_path / "r.db"), "--json")
    assert_no_traceback(result)
    assert result.returncode == 4
    summary = json.loads(result.stdout)
    at = offsets(members)
    assert [message.split(": ", 2)[:2] for message in summary["errors"]] == [
        ["damaged.warc.gz", f"offset {at[1]}"], ["damaged.warc.gz", f"offset {at[2]}"]]
    assert stories(tmp_path / "r.db") == {pages[0][0], pages[3][0]}
    errors = {row["url"]: row["reason"] for row in rows_by_key(tmp_path / "r.db", "errors").values()}
    there = len(gzip.decompress(members[1]).split(b"\r\n\r\n", 1)[1])  # the closing CRLFs taken for the block's
    assert errors == {
        pages[1][0]: f"archived record cut short: Content-Length {there - 4 + 2000}, {there} bytes there "
                     f"(damaged.warc.gz at offset {at[1]})",
        pages[2][0]: f"archived record WARC-Block-Digest does not match the bytes there (damaged.warc.gz at offset {at[2]})",
    }
    captures = {row["url"]: row["warc_offset"] for row in rows_by_key(tmp_path / "r.db", "captures").values()}
    assert captures == {url: at[n] for n, (url, _, _) in enumerate(pages)}  # the records are there, pointed at


# -- running twice, older databases ---------------------------------------------------------------


def table_contents(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table but the runs' bookkeeping, sorted."""
    with sqlite3.connect(db) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        kept = [n for n in names if n not in ("crawl_runs", "sqlite_sequence") and not n.startswith("stories_fts")]
        return {name: sorted(map(tuple, conn.execute(f"SELECT * FROM {name}")), key=repr) for name in kept}


def test_reparse_twice_changes_nothing(tmp_path):
    pages = replica_pages(3)
    members = [member(url, body) for url, body, _ in pages]
    members.append(member(SITE + "/static/site.css", b"gone", [("Content-Type", "text/css")], status="404 Not Found"))
    members.append(cut_short(member(*replica_pages(4)[3][:2]), 500))
    write_warc(tmp_path / "warc" / "a.warc.gz", members)
    db = tmp_path / "r.db"
    first = reparse(str(tmp_path / "warc"), "--db", str(db), "--json")
    once = table_contents(db)
    second = reparse(str(tmp_path / "warc"), "--db", str(db), "--json")
    assert first.returncode == second.returncode == 4  # the record cut short, both times
    assert table_contents(db) == once
    assert len(once["captures"]) == 5 and len(once["errors"]) == 2 and len(once["stories"]) == 3
    with sqlite3.connect(db) as conn:  # each run is recorded
        assert conn.execute("SELECT spider FROM crawl_runs ORDER BY id").fetchall() == [("reparse",), ("reparse",)]


def test_captures_doubled_by_older_reparses_are_made_unique(tmp_path):
    db = tmp_path / "old.db"
    rows = [{"url": f"{SITE}/fyi/s{n}", "status": 200, "captured_at": "2026-11-24T09:30:00Z", "kind": "story",
             "warc_filename": "a.warc.gz", "warc_offset": 100 * n, "warc_record_id": f"<urn:uuid:{n}>"} for n in range(3)]
    with Store(db) as store:  # made as before migration 6: no unique index, a reparse run twice
        store.db.execute("DROP INDEX IF EXISTS idx_captures_record")
        store.db.execute("DELETE FROM schema_migrations WHERE version >= 6")
        store.db["captures"].insert_all([*rows, *rows, rows[0]])
        store.db.conn.commit()
    with Store(db) as store:
        kept = list(store.db.query("SELECT id, warc_offset FROM captures ORDER BY id"))
        assert kept == [{"id": 1, "warc_offset": 0}, {"id": 2, "warc_offset": 100}, {"id": 3, "warc_offset": 200}]
        assert store.add_captures(rows) == 0 and store.counts()["captures"] == 3


# -- files that are no archive, other formats, other sites ------------------------------------------


def test_an_unreadable_file_in_a_folder_is_reported_and_the_rest_read(tmp_path):
    pages = replica_pages(2)
    folder = tmp_path / "warc"
    write_warc(folder / "good.warc.gz", [member(url, body) for url, body, _ in pages])
    (folder / "garbage.warc.gz").write_text("not a WARC at all\n")
    (folder / "empty.warc").write_bytes(b"")
    (folder / "broken.wacz").write_bytes(b"PK no zip")
    result = reparse(str(folder), "--db", str(tmp_path / "r.db"))
    assert_no_traceback(result)
    assert result.returncode == 4
    warned = lines(result.stderr)
    assert len(warned) == 3 and all(line.startswith("warning: ") and "skipped" in line for line in warned)
    assert {line.split()[1].rstrip(":") for line in warned} == {"garbage.warc.gz", "empty.warc", "broken.wacz"}
    assert stories(tmp_path / "r.db") == {url for url, _, _ in pages}


def arc_file(path: Path, pages: list[tuple[str, bytes, str]], gzipped: bool) -> list[int]:
    """An ARC (version 1) file of the pages, as the Internet Archive's crawlers wrote them; their offsets."""
    info = b"1 0 swampcrawl-test\nURL IP-address Archive-date Content-type Archive-length\n"
    records = [b"filedesc://%s 0.0.0.0 20261124093000 text/plain %d\n%s\n" % (path.name.encode(), len(info), info)]
    for url, body, _ in pages:
        block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + body
        records.append(b"%s 127.0.0.1 20261124093000 text/html %d\n%s\n" % (url.encode(), len(block), block))
    members = [gzip.compress(record, mtime=0) for record in records] if gzipped else records
    write_warc(path, members)
    return offsets(members)[1:]


@pytest.mark.parametrize("name", ["old.arc", "old.arc.gz"])
def test_arc_files_are_read(tmp_path, name):
    pages = replica_pages(2)
    at = arc_file(tmp_path / name, pages, gzipped=name.endswith(".gz"))
    result = reparse(str(tmp_path / name), "--db", str(tmp_path / "r.db"), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["skipped"] == 0
    rows = rows_by_key(tmp_path / "r.db", "stories")
    assert {key[0] for key in rows} == {url for url, _, _ in pages}
    assert {row["title"] for row in rows.values()} == {title for _, _, title in pages}
    with sqlite3.connect(tmp_path / "r.db") as conn:  # ARC records have no record id: their place names them
        captures = conn.execute("SELECT url, warc_filename, warc_offset FROM captures ORDER BY warc_offset").fetchall()
    assert captures == [(url, name, at[n]) for n, (url, _, _) in enumerate(pages)]
    assert captures and all(row["captured_at"] == "2026-11-24T09:30:00Z" for row in rows.values())


NEXT_BLOG = (b'<html><head><title>A post</title></head><body><h1>A post</h1><p>Words of a blog.</p>'
             b'<script id="__NEXT_DATA__" type="application/json">{"page": "/news/[slug]", "props": {"pageProps": '
             b'{"post": {"id": "1", "slug": "a-post", "name": "A post", "author": {"slug": "jane", "name": "Jane"}}}}}'
             b'</script></body></html>')
OLD_VOCAL = Path(__file__).parent / "fixtures" / "story" / "hand-old-layout"


def test_without_base_url_only_the_platforms_pages_are_taken(tmp_path):
    pages = replica_pages(2)
    vocal_url = json.loads((OLD_VOCAL / "meta.json").read_text())["url"]
    members = [member(url, body) for url, body, _ in pages] + [
        member("http://127.0.0.1:9100/images/a.jpg", b"\xff\xd8jpeg", [("Content-Type", "image/jpeg")]),  # its image host
        member(vocal_url, (OLD_VOCAL / "body.html").read_bytes()),  # vocal.media itself, without __NEXT_DATA__
        member("http://blog.example/news/a-post", NEXT_BLOG),  # a story's shape, another Next.js site
        member("http://blog.example/authors/jane", b"<html><title>Jane</title><h1>Jane</h1></html>"),
        member("https://cdn.example/a.jpg", b"\xff\xd8jpeg", [("Content-Type", "image/jpeg")]),
    ]
    write_warc(tmp_path / "warc" / "mixed.warc.gz", members)
    result = reparse(str(tmp_path / "warc"), "--db", str(tmp_path / "r.db"))
    assert result.returncode == 0, result.stderr
    assert [int(n) for n in SUMMARY.match(result.stdout).groups()] == [1, 7, 3, 4, 3, 0, 0, 0]
    db = tmp_path / "r.db"
    assert stories(db) == {url for url, _, _ in pages} | {vocal_url}
    captured = {row["url"] for row in rows_by_key(db, "captures").values()}
    assert captured == {url for url, _, _ in pages} | {vocal_url, "http://127.0.0.1:9100/images/a.jpg"}
    assert "news" not in {key[0] for key in rows_by_key(db, "communities")}
    assert "jane" not in {key[0] for key in rows_by_key(db, "creators")}


def test_pages_over_the_size_cap_are_errors_not_stories(tmp_path):
    pages = sorted(replica_pages(3), key=lambda page: len(page[1]))
    write_warc(tmp_path / "warc" / "a.warc.gz", [member(url, body) for url, body, _ in pages])
    cap = str(len(pages[1][1]) - 1)  # the two largest pages are over it
    capped = reparse(str(tmp_path / "warc"), "--db", str(tmp_path / "capped.db"), env={"SWAMPCRAWL_MAX_PAGE_SIZE": cap})
    assert capped.returncode == 4
    assert stories(tmp_path / "capped.db") == {pages[0][0]}
    reasons = [row["reason"] for row in rows_by_key(tmp_path / "capped.db", "errors").values()]
    assert len(reasons) == 2 and all(f"body over the size cap of {cap} bytes" in reason for reason in reasons)
    wide = reparse(str(tmp_path / "warc"), "--db", str(tmp_path / "wide.db"), "--max-page-size", "10000000",
                   env={"SWAMPCRAWL_MAX_PAGE_SIZE": cap})  # the option wins
    assert wide.returncode == 0 and stories(tmp_path / "wide.db") == {url for url, _, _ in pages}


# -- bombs: bounded memory -------------------------------------------------------------------------

RSS_LIMIT = 300 * MB


@pytest.fixture(scope="module")
def bombs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bombs")
    content_bomb_warc(folder / "warc" / "content-bomb.warc.gz")  # ~5 MB of gzip inflating to 1 GB
    record_bomb_warc(folder / "warc" / "record-bomb.warc.gz")  # a record whose own member inflates to 1 GB
    deflated_wacz_bomb(folder / "deflated.wacz")  # a WARC member deflated to ~7 MB from 1.5 GB
    return folder


def test_reparse_of_gzip_bombs_stays_small(bombs, tmp_path):
    peak, result = peak_rss(str(BIN / "swampcrawl"), "reparse", str(bombs / "warc"), "--db", str(tmp_path / "r.db"))
    assert peak < RSS_LIMIT, f"{peak // MB} MB"
    assert result.returncode == 4, result.stderr
    warned = lines(result.stderr)
    assert len(warned) == 2 and all("body over the size cap of 5000000 bytes" in line for line in warned)
    assert stories(tmp_path / "r.db") == set() and len(rows_by_key(tmp_path / "r.db", "errors")) == 2


def test_reparse_of_a_wacz_with_a_deflated_bomb_stays_small(bombs, tmp_path):
    peak, result = peak_rss(str(BIN / "swampcrawl"), "reparse", str(bombs / "deflated.wacz"), "--db", str(tmp_path / "r.db"))
    assert peak < RSS_LIMIT, f"{peak // MB} MB"
    assert result.returncode == 4 and "Traceback" not in result.stderr
    [warning] = lines(result.stderr)
    assert warning.startswith("warning: deflated.wacz:archive/bomb.warc: would inflate from ") and "skipped" in warning


def test_wacz_of_gzip_bombs_stays_small_and_its_reparse_too(bombs, tmp_path):
    output = tmp_path / "bombs.wacz"
    peak, result = peak_rss(str(BIN / "swampcrawl"), "wacz", str(bombs / "warc"), "-o", str(output))
    assert peak < RSS_LIMIT, f"{peak // MB} MB"
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(output) as archive:
        pages = [json.loads(line) for line in archive.read("pages/pages.jsonl").splitlines()[1:]]
    assert sorted((page["url"], page["title"]) for page in pages) == [
        ("https://vocal.media/fyi/bomb", ""), ("https://vocal.media/fyi/huge", "")]  # listed, never read whole
    peak, result = peak_rss(str(BIN / "swampcrawl"), "reparse", str(output), "--db", str(tmp_path / "r.db"))
    assert peak < RSS_LIMIT, f"{peak // MB} MB"
    assert result.returncode == 4 and len(lines(result.stderr)) == 2


# -- the index and the WACZ: garbage in the folder, where the WACZ goes ------------------------------


def test_a_garbage_warc_does_not_stop_the_index(tmp_path, caplog):
    folder = tmp_path / "warc"
    folder.mkdir()
    (folder / "garbage.warc.gz").write_bytes(gzip.compress(b"<html>a page saved under the wrong name</html>"))
    with WarcWriter(folder, host="testhost", clock=FixedClock(), record_id_factory=SequentialIds()) as writer:
        first = write_page(writer, url="https://vocal.media/fyi/one")
    assert any("garbage.warc.gz" in message for message in caplog.messages)
    indexed = (folder / "index.cdxj").read_text().splitlines()
    assert [json.loads(line.split(" ", 2)[2])["offset"] for line in indexed] == [str(first.offset)]
    with WarcWriter(folder, host="testhost", clock=FixedClock(), record_id_factory=SequentialIds()) as writer:
        write_page(writer, url="https://vocal.media/fyi/two", body=b"<html>two</html>")
    assert len((folder / "index.cdxj").read_text().splitlines()) == 2  # updated again, and again
    result = swampcrawl("archive", "index", str(folder))
    assert result.returncode == 4 and lines(result.stdout) == [f"wrote {folder / 'index.cdxj'} (2 lines)"]
    [warning] = lines(result.stderr)
    assert warning == "warning: garbage.warc.gz: not a WARC or ARC file; skipped"


def test_the_index_holds_the_records_around_damage(tmp_path):
    pages = replica_pages(3)
    members = [member(url, body) for url, body, _ in pages]
    broken = bytearray(members[1])
    broken[len(broken) // 2] ^= 0xFF
    write_warc(tmp_path / "a.warc.gz", [members[0], bytes(broken), members[2]])
    result = swampcrawl("archive", "index", str(tmp_path))
    assert result.returncode == 4 and "Traceback" not in result.stderr
    assert "a.warc.gz: unreadable record at offset" in result.stderr
    urls = [json.loads(line.split(" ", 2)[2])["url"] for line in (tmp_path / "index.cdxj").read_text().splitlines()]
    assert sorted(urls) == sorted([pages[0][0], pages[2][0]])


def small_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "warc"
    write_warc(folder / "a.warc.gz", [member(url, body) for url, body, _ in replica_pages(2)])
    return folder


def test_a_garbage_warc_is_left_out_of_the_wacz(tmp_path):
    folder = small_folder(tmp_path)
    (folder / "garbage.warc.gz").write_bytes(gzip.compress(b"<html>a page saved under the wrong name</html>"))
    output = tmp_path / "vocal.wacz"
    result = swampcrawl("wacz", str(folder), "-o", str(output))
    assert result.returncode == 4 and lines(result.stdout) == [f"wrote {output}"]
    assert lines(result.stderr) == ["warning: garbage.warc.gz: nothing in it reads as a record "
                                    "(not a WARC or ARC file; skipped); left out of the WACZ"]
    with zipfile.ZipFile(output) as archive:
        assert [name for name in archive.namelist() if name.startswith("archive/")] == ["archive/a.warc.gz"]
        assert len(archive.read("indexes/index.cdx").splitlines()) == 2
    valid = subprocess.run([str(BIN / "wacz"), "validate", "-f", str(output)], capture_output=True, text=True)
    assert valid.returncode == 0, valid.stdout + valid.stderr


@pytest.mark.parametrize("kind", ["fifo", "symlink", "device"])
def test_wacz_never_writes_over_what_is_not_a_regular_file(tmp_path, kind):
    folder, target = small_folder(tmp_path), tmp_path / "out" / "target.wacz"
    target.parent.mkdir()
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "symlink":
        (target.parent / "real.wacz").write_bytes(b"kept")
        target.symlink_to("real.wacz")
    else:
        target = Path("/dev/full")
        assert stat.S_ISCHR(target.stat().st_mode)
    before = {path.name for path in target.parent.iterdir()} if kind != "device" else None
    result = swampcrawl("wacz", str(folder), "-o", str(target))
    assert result.returncode == 1
    assert lines(result.stderr) == [f"Error: {target} exists and is not a regular file: not writing over it"]
    mode = target.lstat().st_mode
    assert {"fifo": stat.S_ISFIFO, "symlink": stat.S_ISLNK, "device": stat.S_ISCHR}[kind](mode)
    if before is not None:  # nothing left beside it either
        assert {path.name for path in target.parent.iterdir()} == before
    if kind == "symlink":
        assert (target.parent / "real.wacz").read_bytes() == b"kept"


def test_a_wacz_that_cannot_be_written_leaves_the_old_one_and_nothing_else(tmp_path):
    folder, output = small_folder(tmp_path), tmp_path / "out" / "vocal.wacz"
    output.parent.mkdir()
    output.write_bytes(b"the previous WACZ")

    limit = (folder / "a.warc.gz").stat().st_size  # the WACZ holds the WARC and more: it cannot fit

    def small_files() -> None:  # the disk fills up
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = swampcrawl("wacz", str(folder), "-o", str(output), preexec_fn=small_files)
    assert result.returncode == 1 and len(lines(result.stderr)) == 1, result.stderr
    assert lines(result.stderr)[0].startswith("Error: File too large") and "Traceback" not in result.stderr
    assert output.read_bytes() == b"the previous WACZ"
    assert [path.name for path in output.parent.iterdir()] == ["vocal.wacz"]


# -- every command error: one line, exit status 1 -----------------------------------------------------


def error_cases(tmp_path: Path) -> dict[str, tuple[list[str], dict[str, str], str]]:
    folder = small_folder(tmp_path)
    (tmp_path / "a-file").write_text("a file where a folder should be")
    (tmp_path / "idx").mkdir()
    write_warc(tmp_path / "idx" / "a.warc.gz", [member(SITE + "/fyi/x", b"<html></html>")])
    (tmp_path / "idx" / "index.cdxj").mkdir()  # the index cannot be written
    (tmp_path / "notes.txt").write_text("my notes, not a WARC")
    return {
        "option": (["reparse", str(folder), "--db", str(tmp_path / "r.db"), "--max-page-size", "abc"], {},
                   "Error: the page size cap (--max-page-size, $SWAMPCRAWL_MAX_PAGE_SIZE) must be a whole number "
                   "of bytes, not 'abc'"),
        "environment": (["wacz", str(folder), "-o", str(tmp_path / "x.wacz")], {"SWAMPCRAWL_MAX_PAGE_SIZE": "0"},
                        "Error: the page size cap (--max-page-size, $SWAMPCRAWL_MAX_PAGE_SIZE) must be at least 1, not 0"),
        "output folder": (["wacz", str(folder), "-o", str(tmp_path / "a-file" / "x.wacz")], {},
                          f"Error: File exists: {tmp_path / 'a-file'}"),
        "index": (["archive", "index", str(tmp_path / "idx")], {},
                  f"Error: Is a directory: {tmp_path / 'idx' / 'index.cdxj'}"),
        "repair": (["archive", "repair", str(tmp_path / "notes.txt")], {},
                   "notes.txt: left as it was: nothing in it reads as a WARC record"),
    }


@pytest.mark.parametrize("case", ["option", "environment", "output folder", "index", "repair"])
def test_command_errors_are_one_line(tmp_path, case):
    args, env, message = error_cases(tmp_path)[case]
    result = swampcrawl(*args, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert lines(result.stderr) == [message]
    if case == "repair":
        assert (tmp_path / "notes.txt").read_text() == "my notes, not a WARC"
