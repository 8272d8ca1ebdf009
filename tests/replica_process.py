"""Run the offline replica in a subprocess for tests (the "mockserver" pattern).

    with ReplicaProcess(stories=50, seed=1) as replica:
        urllib.request.urlopen(replica.base_url + "/latest-stories")
        replica.truth["stories"][0]["path"]
        replica.image_base   # the image host, http://127.0.0.1:IPORT (truth["image_base"])
        replica.requests()   # parsed --log lines of both servers, one dict per request;
                             # "host" is 127.0.0.1:PORT (site) or 127.0.0.1:IPORT (images)

``faults="all"`` (or ``"rate-limit,slow"``, or a list of names) starts a hostile replica
(``--faults``, docs/replica.md "Fault replica"), ``slow_seconds=S`` its ``--slow-seconds``;
``replica.truth["faults"]`` then says what was faulted and ``replica.fault_outcomes()`` maps
each faulted story path to the outcome a crawler should reach.

``image_port=P`` puts the image host on a given port (default: a free one);
``image_base=URL`` makes pages name that base and starts no image server. Both can also be
given as ``args=("--image-port", "P")``. Pages name the image host, so a replica restarted
with ``port=P`` (to serve the same URLs again) also takes back the image port of the last
replica this test process ran on port P, unless told otherwise: its pages are byte for byte
the same (a crawl sees revisits).

The replica prints ``swampcrawl replica serving http://127.0.0.1:PORT`` as its
first stdout line once it listens and its --truth file is written. Stdout and
stderr go to files, not pipes, so a chatty server can never block on a full pipe.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import urlsplit

SERVING_PREFIX = "swampcrawl replica serving "
START_TIMEOUT = 60.0


def swampcrawl_script() -> Path:
    """The venv's console script; swampcrawl/cli.py has no ``__main__`` block."""
    return Path(sys.executable).parent / "swampcrawl"


class ReplicaProcess:
    """A replica subprocess on 127.0.0.1 and a free port (or ``port``), stopped on exit."""

    _image_ports: dict[int, int] = {}  # port -> image port of the last replica run on it

    def __init__(
        self,
        stories: int = 50,
        seed: int = 1,
        epoch: int = 1,
        build: str = "a",
        args: Sequence[str] = (),
        port: int = 0,
        image_port: int | None = None,
        image_base: str | None = None,
        faults: str | Sequence[str] | None = None,
        slow_seconds: float | None = None,
    ) -> None:
        told = image_port is not None or image_base is not None or any(
            arg.startswith(("--image-port", "--image-base")) for arg in args)
        if not told and port:
            image_port = self._image_ports.get(port)
        self._reused_image_port = not told and image_port is not None
        extra = [] if image_port is None else ["--image-port", str(image_port)]
        extra += [] if image_base is None else ["--image-base", image_base]
        if faults is not None:
            extra += ["--faults", faults if isinstance(faults, str) else ",".join(faults)]
        extra += [] if slow_seconds is None else ["--slow-seconds", str(slow_seconds)]
        self.command_args = [
            "replica", "--port", str(port), "--stories", str(stories), "--seed", str(seed),
            "--epoch", str(epoch), "--build", build, *extra, *args,
        ]
        self.base_url = ""
        self.image_base = ""
        self.truth: dict[str, Any] = {}
        self._tmp: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        assert self._tmp is not None, "use ReplicaProcess as a context manager"
        return self._tmp / "requests.jsonl"

    @property
    def truth_path(self) -> Path:
        assert self._tmp is not None, "use ReplicaProcess as a context manager"
        return self._tmp / "truth.json"

    def __enter__(self) -> "ReplicaProcess":
        try:
            self._start()
        except RuntimeError as error:
            if not (self._reused_image_port and "--image-port" in str(error)):
                raise
            # The image port taken back is in use by now: any free one will do.
            at = self.command_args.index("--image-port")
            del self.command_args[at:at + 2]
            self._start()
        port = urlsplit(self.base_url).port
        if port and self.image_base.startswith("http://127.0.0.1:"):
            self._image_ports[port] = self.image_port
        return self

    def _start(self) -> None:
        self._tmp = Path(tempfile.mkdtemp(prefix="swampcrawl-replica-"))
        cmd = [str(swampcrawl_script()), *self.command_args,
               "--truth", str(self.truth_path), "--log", str(self.log_path)]
        with open(self._tmp / "stdout", "wb") as out, open(self._tmp / "stderr", "wb") as err:
            self._proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        try:
            self.base_url = self._wait_for_url()
            self.truth = json.loads(self.truth_path.read_text(encoding="utf-8"))
            self.image_base = self.truth["image_base"]
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def _wait_for_url(self) -> str:
        assert self._tmp is not None and self._proc is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            text = (self._tmp / "stdout").read_text(encoding="utf-8", errors="replace")
            if "\n" in text:
                first = text.split("\n", 1)[0]
                if not first.startswith(SERVING_PREFIX):
                    raise RuntimeError(f"unexpected first line from replica: {first!r}")
                return first[len(SERVING_PREFIX):].strip()
            if self._proc.poll() is not None:
                err = (self._tmp / "stderr").read_text(encoding="utf-8", errors="replace")
                raise RuntimeError(f"replica exited with {self._proc.returncode}: {err.strip()}")
            time.sleep(0.05)
        raise RuntimeError("replica did not start in time")

    @property
    def image_port(self) -> int:
        """The image host's port (its server's, or the one ``--image-base`` names)."""
        return urlsplit(self.image_base).port or 80

    def requests(self) -> list[dict[str, Any]]:
        """The requests both servers have answered so far (the --log lines); ``host`` tells
        which: ``urlsplit(base_url).netloc`` or ``urlsplit(image_base).netloc``."""
        if not self.log_path.exists():
            return []
        lines = self.log_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def fault_outcomes(self) -> dict[str, str]:
        """Faulted story path -> expected outcome (``stored``, ``error``, ``stored-or-error``,
        ``stored-unchanged``), from ``truth["faults"]``; {} without ``faults=``."""
        return {story["path"]: story["outcome"] for fault in self.truth.get("faults", {}).values()
                for story in fault["stories"]}

    def stdout_lines(self) -> list[str]:
        """Its stdout so far: the serving line, then where images are."""
        assert self._tmp is not None
        return (self._tmp / "stdout").read_text(encoding="utf-8", errors="replace").splitlines()

    def stderr(self) -> str:
        assert self._tmp is not None
        return (self._tmp / "stderr").read_text(encoding="utf-8", errors="replace")

    def __exit__(self, *exc_info: object) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
            self._proc = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
