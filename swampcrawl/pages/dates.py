"""Times as pages give them: ISO strings, epoch milliseconds, and relative phrases.

Relative phrases ("Published 4 days ago") follow the date-fns ``formatDistance`` family
("less than a minute", "about 1 hour", "x days", "about a month", "over x years",
"almost x years", ...), with "a"/"an" for one and the plain "5 years" some pages show.
Each phrase names a window of ages; a phrase is resolved to the capture time minus
the middle of its window, so the error is at most half the window:

    minutes: +-30 s      "about 1 hour": +-22.5 min      hours: +-30 min       "1 day": +-9 h       "x days": +-12 h
    "about 1 month": +-7.5 days     "x months": +-15 days
    "about/almost x years": +-1.5 months (+2 days)   "over x years": +-3 months (+2 days)
    plain "x years": +-6 months (years count calendar months, as date-fns does)

``relative_window`` returns the window itself, for tests and for researchers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from swampcrawl.records import as_utc

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
MONTH = 30 * DAY  # date-fns counts 43200 minutes to a month below one year
YEAR = 365.25 * DAY
CALENDAR_MONTH = YEAR / 12

_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_RELATIVE = re.compile(
    r"^(?P<qual>less than|about|over|almost|under|nearly)?\s*"
    r"(?P<n>\d+|an?|one|two|three|four|five|a few)\s+"
    r"(?P<unit>second|minute|hour|day|week|month|year)s?(?:\s+ago)?$",
    re.IGNORECASE,
)
_NOW_WORDS = ("just now", "now", "a few seconds ago", "moments ago", "less than a minute ago")
_ABSOLUTE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%Y-%m-%d", "%b %d %Y")
_EPOCH = re.compile(r"-?\d+(\.\d+)?")
_ORDINAL = re.compile(r"(\d)(st|nd|rd|th)\b")


@dataclass(frozen=True)
class Window:
    """Ages (seconds before the capture) a relative phrase can stand for."""

    low: float
    high: float

    @property
    def middle(self) -> float:
        return (self.low + self.high) / 2


def parse_timestamp(value: object) -> datetime | None:
    """An absolute time from ISO 8601 text or epoch milliseconds (seconds if small)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return _from_epoch(float(value))
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if _EPOCH.fullmatch(text):
        return _from_epoch(float(text))
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return parse_absolute_date(text)
    return as_utc(parsed)


def _from_epoch(number: float) -> datetime | None:
    # Milliseconds since 1970 pass 1e11 in 1973; smaller numbers are seconds.
    seconds = number / 1000 if abs(number) >= 1e11 else number
    try:
        return datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=0)
    except (OverflowError, OSError, ValueError):
        return None


def parse_absolute_date(text: str) -> datetime | None:
    """Dates older layouts print: "January 2, 2019", "Jan 2, 2019", "2019-01-02"."""
    cleaned = _ORDINAL.sub(r"\1", text.strip().rstrip("."))
    for fmt in _ABSOLUTE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def relative_window(phrase: str) -> Window | None:
    """The window of ages a phrase such as "about 18 hours ago" stands for."""
    text = " ".join(phrase.lower().split()).rstrip(".")
    if text in _NOW_WORDS or text == "less than a minute":
        return Window(0, 30)  # under half a minute: rounds to zero minutes
    match = _RELATIVE.match(text)
    if not match:
        return None
    raw_n = match["n"]
    n = 3 if raw_n == "a few" else _NUMBER_WORDS.get(raw_n) or int(raw_n)
    return _window(match["qual"] or "", n, match["unit"])


def _window(qual: str, n: int, unit: str) -> Window:
    if unit == "second":
        return Window(max(0, n - 0.5), n + 0.5)
    if unit == "year":
        return _year_window(qual, n)
    if unit == "month" and qual in ("about", "") and n == 1:
        return Window(30 * DAY, 45 * DAY)  # "about 1 month": 30 to 45 days
    if unit == "month" and qual == "about" and n == 2:
        return Window(45 * DAY, 60 * DAY)
    if unit == "day" and n == 1:
        return Window(24 * HOUR - 30, 42 * HOUR - 30)  # "1 day": 24 to 42 hours
    if unit == "minute" and n == 1 and qual != "less than":
        return Window(30, 90)
    if unit == "hour" and n == 1 and qual in ("about", ""):
        return Window(44.5 * MINUTE, 89.5 * MINUTE)  # "about 1 hour": 45 to 89 minutes
    size = {"minute": MINUTE, "hour": HOUR, "day": DAY, "week": 7 * DAY, "month": MONTH}[unit]
    if qual in ("less than", "under"):
        return Window(0, n * size)
    # date-fns rounds to the nearest unit: the phrase covers half a unit either side.
    return Window(max(0.0, (n - 0.5) * size), (n + 0.5) * size)


def _year_window(qual: str, n: int) -> Window:
    """Years are counted in calendar months (date-fns ``differenceInMonths``)."""
    months = {
        "about": (12 * n, 12 * n + 3),
        "over": (12 * n + 3, 12 * n + 9),
        "almost": (12 * n - 3, 12 * n),
        "nearly": (12 * n - 3, 12 * n),
        "less than": (0, 12 * n),
        "under": (0, 12 * n),
    }.get(qual, (12 * n - 6, 12 * n + 6))
    # Calendar months run 28 to 31 days: a little slack either side of the average.
    return Window(max(0.0, months[0] * CALENDAR_MONTH - 2 * DAY), months[1] * CALENDAR_MONTH + 2 * DAY)


def resolve_relative(phrase: str, captured_at: datetime) -> datetime | None:
    """The moment a relative phrase most likely means, seen from ``captured_at``."""
    window = relative_window(phrase)
    if window is None:
        return None
    return as_utc(captured_at - timedelta(seconds=round(window.middle)))


def parse_page_date(text: str, captured_at: datetime) -> datetime | None:
    """A date as printed on a page: relative ("4 days ago") or absolute ("Jan 2, 2019")."""
    return resolve_relative(text, captured_at) or parse_absolute_date(text)
