"""Capture page fixtures from a running replica: one case per page kind and variant.

    .venv/bin/python scripts/replica_fixtures.py [--out tests/fixtures]

Starts a replica (tests/replica_process.py), fetches one page of every variant the
replica serves over HTTP, and runs ``swampcrawl fixture`` on each. The new
output.json files are today's extraction: review them (git diff) before committing.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from replica_process import ReplicaProcess, swampcrawl_script  # noqa: E402

NEXT_DATA = re.compile(rb'<script id="__NEXT_DATA__" type="application/json">(.*?)</script>', re.S)


@functools.cache  # story pages are fetched to find the variants, then saved
def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def post_of(body: bytes) -> dict:
    return json.loads(NEXT_DATA.search(body).group(1))["props"]["pageProps"].get("post") or {}


def story_variants(base: str, truth: dict) -> dict[str, str]:
    """First story path showing each variant of pageProps.post."""
    tests = {
        "json-string-document": lambda p: isinstance(p["content"]["document"], str),
        "object-document": lambda p: isinstance(p["content"]["document"], dict),
        "epoch-ms-published": lambda p: isinstance(p["publishedAt"], int),
        "unsplash-hero": lambda p: bool(p.get("heroUnsplashImage")),
        "cloudinary-hero": lambda p: bool(p.get("heroImage")),
        "no-content-updated": lambda p: p.get("contentUpdatedAt") is None,
        "content-updated": lambda p: p.get("contentUpdatedAt") is not None,
        "top-story": lambda p: p.get("isEditorPick") is True,
    }
    sample = next(s["path"] for s in truth["stories"] if s["path"].startswith("/theSwamp/with-tensions-high"))
    found: dict[str, str] = {"sample-swamp": sample}
    posts = {}
    for story in truth["stories"]:
        if story["path"].startswith("/resources/"):
            found.setdefault("resources", story["path"])
        elif story["path"] != sample:
            posts[story["path"]] = post_of(fetch(base + story["path"]))
    for name, test in tests.items():
        # A page of its own for each variant where the site has one.
        matching = [path for path, post in posts.items() if test(post)]
        fresh = [path for path in matching if path not in found.values()]
        if matching:
            found[name] = (fresh or matching)[0]
    return found


def other_variants(truth: dict) -> dict[str, str]:
    creators = truth["creators"]
    found = {
        "with-avatar": next(c["path"] for c in creators if c["avatar_url"]),
        "without-avatar": next(c["path"] for c in creators if not c["avatar_url"]),
        "community": truth["communities"][0]["path"],
        "global-latest": "/latest-stories",
        "global-top-page-2": "/top-stories?page=2",
    }
    paged = [c for c in creators if c["story_count"] > 10]
    if paged:
        found["paged-creator-page-2"] = paged[0]["path"] + "?page=2"
    tag = truth["tags"][0]
    found["tag-listing"] = f"/{tag['community']}/tag/{tag['slug']}"
    found["community-latest"] = truth["communities"][0]["path"] + "/latest-stories"
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "tests" / "fixtures"))
    parser.add_argument("--stories", type=int, default=200)
    # Pages name the host and port they are served from: a fixed port keeps the saved
    # fixtures' diffs to what really changed.
    parser.add_argument("--port", type=int, default=48765)
    args = parser.parse_args()
    with ReplicaProcess(stories=args.stories, seed=1, port=args.port) as replica, tempfile.TemporaryDirectory() as tmp:
        cases = {**story_variants(replica.base_url, replica.truth), **other_variants(replica.truth)}
        for name, path in cases.items():
            saved = Path(tmp) / f"{name}.html"
            saved.write_bytes(fetch(replica.base_url + path))
            subprocess.run([str(swampcrawl_script()), "fixture", str(saved), "--url", replica.base_url + path,
                            "--captured-at", replica.truth["now"], "--kind-dir", args.out,
                            "--name", f"replica-{name}"], check=True)


if __name__ == "__main__":
    main()
