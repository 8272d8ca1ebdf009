"""Progress bars of the archive commands: a factory ``(label, length) -> context manager with
update(n)``, and the silent one used when no progress is wanted."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, ContextManager

ProgressBar = Callable[[str, int], ContextManager[Any]]


@contextlib.contextmanager
def no_progress(label: str, length: int) -> Iterator[Any]:
    yield _Silent()


class _Silent:
    def update(self, n: int) -> None:
        pass
