"""Where the time goes: named stages timed and logged, and an optional progress callback.

Library functions take ``progress=`` (a callable given a stage name when the
stage starts; ``None``: nothing) and report stage times with :class:`Stages`,
which logs each at INFO level (``safegeo -v`` shows them).  The CLI turns the
callback into a progress bar on a terminal; library code never draws one.

Examples
--------
>>> st = Stages("evacuate")
>>> with st("nearest shelter"):
...     pass
>>> list(st.seconds)
['nearest shelter']
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator

log = logging.getLogger("safegeo.stages")

#: A progress callback: called with a stage's name when it starts.
Progress = Callable[[str], None]


class Stages:
    """Stage timer: ``with stages("name"): ...`` records and logs the seconds the block took."""

    def __init__(self, task: str, progress: Progress | None = None) -> None:
        self.task = task
        self.progress = progress
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        if self.progress is not None:
            self.progress(stage)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            dt = time.perf_counter() - t0
            self.seconds[stage] = self.seconds.get(stage, 0.0) + dt
            log.info("%s: %-24s %7.2f s", self.task, stage, dt)

    def total(self) -> float:
        return float(sum(self.seconds.values()))
