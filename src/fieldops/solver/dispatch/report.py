"""What a solve did, typed; serialised once into ``plan.solver``.

The phases fill a :class:`SolveReport`; :meth:`SolveReport.to_dict` gives the
plan's ``solver`` record with the keys the API, the benchmarks and the tests read
(``engine``, ``engines[name][...]``, ``construction_seconds``, ``ruin_recreate``,
``search_skipped``, ``routing_status``, ...). A field left ``None`` is a key the
record does not have.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fieldops.solver.dispatch.context import COST_SCALE
from fieldops.solver.dispatch.improve import RuinStats

SECONDS_PER_HOUR = 3600


@dataclass
class EngineRun:
    """One engine's run: stopped, failed, or its result and how it fared re-priced."""

    stopped: bool = False
    error: str | None = None
    seconds: float | None = None
    feasible: bool | None = None
    assigned: int | None = None
    travel_seconds: int | None = None
    details: dict[str, object] = field(default_factory=dict)  # the engine's own record
    pyvrp_skipped: str | None = None  # why PyVRP could not take the day (VROOM ran)
    objective_internal: float | None = None  # its plan re-timed and priced by fieldops
    repaired_jobs: int | None = None

    def to_dict(self) -> dict[str, object]:
        if self.stopped:
            return {"stopped": True}
        if self.error is not None:
            return {"error": self.error}
        out: dict[str, object] = {
            "seconds": self.seconds, "feasible": self.feasible, "assigned": self.assigned,
            "travel_hours": round((self.travel_seconds or 0) / SECONDS_PER_HOUR, 2),
            **self.details}
        for key in ("pyvrp_skipped", "objective_internal", "repaired_jobs"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


def ruin_record(stats: RuinStats) -> dict[str, object]:
    """``plan.solver["ruin_recreate"]``."""
    return {
        "seconds": round(stats.seconds, 3), "iterations": stats.iterations,
        "accepted": stats.accepted, "improvements": stats.improved,
        "start_objective": stats.start_cost / COST_SCALE,
        "best_objective": stats.best_cost / COST_SCALE,
    }


@dataclass
class SolveReport:
    """Everything ``plan.solver`` tells about one search, in its order."""

    engine: str
    time_limit: float
    first_solution: str
    metaheuristic: str
    seed: int
    jobs_modelled: int
    vehicles_modelled: int
    engines: dict[str, EngineRun] | None = None
    search_skipped: str | None = None
    repaired_jobs: int | None = None  # evaluate_routes: jobs taken out of given routes
    construction_objective: float | None = None
    construction_seconds: float | None = None
    ruin_recreate: RuinStats | None = None
    warm_start: bool | None = None
    second_phase: str | None = None
    solutions: int | None = None
    routing_status: list[int] | None = None
    objective_internal: float | None = None
    ortools_objective_rejected: float | None = None
    # Each phase's start and end, seconds after the solve's clock started: an
    # overrun names its phase (``plan.solver["phases"]``).
    phases: dict[str, list[float]] = field(default_factory=dict)
    clock_start: float | None = field(default=None, repr=False)

    def mark(self, name: str, start: float, end: float | None = None) -> None:
        """Phase ``name`` ran from ``start`` (a ``time.monotonic()`` instant) to
        ``end`` (default now); a phase that runs twice keeps its first start."""
        origin = self.clock_start if self.clock_start is not None else start
        end = time.monotonic() if end is None else end
        earlier = self.phases.get(name)
        first = earlier[0] if earlier else round(start - origin, 3)
        self.phases[name] = [first, round(end - origin, 3)]

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Times the block as phase ``name`` (see :meth:`mark`)."""
        start = time.monotonic()
        try:
            yield
        finally:
            self.mark(name, start)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if value is None or key == "clock_start" or (key == "phases" and not value):
                continue
            if key == "engines":
                value = {name: run.to_dict() for name, run in value.items()}
            elif key == "ruin_recreate":
                value = ruin_record(value)
            elif key == "routing_status":
                value = list(value)
            elif key == "phases":
                value = {name: list(span) for name, span in value.items()}
            out[key] = value
        return out
