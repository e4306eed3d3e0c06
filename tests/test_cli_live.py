"""The live-progress runner shared by ``solve``, ``demo`` and ``roster``."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable

import pytest
from rich.console import Console
from rich.table import Table

from fieldops.cli.live import Elapsed, run_with_live_table


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=80), out


def _table(latest: int | None, elapsed: Elapsed) -> Table:
    table = Table(title="progress")
    table.add_column("elapsed")
    table.add_column("best")
    table.add_row(str(elapsed), "…" if latest is None else f"best={latest}")
    return table


def test_returns_the_result_and_shows_the_last_progress() -> None:
    console, out = _console()
    shown = threading.Event()

    def solve(progress: Callable[[int], None], stop: threading.Event) -> str:
        progress(7)
        shown.wait(5)  # stay alive until the table has been drawn with the report
        return "plan"

    def table(latest: int | None, elapsed: Elapsed) -> Table:
        if latest is not None:
            shown.set()
        return _table(latest, elapsed)

    assert run_with_live_table(solve, table, console, 10.0) == "plan"
    assert "best=7" in out.getvalue() and "/ 10 s" in out.getvalue()


def test_an_error_in_the_solve_is_raised_in_the_caller() -> None:
    console, _ = _console()

    def solve(progress: Callable[[int], None], stop: threading.Event) -> str:
        raise ValueError("bad problem")

    with pytest.raises(ValueError, match="bad problem"):
        run_with_live_table(solve, _table, console, 1.0)


def test_ctrl_c_stops_the_solve_and_keeps_its_best_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    console, _ = _console()
    stopped = threading.Event()
    interrupted: list[bool] = []
    real_join = threading.Thread.join

    def join(self: threading.Thread, timeout: float | None = None) -> None:
        # The first wait of the display loop is where a user's Ctrl-C lands.
        if self.name == "fieldops-test" and timeout is not None and not interrupted:
            interrupted.append(True)
            raise KeyboardInterrupt
        real_join(self, timeout)

    monkeypatch.setattr(threading.Thread, "join", join)

    def solve(progress: Callable[[int], None], stop: threading.Event) -> str:
        stop.wait(5)
        stopped.set()
        return "best so far"

    result = run_with_live_table(solve, _table, console, 60.0, thread_name="fieldops-test")
    assert result == "best so far" and stopped.is_set() and interrupted
