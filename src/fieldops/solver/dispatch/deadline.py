"""The one clock of a solve: the time limit and each phase's share of it.

Every phase asks the :class:`Deadline` for its time instead of recomputing it
from the start time; the plan's extraction is kept back from the search once,
by :meth:`Deadline.keep_back`. Processes (the portfolio's helpers, the engine
pool) do not share ``time.monotonic()``: across them a deadline travels as a
wall-clock instant (:meth:`Deadline.wall_clock`, :meth:`Deadline.from_wall_clock`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

# Building the plan after the search takes time (about 1 s per 1 000 jobs); it is
# kept back from the search: a base, a little per job, at most a share of the limit.
EXTRACTION_BASE_SECONDS = 0.05
EXTRACTION_SECONDS_PER_JOB = 0.001
EXTRACTION_MAX_SHARE = 0.1
# What a caller does with the plan after the solve (serialise it as JSON, and in
# ``fieldops solve`` validate it, print its summary and end the process) takes
# time too. :func:`output_margin` keeps it back: measured at 350 to 5 000 jobs on
# a 2-core machine running 8 searches (about 2 s plus 1.5 ms per job for the CLI
# at a load of 15), with headroom.
OUTPUT_BASE_SECONDS = 1.5
OUTPUT_SECONDS_PER_JOB = 0.0025
# A solve is given at least this much, even when the input took the whole limit.
MIN_SOLVE_SECONDS = 0.2


def extraction_margin(n_jobs: int, time_limit: float) -> float:
    """Seconds kept back from the search for building the plan afterwards."""
    return min(EXTRACTION_MAX_SHARE * time_limit,
               EXTRACTION_BASE_SECONDS + n_jobs * EXTRACTION_SECONDS_PER_JOB)


def output_margin(n_jobs: int, per_job: float = OUTPUT_SECONDS_PER_JOB) -> float:
    """Seconds to keep back from a solve for writing out a plan of ``n_jobs`` jobs."""
    return OUTPUT_BASE_SECONDS + n_jobs * per_job


@dataclass(frozen=True, slots=True)
class Deadline:
    """``limit`` seconds from ``start`` (a ``time.monotonic()`` instant)."""

    start: float
    limit: float

    @classmethod
    def starting_now(cls, limit: float) -> Deadline:
        return cls(time.monotonic(), limit)

    @classmethod
    def from_wall_clock(cls, instant: float, limit: float, *, at_least: float = 0.0,
                        ) -> Deadline:
        """From now until the wall-clock ``instant`` (``time.time()``), but not past
        ``limit`` seconds and not under ``at_least``."""
        return cls.starting_now(min(limit, max(at_least, instant - time.time())))

    @property
    def end(self) -> float:
        """The ``time.monotonic()`` instant it falls at."""
        return self.start + self.limit

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def remaining(self) -> float:
        """Seconds left (negative once past)."""
        return self.limit - (time.monotonic() - self.start)

    def share(self, fraction: float) -> float:
        """``fraction`` of the seconds left: a phase's budget."""
        return self.remaining() * fraction

    def reached(self) -> bool:
        return self.remaining() <= 0

    def solve_limit(self, after: float) -> float:
        """The time limit for a solve started now, with ``after`` seconds kept back
        for what follows it; at least :data:`MIN_SOLVE_SECONDS`.

        A command whose whole run is bounded (``fieldops solve --time-limit``, a
        stored solve job) starts its clock first, reads its input, then gives the
        solver what is left of the clock this way.
        """
        return max(MIN_SOLVE_SECONDS, self.remaining() - after)

    def keep_back(self, seconds: float) -> Deadline:
        """The same clock, ``seconds`` earlier (what the search may use)."""
        return Deadline(self.start, self.limit - seconds)

    def wall_clock(self) -> float:
        """The same instant as ``time.time()`` (for other processes)."""
        return time.time() + self.remaining()
