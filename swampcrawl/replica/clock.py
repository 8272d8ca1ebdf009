"""Times as the replica shows and serves them: ISO strings and relative phrases.

Relative phrases follow date-fns ``formatDistance`` (with ``addSuffix``), the
formatter Vocal's pages appear to use ("about 18 hours ago", "over 2 years ago").
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR
MONTHS = ["January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]

EPOCH_ONE_NOW = datetime(2026, 11, 24, 9, 30, 0, tzinfo=timezone.utc)


def site_now(epoch: int, override: datetime | None = None) -> datetime:
    """The site's clock for an epoch: fixed, never the wall clock, one day per epoch."""
    if override is not None:
        return override
    return EPOCH_ONE_NOW + timedelta(days=epoch - 1)


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 moment; a naive one is taken as UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def iso_z(moment: datetime) -> str:
    """The project's JSON form: whole seconds and a Z (``2026-11-24T09:30:00Z``)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(moment: datetime) -> str:
    """The API's form, with milliseconds (``2025-01-02T03:04:05.000Z``)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp()) * 1000


def http_date(moment: datetime) -> str:
    """RFC 9110 date for Last-Modified (English names, whatever the locale)."""
    return format_datetime(moment.astimezone(timezone.utc), usegmt=True)


def month_year(moment: datetime) -> str:
    """"February 2021", as in "Joined February 2021" and "Top Story - November 2023"."""
    return f"{MONTHS[moment.month - 1]} {moment.year}"


def _phrase(count: int, one: str, many: str) -> str:
    """"a day" / "4 days": Vocal says "a"/"an" where date-fns says "1"."""
    return one if count == 1 else many.format(count)


def _under_two_months(minutes: int) -> str:
    """date-fns formatDistance below two months (its thresholds, in minutes)."""
    if minutes < 1:
        return "less than a minute"
    if minutes < 45:
        return _phrase(minutes, "a minute", "{} minutes")
    if minutes < 90:
        return "about an hour"
    if minutes < 1440:
        return f"about {round(minutes / 60)} hours"
    if minutes < 2520:
        return "a day"
    if minutes < 43200:
        return _phrase(round(minutes / 1440), "a day", "{} days")
    return _phrase(round(minutes / 43200), "about a month", "about {} months")


def _years(months: int) -> str:
    years, rest = divmod(months, 12)
    if rest < 3:
        return _phrase(years, "about a year", "about {} years")
    if rest < 9:
        return _phrase(years, "over a year", "over {} years")
    return f"almost {years + 1} years"


def _calendar_months(earlier: datetime, later: datetime) -> int:
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if (later.day, later.time()) < (earlier.day, earlier.time()):
        months -= 1
    return max(0, months)


def distance(earlier: datetime, later: datetime) -> str:
    """date-fns formatDistance(earlier, later), without the suffix."""
    minutes = round(max(0, (later - earlier).total_seconds()) / MINUTE)
    if minutes < 86400:
        return _under_two_months(minutes)
    months = _calendar_months(earlier, later)
    if months < 12:
        return f"{round(minutes / 43200)} months"
    return _years(months)


def ago(moment: datetime, now: datetime) -> str:
    """"4 days ago", "about a year ago": what a byline shows for ``moment`` at ``now``."""
    return f"{distance(moment, now)} ago"
