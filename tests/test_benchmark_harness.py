"""benchmarks/vs_wget.py at a tiny size: it runs end to end, prints every figure, ratio and
target, and writes its sections of (a copy of) docs/BENCHMARKS.md. Nothing here judges speed.

Needs nginx and wget: the command installs them with apt-get when run as root (as CI is);
otherwise, without them, the test is skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, str(ROOT / "benchmarks" / "vs_wget.py")]
RUNS = ["(a) wget --mirror", "(b) bare Scrapy spider", "(c) scrapy crawl stories", "(d) swampcrawl reparse",
        "(e) incremental recrawl"]
NUMBER = r"[\d,]+(?:\.\d+)?"
STATUS = r"(?:met|missed)"


def tools_available() -> bool:
    found = all(shutil.which(tool) or shutil.which(tool, path="/usr/sbin") for tool in ("nginx", "wget"))
    return found or os.geteuid() == 0


pytestmark = pytest.mark.skipif(not tools_available(), reason="nginx or wget missing, and not root to install them")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*COMMAND, *args], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_speed_run_prints_every_figure_and_ratio_and_writes_its_section(tmp_path):
    doc = tmp_path / "BENCHMARKS.md"
    shutil.copy(ROOT / "docs" / "BENCHMARKS.md", doc)
    out = run("--stories", "30", "--rounds", "1", "--doc", str(doc)).stdout
    for label in RUNS:  # pages, pages/s, CPU ms/page, peak RSS MB
        row = re.search(rf"^{re.escape(label)}\s+({NUMBER})\s+({NUMBER})\s+({NUMBER})\s+({NUMBER})$", out, re.M)
        assert row, f"no figures for {label}:\n{out}"
        assert all(float(value.replace(",", "")) > 0 for value in row.groups()), row.group(0)
    for ratio, target in [("c/a", r">= 1\.00x"), ("d/c", r">= 5\.00x")]:
        assert re.search(rf"^{ratio} \(pages/s\)\s+{NUMBER}x\s+{target}\s+{STATUS}$", out, re.M), out
    assert re.search(rf"^c/b \(pages/s\)\s+{NUMBER}x\s+\(no target\)$", out, re.M), out
    assert re.search(rf"^e/c \(requests\)\s+{NUMBER}%\s+<= 5\.0%\s+{STATUS}$", out, re.M), out
    assert "Scrapy: " in out and "nginx: nginx/" in out and "wget: GNU Wget" in out
    written = doc.read_text()
    speed = written.split("<!-- vs_wget.py speed: start -->")[1].split("<!-- vs_wget.py speed: end -->")[0]
    assert "| (c) scrapy crawl stories |" in speed and "| e/c (requests) |" in speed and "Machine: CPU: " in speed
    assert "--warc-file=$RUN/wget" in speed
    def memory(text: str) -> str:
        return text.split("<!-- vs_wget.py memory: start -->")[1].split("<!-- vs_wget.py memory: end -->")[0]

    assert memory(written) == memory((ROOT / "docs" / "BENCHMARKS.md").read_text())  # the other section is kept


def test_memory_run_prints_peak_rss_and_growth():
    out = run("--memory", "--memory-stories", "20,40", "--no-write").stdout
    for stories in (20, 40):
        assert re.search(rf"^{stories}\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}$", out, re.M), out
    assert re.search(r"^peak RSS of \(c\) at 40 stories\s+[\d,.]+ MB\s+<= 200 MB at 50,000 stories\s+not judged", out,
                     re.M), out
    assert re.search(rf"^growth from 20 to 40 stories\s+-?{NUMBER} MB per 100,000 URLs\s+<= 30 MB per 100,000 URLs"
                     rf"\s+{STATUS}$", out, re.M), out
