"""External routing engines behind one interface (issue 3).

Each engine takes the integer view of the modelled problem
(:class:`~.flat.FlatProblem`) and returns routes as lists of job indices per
vehicle (:class:`EngineResult`). Engines see only what they can express exactly;
the solver re-times every route they return with its own scheduling
(:class:`~fieldops.solver.dispatch.construct.Constructor`), drops and re-inserts
whatever does not hold under the full model, prices the result with the full
objective and keeps the best candidate.

* :mod:`.hgs` — PyVRP's hybrid genetic search, for problems without lunch breaks,
  pins or alternative windows (pure VRPTW and its close relatives);
* :mod:`.vroom` — VROOM, for the general field day (skills, several windows, the
  lunch break, capacities, priorities).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class EngineResult:
    """Routes (job indices per vehicle, in visiting order) from one engine run."""

    engine: str
    routes: list[list[int]]
    elapsed: float
    feasible: bool = True
    details: dict[str, object] = field(default_factory=dict)


class EngineUnavailable(RuntimeError):
    """The engine's library is not installed or cannot express the problem."""


class EngineStopped(RuntimeError):
    """The caller's stop was seen while the engine ran; it returned nothing."""
