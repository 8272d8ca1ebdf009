"""Absolute and relative times as pages give them."""

from datetime import UTC, datetime, timedelta

import pytest

from swampcrawl.pages.dates import parse_absolute_date, parse_timestamp, relative_window, resolve_relative

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
DAY = 86400


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2025-01-02T03:04:05.000Z", datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2025-01-02T04:04:05+01:00", datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2025-01-02T03:04:05", datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)),
        (1735787045000, datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("1735787045000", datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)),
        (1735787045, datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)),
        (None, None),
        ("", None),
        ("not a date", None),
        (True, None),
    ],
)
def test_parse_timestamp(value, expected):
    assert parse_timestamp(value) == expected


@pytest.mark.parametrize(
    "phrase, age_low, age_high",
    [
        ("less than a minute ago", 0, 30),
        ("1 minute ago", 30, 90),
        ("a minute ago", 30, 90),
        ("5 minutes ago", 270, 330),
        ("about an hour ago", 2670, 5370),
        ("about 1 hour ago", 2670, 5370),
        ("about 18 hours ago", 17.5 * 3600, 18.5 * 3600),
        ("a day ago", DAY - 30, 42 * 3600 - 30),
        ("1 day ago", DAY - 30, 42 * 3600 - 30),
        ("4 days ago", 3.5 * DAY, 4.5 * DAY),
        ("about a month ago", 30 * DAY, 45 * DAY),
        ("about 1 month ago", 30 * DAY, 45 * DAY),
        ("about 2 months ago", 45 * DAY, 60 * DAY),
        ("10 months ago", 285 * DAY, 315 * DAY),
        ("about a year ago", 365.25 * DAY, 1.25 * 365.25 * DAY),
        ("over 1 year ago", 1.25 * 365.25 * DAY, 1.75 * 365.25 * DAY),
        ("almost 2 years ago", 1.75 * 365.25 * DAY, 2 * 365.25 * DAY),
        ("about 3 years ago", 3 * 365.25 * DAY, 3.25 * 365.25 * DAY),
        ("5 years ago", 4.5 * 365.25 * DAY, 5.5 * 365.25 * DAY),
    ],
)
def test_relative_windows(phrase, age_low, age_high):
    window = relative_window(phrase)
    assert window is not None
    # Year phrases count calendar months, with two days of slack either side.
    slack = 2 * DAY + 1 if "year" in phrase else 1
    assert (window.low, window.high) == pytest.approx((age_low, age_high), abs=slack)


def test_resolve_relative_takes_the_middle_of_the_window():
    assert resolve_relative("4 days ago", NOW) == NOW - timedelta(days=4)
    assert resolve_relative("about 18 hours ago", NOW) == NOW - timedelta(hours=18)
    assert resolve_relative("5 years ago", NOW).year == 2021


def test_resolved_times_are_whole_seconds_in_utc():
    resolved = resolve_relative("a day ago", NOW)
    assert resolved.tzinfo == UTC and resolved.microsecond == 0


@pytest.mark.parametrize("phrase", ["", "yesterday-ish", "4 fortnights ago", "Published"])
def test_unknown_phrases_are_none(phrase):
    assert resolve_relative(phrase, NOW) is None


@pytest.mark.parametrize("text", ["January 2, 2019", "Jan 2, 2019", "Jan 2nd, 2019", "2019-01-02"])
def test_absolute_dates(text):
    assert parse_absolute_date(text) == datetime(2019, 1, 2, tzinfo=UTC)
