"""`swampcrawl reparse`: other tools' WARCs (wget), damaged records, narrowing to a site, errors.

Reparse of our own crawls is tested against the crawl's database in test_archive_crawl.py.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from archive.cli import reparse
from archive.writer import WarcWriter
from archive_support import read_records
from archive_support import every_written_warc_is_valid  # noqa: F401 (autouse: warcio checks)
from replica_process import ReplicaProcess
from swampcrawl.replica.site import build_site
from crawl_support import story_mismatches
from archive_support import rows_by_key

SWAMPCRAWL = Path(sys.executable).parent / "swampcrawl"
SITE = "http://127.0.0.1:8000"
CAPTURED = datetime(2026, 11, 24, 10, 0, 0, tzinfo=UTC)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(SWAMPCRAWL), "reparse", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def write_site(folder: Path, count: int = 6, host: str = SITE, seed: int = 31) -> dict:
    """A WARC of a replica's story pages, as a crawl would have written them (gzip bodies)."""
    site = build_site(seed=seed, stories=count, port=8000)
    truth = site.truth()
    with WarcWriter(folder, host="test") as writer:
        for number, story in enumerate(truth["stories"]):
            status, headers, body = site.render(story["path"], "")
            headers = [*headers.items(), ("Content-Encoding", "gzip")]
            writer.write_exchange(host + story["path"], "GET", [], b"", "HTTP/1.1", status, headers,
                                  gzip.compress(body, mtime=0), CAPTURED + timedelta(seconds=number))
    return truth


def stories_in(db: Path) -> set[str]:
    return {key[0] for key in rows_by_key(db, "stories")}


# -- other tools' WARCs ------------------------------------------------------------------------


def test_wget_warc_reparses_to_the_stories_wget_fetched(tmp_path):
    wget = shutil.which("wget")
    assert wget, "wget is needed: apt-get install -y wget"
    with ReplicaProcess(stories=30, seed=32) as replica:
        fetched = subprocess.run(
            [wget, "--recursive", "--level=2", "--no-parent", "-e", "robots=off", "--no-verbose", "--tries=1",
             f"--warc-file={tmp_path / 'wget'}", f"--directory-prefix={tmp_path / 'mirror'}", replica.base_url + "/"],
            capture_output=True, text=True, timeout=300,
        )
        truth, base = replica.truth, replica.base_url
    assert fetched.returncode in (0, 8), fetched.stderr  # 8: some URL answered an error (404)
    result = run(str(tmp_path / "wget.warc.gz"), "--db", str(tmp_path / "wget.db"))
    assert result.returncode == 0, result.stderr
    story_pages = {record.get("WARC-Target-URI") for record in read_records(tmp_path / "wget.warc.gz")
                   if record.rec_type == "response" and record.http_status.startswith("200 ")} & {base + s["path"] for s in truth["stories"]}
    assert len(story_pages) >= 10
    rows = rows_by_key(tmp_path / "wget.db", "stories")
    assert {key[0] for key in rows} == story_pages
    tags = Counter((row["story_url"], row["tag_slug"]) for row in rows_by_key(tmp_path / "wget.db", "story_tags").values())
    for story in truth["stories"]:
        if base + story["path"] in story_pages:
            assert story_mismatches(story, rows[(base + story["path"],)], tags) == []


# -- what reparse makes of the files ------------------------------------------------------------


def test_rows_name_their_record_and_its_date(tmp_path):
    truth = write_site(tmp_path / "warc")
    result = CliRunner().invoke(reparse, [str(tmp_path / "warc"), "--db", str(tmp_path / "r.db"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["files"] == 1 and summary["records"] == 6 and summary["pages"] == 6
    assert summary["rows"]["stories"] == summary["rows"]["captures"] == 6
    [warc] = list((tmp_path / "warc").glob("*.warc.gz"))
    responses = {r.get("WARC-Target-URI"): r for r in read_records(warc) if r.rec_type == "response"}
    for story in truth["stories"]:
        row = rows_by_key(tmp_path / "r.db", "stories")[(SITE + story["path"],)]
        record = responses[row["url"]]
        assert (row["warc_filename"], row["warc_offset"], row["warc_record_id"]) == (warc.name, record.offset, record.get("WARC-Record-ID"))
        assert row["captured_at"] == record.get("WARC-Date") and row["title"] == story["title"]


def test_base_url_narrows_to_one_site(tmp_path):
    write_site(tmp_path / "warc")
    write_site(tmp_path / "warc", host="http://127.0.0.1:9000", seed=33)  # other stories, another site
    everything, narrowed = tmp_path / "all.db", tmp_path / "one.db"
    assert run(str(tmp_path / "warc"), "--db", str(everything)).returncode == 0
    assert run(str(tmp_path / "warc"), "--db", str(narrowed), "--base-url", SITE).returncode == 0
    assert len(stories_in(everything)) == 12
    assert stories_in(narrowed) == {url for url in stories_in(everything) if url.startswith(SITE + "/")}
    assert len(rows_by_key(narrowed, "captures")) == 6


def test_a_damaged_record_is_reported_and_the_rest_kept(tmp_path):
    truth = write_site(tmp_path / "warc")
    [warc] = list((tmp_path / "warc").glob("*.warc.gz"))
    damaged = tmp_path / "damaged.warc.gz"
    data = bytearray(warc.read_bytes())
    third = [r for r in read_records(warc) if r.rec_type == "response"][2]
    data[third.offset + 40 : third.offset + 80] = b"X" * 40  # inside its gzip member
    damaged.write_bytes(bytes(data))
    shutil.rmtree(tmp_path / "warc")  # only the damaged copy is read (and warcio would reject it)
    result = run(str(damaged), "--db", str(tmp_path / "r.db"))
    damaged.unlink()
    assert result.returncode == 4, result.stderr  # done, with damage skipped
    [warning] = lines(result.stderr)
    assert warning.startswith(f"warning: damaged.warc.gz: unreadable record at offset {third.offset} (")
    assert warning.endswith(f"resumed at offset {third.offset + third.length}")
    expected = {SITE + s["path"] for s in truth["stories"]} - {third.get("WARC-Target-URI")}
    assert stories_in(tmp_path / "r.db") == expected and "1 errors" in result.stdout


def test_a_revisit_without_its_original_gives_a_capture_but_no_story(tmp_path):
    write_site(tmp_path / "warc", count=2)
    with WarcWriter(tmp_path / "warc", host="test") as writer:  # same folder: a revisit of the first page
        site = build_site(seed=31, stories=2, port=8000)
        path = site.truth()["stories"][0]["path"]
        status, headers, body = site.render(path, "")
        location = writer.write_exchange(SITE + path, "GET", [], b"", "HTTP/1.1", status,
                                         [*headers.items(), ("Content-Encoding", "gzip")], gzip.compress(body, mtime=0),
                                         CAPTURED + timedelta(days=1))
    assert location.revisit
    # Alone, a revisit shows nothing of its site: --base-url says whose it is.
    result = run(str(tmp_path / "warc" / location.filename), "--db", str(tmp_path / "r.db"), "--json", "--base-url", SITE)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["unresolved"] == 1
    assert stories_in(tmp_path / "r.db") == set() and len(rows_by_key(tmp_path / "r.db", "captures")) == 1


def test_database_defaults_to_the_environment(tmp_path):
    write_site(tmp_path / "warc", count=1)
    result = run(str(tmp_path / "warc"), env={"SWAMPCRAWL_DB": str(tmp_path / "env.db")})
    assert result.returncode == 0, result.stderr
    assert len(stories_in(tmp_path / "env.db")) == 1 and str(tmp_path / "env.db") in result.stdout


def test_progress_bar_on_request(tmp_path):
    write_site(tmp_path / "warc", count=2)
    result = run(str(tmp_path / "warc"), "--db", str(tmp_path / "r.db"), "--progress")
    assert result.returncode == 0 and "reading" in result.stderr and "writing" in result.stderr
    quiet = run(str(tmp_path / "warc"), "--db", str(tmp_path / "q.db"))
    assert quiet.stderr == "" and lines(quiet.stdout)[0].startswith(
        "reparse: 1 files, 2 records, 2 pages, 2 stored, 0 skipped, 0 duplicate, 0 unresolved, 0 errors -> ")


def test_help_ends_with_an_example():
    result = CliRunner().invoke(reparse, ["--help"])
    assert "Example:\n\n      swampcrawl reparse data/warc --db" in result.output


# -- errors: one line, non-zero exit, no traceback -------------------------------------------------


def assert_one_line_error(result: subprocess.CompletedProcess, message: str) -> None:
    assert result.returncode == 1
    assert lines(result.stderr) == [f"Error: {message}"], result.stderr
    assert "Traceback" not in result.stderr


def test_missing_path_is_an_error(tmp_path):
    assert_one_line_error(run(str(tmp_path / "nope.warc.gz"), "--db", str(tmp_path / "r.db")),
                          f"no such file or folder: {tmp_path / 'nope.warc.gz'}")
    assert not (tmp_path / "r.db").exists()


def test_a_file_that_is_not_a_warc_is_an_error(tmp_path):
    text = tmp_path / "notes.warc.gz"
    text.write_text("not a WARC at all\n")
    assert_one_line_error(run(str(text), "--db", str(tmp_path / "r.db")), f"not a WARC file: {text}")
    bad_zip = tmp_path / "bad.wacz"
    bad_zip.write_text("no zip")
    result = run(str(bad_zip), "--db", str(tmp_path / "r.db"))
    assert result.returncode == 1 and lines(result.stderr)[0].startswith("Error: not a WACZ file")


def test_a_folder_without_warcs_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    assert_one_line_error(run(str(tmp_path / "empty"), "--db", str(tmp_path / "r.db")), f"no WARC or WACZ files in {tmp_path / 'empty'}")


def test_an_unwritable_database_is_an_error(tmp_path):
    write_site(tmp_path / "warc", count=1)
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where a folder should be")
    result = run(str(tmp_path / "warc"), "--db", str(blocker / "r.db"))
    assert result.returncode == 1 and len(lines(result.stderr)) == 1
    assert lines(result.stderr)[0].startswith("Error: cannot open the database") and "Traceback" not in result.stderr


def test_a_bad_base_url_is_an_error(tmp_path):
    write_site(tmp_path / "warc", count=1)
    result = run(str(tmp_path / "warc"), "--db", str(tmp_path / "r.db"), "--base-url", "vocal.media")
    assert result.returncode == 1 and len(lines(result.stderr)) == 1 and "base URL" in result.stderr


def test_no_path_is_a_usage_error(tmp_path):
    result = run("--db", str(tmp_path / "r.db"))
    assert result.returncode == 2 and "Missing argument" in result.stderr


def test_reparse_is_documented_with_an_example():
    doc = (Path(__file__).resolve().parent.parent / "docs" / "archive.md").read_text()
    assert "Example:\n\n    swampcrawl reparse data/warc --db" in doc


def test_a_database_locked_by_a_crawl_is_an_error(tmp_path):
    from swampcrawl.lock import CrawlLock

    write_site(tmp_path / "warc", count=1)
    with CrawlLock(tmp_path / "r.db"):
        result = run(str(tmp_path / "warc"), "--db", str(tmp_path / "r.db"))
    assert result.returncode == 1 and len(lines(result.stderr)) == 1 and "locked by another crawl" in result.stderr


def test_a_wacz_reparses_like_its_folder_and_is_read_once_beside_it(tmp_path):
    from archive.wacz import write_wacz

    write_site(tmp_path / "warc", count=3)
    wacz = write_wacz(tmp_path / "warc", tmp_path / "site.wacz")
    from_folder, from_both = tmp_path / "folder.db", tmp_path / "both.db"
    assert CliRunner().invoke(reparse, [str(tmp_path / "warc"), "--db", str(from_folder)]).exit_code == 0
    result = CliRunner().invoke(reparse, [str(wacz), str(tmp_path / "warc"), "--db", str(from_both), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["records"] == 6 and summary["duplicates"] == 3 and summary["rows"]["captures"] == 3
    for table in ("stories", "story_versions", "story_tags"):
        assert rows_by_key(from_both, table) == rows_by_key(from_folder, table)


def _tables(db: Path) -> dict[str, list]:
    """Every row of every table, the run's own bookkeeping aside."""
    import sqlite3

    with sqlite3.connect(db) as connection:
        names = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('crawl_runs', 'schema_migrations')")]
        return {name: sorted(map(repr, connection.execute(f"SELECT * FROM {name}"))) for name in names}


def test_pages_extracted_in_worker_processes_give_the_same_database(tmp_path):
    """--jobs 2 (pages extracted in two worker processes, many batches of them) and --jobs 0 (all
    in one process): the same rows, the same summary, a damaged record reported alike."""
    write_site(tmp_path / "warc", count=150)
    [warc] = list((tmp_path / "warc").glob("*.warc.gz"))
    damaged = tmp_path / "damaged.warc.gz"
    data = bytearray(warc.read_bytes())
    middle = [r for r in read_records(warc) if r.rec_type == "response"][75]
    data[middle.offset + 40 : middle.offset + 80] = b"X" * 40  # one record damaged, inside its gzip member
    damaged.write_bytes(bytes(data))
    shutil.rmtree(tmp_path / "warc")  # only the damaged copy is read (and warcio would reject it)
    results = {}
    for jobs in ("0", "2"):
        result = run(str(damaged), "--db", str(tmp_path / f"jobs{jobs}.db"), "--json", "--jobs", jobs)
        assert result.returncode == 4, result.stderr  # the damaged record
        summary = json.loads(result.stdout)
        results[jobs] = ({key: value for key, value in summary.items() if key != "seconds"}, result.stderr)
    assert results["0"] == results["2"]
    assert results["0"][0]["pages"] >= 140 and results["0"][0]["errors"]
    assert _tables(tmp_path / "jobs0.db") == _tables(tmp_path / "jobs2.db")
    assert _tables(tmp_path / "jobs0.db")["stories"]
    damaged.unlink()


def test_jobs_must_be_a_count(tmp_path):
    result = run(str(tmp_path), "--db", str(tmp_path / "r.db"), "--jobs", "-1")
    assert result.returncode == 2 and "--jobs" in result.stderr and "Traceback" not in result.stderr
