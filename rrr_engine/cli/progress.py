"""A one-line progress bar on stderr for long backfills (no dependency).

Shown only when asked: the nightly command enables it when stderr is a person's terminal
(:attr:`rrr_engine.cli.logs.Console.terminal`) or with ``--progress``, so logs of scheduled runs
are not filled with carriage returns; they get one log line per date instead.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """``[#######.............]  12/64  2025-09-12  0:03 left``, redrawn in place."""

    def __init__(self, total: int, *, enabled: bool, stream: TextIO | None = None,
                 width: int = 30) -> None:
        self.total, self.enabled, self.width = max(total, 1), enabled, width
        self.stream = stream or sys.stderr
        self.done, self.started = 0, time.monotonic()

    def step(self, label: str = "") -> None:
        self.done += 1
        if not self.enabled:
            return
        filled = self.width * self.done // self.total
        elapsed = time.monotonic() - self.started
        left = elapsed / self.done * (self.total - self.done)
        eta = f"{int(left) // 60}:{int(left) % 60:02d} left" if self.done < self.total else "done"
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] "
                          f"{self.done:>{len(str(self.total))}}/{self.total}  {label}  {eta}   ")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            self.stream.write("\n")
            self.stream.flush()
