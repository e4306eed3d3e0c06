"""The live-progress runner shared by ``fieldops solve``, ``demo`` and ``roster``.

The solve runs in a worker thread; the calling thread redraws a ``rich`` table
four times a second from the latest progress report. Ctrl-C sets the solver's
stop event, so the best result found so far is returned instead of nothing.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from rich.console import Console
from rich.live import Live
from rich.table import Table

P = TypeVar("P")
R = TypeVar("R")

REFRESH_PER_SECOND = 4
POLL_SECONDS = 1 / REFRESH_PER_SECOND

# When /proc cannot tell when the process started: the import of fieldops.cli.live,
# which is close to it (the interpreter and fieldops' imports come first).
_IMPORTED = time.monotonic()
_PROC_STAT = Path("/proc/self/stat")
# Field 22 of /proc/<pid>/stat (after the command name): start time in clock ticks
# since boot.
_STARTTIME_FIELD = 19


def process_started() -> float:
    """When this process started, as a ``time.monotonic()`` instant.

    ``--time-limit`` bounds the whole command: the interpreter's start and the
    imports (seconds on a loaded machine) count. Linux tells the start from
    ``/proc``; elsewhere the import of fieldops.cli.live stands for it.
    """
    try:
        fields = _PROC_STAT.read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[_STARTTIME_FIELD])
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, AttributeError):
        return _IMPORTED
    return min(_IMPORTED, time.monotonic() - max(0.0, age))


class Elapsed:
    """Wall time since the solve started, against its limit: ``"3.2 / 10 s"``."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.started = time.monotonic()

    def __str__(self) -> str:
        return f"{time.monotonic() - self.started:.1f} / {self.limit:.0f} s"


class _Outcome(Generic[R]):
    def __init__(self) -> None:
        self.result: list[R] = []
        self.error: list[BaseException] = []


def run_with_live_table(
    solve: Callable[[Callable[[P], None], threading.Event], R],
    table: Callable[[P | None, Elapsed], Table],
    console: Console,
    time_limit: float,
    *,
    thread_name: str = "fieldops-solve",
) -> R:
    """Run ``solve(progress, stop)`` in a thread while a live table shows its progress.

    Parameters
    ----------
    solve
        Calls the solver with a progress callback and a stop event.
    table
        Builds the table from the latest progress report (``None`` before the
        first) and the elapsed time.
    console
        Where the table is drawn; it is left on screen only on a terminal.
    time_limit
        Seconds, shown beside the elapsed time.

    Returns
    -------
    What ``solve`` returned; an exception raised by it is re-raised here.
    """
    latest: list[P] = []
    elapsed = Elapsed(time_limit)
    stop = threading.Event()
    outcome: _Outcome[R] = _Outcome()

    def run() -> None:
        try:
            outcome.result.append(solve(latest.append, stop))
        except BaseException as exc:  # re-raised in the caller's thread
            outcome.error.append(exc)

    worker = threading.Thread(target=run, name=thread_name, daemon=True)
    worker.start()
    with Live(console=console, refresh_per_second=REFRESH_PER_SECOND,
              transient=not console.is_terminal) as live:
        try:
            while worker.is_alive():
                live.update(table(latest[-1] if latest else None, elapsed))
                worker.join(POLL_SECONDS)
        except KeyboardInterrupt:
            stop.set()  # keep the best result found so far
            worker.join()
    if outcome.error:
        raise outcome.error[0]
    return outcome.result[0]
