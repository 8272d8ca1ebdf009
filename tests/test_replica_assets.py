"""What the replica's pages load: the build's stylesheets, font and scripts, and the image host.

The ground truth's ``requisites`` must be exactly what each page's HTML (read here with the
stdlib's html.parser) and its stylesheets reference, and every one must answer over real HTTP
with its type; images must be real pictures.
"""

from __future__ import annotations

import gzip
import os
import re
import socket
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from replica_http import css_references, get, html_references
from replica_process import ReplicaProcess

from swampcrawl.replica.site import build_site

SAMPLE = "/theSwamp/with-tensions-high-israel-and-iran-secretly-reassured-each-other-via-russia"
IMMUTABLE = "public, max-age=31536000, immutable"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def replica():
    with ReplicaProcess(stories=30, seed=2) as running:
        yield running


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET"):
    parts = urlsplit(url)
    return get(f"{parts.scheme}://{parts.netloc}", parts.path + (f"?{parts.query}" if parts.query else ""),
               headers, method)


@pytest.fixture(scope="module")
def fetched(replica):
    """Every distinct requisite of every page in the truth, fetched once (several at a time)."""
    urls = sorted({url for found in replica.truth["requisites"].values() for url in found})
    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(zip(urls, pool.map(fetch, urls)))


def png_size(body: bytes) -> tuple[int, int]:
    """Width and height of a PNG, checked as a decoder would: chunk CRCs, the IDAT inflates
    to exactly the rows the header announces."""
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, {}
    while position < len(body):
        length, kind = struct.unpack(">I4s", body[position:position + 8])
        data = body[position + 8:position + 8 + length]
        assert struct.unpack(">I", body[position + 8 + length:position + 12 + length])[0] == zlib.crc32(kind + data)
        chunks[kind] = chunks.get(kind, b"") + data
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    rows = zlib.decompress(chunks[b"IDAT"])
    assert len(rows) == height * (1 + (width * channels * depth + 7) // 8)
    assert b"IEND" in chunks and (colour != 3 or len(chunks[b"PLTE"]) % 3 == 0)
    return width, height


def webp_size(body: bytes) -> tuple[int, int]:
    assert body[:4] == b"RIFF" and body[8:12] == b"WEBP" and body[12:16] == b"VP8L"
    assert struct.unpack("<I", body[4:8])[0] == len(body) - 8
    assert body[20] == 0x2F
    bits = int.from_bytes(body[21:25], "little")
    return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1


def test_truth_names_the_image_host_and_every_page(replica):
    truth = replica.truth
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", truth["image_base"])
    assert truth["image_base"] != replica.base_url
    pages = set(truth["requisites"])
    paths = [s["path"] for s in truth["stories"]] + [c["path"] for c in truth["creators"]]
    paths += [c["path"] for c in truth["communities"]] + ["/", "/latest-stories", "/top-stories"]
    paths += [f"/{t['community']}/tag/{t['slug']}" for t in truth["tags"]]
    paths += [f"/{c['slug']}/latest-stories" for c in truth["communities"]]
    assert set(paths) <= pages
    assert "/latest-stories?page=2" in pages and "/robots.txt" not in pages
    assert truth["style_probe"] == {"selector": "h1", "property": "color", "value": "rgb(22, 101, 52)"}
    for story in truth["stories"]:
        assert story["hero_image_url"] is None or story["hero_image_url"].startswith(truth["image_base"] + "/")
    for creator in truth["creators"]:
        assert creator["avatar_url"] is None or creator["avatar_url"].startswith(truth["image_base"] + "/")
    assets = set(truth["assets"])
    assert len(assets) == len(truth["assets"])
    assert {url for found in truth["requisites"].values() for url in found} <= assets


def test_every_requisite_answers_with_its_type(replica, fetched):
    image_host = replica.image_base + "/"
    for url, reply in fetched.items():
        assert reply.status == 200, url
        assert reply.headers["etag"].startswith('"'), url
        kind = reply.headers["content-type"]
        if url == replica.base_url + "/favicon.ico":  # a public file: the same name in every build
            assert (kind, reply.headers["cache-control"]) == ("image/x-icon", "public, max-age=86400")
            assert reply.body[:6] == b"\x00\x00\x01\x00\x01\x00"  # an icon of one image...
            assert png_size(reply.body[22:]) == (32, 32)  # ...a PNG
            continue
        assert reply.headers["cache-control"] == IMMUTABLE, url
        if url.startswith(image_host):
            assert kind in ("image/png", "image/webp"), url
            size = png_size(reply.body) if kind == "image/png" else webp_size(reply.body)
            assert size[0] > 0 and size[1] > 0
            assert len(reply.body) < 2000, url  # small
        else:
            assert url.startswith(replica.base_url + "/_next/static/"), url
            expected = {"css": "text/css", "js": "application/javascript", "woff2": "font/woff2"}[url.rsplit(".", 1)[1]]
            assert kind.split(";")[0] == expected, url


def test_every_asset_answers(replica, fetched):
    for url in replica.truth["assets"]:
        reply = fetched.get(url) or fetch(url)
        assert reply.status == 200, url


def test_requisites_are_exactly_what_the_pages_reference(replica, fetched):
    truth = replica.truth
    for page, listed in truth["requisites"].items():
        reply = get(replica.base_url, page)
        assert reply.status == 200 and reply.headers["content-type"].startswith("text/html"), page
        found, queue = [], [urljoin(replica.base_url + page, url) for url in html_references(reply.text)]
        while queue:
            url = queue.pop(0)
            if url in found:
                continue
            found.append(url)
            if url.endswith(".css"):
                css = fetched[url].body.decode("utf-8")
                queue += [urljoin(url, ref) for ref in css_references(css)]
        assert len(listed) == len(set(listed)), page
        assert set(listed) == set(found), page


def test_page_kinds_reference_assets_like_next(replica):
    story = next(s for s in replica.truth["stories"] if s["hero_image_url"])
    html = get(replica.base_url, story["path"]).text
    head = html.split("</head>")[0]
    for pattern in (r'<link rel="preload" href="/_next/static/css/[0-9a-f]{16}\.css" as="style"/>',
                    r'<link rel="stylesheet" href="/_next/static/css/[0-9a-f]{16}\.css"',
                    r'<link rel="preload" href="/_next/static/media/swamp-sans-[0-9a-f]{16}\.woff2" as="font" '
                    r'type="font/woff2" crossorigin',
                    r'<script src="/_next/static/chunks/webpack-[0-9a-f]{16}\.js" defer=""></script>',
                    r'<script src="/_next/static/chunks/main-[0-9a-f]{16}\.js" defer=""></script>',
                    r'<script src="/_next/static/chunks/pages/_app-[0-9a-f]{16}\.js" defer=""></script>',
                    r'<script src="/_next/static/chunks/pages/%5BsiteSlug%5D/%5BpostSlug%5D-[0-9a-f]{16}\.js"',
                    r'<script src="/_next/static/[0-9a-f]{21}/_buildManifest\.js" defer=""></script>'):
        assert re.search(pattern, head), pattern
    hero = re.search(r"<picture><source ([^>]*)/><img ([^>]*)/></picture>", html)
    assert hero and 'type="image/webp"' in hero.group(1)
    img = dict(re.findall(r'(\w+)="([^"]*)"', hero.group(2)))
    assert img["src"].replace("&amp;", "&") == story["hero_image_url"]
    assert len(img["srcset"].split("w, ")) == 2
    for path in ("/", "/latest-stories", replica.truth["creators"][0]["path"], "/theSwamp", "/challenges", "/nope"):
        text = get(replica.base_url, path).text
        assert text.count('rel="stylesheet"') == 1 and text.count("_buildManifest.js") == 1, path
        assert "<style" not in text and "style=" not in text, path  # only the stylesheets style
    community = next(c for c in replica.truth["communities"] if c["slug"] == "theSwamp")
    assert re.search(rf'<img src="{re.escape(replica.image_base)}/jerrick/image/upload/c_fit,h_80/[0-9a-f]+\.jpg" '
                     rf'alt="{community["name"]} logo"/>', get(replica.base_url, community["path"]).text)


def test_stylesheet_imports_a_theme_and_loads_the_font(replica, fetched):
    page = replica.truth["requisites"][SAMPLE]
    main = next(url for url in page if url.endswith(".css") and b"@import" in fetched[url].body)
    css = fetched[main].body.decode()
    imported, font = css_references(css)
    assert re.fullmatch(r'[0-9a-f]{16}\.css', imported)
    assert re.fullmatch(r"\.\./media/swamp-sans-[0-9a-f]{16}\.woff2", font)
    assert "@font-face" in css and f'url({font}) format("woff2")' in css
    theme = fetched[urljoin(main, imported)]
    assert theme.status == 200 and b"background-color:#f7f4ec" in theme.body and b"h1" not in theme.body
    woff2 = fetch(urljoin(main, font))
    assert woff2.status == 200 and woff2.headers["content-type"] == "font/woff2"
    assert woff2.body.startswith(b"wOF2") and len(woff2.body) < 1000
    assert "h1{color:#166534" in css  # rgb(22, 101, 52), the style probe
    probes = {(p["selector"], p["property"], p["value"]) for p in replica.truth["style_probes"]}
    assert probes == {("h1", "color", "rgb(22, 101, 52)"), ("body", "background-color", "rgb(247, 244, 236)")}


def test_scripts_are_harmless(replica, fetched):
    scripts = [url for url in fetched if url.endswith(".js")]
    assert len(scripts) >= 7
    for url in scripts:
        text = fetched[url].body.decode()
        for word in ("fetch", "XMLHttpRequest", "import", "src", "http", "eval", "location", "sendBeacon"):
            assert word not in text.replace("__BUILD_MANIFEST", "").replace("static/chunks", ""), (url, word)


def test_asset_names_change_with_the_build():
    def names(build):
        truth = build_site(stories=20, build=build).truth()
        return {url for url in truth["assets"] if "/_next/" in url}, truth
    a, truth_a = names("a")
    b, _ = names("b")
    again, truth_again = names("a")
    assert a == again and truth_a["requisites"] == truth_again["requisites"]
    assert len(a) == len(b) >= 20 and not a & b
    images = lambda truth: {u for u in truth["assets"] if "/_next/" not in u}  # noqa: E731
    assert images(truth_a) == images(build_site(stories=20, build="b").truth())


def test_conditional_requests_and_gzip(replica, fetched):
    css = next(url for url in fetched if url.endswith(".css"))
    image = next(url for url in fetched if url.startswith(replica.image_base))
    for url in (css, image, replica.image_base + "/robots.txt"):
        first = fetch(url)
        again = fetch(url, {"If-None-Match": first.headers["etag"]})
        assert (again.status, again.body) == (304, b""), url
        assert fetch(url, {"If-None-Match": '"other"'}).status == 200
    packed = fetch(css, {"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip" and gzip.decompress(packed.body) == fetched[css].body
    assert fetch(css, {"If-None-Match": packed.headers["etag"], "Accept-Encoding": "gzip"}).status == 304
    assert "content-encoding" not in fetch(image, {"Accept-Encoding": "gzip"}).headers
    head = fetch(image, method="HEAD")
    assert head.status == 200 and head.body == b"" and head.headers["content-length"] == str(len(fetched[image].body))


def test_images_have_the_size_their_url_asks(replica, fetched):
    base = replica.image_base
    sizes = {url: (png_size(r.body) if r.headers["content-type"] == "image/png" else webp_size(r.body))
             for url, r in fetched.items() if url.startswith(base)}
    assert any("/photo-" in url for url in sizes) and any("/jerrick/" in url for url in sizes)
    assert any(r.headers["content-type"] == "image/webp" for r in fetched.values())
    for url, (width, height) in sizes.items():
        if "w_720" in url or url.endswith("w=720"):
            assert width == 720
        if "h_120,w_120" in url:
            assert (width, height) == (120, 120)
    hero = next(s["hero_image_url"] for s in replica.truth["stories"] if s["hero_image_url"] and "/jerrick/" in s["hero_image_url"])
    assert fetch(hero).status == 200
    assert fetch(re.sub(r"/[0-9a-f]+\.jpg$", "/0000.jpg", hero)).status == 404  # an unknown picture
    assert fetch(base + "/nope").status == 404


def test_image_host_robots_and_log(replica):
    robots = fetch(replica.image_base + "/robots.txt")
    assert robots.status == 200 and "Allow: /" in robots.text and "Disallow" not in robots.text
    fetch(replica.image_base + "/robots.txt", {"User-Agent": "probe/2"})
    last = [r for r in replica.requests() if r["user_agent"] == "probe/2"]
    assert last and last[-1]["host"] == urlsplit(replica.image_base).netloc and last[-1]["path"] == "/robots.txt"
    hosts = {r["host"] for r in replica.requests()}
    assert {urlsplit(replica.base_url).netloc, urlsplit(replica.image_base).netloc} <= hosts


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_image_base_names_a_host_and_starts_no_image_server():
    port = _closed_port()
    base = f"http://127.0.0.1:{port}"
    with ReplicaProcess(stories=10, seed=2, image_base=base) as replica:
        assert replica.image_base == replica.truth["image_base"] == base
        assert (replica.stdout_lines()[1]) == f"swampcrawl replica images named at {base}"
        html = get(replica.base_url, SAMPLE).text
        sources = [u for u in html_references(html) if not u.startswith("/")]
        assert sources and all(u.startswith(base + "/") for u in sources)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        assert {r["host"] for r in replica.requests()} == {urlsplit(replica.base_url).netloc}


def test_image_port_option():
    port = _closed_port()
    with ReplicaProcess(stories=5, seed=2, image_port=port) as replica:
        assert replica.image_base == f"http://127.0.0.1:{port}" and replica.image_port == port
        assert fetch(replica.image_base + "/robots.txt").status == 200
        assert replica.stdout_lines()[1] == f"swampcrawl replica images served at {replica.image_base}"


@pytest.mark.skipif(bool(os.environ.get("SWAMPCRAWL_SKIP_BROWSER")) or not CHROMIUM.exists(),
                    reason="needs Debian's chromium (SWAMPCRAWL_SKIP_BROWSER skips it)")
def test_a_browser_shows_the_page_styled_with_its_images(replica):
    """Chromium loads a story: the probe's style applies, every image decodes, scripts ran,
    and it asks for nothing the truth does not list."""
    story = next(s for s in replica.truth["stories"] if s["hero_image_url"] and "/jerrick/" in s["hero_image_url"])

    def visit():
        from playwright.sync_api import sync_playwright
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 2400})
                requested, failed, errors = [], [], []
                page.on("request", lambda request: requested.append(request.url))
                page.on("requestfailed", lambda request: failed.append(request.url))
                # The placeholder font only warns ("Failed to decode downloaded font").
                page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
                page.goto(replica.base_url + story["path"], wait_until="load")
                page.wait_for_function("[...document.images].every(i => i.complete)")
                state = page.evaluate("""probes => ({
                    styles: probes.map(p => getComputedStyle(document.querySelector(p.selector))
                                               .getPropertyValue(p.property)),
                    images: [...document.images].map(i => [i.currentSrc, i.naturalWidth]),
                    chunks: document.documentElement.getAttribute("data-swamp-chunks")})""",
                                      replica.truth["style_probes"])
                return state, requested, failed, errors
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as pool:  # Playwright's sync API shuns a running loop
        state, requested, failed, errors = pool.submit(visit).result(timeout=120)
    assert state["styles"] == [p["value"] for p in replica.truth["style_probes"]]
    assert state["images"] and all(width > 0 for _, width in state["images"]), state["images"]
    assert any("f_webp" in src for src, _ in state["images"])  # the <source type="image/webp">
    assert state["chunks"].split() == ["webpack", "framework", "main", "pages/_app",
                                       "pages/[siteSlug]/[postSlug]"]
    assert not failed and not errors, (failed, errors)
    listed = set(replica.truth["requisites"][story["path"]])
    assert set(requested) - {replica.base_url + story["path"]} <= listed


def test_a_replica_restarted_on_its_port_keeps_its_image_host():
    """ReplicaProcess(port=P) takes back the image port of the last replica on P: the same
    pages, byte for byte (a second crawl of an unchanged site sees revisits)."""
    with ReplicaProcess(stories=5, seed=3) as first:
        port = urlsplit(first.base_url).port
        page = get(first.base_url, SAMPLE).body
    with ReplicaProcess(stories=5, seed=3, port=port) as second:
        assert second.image_base == first.image_base
        assert get(second.base_url, SAMPLE).body == page
    with ReplicaProcess(stories=5, seed=3, port=port, image_port=0) as third:  # told otherwise
        assert third.image_base != first.image_base
