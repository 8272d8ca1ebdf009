"""WarcWriter: records as an archivist expects them, read back with warcio and checked by it."""

from __future__ import annotations

import gzip
import re

from warcio.utils import Digester

from archive_support import (
    EXCHANGE_DATE, GZIP_HTML, HTML, FixedClock, assert_folder_valid,
    make_writer, read_records, warc_files, write_page,
)
from archive_support import every_written_warc_is_valid  # noqa: F401 (autouse: warcio checks)

NAME_RE = re.compile(r"^swampcrawl-\d{14}-\d{5}-testhost\.warc\.gz$")


def test_exchange_records_read_back_as_written(tmp_path):
    with make_writer(tmp_path) as writer:
        location = write_page(writer)
    [path] = warc_files(tmp_path)
    assert NAME_RE.match(path.name) and location.filename == path.name
    assert_folder_valid(tmp_path)
    info, request, response = read_records(path)
    assert info.rec_type == "warcinfo"
    assert b"swampcrawl/" in info.raw and b"warcio/" in info.raw and b"robots: obey" in info.raw
    assert b"hostname: testhost" in info.raw and info.get("WARC-Filename") == path.name
    assert request.http_status == "/fyi/a-story?ref=home&page=2 HTTP/1.1"  # warcio: method is the protocol
    assert ("Host", "vocal.media") in request.http_headers
    assert response.http_status == "200 OK"
    assert response.raw == GZIP_HTML  # still content-encoded, exactly as received
    assert [v for k, v in response.http_headers if k == "Set-Cookie"] == ["session=abc; Path=/", "theme=dark; Path=/"]
    assert ("Content-Encoding", "gzip") in response.http_headers
    assert request.get("WARC-Date") == response.get("WARC-Date") == "2026-11-24T09:30:00Z"
    assert request.get("WARC-Concurrent-To") == response.get("WARC-Record-ID") == location.record_id
    assert (location.offset, location.length) == (response.offset, response.length)


def test_every_record_has_the_required_fields_and_one_version(tmp_path):
    with make_writer(tmp_path) as writer:
        write_page(writer)
        writer.write_metadata("https://vocal.media/fyi/a-story", None, {"title": "A story"})
    raw = b"".join(gzip.open(p).read() for p in warc_files(tmp_path))
    assert raw.count(b"WARC/1.1\r\n") == 4 and b"WARC/1.0" not in raw
    for record in read_records(warc_files(tmp_path)[0]):
        for field in ("WARC-Record-ID", "WARC-Date", "WARC-Type", "Content-Length", "WARC-Block-Digest"):
            assert record.get(field), (record.rec_type, field)


def test_digests_are_the_ones_warcio_computes(tmp_path):
    with make_writer(tmp_path) as writer:
        location = write_page(writer)
    [path] = warc_files(tmp_path)
    response = read_records(path)[2]
    digester = Digester("sha1")
    digester.update(GZIP_HTML)
    assert response.get("WARC-Payload-Digest") == str(digester) == location.payload_digest
    member = path.read_bytes()[response.offset:response.offset + response.length]
    block = gzip.decompress(member).split(b"\r\n\r\n", 1)[1].removesuffix(b"\r\n\r\n")
    digester = Digester("sha1")
    digester.update(block)  # HTTP headers and body, as stored
    assert block.endswith(GZIP_HTML) and response.get("WARC-Block-Digest") == str(digester)


def test_identical_inputs_give_identical_bytes(tmp_path):
    for name in ("one", "two"):
        with make_writer(tmp_path / name) as writer:
            write_page(writer)
            write_page(writer, url="https://vocal.media/404", status=404, body=b"gone", headers=[])
    [first], [second] = warc_files(tmp_path / "one"), warc_files(tmp_path / "two")
    assert first.name == second.name == "swampcrawl-20261124090000-00000-testhost.warc.gz"
    assert first.read_bytes() == second.read_bytes()


def test_transfer_encoding_dropped_and_length_fixed(tmp_path):
    headers = [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")]
    with make_writer(tmp_path) as writer:
        write_page(writer, body=HTML, headers=headers)
        write_page(writer, url="https://vocal.media/cut", body=HTML[:10], headers=[("Content-Length", "999")],
                   truncated="length")
    assert_folder_valid(tmp_path)
    records = read_records(warc_files(tmp_path)[0])
    first, cut = records[2], records[4]
    assert not any(k.lower() == "transfer-encoding" for k, _ in first.http_headers)
    assert ("Content-Length", str(len(HTML))) in first.http_headers and first.raw == HTML
    assert ("Content-Length", "10") in cut.http_headers and ("X-Archive-Orig-Content-Length", "999") in cut.http_headers
    assert cut.get("WARC-Truncated") == "length"


def test_status_lines_of_errors_and_redirects(tmp_path):
    with make_writer(tmp_path) as writer:
        write_page(writer, url="https://vocal.media/old", status=301, body=b"", headers=[("Location", "/new")])
        write_page(writer, url="https://vocal.media/x", status=500, body=b"oops", headers=[])
        write_page(writer, url="https://vocal.media/y", status=599, body=b"", headers=[])
    statuses = [r.http_status for r in read_records(warc_files(tmp_path)[0]) if r.rec_type == "response"]
    assert statuses == ["301 Moved Permanently", "500 Internal Server Error", "599 Unknown"]
    assert_folder_valid(tmp_path)


def test_revisit_within_a_run(tmp_path):
    with make_writer(tmp_path) as writer:
        original = write_page(writer)
        again = write_page(writer, url="https://vocal.media/fyi/a-story")
        not_found = [write_page(writer, url=f"https://vocal.media/gone{i}", status=404, body=b"gone") for i in range(2)]
        empty = [write_page(writer, url=f"https://vocal.media/e{i}", body=b"") for i in range(2)]
    assert not original.revisit and again.revisit
    assert not any(loc.revisit for loc in not_found + empty)
    revisit = read_records(warc_files(tmp_path)[0])[4]
    assert revisit.rec_type == "revisit" and revisit.raw == b""
    assert revisit.get("WARC-Profile") == "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
    assert revisit.get("WARC-Refers-To-Target-URI") == "https://vocal.media/fyi/a-story?ref=home&page=2"
    assert revisit.get("WARC-Refers-To-Date") == "2026-11-24T09:30:00Z"
    assert revisit.get("WARC-Refers-To") == original.record_id
    assert revisit.get("WARC-Payload-Digest") == original.payload_digest
    assert revisit.http_status == "200 OK" and ("Content-Encoding", "gzip") in revisit.http_headers
    assert_folder_valid(tmp_path)


def test_revisit_across_two_writers_on_one_folder(tmp_path):
    with make_writer(tmp_path) as writer:
        original = write_page(writer)
    with make_writer(tmp_path, clock=FixedClock(EXCHANGE_DATE)) as writer:
        again = write_page(writer)
    assert again.revisit and again.filename != original.filename
    revisit = [r for r in read_records(tmp_path / again.filename) if r.rec_type == "revisit"][0]
    assert revisit.get("WARC-Refers-To") == original.record_id
    assert_folder_valid(tmp_path)


def test_no_revisit_to_a_deleted_file(tmp_path):
    with make_writer(tmp_path) as writer:
        original = write_page(writer)
    (tmp_path / original.filename).unlink()
    with make_writer(tmp_path) as writer:
        assert not write_page(writer).revisit


def test_rollover_at_max_size(tmp_path):
    with make_writer(tmp_path, max_size=1500) as writer:
        locations = [write_page(writer, url=f"https://vocal.media/s{i}", body=HTML + bytes([i])) for i in range(5)]
    files = warc_files(tmp_path)
    assert len(files) > 1 and all(NAME_RE.match(p.name) for p in files)
    assert sorted({loc.filename for loc in locations}) == [p.name for p in files]
    for path in files:
        assert read_records(path)[0].rec_type == "warcinfo"
    assert_folder_valid(tmp_path)


def test_open_suffix_while_writing_and_flushed_per_exchange(tmp_path):
    writer = make_writer(tmp_path)
    write_page(writer)
    [open_file] = tmp_path.glob("*.warc.gz.open")
    assert writer.current_path == open_file and not warc_files(tmp_path)
    assert len(read_records(open_file)) == 3  # everything flushed already
    writer.close()
    assert not list(tmp_path.glob("*.open")) and len(warc_files(tmp_path)) == 1


def test_metadata_record_refers_to_response(tmp_path):
    with make_writer(tmp_path) as writer:
        response = write_page(writer)
        meta = writer.write_metadata("https://vocal.media/fyi/a-story", response.record_id, {"title": "ü"})
    record = read_records(tmp_path / meta.filename)[-1]
    assert record.rec_type == "metadata" and record.get("WARC-Refers-To") == response.record_id
    assert record.get("Content-Type") == "application/json" and record.raw == '{"title": "ü"}'.encode()
    assert_folder_valid(tmp_path)


def test_gzip_level_is_a_parameter(tmp_path):
    sizes = {}
    for level in (0, 1, 9):
        with make_writer(tmp_path / str(level), gzip_level=level) as writer:
            write_page(writer, body=HTML * 50, headers=[("Content-Type", "text/html")])
        assert_folder_valid(tmp_path / str(level))
        [path] = warc_files(tmp_path / str(level))
        assert read_records(path)[2].raw == HTML * 50
        sizes[level] = path.stat().st_size
    assert sizes[0] > sizes[1] >= sizes[9]  # stored, then ever more compressed


def test_request_and_response_bytes_exactly(tmp_path):
    with make_writer(tmp_path) as writer:
        write_page(writer, body=b"hi", headers=[("Content-Type", "text/plain"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
    text = gzip.open(warc_files(tmp_path)[0]).read().decode()
    request, response = text.split("WARC/1.1\r\n")[2:4]
    assert request == (
        "WARC-Type: request\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>\r\n"
        "WARC-Date: 2026-11-24T09:30:00Z\r\nWARC-Target-URI: https://vocal.media/fyi/a-story?ref=home&page=2\r\n"
        "WARC-Concurrent-To: <urn:uuid:00000000-0000-4000-8000-000000000002>\r\n"
        "Content-Type: application/http;msgtype=request\r\n"
        "WARC-Block-Digest: sha1:CMUJTIMI43A23KMWFQB2JHFNOFZ5QUCG\r\nContent-Length: 125\r\n\r\n"
        "GET /fyi/a-story?ref=home&page=2 HTTP/1.1\r\nHost: vocal.media\r\nUser-Agent: swampcrawl-test\r\n"
        "Accept-Encoding: gzip, deflate\r\n\r\n\r\n\r\n"
    )
    assert response.startswith(
        "WARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000002>\r\n"
        "WARC-Date: 2026-11-24T09:30:00Z\r\nWARC-Target-URI: https://vocal.media/fyi/a-story?ref=home&page=2\r\n"
        "WARC-Concurrent-To: <urn:uuid:00000000-0000-4000-8000-000000000001>\r\n"
        "Content-Type: application/http;msgtype=response\r\n"
    )
    assert response.endswith(
        "\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nhi\r\n\r\n"
    )


def test_location_carries_the_warc_date(tmp_path):
    from datetime import datetime, timezone

    with make_writer(tmp_path) as writer:
        location = write_page(writer)
        naive = writer.write_exchange("https://vocal.media/n", "GET", [], b"", "HTTP/1.1", 200, [], b"n",
                                      datetime(2026, 1, 2, 3, 4, 5, 678))
    assert location.date == EXCHANGE_DATE
    assert naive.date == datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=timezone.utc)
    assert naive.as_dict()["date"] == "2026-01-02T03:04:05.000678Z"
    record = [r for r in read_records(tmp_path / naive.filename) if r.rec_type == "response"][-1]
    assert record.get("WARC-Date") == "2026-01-02T03:04:05.000678Z"
