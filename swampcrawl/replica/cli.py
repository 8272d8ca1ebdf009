"""``swampcrawl replica``: serve (or export) the offline replica of vocal.media."""

from __future__ import annotations

import errno
import json
import sys
import threading
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import click

from swampcrawl.replica.clock import parse_iso
from swampcrawl.replica.export import export_site
from swampcrawl.replica.fault_replies import FaultResponder
from swampcrawl.replica.faults import (DEFAULT_SLOW_SECONDS, FaultError, FaultPlan, faults_truth, parse_faults,
                                       plan_faults)
from swampcrawl.replica.server import ImageHandler, ReplicaHandler, ReplicaServer, RequestLog
from swampcrawl.replica.site import Site, build_site, default_image_base


def _check(stories: int, epoch: int, port: int, now: str | None, image_port: int = 0,
           image_base: str | None = None) -> datetime | None:
    """Refuse bad values with one readable line (ClickException), never a traceback."""
    if stories < 1:
        raise click.ClickException(f"--stories must be a positive number, not {stories}")
    if epoch < 1:
        raise click.ClickException(f"--epoch must be 1 or more, not {epoch}")
    for name, value in (("--port", port), ("--image-port", image_port)):
        if not 0 <= value <= 65535:
            raise click.ClickException(f"{name} must be between 0 and 65535, not {value}")
    if image_base is not None:
        parts = urlsplit(image_base)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise click.ClickException(f"--image-base must be an http(s) URL such as http://127.0.0.1:9000, "
                                       f"not {image_base!r}")
    if now is None:
        return None
    try:
        return parse_iso(now)
    except ValueError:
        raise click.ClickException(f"--now is not an ISO 8601 time: {now!r}") from None


def _plan(site: Site, faults: str | None, seed: int, slow_seconds: float, export: bool) -> FaultPlan | None:
    """``--faults``: the seeded choice of what to mistreat, or one readable line."""
    if faults is None:
        return None
    if export:
        raise click.ClickException("--faults changes how the replica answers; it cannot be used with --export")
    if slow_seconds < 0:
        raise click.ClickException(f"--slow-seconds must be 0 or more, not {slow_seconds}")
    try:
        return plan_faults(site, parse_faults(faults), seed, slow_seconds)
    except FaultError as error:
        raise click.ClickException(str(error)) from None


def _write_truth(site: Site, truth: Path, plan: FaultPlan | None = None) -> None:
    data = site.truth()
    if plan is not None:
        data["faults"] = faults_truth(site, plan)
    try:
        truth.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"cannot write --truth {truth}: {error.strerror}") from None


def _export(site: Site, directory: Path) -> None:
    try:
        count = export_site(site, directory)
    except OSError as error:
        raise click.ClickException(f"cannot write --export {directory}: {error.strerror}") from None
    click.echo(f"swampcrawl replica exported {count} files to {directory}")


def _bind(host: str, port: int, site: Site, log: RequestLog, handler: type[ReplicaHandler] = ReplicaHandler,
          option: str = "--port") -> ReplicaServer:
    try:
        return ReplicaServer((host, port), site, log, handler)
    except OSError as error:
        reason = "address already in use" if error.errno == errno.EADDRINUSE else error.strerror
        raise click.ClickException(f"cannot listen on {host}:{port} ({option}): {reason}") from None


def _serve(site: Site, host: str, port: int, image_port: int, image_base: str | None,
           truth: Path | None, log_path: Path | None, plan: FaultPlan | None = None) -> None:
    try:
        log = log_path.open("a", encoding="utf-8") if log_path else None
    except OSError as error:
        raise click.ClickException(f"cannot write --log {log_path}: {error.strerror}") from None
    request_log = RequestLog(log)
    server = _bind(host, port, site, request_log)
    images = None
    if image_base is None:  # the image host: a second server, unless --image-base names another
        images = _bind(host, image_port, site, request_log, ImageHandler, "--image-port")
        image_base = f"http://{host}:{images.server_address[1]}"
    site.set_origin(host, server.server_address[1], image_base)
    if plan is not None:
        server.faults = FaultResponder(site, plan)
    if truth:
        _write_truth(site, truth, plan)
    # The first stdout line, flushed, is the contract with tests/replica_process.py.
    click.echo(f"swampcrawl replica serving {site.origin}")
    click.echo(f"swampcrawl replica images {'served' if images else 'named'} at {site.image_base}")
    sys.stdout.flush()
    if images is not None:
        threading.Thread(target=images.serve_forever, name="image-host", daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if images is not None:
            images.shutdown()
            images.server_close()
        if log:
            log.close()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port; 0 picks a free one.")
@click.option("--stories", default=3000, show_default=True, type=int, help="Stories at epoch 1.")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of all generated content.")
@click.option("--epoch", default=1, show_default=True, type=int,
              help="Advance the site's clock: each epoch adds, edits, deletes and renames stories.")
@click.option("--build", default="a", show_default=True,
              help="Deployment id: changes CSS class hashes, buildId and asset names only.")
@click.option("--now", "now_text", default=None, metavar="ISO",
              help="The site's clock (default 2026-11-24T09:30:00Z plus one day per epoch).")
@click.option("--image-port", default=0, show_default=True, type=int,
              help="Port of the image host (a second server, same --host); 0 picks a free one.")
@click.option("--image-base", default=None, metavar="URL",
              help="Name this base in image URLs instead and start no image server.")
@click.option("--truth", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the ground truth (JSON) to this file before serving.")
@click.option("--log", "log_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Append one JSON line per request (both servers) to this file.")
@click.option("--faults", default=None, metavar="NAME[,NAME...]",
              help="Answer some URLs as a hostile server would (see docs/replica.md); 'all' for every fault.")
@click.option("--slow-seconds", default=DEFAULT_SLOW_SECONDS, show_default=True, type=float,
              help="How long the 'slow' fault's stories wait before answering.")
@click.option("--export", "export_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write the whole site (pages, assets, images) as static files to this folder and exit.")
def replica(host: str, port: int, stories: int, seed: int, epoch: int, build: str,
            now_text: str | None, image_port: int, image_base: str | None, truth: Path | None,
            log_path: Path | None, faults: str | None, slow_seconds: float, export_dir: Path | None) -> None:
    """Serve the offline replica of vocal.media (deterministic from --seed).

    Its pages reference the build's stylesheets, font and scripts (/_next/static/...) and
    images on a second server, the image host (--image-port, or --image-base). With
    --faults it is a hostile server (rate limits, errors, resets, bombs, ...) and the truth
    says what a crawler should make of each faulted story.

    Example:

    \b
        swampcrawl replica --port 8765 --stories 50 --seed 1 --truth truth.json
        swampcrawl replica --port 8765 --stories 60 --faults all --truth truth.json
    """
    now = _check(stories, epoch, port, now_text, image_port, image_base)
    site = build_site(seed=seed, stories=stories, epoch=epoch, build=build, now=now, host=host,
                      port=port or 8000)
    plan = _plan(site, faults, seed, slow_seconds, export_dir is not None)
    if export_dir is not None:
        if image_base is None:
            image_base = f"http://{host}:{image_port}" if image_port else default_image_base(host, port or 8000)
        site.set_origin(host, port or 8000, image_base)
        if truth:
            _write_truth(site, truth)
        _export(site, export_dir)
        return
    _serve(site, host, port, image_port, image_base, truth, log_path, plan)
