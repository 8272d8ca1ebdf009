"""Run the offline replica in a subprocess for tests (the "mockserver" pattern).

    with ReplicaProcess(stories=50, seed=1) as replica:
        urllib.request.urlopen(replica.base_url + "/latest-stories")
        replica.truth["stories"][0]["path"]
        replica.requests()   # parsed --log lines, one dict per request

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

SERVING_PREFIX = "swampcrawl replica serving "
START_TIMEOUT = 60.0


def swampcrawl_script() -> Path:
    """The venv's console script; swampcrawl/cli.py has no ``__main__`` block."""
    return Path(sys.executable).parent / "swampcrawl"


class ReplicaProcess:
    """A replica subprocess on 127.0.0.1 and a free port (or ``port``), stopped on exit."""

    def __init__(
        self,
        stories: int = 50,
        seed: int = 1,
        epoch: int = 1,
        build: str = "a",
        args: Sequence[str] = (),
        port: int = 0,
    ) -> None:
        self.command_args = [
            "replica", "--port", str(port), "--stories", str(stories), "--seed", str(seed),
            "--epoch", str(epoch), "--build", build, *args,
        ]
        self.base_url = ""
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
        self._tmp = Path(tempfile.mkdtemp(prefix="swampcrawl-replica-"))
        cmd = [str(swampcrawl_script()), *self.command_args,
               "--truth", str(self.truth_path), "--log", str(self.log_path)]
        with open(self._tmp / "stdout", "wb") as out, open(self._tmp / "stderr", "wb") as err:
            self._proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        try:
            self.base_url = self._wait_for_url()
            self.truth = json.loads(self.truth_path.read_text(encoding="utf-8"))
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

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

    def requests(self) -> list[dict[str, Any]]:
        """The requests the replica has answered so far (its --log lines)."""
        if not self.log_path.exists():
            return []
        lines = self.log_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

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
