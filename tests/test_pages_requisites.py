"""Page requisites read from HTML and CSS: every kind of reference, resolved, de-duplicated."""

from __future__ import annotations

from lxml import html

from swampcrawl.pages import extract_links
from swampcrawl.pages.requisites import css_requisites, html_requisites, srcset_urls

PAGE = "http://127.0.0.1:8000/theSwamp/a-story"
CLOUDINARY = "https://res.cloudinary.com/jerrick/image/upload/c_fill,w_{}/abc.jpg"

BODY = f"""<!DOCTYPE html><html><head>
<link rel="preload" href="/_next/static/css/app.css" as="style">
<link rel="stylesheet" href="/_next/static/css/app.css">
<link rel="preload" as="font" type="font/woff2" crossorigin href="/_next/static/media/inter.woff2">
<link rel="icon" href="/favicon.ico"><link rel="canonical" href="/theSwamp/a-story">
<link rel="alternate" href="/feed.xml">
<script src="/_next/static/chunks/main.js" defer></script><script>var inline = 1;</script>
<style>@import url("/_next/static/css/print.css"); .hero {{ background: url('../bg.png') }}</style>
</head><body>
<picture><source srcset="{CLOUDINARY.format(720)} 720w, {CLOUDINARY.format(1440)} 1440w" type="image/webp">
<img src="{CLOUDINARY.format(720)}" srcset="{CLOUDINARY.format(360)} 360w, {CLOUDINARY.format(720)} 720w" alt=""></picture>
<div style="background-image: url(/avatar.png)"></div>
<a href="/theSwamp/other">a link is no requisite</a>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><img src="javascript:void(0)"><img src="http://[broken">
<img src="/hero.png#fragment"><video poster="/poster.jpg"></video>
</body></html>"""


def test_every_kind_of_reference_in_document_order_once():
    assert html_requisites(html.fromstring(BODY), PAGE) == [
        "http://127.0.0.1:8000/_next/static/css/app.css",
        "http://127.0.0.1:8000/_next/static/media/inter.woff2",
        "http://127.0.0.1:8000/favicon.ico",
        "http://127.0.0.1:8000/_next/static/chunks/main.js",
        CLOUDINARY.format(720),
        "http://127.0.0.1:8000/hero.png",
        "http://127.0.0.1:8000/poster.jpg",
        CLOUDINARY.format(1440),
        CLOUDINARY.format(360),
        "http://127.0.0.1:8000/_next/static/css/print.css",
        "http://127.0.0.1:8000/bg.png",
        "http://127.0.0.1:8000/avatar.png",
    ]


def test_a_base_element_changes_what_relative_references_mean():
    page = html.fromstring('<html><head><base href="https://cdn.example/assets/"></head><body><img src="a.png"></body></html>')
    assert html_requisites(page, PAGE) == ["https://cdn.example/assets/a.png"]


def test_srcset_keeps_commas_inside_urls():
    assert srcset_urls(f"{CLOUDINARY.format(720)} 720w, {CLOUDINARY.format(1440)} 1440w") == [
        CLOUDINARY.format(720), CLOUDINARY.format(1440)]
    assert srcset_urls("a.png, b.png 2x,c.png 3x") == ["a.png", "b.png", "c.png"]
    assert srcset_urls("  ") == []


def test_css_imports_and_urls_resolve_against_the_stylesheet():
    css = """@import "base.css"; @import url(print.css) print;
    /* url(commented-out.png) */
    @font-face { font-family: Inter; src: url(../media/inter-1a2b.woff2) format("woff2"), url('../media/inter.woff') }
    .x { background: url( "data:image/png;base64,AAAA" ) } .y { background: url(/img/y.svg#icon) }"""
    assert css_requisites(css, "https://vocal.media/_next/static/css/app.css") == [
        "https://vocal.media/_next/static/css/print.css",
        "https://vocal.media/_next/static/media/inter-1a2b.woff2",
        "https://vocal.media/_next/static/media/inter.woff",
        "https://vocal.media/img/y.svg",
        "https://vocal.media/_next/static/css/base.css",
    ]


def test_links_of_a_page_carry_its_requisites():
    links = extract_links(BODY.encode(), PAGE, "http://127.0.0.1:8000")
    assert links.story_urls == ["http://127.0.0.1:8000/theSwamp/other"]
    assert links.requisite_urls[0] == "http://127.0.0.1:8000/_next/static/css/app.css"
    assert "http://127.0.0.1:8000/theSwamp/other" not in links.requisite_urls
