"""``--export DIR``: the whole site as static files, for another web server to serve.

Layout: ``<path>/index.html`` for a page (``index.html`` at the root), and
``<path>/page-N.html`` for ``<path>?page=N`` (N >= 2); robots.txt and sitemaps
keep their names. ``_redirects`` lists the 301s (Netlify format) and
``manifest.tsv`` maps each URL to its file and status.
"""

from __future__ import annotations

from pathlib import Path

from swampcrawl.replica.site import Site


def file_for(url: str) -> str:
    """The relative file a URL is written to."""
    path, _, query = url.partition("?")
    if "." in path.rsplit("/", 1)[-1]:  # robots.txt, sitemap.xml
        return path.lstrip("/")
    folder = path.strip("/")
    name = f"page-{query.removeprefix('page=')}.html" if query else "index.html"
    return f"{folder}/{name}" if folder else name


def export_site(site: Site, directory: Path) -> int:
    """Write every page; returns the number of files written."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest, redirects, written = [], [], 0
    for url in site.paths():
        path, _, query = url.partition("?")
        status, headers, body = site.render(path, query)
        if status == 301:
            redirects.append(f"{url} {headers['Location']} 301")
            manifest.append(f"{url}\t\t301\t{headers['Location']}")
            continue
        target = directory / file_for(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        manifest.append(f"{url}\t{file_for(url)}\t{status}\t")
        written += 1
    status, _, body = site.render("/404", "")
    (directory / "404.html").write_bytes(body)
    (directory / "_redirects").write_text("".join(line + "\n" for line in redirects), encoding="utf-8")
    (directory / "manifest.tsv").write_text("".join(line + "\n" for line in manifest), encoding="utf-8")
    return written
