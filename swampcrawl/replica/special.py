"""robots.txt, sitemaps and the pages a crawler should leave alone; the list of all URLs.

robots.txt and the sitemaps are INVENTED: Vocal's real ones are unknown
(STRUCTURE.md section 1). They are shaped like common Next.js sites' files.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from swampcrawl.replica import listings
from swampcrawl.replica.clock import iso_z
from swampcrawl.replica.index import PAGE_SIZE

if TYPE_CHECKING:
    from swampcrawl.replica.site import Site

SITEMAP_SIZE = 1000  # story URLs per sitemap file (invented)
OTHER_PAGES = {
    "/challenges": ("Challenges", "Enter Vocal challenges and win cash prizes."),
    "/vocal-plus": ("Vocal+", "Join Vocal+ for more features."),
    "/signup": ("Join Vocal", "Create an account to start writing."),
    "/search": ("Search", "Search stories, creators and communities."),
}


def robots_txt(site: "Site") -> bytes:
    return ("# INVENTED by the swampcrawl replica: Vocal's real robots.txt is unknown.\n"
            "User-agent: *\nDisallow: /admin/\nDisallow: /signup\nDisallow: /search\n"
            f"Disallow: /api/\nAllow: /\n\nSitemap: {site.origin}/sitemap.xml\n").encode()


def _sitemap_count(site: "Site") -> int:
    return max(1, -(-len(site.index.latest) // SITEMAP_SIZE))


def sitemap_index(site: "Site") -> bytes:
    count = _sitemap_count(site)
    entries = "".join(f"<sitemap><loc>{site.origin}/sitemaps/stories-{n}.xml</loc>"
                      f"<lastmod>{iso_z(site.now)}</lastmod></sitemap>" for n in range(1, count + 1))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!-- INVENTED by the swampcrawl replica -->\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{entries}</sitemapindex>").encode()


def story_sitemap(site: "Site", number: int) -> bytes | None:
    stories = site.index.latest[(number - 1) * SITEMAP_SIZE:number * SITEMAP_SIZE]
    if number < 1 or (not stories and number > 1):
        return None
    urls = "".join(f"<url><loc>{site.origin}{escape(s.path)}</loc>"
                   f"<lastmod>{iso_z(s.updated_at or s.published_at)}</lastmod></url>" for s in stories)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>').encode()


def special_page(site: "Site", path: str) -> tuple[int, str, bytes] | None:
    """(status, content type, body) for the non-story files, or None."""
    if path == "/robots.txt":
        return 200, "text/plain; charset=utf-8", robots_txt(site)
    if path == "/sitemap.xml":
        return 200, "application/xml", sitemap_index(site)
    if path.startswith("/sitemaps/stories-") and path.endswith(".xml"):
        number = path[len("/sitemaps/stories-"):-len(".xml")]
        body = story_sitemap(site, int(number)) if number.isdigit() else None
        return None if body is None else (200, "application/xml", body)
    if path in OTHER_PAGES:
        heading, text = OTHER_PAGES[path]
        return 200, "text/html; charset=utf-8", listings.simple_page(site.index, path, heading, text)
    return None


def _paged(path: str, total: int) -> list[str]:
    pages = max(1, -(-total // PAGE_SIZE))
    return [path] + [f"{path}?page={n}" for n in range(2, pages + 1)]


def all_paths(site: "Site") -> list[str]:
    """Every URL the site answers with 200 (page 1 without ``?page``), then its 301s."""
    index = site.index
    paths = ["/", "/robots.txt", "/sitemap.xml", *OTHER_PAGES]
    paths += [f"/sitemaps/stories-{n}.xml" for n in range(1, _sitemap_count(site) + 1)]
    paths += _paged("/latest-stories", len(index.latest)) + _paged("/top-stories", len(index.top))
    for slug in index.data.communities:
        paths.append(f"/{slug}")
        paths += _paged(f"/{slug}/latest-stories", len(index.community_latest[slug]))
        paths += _paged(f"/{slug}/top-stories", len(index.community_top[slug]))
        for tag, _ in index.community_tags(slug):
            paths += _paged(f"/{slug}/tag/{tag}", len(index.tag_stories[(slug, tag)]))
    for slug, creator in index.data.creators.items():
        paths += _paged(creator.path, len(index.creator_stories[slug]))
    paths += [story.path for story in index.latest]
    return paths + sorted(index.data.redirects)
