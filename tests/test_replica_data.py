"""__NEXT_DATA__ of the replica's pages against its ground truth, over real HTTP."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest
from replica_http import get, links
from replica_process import ReplicaProcess

from swampcrawl.replica.slate import document_text

POST_FIELDS = {"id", "name", "subtitle", "summary", "slug", "publishedAt", "contentUpdatedAt",
               "wordCount", "author", "vocalSite", "tags", "heroImage", "heroUnsplashImage",
               "heroImageCaption", "heroImageAltText", "mediaType", "isEditorPick", "editorPickAt",
               "content"}


@pytest.fixture(scope="module")
def replica():
    with ReplicaProcess(stories=60, seed=3) as running:
        yield running


@pytest.fixture(scope="module")
def posts(replica):
    """Every story's pageProps.post, by path."""
    return {story["path"]: get(replica.base_url, story["path"]).next_data()["props"]["pageProps"]["post"]
            for story in replica.truth["stories"]}


def _iso(value):
    """publishedAt arrives as an ISO string or as epoch milliseconds."""
    if isinstance(value, int):
        return datetime.fromtimestamp(value / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.replace(".000Z", "Z") if value else None


def _document(post):
    document = post["content"]["document"]
    return json.loads(document) if isinstance(document, str) else document


def test_post_has_every_field_and_equals_the_truth(replica, posts):
    for story in replica.truth["stories"]:
        post = posts[story["path"]]
        assert POST_FIELDS <= set(post), story["path"]
        assert (post["id"], post["name"], post["subtitle"], post["summary"], post["slug"]) == (
            story["id"], story["title"], story["subtitle"], story["summary"], story["slug"])
        assert (_iso(post["publishedAt"]), _iso(post["contentUpdatedAt"])) == (
            story["published_at"], story["updated_at"])
        assert (post["author"]["slug"], post["author"]["name"]) == (story["author"], story["author_name"])
        assert post["wordCount"] == story["word_count"] == len(story["body_text"].split())
        assert post["isEditorPick"] == story["is_top_story"]
        assert [{"slug": t["slug"], "name": t["name"]} for t in post["tags"]] == story["tags"]
        hero = (post["heroImage"] or {}).get("large") or (post["heroUnsplashImage"] or {}).get("publicUrl")
        assert hero == story["hero_image_url"]
        content = {k: v for k, v in post["content"].items() if k != "document"}
        assert document_text(_document(post), content) == story["body_text"]
        expected_site = "vocal" if story["community"] == "resources" else story["community"]
        assert post["vocalSite"]["slug"] == expected_site


def test_odd_encodings_all_occur(posts):
    values = list(posts.values())
    assert any(isinstance(p["content"]["document"], str) for p in values)
    assert any(isinstance(p["content"]["document"], dict) for p in values)
    assert any(isinstance(p["publishedAt"], int) for p in values)
    assert any(p["contentUpdatedAt"] for p in values) and any(not p["contentUpdatedAt"] for p in values)
    assert any(p["heroImage"] for p in values) and any(p["heroUnsplashImage"] for p in values)
    assert any(p["isEditorPick"] for p in values)


def _walk(node):
    yield node
    for child in node.get("nodes", []):
        yield from _walk(child)


def test_slate_uses_every_block_inline_and_mark_type(posts):
    blocks, inlines, marks = set(), set(), set()
    for post in posts.values():
        for node in _walk(_document(post)):
            if node.get("object") == "block":
                blocks.add(node["type"])
            elif node.get("object") == "inline":
                inlines.add(node["type"])
            marks.update(mark["type"] for mark in node.get("marks", []))
    assert {"paragraph", "heading", "blockquote", "unordered-list", "ordered-list", "list-item",
            "cloudinaryImage", "unsplashImage", "caption", "oEmbed"} <= blocks
    assert inlines == {"link"}
    assert marks == {"bold", "italic", "underline", "strikethrough"}


def test_creator_page_apollo_state(replica):
    creator = max(replica.truth["creators"], key=lambda c: c["story_count"])
    reply = get(replica.base_url, creator["path"])
    state = reply.next_data()["props"]["pageProps"]["apolloState"]
    user = next(v for k, v in state.items() if k.startswith("User:"))
    assert (user["slug"], user["name"]) == (creator["slug"], creator["name"])
    posts = {k: v for k, v in state.items() if k.startswith("Post:")}
    assert posts
    for post in posts.values():
        site = state[post["vocalSite"]["__ref"]]
        assert any(path.endswith(f"/{post['slug']}") for path in creator["story_paths"]), post["slug"]
        assert site["slug"] and site["name"] and post["author"] == {"__ref": f"User:{user['id']}"}
    html = reply.text
    joined = datetime.strptime(creator["joined"], "%Y-%m").strftime("Joined %B %Y")
    for text in (joined, f"{creator['story_count']} stories", "Bio", f"Stories ({creator['story_count']})"):
        assert text in html
    listed = {href for href, cls in links(html) if "post-name" in cls}
    assert listed <= set(creator["story_paths"]) and listed


def test_community_page_counts_and_links(replica):
    community = max(replica.truth["communities"], key=lambda c: c["story_count"])
    html = get(replica.base_url, community["path"]).text
    assert f"Stories - {community['story_count']:,}" in html
    assert f"Creators - {community['creator_count']:,}" in html
    hrefs = {href for href, _ in links(html)}
    assert {f"{community['path']}/latest-stories", f"{community['path']}/top-stories"} <= hrefs
    assert any(h.startswith("/authors/") for h in hrefs)
    assert any(h.startswith(f"{community['path']}/tag/") for h in hrefs)


def test_avatars_with_and_without_photo(replica):
    avatars = [c["avatar_url"] for c in replica.truth["creators"]]
    assert None in avatars and any(avatars)
    with_photo = next(c for c in replica.truth["creators"] if c["avatar_url"])
    assert f'src="{with_photo["avatar_url"]}"' in get(replica.base_url, with_photo["path"]).text
    without = next(c for c in replica.truth["creators"] if not c["avatar_url"])
    initials = "".join(part[0] for part in without["name"].split()[:2]).upper()
    assert re.search(f'class="[^"]*-Initials[^"]*">{initials}</div>', get(replica.base_url, without["path"]).text)
