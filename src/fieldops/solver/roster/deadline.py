"""The one time budget of a roster solve, asked by every phase."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Deadline:
    """A wall-clock end (``time.monotonic()``) and the caller's stop event.

    Every phase asks this object how long it has left and whether to stop,
    instead of recomputing the time from a start instant and a limit.
    """

    start: float
    end: float
    stop: threading.Event | None = None

    @classmethod
    def after(cls, seconds: float, stop: threading.Event | None = None) -> Deadline:
        """A budget of ``seconds`` from now."""
        now = time.monotonic()
        return cls(now, now + seconds, stop)

    def left(self) -> float:
        """Seconds until the end (negative once passed)."""
        return self.end - time.monotonic()

    def elapsed(self) -> float:
        """Seconds since the budget started."""
        return time.monotonic() - self.start

    def stopped(self) -> bool:
        """True once the caller has asked the solve to stop."""
        return self.stop is not None and self.stop.is_set()

    def share(self, fraction: float) -> Deadline:
        """The first ``fraction`` of the whole budget (same start and stop event)."""
        return Deadline(self.start, self.start + (self.end - self.start) * fraction, self.stop)

    def shortened(self, seconds: float) -> Deadline:
        """The same budget ending ``seconds`` earlier."""
        return Deadline(self.start, self.end - seconds, self.stop)
