"""When a stored story is asked for again: the recheck policy of incremental crawls.

A nightly crawl fetches every new story (the latest-first listings show them) but not every
known one. A known story is *due* for a (conditional) recheck when it was last seen longer
ago than its interval: ``SWAMPCRAWL_RECHECK_YOUNG_EVERY_DAYS`` (default 1) while it is younger
than ``SWAMPCRAWL_RECHECK_YOUNG_DAYS`` (default 7) since publication, then
``SWAMPCRAWL_RECHECK_OLD_EVERY_DAYS`` (default 30). So with nightly runs an edit or removal of
a story in its first week is seen within a day, of an older one within 30 days; a weekly
``scrapy crawl stories -a recheck=all`` bounds that to a week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from swampcrawl.config import SettingsError, parse_size

RECHECK_MODES = ("due", "all", "none")


def parse_recheck(value: str | None) -> str:
    """``-a recheck=`` : ``due`` (default), ``all`` or ``none``; one SettingsError line."""
    mode = (value or "due").strip().lower()
    if mode not in RECHECK_MODES:
        raise SettingsError(f"-a recheck takes {', '.join(RECHECK_MODES)}, not {value!r}")
    return mode


@dataclass(frozen=True)
class RecheckPolicy:
    mode: str = "due"
    young_days: int = 7
    young_every_days: int = 1
    old_every_days: int = 30

    @classmethod
    def from_settings(cls, settings: Any, mode: str | None = None) -> RecheckPolicy:
        days = {name: parse_size(f"SWAMPCRAWL_RECHECK_{name.upper()}", settings.get(f"SWAMPCRAWL_RECHECK_{name.upper()}", default))
                for name, default in (("young_days", 7), ("young_every_days", 1), ("old_every_days", 30))}
        return cls(parse_recheck(mode), **days)

    def is_due(self, published_at: str | None, last_seen_at: str | None, now: datetime | None = None) -> bool:
        """Whether a story stored with these times is asked for again in this run."""
        if self.mode != "due":
            return self.mode == "all"
        now = now or datetime.now(UTC)
        seen, published = _time(last_seen_at), _time(published_at)
        if seen is None:
            return True
        young = published is None or now - published < timedelta(days=self.young_days)
        every = self.young_every_days if young else self.old_every_days
        return now - seen >= timedelta(days=every)


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
