"""A real crawl, packaged with `swampcrawl wacz`, replays in ReplayWeb.page in headless Chromium.

The replica is stopped before the browser starts, and Chromium resolves no host name, so what
shows comes from the WACZ alone. Needs Debian's chromium and ReplayWeb.page's ui.js/sw.js
(scripts/install-replay-deps.sh, run by scripts/test.sh) and Playwright (the test extra). Missing
ones fail the test; set SWAMPCRAWL_SKIP_BROWSER=1 to skip it instead (CI never does).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from archive_support import BIN
from crawl_support import ROOT
from replay_support import CrawledReplica, crawl_replica

pytestmark = pytest.mark.timeout(240)

if os.environ.get("SWAMPCRAWL_SKIP_BROWSER"):
    pytest.skip("SWAMPCRAWL_SKIP_BROWSER is set: no browser tests", allow_module_level=True)

SCRIPT = ROOT / "scripts" / "replay-screenshot.py"
TIMEOUT = 60.0


def load_script():
    """scripts/replay-screenshot.py as a module (its name has a hyphen)."""
    spec = importlib.util.spec_from_file_location("replay_screenshot", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


replay = load_script()


@pytest.fixture(scope="module")
def wacz(tmp_path_factory) -> tuple[Path, CrawledReplica]:
    missing = replay.missing_dependencies()
    if missing:
        pytest.fail("missing " + ", ".join(missing) + ": run bash scripts/install-replay-deps.sh "
                    "and bash scripts/setup.sh test")
    data = tmp_path_factory.mktemp("replay-webpage")
    crawled = crawl_replica(data, ["stories", "creators"], stories=20, seed=6)  # the replica stops here
    output = data / "vocal.wacz"
    run = subprocess.run([str(BIN / "swampcrawl"), "wacz", str(crawled.warc_dir), "-o", str(output)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return output, crawled


def replay_in_thread(*args, **kwargs):
    """Playwright's sync API refuses to run where an asyncio loop runs (pytest-twisted's reactor)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(replay.replay_page, *args, **kwargs).result()


def words(text: str) -> str:
    return " ".join(text.split())


def test_story_replays_with_its_title_and_text(wacz, tmp_path):
    output, crawled = wacz
    story = crawled.truth["stories"][0]
    url = crawled.base_url + story["path"]
    first_line = words(story["body_text"].split("\n")[0])[:80]
    result = replay_in_thread(output, url, tmp_path / "story.png", timeout=TIMEOUT, expect_text=story["title"])
    assert result.ok, f"{url} not replayed (ReplayWeb.page: {replay.NOT_FOUND!r}?)\n{result.report()}"
    assert result.title.startswith(story["title"]), result.title
    assert story["title"] in result.text and first_line in words(result.text), result.text[:1000]
    assert replay.NOT_FOUND not in result.text
    assert (tmp_path / "story.png").read_bytes().startswith(b"\x89PNG")


def test_creator_replays_with_its_name_through_the_screenshot_script(wacz, tmp_path):
    output, crawled = wacz
    creator = max(crawled.truth["creators"], key=lambda c: c["story_count"])
    url = crawled.base_url + creator["path"]
    png, text = tmp_path / "creator.png", tmp_path / "creator.txt"
    run = subprocess.run([sys.executable, str(SCRIPT), str(output), url, "-o", str(png), "--text", str(text),
                          "--timeout", str(TIMEOUT)], capture_output=True, text=True, timeout=TIMEOUT + 60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert creator["name"] in run.stdout.splitlines()[0]  # the replayed page's title
    assert creator["name"] in text.read_text(encoding="utf-8")
    assert png.read_bytes().startswith(b"\x89PNG")


# What the replayed story frame shows of its requisites: the style probe's computed value (a
# rule only the archived stylesheet sets) and every image with its decoded width.
PROBE = """([selector, property]) => ({
    style: getComputedStyle(document.querySelector(selector)).getPropertyValue(property),
    images: [...document.images].map(image => ({src: image.currentSrc || image.src, complete: image.complete,
                                                width: image.naturalWidth})),
})"""


def test_story_replays_styled_and_with_its_hero_image(wacz, tmp_path):
    """With the replica stopped, the stylesheet, font and images come from the WACZ alone."""
    output, crawled = wacz
    story = next(s for s in crawled.truth["stories"] if s["hero_image_url"])
    url = crawled.base_url + story["path"]
    probe = crawled.truth["style_probe"]
    result = replay_in_thread(output, url, tmp_path / "styled.png", timeout=TIMEOUT, expect_text=story["title"],
                              probe=f"() => ({PROBE})({[probe['selector'], probe['property']]!r})")
    assert result.ok, result.report()
    assert result.probe["style"] == probe["value"], (result.probe, result.report())
    images = result.probe["images"]
    hero_id = story["hero_image_url"].rsplit("/", 1)[-1].split("?")[0]
    heroes = [image for image in images if hero_id in image["src"]]
    assert heroes and all(image["complete"] and image["width"] > 0 for image in heroes), (images, result.report())
    assert all(image["width"] > 0 for image in images), images  # no broken image on the page
