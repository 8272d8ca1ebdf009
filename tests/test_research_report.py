"""`swampcrawl report` of real crawls of a replica (epoch 1, then epoch 2 with edits and
removals), rendered in headless Chromium with every request but the page itself aborted: the
page needs nothing else, every chart draws marks in its data area, and its caption gives the
database's numbers (counted here with SQL of our own, not the code under test).

Needs Debian's chromium and Playwright (the test extra), as tests/test_replay_webpage.py does;
SWAMPCRAWL_SKIP_BROWSER=1 skips the browser tests.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from crawl_support import ROOT
from research_support import crawl_two_epochs, unusable_database

from swampcrawl.research import charts
from swampcrawl.research.report import report
from swampcrawl.store import Store

SCRIPT = ROOT / "scripts" / "report-screenshot.py"
CHARTS = ("months", "creators", "tags", "length", "changes", "runs")
browser = pytest.mark.skipif(bool(os.environ.get("SWAMPCRAWL_SKIP_BROWSER")), reason="SWAMPCRAWL_SKIP_BROWSER is set")


def load_script():
    """scripts/report-screenshot.py as a module (its name has a hyphen)."""
    spec = importlib.util.spec_from_file_location("report_screenshot", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


screenshot = load_script()


def invoke(*args: str):
    return CliRunner().invoke(report, list(args))


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> Path:
    """The database of an epoch-1 crawl and an epoch-2 recrawl of a 60-story replica."""
    return crawl_two_epochs(tmp_path_factory.mktemp("report")).db


@pytest.fixture(scope="module")
def page(crawled, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("page") / "report.html"
    result = invoke("--db", str(crawled), "--out", str(out), "--title", "Vocal <archive> & co")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"wrote {out} (")
    return out, out.read_text(encoding="utf-8")


# What the browser shows of each chart: for each axes, the marks (bars, histogram bins, lines)
# of non-zero size inside its data area (its background patch). Tick marks, grid lines and the
# legend are left out; the axes' own background and its spines (lines, so zero wide or high) too.
PROBE = """() => [...document.querySelectorAll('figure.chart')].map(figure => {
    const axes = [...figure.querySelectorAll('svg g[id*="axes_"]')];
    const marks = axes.map(ax => {
        const background = ax.querySelector(':scope > g[id*="patch_"] > path');
        const area = background.getBoundingClientRect();
        return [...ax.querySelectorAll('g[id*="patch_"] path, g[id*="line2d_"] path')]
            .filter(p => p !== background && !p.closest('[id*="matplotlib.axis"], [id*="legend"]'))
            .map(p => p.getBoundingClientRect())
            .filter(r => r.width > 0.5 && r.height > 0.5 && r.left >= area.left - 1 && r.right <= area.right + 1
                         && r.top >= area.top - 1 && r.bottom <= area.bottom + 1).length;
    });
    const svg = figure.querySelector('svg');
    return {key: figure.dataset.chart, marks, width: svg ? svg.getBoundingClientRect().width : 0,
            caption: (figure.querySelector('figcaption') || {}).textContent || '',
            nodata: !!figure.querySelector('.nodata')};
})"""


@pytest.fixture(scope="module")
def rendered(page, tmp_path_factory):
    """The page in headless Chromium (Playwright's sync API, in a thread: pytest-twisted's loop)."""
    if os.environ.get("SWAMPCRAWL_SKIP_BROWSER"):
        pytest.skip("SWAMPCRAWL_SKIP_BROWSER is set")
    missing = screenshot.missing_dependencies()
    if missing:
        pytest.fail("missing " + ", ".join(missing) + ": run bash scripts/setup.sh test")
    png = tmp_path_factory.mktemp("shot") / "report.png"
    with ThreadPoolExecutor(max_workers=1) as pool:
        result = pool.submit(screenshot.render_report, page[0], png, probe=PROBE).result()
    return result, {chart["key"]: chart for chart in result.probe}, png


def query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(sql).fetchall()


# -- self-contained --------------------------------------------------------------------------------


def test_the_html_names_no_external_url(page):
    _, html = page
    assert re.findall(r"(?i)\b(?:https?|ftp|wss?):", html) == []
    assert re.findall(r"(?i)\b(?:src|srcset|action|poster|data)\s*=", html) == []
    # links (the contents, the charts' glyphs and clip paths) all point into the page itself
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    references = re.findall(r'(?i)\bhref\s*=\s*"([^"]*)"', html) + re.findall(r"(?i)url\(([^)]*)\)", html)
    assert references and all(ref.startswith("#") and ref[1:] in ids for ref in references), set(references) - ids
    assert re.findall(r"(?i)<(?:link|script|img|iframe|object|embed)\b|@import|@font-face", html) == []
    assert html.count("<svg") == len(CHARTS)


@browser
def test_the_page_asks_for_nothing_and_shows_every_chart(rendered, page):
    result, found, png = rendered
    assert result.blocked == [] and result.console == []
    assert result.title == "Vocal <archive> & co"
    assert "<h1>Vocal &lt;archive&gt; &amp; co</h1>" in page[1]
    assert list(found) == list(CHARTS)
    for key, chart in found.items():
        assert not chart["nodata"] and chart["width"] > 400, (key, chart)
        assert chart["marks"] and all(chart["marks"]), (key, chart["marks"])
    assert png.read_bytes().startswith(b"\x89PNG")


@browser
def test_each_chart_draws_one_mark_per_number(rendered, crawled):
    _, found, _ = rendered
    creators = query(crawled, "SELECT count(DISTINCT author) FROM stories")[0][0]
    tags = query(crawled, "SELECT count(DISTINCT tag_slug) FROM story_tags")[0][0]
    assert found["creators"]["marks"] == [min(15, creators)]
    assert found["tags"]["marks"] == [min(15, tags)]
    changes = query(crawled, "SELECT (SELECT count(DISTINCT substr(captured_at, 1, 7)) FROM story_versions v WHERE "
                             "captured_at > (SELECT min(captured_at) FROM story_versions WHERE story_url = v.story_url)),"
                             " (SELECT count(DISTINCT substr(removed_at, 1, 7)) FROM stories)")[0]
    assert found["changes"]["marks"] == [sum(changes)]  # one month of edits, one of removals: a bar each
    runs = query(crawled, "SELECT sum(responses > 0), sum(new > 0), sum(errors > 0) FROM crawl_runs")[0]
    assert found["runs"]["marks"] == [runs[0], runs[1] + runs[2]]


@browser
def test_the_captions_give_the_databases_numbers(rendered, crawled):
    _, found, _ = rendered
    caption = {key: " ".join(chart["caption"].split()) for key, chart in found.items()}
    dated, months, communities = query(crawled, "SELECT count(published_at), count(DISTINCT substr(published_at, 1, 7)), "
                                                "count(DISTINCT community) FROM stories")[0]
    assert caption["months"].startswith(f"{dated:,} stories published in {months:,} of ")
    assert f"in {communities:,} communities" in caption["months"]
    for name, count in query(crawled, "SELECT coalesce(c.name, s.community), count(*) AS n FROM stories s LEFT JOIN "
                                      "communities c ON c.slug = s.community GROUP BY s.community "
                                      "ORDER BY n DESC, s.community LIMIT 5"):
        assert f"{name} ({count:,})" in caption["months"]
    for key, sql in (("creators", "SELECT author_name, count(*) AS n FROM stories GROUP BY author ORDER BY n DESC, author"),
                     ("tags", "SELECT t.name, count(*) AS n FROM story_tags st JOIN tags t ON t.slug = st.tag_slug "
                              "GROUP BY st.tag_slug ORDER BY n DESC, st.tag_slug")):
        for name, count in query(crawled, sql + " LIMIT 5"):
            assert f"{name} ({count:,})" in caption[key], (key, name, count)
    words = [row[0] for row in query(crawled, "SELECT word_count FROM stories WHERE word_count IS NOT NULL")]
    assert caption["length"].startswith(f"{len(words):,} stories with a word count: median "
                                        f"{statistics.median(words):,.0f} words, mean {statistics.fmean(words):,.0f}, "
                                        f"shortest {min(words):,}, longest {max(words):,};")
    edits = query(crawled, "SELECT count(*) - count(DISTINCT story_url) FROM story_versions")[0][0]
    removals = query(crawled, "SELECT count(removed_at) FROM stories")[0][0]
    assert edits > 0 and removals > 0
    assert re.match(rf"{edits:,} edits? \(.*\) and {removals:,} removals? ", caption["changes"]), caption["changes"]
    runs, responses, new, errors = query(crawled, "SELECT count(*), sum(responses), sum(new), sum(errors) FROM crawl_runs")[0]
    assert caption["runs"].startswith(f"{runs} runs, ")
    assert f": {responses:,} responses, {new:,} new stories, {errors:,} errors in all." in caption["runs"]


# -- no data, unusable databases and outputs --------------------------------------------------------


def test_an_empty_database_gives_a_no_data_note_per_chart(tmp_path):
    with Store(tmp_path / "swamp.db"):
        pass
    result = invoke("--db", str(tmp_path / "swamp.db"), "--out", str(tmp_path / "report.html"))
    assert result.exit_code == 0, result.output
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<svg" not in html
    assert re.findall(r'data-chart="(\w+)"><p class="nodata">No data: ', html) == list(CHARTS)


def unusable(tmp_path: Path, kind: str) -> list[str]:
    """``--db`` and ``--out`` arguments for one way a report cannot be made."""
    db, out = tmp_path / "swamp.db", tmp_path / "report.html"
    if not kind.startswith("out "):  # a missing, empty or corrupt database
        db = unusable_database(tmp_path, kind.removesuffix(" database"))
    else:
        with Store(db):
            pass
    if kind == "out in no directory":
        out = tmp_path / "nowhere" / "report.html"
    elif kind == "out is a directory":
        out = tmp_path
    elif kind == "out is the database":
        out = db
    elif kind == "out cannot be written":
        out = Path("/dev/full")  # opens, then every write fails: no space left on device
    return ["--db", str(db), "--out", str(out)]


@pytest.mark.parametrize("kind,message", [
    ("missing database", "no database at"), ("empty database", "is empty"),
    ("corrupt database", "cannot read"), ("out in no directory", "no directory"),
    ("out is a directory", "is a directory"), ("out is the database", "is the database"),
    ("out cannot be written", "No space left on device"),
])  # fmt: skip
def test_an_unusable_database_or_output_is_one_line_and_exit_1(tmp_path, kind, message):
    if kind == "out cannot be written" and not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    result = invoke(*unusable(tmp_path, kind))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], result.stderr
    assert not (tmp_path / "report.html").exists()


def test_labels_the_font_cannot_draw_raise_no_warning():
    """Emoji, CJK and dollar signs in names: drawn as ``?`` and text, without matplotlib warning."""
    names = ["Zoë 🐸 D'Angelo", "東京 stories", "$5 a $day", "a" * 50]
    assert [charts.label(name) for name in names[:3]] == ["Zoë ? D'Angelo", "?? stories", "$5 a $day"]
    assert charts.label(names[3]) == "a" * 29 + "…"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        svg = charts.draw(charts.horizontal_bars, "t", "Test", names, [4, 3, 2, 1], xlabel="Stories")
    assert svg.startswith('<svg class="chart-svg" viewBox=') and 'id="t-axes_1"' in svg
    assert "<metadata" not in svg and "<style" not in svg and "http" not in svg


@browser
def test_the_screenshot_script_saves_a_png(page, tmp_path):
    png = tmp_path / "shot.png"
    run = subprocess.run([sys.executable, str(SCRIPT), str(page[0]), "-o", str(png), "--width", "1000"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines() == ["Vocal <archive> & co", str(png)]
    assert png.read_bytes().startswith(b"\x89PNG")
