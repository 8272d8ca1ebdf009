"""`swampcrawl replica` arguments: bad ones fail with one readable line; --export writes files."""

from __future__ import annotations

import json
import socket
import subprocess
from urllib.parse import unquote

import pytest
from replica_process import swampcrawl_script

from swampcrawl.replica.export import file_for


def _run(*args, timeout=60):
    return subprocess.run([str(swampcrawl_script()), "replica", *args], capture_output=True,
                          text=True, timeout=timeout)


def _one_error_line(result):
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("args, words", [
    (["--stories", "-5"], "--stories"), (["--stories", "0"], "--stories"),
    (["--epoch", "0"], "--epoch"), (["--port", "70000"], "--port"), (["--now", "yesterday"], "--now"),
    (["--image-port", "-1"], "--image-port"), (["--image-base", "ftp://x"], "--image-base"),
    (["--image-base", "127.0.0.1:9"], "--image-base"),
])
def test_bad_values_give_one_line(args, words):
    assert words in _one_error_line(_run("--port", "0", *args))


def test_port_in_use_gives_one_line():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = _one_error_line(_run("--port", str(port), "--stories", "5"))
        assert f"127.0.0.1:{port}" in line and "in use" in line
        line = _one_error_line(_run("--port", "0", "--image-port", str(port), "--stories", "5"))
        assert f"127.0.0.1:{port}" in line and "--image-port" in line and "in use" in line


def test_unwritable_export_dir_gives_one_line(tmp_path):
    # Under a regular file no one can create a folder, root included.
    (tmp_path / "file").write_text("x")
    line = _one_error_line(_run("--stories", "5", "--export", str(tmp_path / "file" / "site")))
    assert "--export" in line


def test_export_writes_every_page(tmp_path):
    result = _run("--stories", "30", "--seed", "2", "--export", str(tmp_path / "site"),
                  "--truth", str(tmp_path / "truth.json"))
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    assert (site / "index.html").is_file() and (site / "robots.txt").is_file()
    assert (site / "latest-stories" / "page-2.html").is_file()
    assert (site / "theSwamp" / "index.html").is_file()
    manifest = (site / "manifest.tsv").read_text(encoding="utf-8").splitlines()
    truth = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    for story in truth["stories"]:
        assert (site / file_for(story["path"])).read_bytes().count(b"__NEXT_DATA__") == 1
    assert len(manifest) > len(truth["stories"])
    for line in manifest:
        url, file, status, _ = line.split("\t")
        assert status == "200" and (site / file).is_file() and file == file_for(url), line
    assert (site / "404.html").is_file()
    # the build's assets at their paths, the image host's files in a folder named after it
    urls = [line.split("\t")[0] for line in manifest]
    assert {url for url in truth["assets"] if "/_next/" in url} == {
        "http://127.0.0.1:8000" + url for url in urls if url.startswith("/_next/")}
    assert truth["image_base"] == "http://127.0.0.1:8001"
    images = {url for url in truth["assets"] if url.startswith("http://127.0.0.1:8001/")}
    assert images and images | {"http://127.0.0.1:8001/robots.txt"} == {u for u in urls if u.startswith("http")}
    assert all((site / file_for(url)).read_bytes()[:4] in (b"\x89PNG", b"RIFF") for url in images)
    assert file_for("http://127.0.0.1:8001/photo-1-ab?w=720") == "127.0.0.1_8001/photo-1-ab@w=720"
    chunk = next(u for u in urls if "%5BpostSlug%5D" in u)
    assert (site / unquote(chunk).lstrip("/")).is_file() and "[siteSlug]/[postSlug]" in unquote(chunk)
    assert (site / "favicon.ico").is_file()


def test_help_documents_every_option():
    result = _run("--help")
    for option in ("--host", "--port", "--stories", "--seed", "--epoch", "--build", "--now",
                   "--image-port", "--image-base", "--truth", "--log", "--export", "Example:"):
        assert option in result.stdout
