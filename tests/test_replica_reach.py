"""Every story of the ground truth is reachable by following links from /latest-stories."""

from __future__ import annotations

from collections import deque
from urllib.parse import urlsplit

from replica_http import get, links
from replica_process import ReplicaProcess


def test_next_page_links_from_latest_stories_reach_every_story():
    with ReplicaProcess(stories=45, seed=2) as replica:
        found, path, pages = [], "/latest-stories", 0
        while path:
            html = get(replica.base_url, path).text
            pages += 1
            found += [href for href, cls in links(html) if "post-name" in cls]
            path = next((href for href, _ in links(html) if href.endswith(f"?page={pages + 1}")), None)
        assert found == [story["path"] for story in replica.truth["stories"]]
        assert pages == 5


def test_breadth_first_crawl_finds_every_story_creator_and_community():
    """A naive same-host crawl (query strings dropped except page) covers the truth."""
    with ReplicaProcess(stories=40, seed=4) as replica:
        seen, queue = set(), deque(["/latest-stories"])
        while queue:
            path = queue.popleft()
            if path in seen:
                continue
            seen.add(path)
            reply = get(replica.base_url, path)
            if reply.status != 200 or "text/html" not in reply.headers["content-type"]:
                continue
            for href, _ in links(reply.text):
                parts = urlsplit(href)
                if href.startswith("/") and not href.startswith("//") and parts.path not in (
                        "/signup", "/search", "/admin/api"):
                    page = parts.query if parts.query.startswith("page=") else ""
                    queue.append(parts.path + (f"?{page}" if page else ""))
        truth = replica.truth
        for item in truth["stories"] + truth["creators"] + truth["communities"]:
            if item.get("story_count", 1):
                assert item["path"] in seen, item["path"]
