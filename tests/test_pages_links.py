"""extract_links(): every same-site link, normalised, de-duplicated, sorted by kind."""

from __future__ import annotations

from swampcrawl.pages import extract_links

BASE = "http://127.0.0.1:8123"
PAGE = """<html><body><nav hidden>
<a href="/theSwamp/a?via=menu">a</a><a href="/theSwamp/a?vocal_referral=x">a</a>
<a href="http://127.0.0.1.:8123/theSwamp/a">a</a><a href="https://vocal.media/theSwamp/b">other host</a>
<a href="https://poets.media/x">mirror</a><a href="mailto:x@y">mail</a><a href="javascript:void(0)">js</a>
<a href="/signup">join</a><a href="/search?q=x">search</a></nav>
<a href="/authors/jo">Jo</a><a href="/theSwamp">The Swamp</a><a href="/theSwamp/tag/politics">politics</a>
<a href="/resources/how-to">how</a><a href="/theSwamp/latest-stories?page=3">3</a>
<a rel="next" href="/theSwamp/latest-stories?page=3">Next page</a>
</body></html>"""


def test_links_by_kind():
    listing = extract_links(PAGE, BASE + "/theSwamp/latest-stories?page=2", BASE)
    assert listing.kind == "community_listing"
    assert listing.url == BASE + "/theSwamp/latest-stories?page=2"
    assert listing.story_urls == [BASE + "/theSwamp/a", BASE + "/resources/how-to"]
    assert listing.creator_urls == [BASE + "/authors/jo"]
    assert listing.community_urls == [BASE + "/theSwamp"]
    assert listing.tag_urls == [BASE + "/theSwamp/tag/politics"]
    assert listing.listing_urls == [BASE + "/theSwamp/latest-stories?page=3"]
    assert listing.next_page_url == BASE + "/theSwamp/latest-stories?page=3"


def test_next_page_without_rel_next():
    body = '<a href="?page=1">1</a><a href="?page=3">3</a><a href="?page=2">2</a>'
    assert extract_links(body, BASE + "/latest-stories?page=1", BASE).url == BASE + "/latest-stories"
    assert extract_links(body, BASE + "/latest-stories?page=2", BASE).next_page_url == BASE + "/latest-stories?page=3"
    assert extract_links(body, BASE + "/latest-stories", BASE).next_page_url == BASE + "/latest-stories?page=2"
    assert extract_links(body, BASE + "/latest-stories?page=3", BASE).next_page_url is None


def test_refused_page_url_with_a_bad_page_number():
    # The URL is refused (an unknown parameter), so its page number is read as given.
    listing = extract_links('<a href="?page=2">2</a>', BASE + "/latest-stories?page=abc&sort=new", BASE)
    assert listing.url == BASE + "/latest-stories?page=abc&sort=new"
    assert listing.next_page_url == BASE + "/latest-stories?page=2"


def test_empty_page_has_no_links():
    listing = extract_links(b"", BASE + "/", BASE)
    assert listing.story_urls == [] and listing.next_page_url is None and listing.kind == "other"
