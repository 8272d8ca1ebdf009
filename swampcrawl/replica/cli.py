"""``swampcrawl replica``: serve (or export) the offline replica of vocal.media."""

from __future__ import annotations

import errno
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import IO

import click

from swampcrawl.replica.clock import parse_iso
from swampcrawl.replica.export import export_site
from swampcrawl.replica.server import ReplicaServer, RequestLog
from swampcrawl.replica.site import Site, build_site


def _check(stories: int, epoch: int, port: int, now: str | None) -> datetime | None:
    """Refuse bad values with one readable line (ClickException), never a traceback."""
    if stories < 1:
        raise click.ClickException(f"--stories must be a positive number, not {stories}")
    if epoch < 1:
        raise click.ClickException(f"--epoch must be 1 or more, not {epoch}")
    if not 0 <= port <= 65535:
        raise click.ClickException(f"--port must be between 0 and 65535, not {port}")
    if now is None:
        return None
    try:
        return parse_iso(now)
    except ValueError:
        raise click.ClickException(f"--now is not an ISO 8601 time: {now!r}") from None


def _write_truth(site: Site, truth: Path) -> None:
    try:
        truth.write_text(json.dumps(site.truth(), ensure_ascii=False, indent=1), encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"cannot write --truth {truth}: {error.strerror}") from None


def _export(site: Site, directory: Path) -> None:
    try:
        count = export_site(site, directory)
    except OSError as error:
        raise click.ClickException(f"cannot write --export {directory}: {error.strerror}") from None
    click.echo(f"swampcrawl replica exported {count} files to {directory}")


def _bind(host: str, port: int, site: Site, log: IO[str] | None) -> ReplicaServer:
    try:
        return ReplicaServer((host, port), site, RequestLog(log))
    except OSError as error:
        reason = "address already in use" if error.errno == errno.EADDRINUSE else error.strerror
        raise click.ClickException(f"cannot listen on {host}:{port}: {reason}") from None


def _serve(site: Site, host: str, port: int, truth: Path | None, log_path: Path | None) -> None:
    try:
        log = log_path.open("a", encoding="utf-8") if log_path else None
    except OSError as error:
        raise click.ClickException(f"cannot write --log {log_path}: {error.strerror}") from None
    server = _bind(host, port, site, log)
    site.set_origin(host, server.server_address[1])
    if truth:
        _write_truth(site, truth)
    # The first stdout line, flushed, is the contract with tests/replica_process.py.
    click.echo(f"swampcrawl replica serving {site.origin}")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if log:
            log.close()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port; 0 picks a free one.")
@click.option("--stories", default=3000, show_default=True, type=int, help="Stories at epoch 1.")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of all generated content.")
@click.option("--epoch", default=1, show_default=True, type=int,
              help="Advance the site's clock: each epoch adds, edits, deletes and renames stories.")
@click.option("--build", default="a", show_default=True, help="Deployment id: changes CSS class hashes only.")
@click.option("--now", "now_text", default=None, metavar="ISO",
              help="The site's clock (default 2026-11-24T09:30:00Z plus one day per epoch).")
@click.option("--truth", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the ground truth (JSON) to this file before serving.")
@click.option("--log", "log_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Append one JSON line per request to this file.")
@click.option("--export", "export_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write the whole site as static files to this folder and exit.")
def replica(host: str, port: int, stories: int, seed: int, epoch: int, build: str,
            now_text: str | None, truth: Path | None, log_path: Path | None,
            export_dir: Path | None) -> None:
    """Serve the offline replica of vocal.media (deterministic from --seed).

    Example:

    \b
        swampcrawl replica --port 8765 --stories 50 --seed 1 --truth truth.json
    """
    now = _check(stories, epoch, port, now_text)
    site = build_site(seed=seed, stories=stories, epoch=epoch, build=build, now=now, host=host,
                      port=port or 8000)
    if export_dir is not None:
        if truth:
            _write_truth(site, truth)
        _export(site, export_dir)
        return
    _serve(site, host, port, truth, log_path)
