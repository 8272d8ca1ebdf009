"""``--export DIR``: the whole site as static files, for another web server to serve.

Layout: ``<path>/index.html`` for a page (``index.html`` at the root), and
``<path>/page-N.html`` for ``<path>?page=N`` (N >= 2); robots.txt, sitemaps and the
build's assets (``_next/static/...``, brackets of chunk names decoded, as a web server
decodes the request path) keep their paths. The image host's files go to a folder named
after it (``127.0.0.1_8001/`` for ``http://127.0.0.1:8001``): every image a page loads,
``<path>@<query>`` when the URL has a query, and its robots.txt. ``_redirects`` lists the
301s (Netlify format) and ``manifest.tsv`` maps each URL (absolute for images) to its file
and status.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from swampcrawl.replica.site import Site


def host_folder(base: str) -> str:
    """The export folder of a host: its ``host:port`` with ``_`` for ``:``."""
    return urlsplit(base).netloc.replace(":", "_")


def file_for(url: str) -> str:
    """The relative file a URL is written to (a path of the site, or an image URL)."""
    if url.startswith(("http://", "https://")):
        parts = urlsplit(url)
        name = unquote(parts.path).lstrip("/") + (f"@{parts.query}" if parts.query else "")
        return f"{host_folder(url)}/{name}"
    path, _, query = url.partition("?")
    if "." in path.rsplit("/", 1)[-1]:  # robots.txt, sitemap.xml, assets
        return unquote(path).lstrip("/")
    folder = path.strip("/")
    name = f"page-{query.removeprefix('page=')}.html" if query else "index.html"
    return f"{folder}/{name}" if folder else name


def _write(directory: Path, name: str, body: bytes) -> None:
    target = directory / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(body)


def export_site(site: Site, directory: Path) -> int:
    """Write every page, asset and image; returns the number of files written."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest, redirects, written = [], [], 0
    assets = [asset.path for asset in site.assets.all()]
    for url in site.paths() + assets:
        path, _, query = url.partition("?")
        status, headers, body = site.render(path, query)
        if status == 301:
            redirects.append(f"{url} {headers['Location']} 301")
            manifest.append(f"{url}\t\t301\t{headers['Location']}")
            continue
        _write(directory, file_for(url), body)
        manifest.append(f"{url}\t{file_for(url)}\t{status}\t")
        written += 1
    images = site.image_base + "/"
    image_urls = sorted({url for page in site.paths() for url in site.requisites(page) if url.startswith(images)})
    for url in [images + "robots.txt", *image_urls]:
        parts = urlsplit(url)
        status, _, body = site.render_image(parts.path[len(urlsplit(images).path) - 1:], parts.query)
        _write(directory, file_for(url), body)
        manifest.append(f"{url}\t{file_for(url)}\t{status}\t")
        written += 1
    status, _, body = site.render("/404", "")
    (directory / "404.html").write_bytes(body)
    (directory / "_redirects").write_text("".join(line + "\n" for line in redirects), encoding="utf-8")
    (directory / "manifest.tsv").write_text("".join(line + "\n" for line in manifest), encoding="utf-8")
    return written
