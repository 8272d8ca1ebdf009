#!/usr/bin/env python3
"""Open a `swampcrawl report` page in headless Chromium, offline, and save a full-page screenshot.

    swampcrawl report --db data/swamp.db --out report.html
    .venv/bin/python scripts/report-screenshot.py report.html -o report.png

The page is opened from its file (``file://``) in Debian's Chromium, driven by Playwright (no
browser is downloaded). Every other request the page would make is aborted and listed: a report
must need nothing but itself, so any such request is an error (exit 1, the URLs on stderr).
Chromium also resolves no host name. Prints the page's title and the PNG written.

Options: ``--width 1366`` (the window's width in CSS pixels; a laptop's by default; the height is
the page's), ``--scale 1`` (device pixels per CSS pixel), ``--chromium /usr/bin/chromium``.

The test suite (tests/test_research_report.py) imports this file and uses ``render_report``.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
# Every host name fails to resolve: should a request slip past the router, it goes nowhere.
CHROMIUM_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND"]


@dataclass
class Rendered:
    """What the browser showed: the title, the requests it was refused, what ``probe`` returned."""

    title: str = ""
    blocked: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)  # console errors
    probe: object = None


def missing_dependencies(chromium: str = CHROMIUM) -> list[str]:
    missing = [] if Path(chromium).exists() else [f"{chromium} (Debian's chromium)"]
    if importlib.util.find_spec("playwright") is None:
        missing.append("playwright (pip, the test extra)")
    return missing


def render_report(report: Path | str, screenshot: Path | str | None = None, width: int = 1366,
                  scale: float = 1.0, probe: str | None = None, chromium: str = CHROMIUM) -> Rendered:
    """Open ``report`` with every request but the page itself aborted; save a full-page PNG.

    ``probe``: a JavaScript function evaluated in the page once loaded (``Rendered.probe``).
    Uses Playwright's sync API: call it from a thread where no asyncio loop runs.
    """
    from playwright.sync_api import sync_playwright

    url = Path(report).resolve().as_uri()
    result = Rendered()

    def route(request_route) -> None:  # type: ignore[no-untyped-def]
        if request_route.request.url == url:
            request_route.continue_()
        else:
            request_route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=scale)
            context.route("**/*", route)
            page = context.new_page()
            page.on("request", lambda request: None if request.url == url else result.blocked.append(request.url))
            page.on("console", lambda message: result.console.append(message.text)
                    if message.type == "error" else None)
            page.goto(url, wait_until="load")
            result.title = page.title()
            if probe is not None:
                result.probe = page.evaluate(probe)
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Save a full-page screenshot of a `swampcrawl report` page in headless Chromium, offline.",
        epilog="Example: .venv/bin/python scripts/report-screenshot.py report.html -o report.png")
    parser.add_argument("report", type=Path, help="the HTML file (from `swampcrawl report --out FILE`)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the PNG to write")
    parser.add_argument("--width", type=int, default=1366, help="window width in CSS pixels (default 1366)")
    parser.add_argument("--scale", type=float, default=1.0, help="device pixels per CSS pixel (default 1)")
    parser.add_argument("--chromium", default=CHROMIUM, help=f"the browser (default {CHROMIUM})")
    args = parser.parse_args(argv)
    if not args.report.is_file():
        parser.error(f"no such file: {args.report}")
    missing = missing_dependencies(args.chromium)
    if missing:
        print("report-screenshot: missing " + ", ".join(missing) + ": run scripts/install-replay-deps.sh "
              "and scripts/setup.sh test", file=sys.stderr)
        return 1
    result = render_report(args.report, args.output, width=args.width, scale=args.scale, chromium=args.chromium)
    if result.blocked:
        print(f"report-screenshot: the page asked for {len(result.blocked)} URL(s) besides itself "
              f"(aborted): {' '.join(result.blocked)}", file=sys.stderr)
        return 1
    print(f"{result.title}\n{args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
