"""Determinism: the same arguments give the same bytes; --build changes class names only."""

from __future__ import annotations

import re

from replica_http import get
from replica_process import ReplicaProcess

from swampcrawl.replica.site import build_site
from swampcrawl.replica.slugs import kebab

CLASS = re.compile(r'class="([^"]*)"')
SAMPLE = "/theSwamp/with-tensions-high-israel-and-iran-secretly-reassured-each-other-via-russia"


def _pages(site):
    paths = ["/", "/latest-stories", "/theSwamp", "/authors/aarif-lashari", SAMPLE]
    paths += [story["path"] for story in site.truth()["stories"][:10]]
    return {path: site.render(path, "")[2] for path in paths}


def test_same_seed_same_bytes_and_truth():
    first, second = build_site(seed=7, stories=40), build_site(seed=7, stories=40)
    assert first.truth() == second.truth()
    assert _pages(first) == _pages(second)
    assert build_site(seed=8, stories=40).truth()["stories"] != first.truth()["stories"]


def test_same_arguments_same_bytes_over_http():
    bodies = []
    for _ in range(2):
        with ReplicaProcess(stories=40, seed=5) as replica:
            # Pages name their serving address (trailing-dot links) and the image host's,
            # which differ per run.
            port = (":" + replica.base_url.rsplit(":", 1)[1]).encode()
            image_port = (":" + replica.image_base.rsplit(":", 1)[1]).encode()
            bodies.append([get(replica.base_url, p).body.replace(port, b":PORT").replace(image_port, b":IPORT")
                           for p in ("/latest-stories", SAMPLE, "/sitemap.xml")])
    assert bodies[0] == bodies[1]


def test_build_changes_class_names_not_data():
    a, b = build_site(stories=40, build="a"), build_site(stories=40, build="b")
    assert a.truth()["stories"] == b.truth()["stories"]
    for path in ("/latest-stories", SAMPLE, "/authors/aarif-lashari"):
        page_a, page_b = a.render(path, "")[2].decode(), b.render(path, "")[2].decode()
        classes_a, classes_b = CLASS.findall(page_a), CLASS.findall(page_b)
        assert classes_a != classes_b
        assert all(re.search(r"\bcss-[0-9a-z]+-[A-Za-z]+\b", c) for c in classes_a if "css-" in c)
        stable = [c for c in classes_a if "post-name" in c]
        assert len(stable) == len([c for c in classes_b if "post-name" in c])
        data_a = re.sub(r'"buildId":"[^"]*"', "", page_a.split('id="__NEXT_DATA__"')[1])
        data_b = re.sub(r'"buildId":"[^"]*"', "", page_b.split('id="__NEXT_DATA__"')[1])
        assert data_a.split("</script>")[0] == data_b.split("</script>")[0]


def test_now_is_fixed_by_epoch_and_can_be_overridden():
    assert build_site(stories=5).truth()["now"] == "2026-11-24T09:30:00Z"
    assert build_site(stories=5, epoch=3).truth()["now"] == "2026-11-26T09:30:00Z"
    with ReplicaProcess(stories=5, args=["--now", "2030-01-02T03:04:05Z"]) as replica:
        assert replica.truth["now"] == "2030-01-02T03:04:05Z"
        assert "© 2030 Creatd" in get(replica.base_url, "/").text


def test_slug_clashes_take_random_suffixes():
    truth = build_site(seed=1, stories=900).truth()
    suffixed = [c for c in truth["creators"] if c["slug"] != kebab(c["name"])]
    assert suffixed and all(re.fullmatch(re.escape(kebab(c["name"])) + r"-[0-9a-z]{8,10}", c["slug"])
                            for c in suffixed)
    stories = [s for s in truth["stories"] if s["slug"] != kebab(s["title"])]
    assert stories
    assert any(any(ord(ch) > 0x2000 for ch in s["title"]) for s in truth["stories"])  # emoji, ’
    assert any("'" in s["title"] or "’" in s["title"] for s in truth["stories"])
