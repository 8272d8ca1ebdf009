"""The sample story reads like the real sample story page's visible text; story pages follow section 4."""

from __future__ import annotations

from pathlib import Path

import pytest
from replica_http import get, visible_lines
from replica_process import ReplicaProcess

from swampcrawl.replica.sample import SAMPLE_BODY

SAMPLE_PATH = "/theSwamp/with-tensions-high-israel-and-iran-secretly-reassured-each-other-via-russia"
SAMPLE_FILE = Path(__file__).resolve().parents[2] / "shared" / "platform" / "sample-story-page.txt"


@pytest.fixture(scope="module")
def replica():
    with ReplicaProcess(stories=40, seed=1) as running:
        yield running


def _in_order(lines, expected):
    """``expected`` appear in ``lines`` in this order (each as a whole line)."""
    position = 0
    for wanted in expected:
        position = lines.index(wanted, position) + 1


def test_sample_story_reads_like_the_sample_file(replica):
    lines = visible_lines(get(replica.base_url, SAMPLE_PATH).text)
    assert lines[:4] == ["The Swamp logo",
                         "With Tensions High, Israel and Iran Secretly Reassured Each Other via Russia",
                         "Behind the Scenes of a Volatile Region", "By Aarif Lashari"]
    assert lines[4:6] == ["Published 4 days ago", "3 min read"]  # as the sample file reads
    _in_order(lines, [text for _, text in SAMPLE_BODY] + [
        "politics", "About the Creator", "Reader insights", "Comments",
        "There are no comments for this story", "© 2026 Creatd, Inc. All Rights Reserved."])
    if SAMPLE_FILE.exists():  # the shared folder beside the project, when present
        sample = [line.strip() for line in SAMPLE_FILE.read_text(encoding="utf-8").splitlines()]
        body = sample[sample.index("Behind the Scenes of a Volatile Region") + 3:sample.index("politics")]
        start = lines.index("3 min read") + 1
        assert lines[start:start + len([b for b in body if b])] == [b for b in body if b]


def test_sample_story_truth(replica):
    story = next(s for s in replica.truth["stories"] if s["path"] == SAMPLE_PATH)
    assert (story["author"], story["author_name"], story["community"]) == ("aarif-lashari", "Aarif Lashari", "theSwamp")
    assert story["published_at"] == "2026-11-20T09:30:00Z"
    assert story["tags"] == [{"slug": "politics", "name": "politics"}]


def test_every_story_page_follows_section_four(replica):
    for story in replica.truth["stories"]:
        lines = visible_lines(get(replica.base_url, story["path"]).text)
        expected = [story["title"], story["subtitle"], f"By {story['author_name']}"]
        published = [line for line in lines if line.startswith("Published ")]
        assert len(published) == 1 and published[0].endswith(" ago"), story["path"]
        expected += published
        expected += [f"{story['reading_minutes']} min read"]
        expected += [tag["name"] for tag in story["tags"]][:1]
        expected += ["About the Creator", "Reader insights", "Comments", lines[-1]]
        _in_order(lines, expected)
        assert lines[-1].startswith("© 2026 Creatd, Inc.")
        if story["community"] != "resources":
            assert lines[0].endswith(" logo")
        if story["like_count"] is not None:
            assert (str(story["like_count"]) if story["like_count"] else "Like") in lines
        if story["updated_at"]:
            assert any(line.startswith("Updated ") and line.endswith(" ago") for line in lines)
