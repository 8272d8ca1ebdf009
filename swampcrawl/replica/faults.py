"""``--faults``: which stories (and which community) a hostile replica mistreats, and how.

A ``FaultPlan`` is data only, chosen from ``--seed``: each story fault gets a few stories
(its *variants*, one story each), never a story of another fault, never the sample story,
and fewer than half of the live stories in all, so a clean majority is always left. How a
faulted URL is answered is ``fault_replies.py``; this module also writes the ``faults`` key
of the ground truth (docs/replica.md, "Fault replica").
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable
from urllib.parse import urlsplit

from swampcrawl.replica.fault_bodies import BOMB_INFLATED_BYTES, gzip_bomb
from swampcrawl.replica.index import PAGE_SIZE
from swampcrawl.replica.model import RESOURCES, Story

if TYPE_CHECKING:
    from swampcrawl.replica.site import Site

# Every fault, in the order the plan hands out stories (and the docs list them).
FAULTS = ("rate-limit", "server-errors", "slow", "reset", "short", "bomb", "huge", "maintenance",
          "bad-data", "malformed", "redirects", "endless", "foreign-links", "charset", "long-urls")
# The variants of each story fault, most needed first: the first MINIMUM (2 unless listed) are
# always given; the rest, round-robin across faults, while faulted stories stay a minority.
VARIANTS: dict[str, tuple[str, ...]] = {
    "rate-limit": ("429", "429", "429"),
    "server-errors": ("once-502", "always-500", "once-503", "always-500", "once-500"),
    "slow": ("slow", "slow"),
    "reset": ("reset", "reset"),
    "short": ("short", "short"),
    "bomb": ("bomb", "bomb"),
    "huge": ("huge", "huge"),
    "maintenance": ("maintenance-200", "maintenance-503", "maintenance-200"),
    "bad-data": ("invalid-json", "deep-nesting", "invalid-json", "deep-nesting"),
    "malformed": ("malformed", "malformed", "malformed"),
    "redirects": ("loop", "off-port", "long"),
    "foreign-links": ("foreign-links", "foreign-links"),
    "charset": ("windows-1252", "windows-1252", "windows-1252"),
    "long-urls": ("long-urls", "long-urls"),
}
MINIMUM = {"redirects": 3}
# What a crawler should make of each variant (docs/replica.md lists the words).
OUTCOMES = {"429": "stored", "slow": "error", "reset": "error", "short": "error", "bomb": "error",
            "huge": "error", "invalid-json": "stored-or-error", "deep-nesting": "stored-or-error",
            "malformed": "stored-or-error", "loop": "error", "off-port": "error", "long": "error",
            "foreign-links": "stored", "windows-1252": "stored", "long-urls": "stored"}
REASONS = {"always-500": "HTTP 500", "slow": "timeout", "bomb": "too large", "huge": "too large"}

RETRY_AFTER = 1  # seconds, on every 429 and burst 503
LIMITED_REQUESTS = 2  # a rate-limited story answers 429 this many times, then its page
BURST_FIRST, BURST_COUNT = 25, 20  # site requests number 25 to 44 answer 503
DEFAULT_SLOW_SECONDS = 5.0
NESTING_DEPTH = 50_000
LONG_URL_LENGTH = 10_000  # characters of the long links' and the long redirect's path
REPEATED_SEGMENTS = 50
HUGE_BYTES = 30 * 1024 * 1024
MALFORMATIONS = ("unclosed-tags", "early-html-end", "nul-bytes", "invalid-utf-8")


class FaultError(ValueError):
    """A bad ``--faults`` value; its message is the one line the CLI prints."""


def parse_faults(text: str) -> tuple[str, ...]:
    """``NAME[,NAME...]`` or ``all`` -> fault names in ``FAULTS`` order, each once."""
    names = {name.strip() for name in text.split(",") if name.strip()}
    known = f"all, {', '.join(FAULTS)}"
    if not names:
        raise FaultError(f"--faults needs a fault name (known: {known})")
    if "all" in names:
        return FAULTS
    unknown = sorted(names - set(FAULTS))
    if unknown:
        raise FaultError(f"--faults: unknown fault {', '.join(repr(name) for name in unknown)} (known: {known})")
    return tuple(name for name in FAULTS if name in names)


def stories_needed(names: Iterable[str]) -> int:
    """The fewest live stories for which ``names`` leave a clean majority."""
    return 2 * sum(MINIMUM.get(name, 2) for name in names if name in VARIANTS) + 1


def deal_variants(names: tuple[str, ...], budget: int) -> list[tuple[str, str]]:
    """(fault, variant) pairs: every fault's minimum, then one more each per round within budget."""
    story_faults = [name for name in names if name in VARIANTS]
    dealt = {name: list(VARIANTS[name][:MINIMUM.get(name, 2)]) for name in story_faults}
    total = sum(len(found) for found in dealt.values())
    for depth in range(max((len(VARIANTS[name]) for name in story_faults), default=0)):
        for name in story_faults:
            if len(dealt[name]) == depth < len(VARIANTS[name]) and total < budget:
                dealt[name].append(VARIANTS[name][depth])
                total += 1
    return [(name, variant) for name in story_faults for variant in dealt[name]]


def _cp1252_title(story: Story) -> bool:
    """A title whose non-ASCII letters all have a windows-1252 byte (the charset fault's pick)."""
    try:
        story.title.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return not story.title.isascii()


@dataclass
class FaultPlan:
    """The faults of one replica: ``stories`` maps a story path to its (fault, variant)."""

    names: tuple[str, ...]
    slow_seconds: float = DEFAULT_SLOW_SECONDS
    stories: dict[str, tuple[str, str]] = field(default_factory=dict)
    loop_via: dict[str, str] = field(default_factory=dict)  # the loop's second URL -> its story
    endless: str | None = None  # the community whose latest-stories listing never ends
    endless_count: int = 0  # its stories, as the site declares them

    def __contains__(self, name: str) -> bool:
        return name in self.names


def plan_faults(site: "Site", names: tuple[str, ...], seed: int,
                slow_seconds: float = DEFAULT_SLOW_SECONDS) -> FaultPlan:
    """Choose, from ``seed``, the stories and community each fault of ``names`` mistreats."""
    index = site.index
    live = len(index.latest)
    if live < stories_needed(names):
        label = "all" if names == FAULTS else ",".join(names)
        raise FaultError(f"--faults {label} needs at least {stories_needed(names)} live stories "
                         f"to leave a clean majority; this replica has {live} (raise --stories)")
    rng = random.Random(f"swampcrawl-faults:{seed}")
    sample = next(iter(index.data.stories.values())).path  # the sample story stays clean
    pool = sorted(story.path for story in index.latest if story.path != sample)
    rng.shuffle(pool)
    plan = FaultPlan(names, slow_seconds)
    dealt = deal_variants(names, (live - 1) // 2)
    # The charset fault picks first, among titles with windows-1252 letters, if any are left.
    for fault, variant in sorted(dealt, key=lambda pair: pair[0] != "charset"):
        wanted = [p for p in pool if _cp1252_title(index.by_path[p])] if fault == "charset" else []
        path = (wanted or pool)[0]
        pool.remove(path)
        plan.stories[path] = (fault, variant)
        if variant == "loop":
            plan.loop_via[_unused_path(site, path + "-moved")] = path
    if "endless" in names:
        communities = sorted(slug for slug, found in index.community_latest.items() if found and slug != RESOURCES)
        plan.endless = rng.choice(communities)
        plan.endless_count = len(index.community_latest[plan.endless])
    return plan


def _unused_path(site: "Site", path: str) -> str:
    found, number = path, 1
    while found in site.index.by_path or found in site.index.data.redirects:
        number += 1
        found = f"{path}-{number}"
    return found


# -- URLs the faults name ------------------------------------------------------------------------

def other_port_origin(site: "Site") -> str:
    """The same host on another port: the image host's, so a request there shows in the log."""
    port = urlsplit(site.image_base).port
    return f"http://{site.host}:{port if port and port != site.port else site.port + 2}"


def long_path(story_path: str) -> str:
    """A story-looking path of exactly ``LONG_URL_LENGTH`` characters."""
    stem = story_path + "-"
    return stem + "x" * (LONG_URL_LENGTH - len(stem))


def redirect_target(site: "Site", plan: FaultPlan, path: str, variant: str) -> str:
    if variant == "loop":
        return next(via for via, story in plan.loop_via.items() if story == path)
    if variant == "off-port":
        return other_port_origin(site) + path
    return long_path(path)


def foreign_links(site: "Site", path: str) -> list[str]:
    return [f"https://vocal.media{path}", f"https://www.vocal.media{path}",
            other_port_origin(site) + path, f"https://example.com{path}"]


def long_links(site: "Site", path: str) -> list[str]:
    community = path.split("/")[1]
    return [site.origin + long_path(path), site.origin + f"/{community}" + "/a" * REPEATED_SEGMENTS]


# -- the ground truth's "faults" -----------------------------------------------------------------

def _story_entry(site: "Site", plan: FaultPlan, path: str, fault: str, variant: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": path, "variant": variant, "outcome": OUTCOMES.get(variant, "stored")}
    if fault == "server-errors":
        kind, status = variant.split("-")
        entry.update(variant=kind, status=int(status), outcome="error" if kind == "always" else "stored")
    elif fault == "maintenance":
        entry.update(variant="maintenance", status=int(variant[-3:]), outcome="stored-unchanged")
    elif fault == "redirects":
        entry["location"] = redirect_target(site, plan, path, variant)
    elif fault == "foreign-links":
        entry["links"] = foreign_links(site, path)
    elif fault == "long-urls":
        entry["links"] = long_links(site, path)
    elif fault == "charset":
        entry["title"] = site.index.by_path[path].title
    if variant in REASONS:
        entry["reason"] = REASONS[variant]
    return entry


def _parameters(site: "Site", plan: FaultPlan, name: str) -> dict[str, Any]:
    """Each fault's own keys besides ``stories`` and ``never_requested``."""
    if name == "rate-limit":
        return {"retry_after": RETRY_AFTER, "limited_requests": LIMITED_REQUESTS,
                "burst": {"first": BURST_FIRST, "last": BURST_FIRST + BURST_COUNT - 1, "status": 503,
                          "retry_after": RETRY_AFTER}}
    if name == "slow":
        return {"seconds": plan.slow_seconds}
    if name == "bomb":
        return {"compressed_bytes": len(gzip_bomb()), "inflated_bytes": BOMB_INFLATED_BYTES}
    if name == "huge":
        return {"bytes": HUGE_BYTES}
    if name == "maintenance":
        return {"first_crawl_outcome": "error"}
    if name == "bad-data":
        return {"depth": NESTING_DEPTH}
    if name == "malformed":
        return {"damage": list(MALFORMATIONS)}
    if name == "charset":
        return {"charset": "windows-1252"}
    if name == "endless" and plan.endless:
        return {"community": plan.endless, "listing": f"/{plan.endless}/latest-stories",
                "story_count": plan.endless_count, "page_size": PAGE_SIZE,
                "last_page": max(1, -(-plan.endless_count // PAGE_SIZE))}
    return {}


def faults_truth(site: "Site", plan: FaultPlan) -> dict[str, Any]:
    """``truth["faults"]``: for each fault, its stories and outcomes, the URLs never to request,
    and its parameters."""
    truth: dict[str, Any] = {}
    for name in plan.names:
        stories = [_story_entry(site, plan, path, fault, variant)
                   for path, (fault, variant) in plan.stories.items() if fault == name]
        never = [link for story in stories for link in story.get("links", [])]
        never += [story["location"] for story in stories if story["variant"] == "off-port"]
        truth[name] = {"stories": stories, "never_requested": never, **_parameters(site, plan, name)}
    return truth
