"""URL rules: normal forms, refusals (traps, other hosts) and page kinds."""

import pytest

from swampcrawl.urls import PageKind, UrlRules

VOCAL = UrlRules("https://vocal.media")
LOCAL = UrlRules("http://127.0.0.1:8123")


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://vocal.media/theSwamp/a-story?vocal_referral=x", "https://vocal.media/theSwamp/a-story"),
        ("https://vocal.media/theSwamp/a-story?via=twitter&_ga=1.2&utm_source=x", "https://vocal.media/theSwamp/a-story"),
        ("https://vocal.media./theSwamp/a-story", "https://vocal.media/theSwamp/a-story"),
        ("http://vocal.media/theSwamp/a-story/", "https://vocal.media/theSwamp/a-story"),
        ("https://VOCAL.media/theSwamp/a-story#comments", "https://vocal.media/theSwamp/a-story"),
        ("https://vocal.media/theSwamp/latest-stories?page=3&via=x", "https://vocal.media/theSwamp/latest-stories?page=3"),
        ("https://vocal.media/theSwamp/latest-stories?page=03", "https://vocal.media/theSwamp/latest-stories?page=3"),
        ("https://vocal.media/theSwamp/latest-stories?page=1", "https://vocal.media/theSwamp/latest-stories"),
        ("https://vocal.media/authors/jane-doe?page=2", "https://vocal.media/authors/jane-doe?page=2"),
        ("https://vocal.media/theSwamp/a-story?page=2", "https://vocal.media/theSwamp/a-story"),
        ("/theSwamp/tag/Challenge", "https://vocal.media/theSwamp/tag/Challenge"),
        ("a-story", "https://vocal.media/theSwamp/a-story"),
        ("/horror/tag/horror", "https://vocal.media/horror/tag/horror"),
    ],
)
def test_normalize_keeps_one_form(url, expected):
    assert VOCAL.normalize(url, referer="https://vocal.media/theSwamp/other") == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://poets.media/poets/a-poem",
        "https://theswamp.media/a-story",
        "https://example.com/theSwamp/a-story",
        "https://vocal.media.example.com/theSwamp/a-story",
        "mailto:someone@example.com",
        "javascript:alert(1)",
        "ftp://vocal.media/x",
        "https://vocal.media/theSwamp/latest-stories?sort=new",
        "https://vocal.media/theSwamp/latest-stories?page=0",
        "https://vocal.media/theSwamp/latest-stories?page=-1",
        "https://vocal.media/theSwamp/latest-stories?page=two",
        "https://vocal.media/theSwamp/latest-stories?page=1&page=2",
        "https://vocal.media/a/b/c/d/e",
        "https://vocal.media/theSwamp/theSwamp",
        "https://vocal.media/a/b/a/b",
        "https://vocal.media/search?q=x",
        "#top",
        "",
    ],
)
def test_normalize_refuses(url):
    assert VOCAL.normalize(url) is None


def test_loopback_base_compares_the_port():
    assert LOCAL.normalize("http://127.0.0.1:8123/fiction/x") == "http://127.0.0.1:8123/fiction/x"
    assert LOCAL.normalize("http://127.0.0.1.:8123/fiction/x") == "http://127.0.0.1:8123/fiction/x"
    assert LOCAL.normalize("http://127.0.0.1:9999/fiction/x") is None
    assert LOCAL.normalize("http://127.0.0.1/fiction/x") is None
    assert LOCAL.normalize("https://vocal.media/fiction/x") is None


def test_base_url_must_be_http():
    with pytest.raises(ValueError):
        UrlRules("ftp://vocal.media")


@pytest.mark.parametrize(
    "path, kind",
    [
        ("/theSwamp/a-story", PageKind.STORY),
        ("/01/how-to-become-a-front-end-developer-3qi45n0gkr", PageKind.STORY),
        ("/resources/how-to-write", PageKind.RESOURCES_STORY),
        ("/authors/jane-doe", PageKind.CREATOR),
        ("/authors/jane-doe?page=2", PageKind.CREATOR),
        ("/theSwamp", PageKind.COMMUNITY),
        ("/theSwamp/latest-stories?page=1161", PageKind.COMMUNITY_LISTING),
        ("/theSwamp/top-stories", PageKind.COMMUNITY_LISTING),
        ("/theSwamp/tag/Challenge?page=2", PageKind.TAG_LISTING),
        ("/latest-stories?page=2", PageKind.GLOBAL_LISTING),
        ("/top-stories", PageKind.GLOBAL_LISTING),
        ("/", PageKind.OTHER),
        ("/challenges", PageKind.OTHER),
        ("/challenges/some-challenge", PageKind.OTHER),
        ("/vocal-plus", PageKind.OTHER),
        ("/signup", PageKind.OTHER),
        ("/search", PageKind.OTHER),
        ("/admin/api", PageKind.OTHER),
        ("/api/graphql", PageKind.OTHER),
        ("/robots.txt", PageKind.OTHER),
        ("/sitemap.xml", PageKind.OTHER),
        ("/sitemap-stories-1", PageKind.OTHER),
        ("/authors", PageKind.OTHER),
        ("/resources", PageKind.COMMUNITY),
        ("/resources/latest-stories", PageKind.COMMUNITY_LISTING),
        ("/theSwamp/tag", PageKind.OTHER),
        ("/theSwamp/a-story/extra", PageKind.OTHER),
    ],
)
def test_classify(path, kind):
    assert VOCAL.classify("https://vocal.media" + path) is kind
    assert LOCAL.classify("http://127.0.0.1:8123" + path) is kind


def test_classify_foreign_host_is_other():
    assert VOCAL.classify("https://poets.media/poets/a-poem") is PageKind.OTHER


def test_canonical():
    assert LOCAL.canonical("authors", "jane") == "http://127.0.0.1:8123/authors/jane"
    assert VOCAL.canonical("theSwamp") == "https://vocal.media/theSwamp"
