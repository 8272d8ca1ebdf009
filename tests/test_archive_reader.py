"""Reading captures back: ours and other tools' WARCs, folders, WACZ; revisits resolved."""

from __future__ import annotations

import gzip
import zlib
from io import BytesIO

import pytest
from warcio.warcwriter import WARCWriter

from archive.reader import iter_captures
from archive.wacz import write_wacz
from archive_support import EXCHANGE_DATE, HTML
from archive_support import every_written_warc_is_valid  # noqa: F401 (autouse: warcio checks)
from archive_support import make_writer, write_page


def our_folder(tmp_path):
    folder = tmp_path / "warc"
    with make_writer(folder) as writer:
        first = write_page(writer, url="https://vocal.media/fyi/one")
        write_page(writer, url="https://vocal.media/fyi/two")  # same payload: a revisit
        deflated = zlib.compress(HTML)
        write_page(writer, url="https://vocal.media/deflate", body=deflated,
                   headers=[("Content-Type", "text/html"), ("Content-Encoding", "deflate")])
        write_page(writer, url="https://vocal.media/missing", status=404, body=b"nope", headers=[])
        writer.write_metadata("https://vocal.media/fyi/one", first.record_id, {"a": 1})
    return folder, first


def test_captures_from_our_folder(tmp_path):
    folder, first = our_folder(tmp_path)
    captures = list(iter_captures([folder]))
    assert [c.url.rsplit("/", 1)[1] for c in captures] == ["one", "two", "deflate", "missing"]
    one, two, deflated, missing = captures
    assert one.body == two.body == deflated.body == HTML and missing.body == b"nope"
    assert two.revisit and two.resolved and not one.revisit
    assert (one.filename, one.offset, one.record_id) == (first.filename, first.offset, first.record_id)
    assert one.captured_at == EXCHANGE_DATE and one.status == 200 and missing.status == 404
    assert one.header("set-cookie") == "session=abc; Path=/" and one.content_type == "text/html"


def test_captures_from_a_wacz_equal_those_from_the_folder(tmp_path):
    folder, _ = our_folder(tmp_path)
    wacz = write_wacz(folder, tmp_path / "out.wacz")
    from_folder = [(c.url, c.status, c.body, c.offset, c.filename) for c in iter_captures([folder])]
    from_wacz = [(c.url, c.status, c.body, c.offset, c.filename) for c in iter_captures([wacz])]
    assert from_wacz == from_folder


def test_revisit_before_its_original_is_resolved_later(tmp_path):
    with make_writer(tmp_path) as writer:
        original = write_page(writer)
    with make_writer(tmp_path) as writer:
        again = write_page(writer, url="https://vocal.media/elsewhere")
    assert again.revisit and again.filename != original.filename
    captures = list(iter_captures([tmp_path / again.filename, tmp_path / original.filename]))
    assert [c.revisit for c in captures] == [False, True]  # the revisit waited for its original
    assert all(c.resolved and c.body == HTML for c in captures)
    [alone] = list(iter_captures([tmp_path / again.filename]))
    assert alone.revisit and not alone.resolved and alone.body == b""


def wget_style_warc(path, chunked: bool, encoding: str | None):
    """A response written the way wget does: raw transfer coding kept in the record."""
    body = gzip.compress(HTML) if encoding == "gzip" else HTML
    headers = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
    if encoding:
        headers += b"Content-Encoding: gzip\r\n"
    if chunked:
        headers += b"Transfer-Encoding: chunked\r\n\r\n"
        payload = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 40]), body[i:i + 40]) for i in range(0, len(body), 40)) + b"0\r\n\r\n"
    else:
        headers += b"Content-Length: %d\r\n\r\n" % len(body)
        payload = body
    with open(path, "wb") as stream:
        writer = WARCWriter(stream, gzip=path.name.endswith(".gz"), warc_version="1.0")
        raw = BytesIO(headers + payload)
        record = writer.create_warc_record("http://example.org/page", "response", payload=raw,
                                           length=len(headers + payload))
        writer.write_record(record)


@pytest.mark.parametrize("name", ["wget.warc", "wget.warc.gz"])
@pytest.mark.parametrize("chunked", [True, False])
@pytest.mark.parametrize("encoding", ["gzip", None])
def test_other_tools_warcs_are_decoded(tmp_path, name, chunked, encoding):
    path = tmp_path / name
    wget_style_warc(path, chunked, encoding)
    [capture] = list(iter_captures([path]))
    assert capture.url == "http://example.org/page" and capture.body == HTML and capture.status == 200


def test_missing_input_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        list(iter_captures([tmp_path / "nope.warc.gz"]))
