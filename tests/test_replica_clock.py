"""The replica's own relative times (date-fns formatDistance family) and slugs."""

from __future__ import annotations

import random
from datetime import timedelta, timezone

import pytest

from swampcrawl.replica.clock import EPOCH_ONE_NOW, ago, http_date
from swampcrawl.replica.slugs import kebab, unique_slug


@pytest.mark.parametrize("delta, phrase", [
    (timedelta(seconds=20), "less than a minute ago"), (timedelta(minutes=1), "a minute ago"),
    (timedelta(minutes=7), "7 minutes ago"), (timedelta(minutes=60), "about an hour ago"),
    (timedelta(hours=18), "about 18 hours ago"), (timedelta(hours=30), "a day ago"),
    (timedelta(days=4), "4 days ago"), (timedelta(days=35), "about a month ago"),
    (timedelta(days=50), "about 2 months ago"), (timedelta(days=305), "10 months ago"),
    (timedelta(days=380), "about a year ago"), (timedelta(days=560), "over a year ago"),
    (timedelta(days=850), "over 2 years ago"), (timedelta(days=1070), "almost 3 years ago"),
    (timedelta(days=5 * 365 + 2), "about 5 years ago"),
])
def test_relative_times(delta, phrase):
    assert ago(EPOCH_ONE_NOW - delta, EPOCH_ONE_NOW) == phrase


@pytest.mark.parametrize("text, slug", [
    ("The Devil's Playground", "the-devil-s-playground"), ("YouTube Automation", "you-tube-automation"),
    ("Zoë Ørsted", "zoe-orsted"), ("It’s 🔥 Here", "it-s-here"), ("🌙", "untitled"),
])
def test_kebab(text, slug):
    assert kebab(text) == slug


def test_clashes_get_a_random_suffix():
    taken: set[str] = set()
    rng = random.Random(1)
    first, second = unique_slug("sibca-awan", taken, rng), unique_slug("sibca-awan", taken, rng)
    assert first == "sibca-awan"
    suffix = second.removeprefix("sibca-awan-")
    assert 8 <= len(suffix) <= 10 and suffix.isalnum() and suffix == suffix.lower()


def test_http_date_is_english_and_gmt():
    assert http_date(EPOCH_ONE_NOW) == "Tue, 24 Nov 2026 09:30:00 GMT"
    assert http_date(EPOCH_ONE_NOW.astimezone(timezone(timedelta(hours=5)))) == "Tue, 24 Nov 2026 09:30:00 GMT"
