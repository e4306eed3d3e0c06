"""``solve_roster``: build the CP-SAT model, search, and return the best roster."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pandas as pd
from ortools.sat.python import cp_model

from fieldops.domain.errors import FieldError
from fieldops.domain.roster import (
    Roster,
    RosterAssignment,
    RosterParams,
    RosterProblem,
    RosterProgress,
    RosterStatus,
)
from fieldops.solver.roster.constraints import FAMILIES, HARD, SOFT, Penalty
from fieldops.solver.roster.context import RosterContext
from fieldops.solver.roster.extract import build_assignments
from fieldops.solver.roster.heuristic import greedy_hint
from fieldops.solver.roster.lns import LINEARIZATION, Incumbent, improve
from fieldops.solver.roster.model import RosterModel
from fieldops.solver.roster.plan import Aggregates, add_full_hint, from_shifts, from_values
from fieldops.solver.roster.plan import penalties as plan_penalties

#: Share of the time left after building that CP-SAT gets on the whole model
#: before the LNS takes over. A large model spends seconds in every sub-solve's
#: presolve, and the LNS did not help there (realistic center, 120 s, single
#: runs on a loaded machine: 927 685 and 891 274 alone, 929 742 with 20 % LNS).
FULL_SHARE = 0.3
FULL_SHARE_LARGE = 1.0
LARGE_MODEL = 20_000  # shift variables


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(self, t0: float, progress: Callable[[RosterProgress], None] | None,
                 stop: threading.Event | None) -> None:
        super().__init__()
        self.t0 = t0
        self.progress = progress
        self.stop = stop
        self.solutions = 0
        self.history: list[tuple[float, float]] = []

    def on_solution_callback(self) -> None:
        self.report(self.objective_value)
        if self.stop is not None and self.stop.is_set():
            self.stop_search()

    def report(self, objective: float) -> None:
        self.solutions += 1
        elapsed = time.monotonic() - self.t0
        self.history.append((round(elapsed, 3), objective))
        if self.progress is not None:
            self.progress(RosterProgress(objective, elapsed, self.solutions))


def build_model(problem: RosterProblem, ctx: RosterContext | None = None,
                ) -> tuple[RosterModel, list[Penalty]]:
    """The CP-SAT model with every hard rule and the soft penalty terms."""
    m = RosterModel(ctx or RosterContext(problem))
    for rule in HARD:
        rule(m)
    penalties: list[Penalty] = []
    for family in SOFT:
        penalties.extend(family(m))
    m.model.minimize(sum(expr for _, expr in penalties))
    return m, penalties


def solve_roster(problem: RosterProblem, params: RosterParams | None = None, *,
                 progress: Callable[[RosterProgress], None] | None = None,
                 stop: threading.Event | None = None) -> Roster:
    """Roster ``problem`` with CP-SAT and return the best roster found.

    Parameters
    ----------
    problem
        The validated problem.
    params
        Time limit (wall-clock seconds, model building included), CP-SAT workers
        and seed. Defaults to :class:`RosterParams`.
    progress
        Called with a :class:`RosterProgress` on every improving roster (from the
        solver's thread: keep it short).
    stop
        Setting this event ends the search; the best roster so far is returned
        with status ``cancelled``.
    """
    if not isinstance(problem, RosterProblem):
        raise FieldError("problem", "must be a RosterProblem")
    if params is None:
        params = RosterParams()
    elif not isinstance(params, RosterParams):
        raise FieldError("params", "must be RosterParams")
    t0 = time.monotonic()
    ctx = RosterContext(problem)
    # The per-agent heuristic gets up to a third of the time: it proves
    # infeasibility agent by agent and hands CP-SAT a first roster.
    hint = greedy_hint(ctx, t0 + params.time_limit / 3, stop)
    hint_seconds = time.monotonic() - t0
    m, _penalties = build_model(problem, ctx)
    built = time.monotonic() - t0 - hint_seconds
    if hint.infeasible:
        proof = {"engine": "heuristic", "infeasible_agents":
                 [problem.agents[a].id for a in hint.infeasible]}
        return _result(problem, m, None, RosterStatus.INFEASIBLE, t0, proof)
    fallback = None
    hint_objective = None
    callback = _Callback(t0, progress, stop)
    if hint.complete:
        # a complete solution hint: CP-SAT starts from the heuristic's roster,
        # which is already a valid roster (reported as the first one)
        fallback = from_shifts(m, hint.shifts)
        add_full_hint(m, fallback)
        hint_objective = sum(plan_penalties(m, fallback).values())
        callback.report(hint_objective)
    if stop is not None and stop.is_set():
        return _result(problem, m, fallback, RosterStatus.CANCELLED, t0,
                       {"engine": "heuristic", "hint_objective": hint_objective,
                        "solutions": callback.solutions})
    # CP-SAT overshoots its limit by up to a second or two on a large model
    margin = min(2.0, 0.02 * params.time_limit) if len(m.x) > LARGE_MODEL else 0.0
    deadline = t0 + params.time_limit - margin
    # Phase 1: CP-SAT on the whole model (it may prove optimality, and gives the
    # bound); phase 2: our LNS on what time is left (see lns.py).
    full_share = FULL_SHARE_LARGE if len(m.x) > LARGE_MODEL else FULL_SHARE
    solver = cp_model.CpSolver()
    sp = solver.parameters
    sp.max_time_in_seconds = max(0.1, (deadline - time.monotonic()) * full_share)
    sp.num_workers = params.workers
    sp.random_seed = params.seed
    # the LP relaxation with cuts pays off on these covering models, but on a
    # large center it slows CP-SAT's start too much
    if len(m.x) <= LARGE_MODEL:
        sp.linearization_level = LINEARIZATION
    current: list[cp_model.CpSolver | None] = [solver]
    done = threading.Event()
    watcher = None
    if stop is not None:
        def watch() -> None:
            while not done.wait(0.05):
                if stop.is_set():
                    running = current[0]
                    if running is not None:
                        running.stop_search()

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
    lns_stats = None
    try:
        code = solver.solve(m.model, callback)
        if code == cp_model.MODEL_INVALID:
            raise RuntimeError(f"roster model invalid: {m.model.validate()}")
        has_solution = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        values = list(solver.response_proto.solution) if has_solution else None
        objective = solver.objective_value if has_solution else None
        if (values is not None and objective is not None and code != cp_model.OPTIMAL
                and not (stop is not None and stop.is_set())):
            incumbent = Incumbent(values, objective)

            def improved(best: Incumbent) -> None:
                callback.report(best.objective)

            lns_stats = improve(m, incumbent, deadline, params, stop, improved, current)
            values, objective = incumbent.values, incumbent.objective
    finally:
        done.set()
        if watcher is not None:
            watcher.join()
    if code == cp_model.OPTIMAL:
        status = RosterStatus.OPTIMAL
    elif stop is not None and stop.is_set():
        status = RosterStatus.CANCELLED
    elif code == cp_model.INFEASIBLE:
        status = RosterStatus.INFEASIBLE
    elif values is not None or fallback is not None:
        status = RosterStatus.TIME_LIMIT
    else:
        status = RosterStatus.NO_SOLUTION
    info: dict[str, Any] = {
        "engine": "cp-sat" if lns_stats is None else "cp-sat+lns",
        "cp_sat_status": solver.status_name(code),
        "best_bound": solver.best_objective_bound if has_solution else None,
        "cp_sat_objective": objective,
        "solutions": callback.solutions,
        "history": callback.history,
        "build_seconds": round(built, 3),
        "hint_seconds": round(hint_seconds, 3),
        "hint_complete": hint.complete,
        "hint_objective": hint_objective,
        "variables": len(m.model.proto.variables),
        "constraints": len(m.model.proto.constraints),
    }
    if lns_stats is not None:
        info["lns"] = {"iterations": lns_stats.iterations,
                       "improvements": lns_stats.improvements}
    if values is not None:
        agg: Aggregates | None = from_values(m, values)
    else:
        agg = fallback  # CP-SAT found nothing in time: the heuristic's roster is valid
        if agg is not None:
            info["engine"] = "heuristic"
    return _result(problem, m, agg, status, t0, info)


def _result(problem: RosterProblem, m: RosterModel, agg: Aggregates | None,
            status: RosterStatus, t0: float, info: dict[str, Any]) -> Roster:
    ctx = m.ctx
    per_family = dict.fromkeys(FAMILIES, 0)
    assignments: list[RosterAssignment] = []
    staffed: dict[tuple[int, str], int] = {}
    if agg is not None:
        per_family.update(plan_penalties(m, agg))
        assignments = build_assignments(ctx, agg.chosen, agg.assigned, agg.break_counts)
        staffed = agg.staffed
    else:
        # nothing rostered: every requirement is short, every wanted shift unmet
        w = problem.weights
        per_family["coverage_under"] = sum(
            (w.under if r.under_weight is None else r.under_weight) * r.required
            for r in problem.requirements)
        per_family["preferences"] = sum(
            p.weight * w.preference for a in problem.agents for p in a.preferences if p.wanted)
    rows = []
    for r, req in enumerate(problem.requirements):
        s = staffed.get((ctx.row_interval[r], req.queue), 0)
        rows.append((req.start, req.queue, req.required, s, max(0, req.required - s),
                     max(0, s - req.required)))
    coverage = pd.DataFrame(rows, columns=["interval_start", "queue", "required", "staffed",
                                           "short", "over"])
    return Roster(status=status, assignments=tuple(assignments), coverage=coverage,
                  penalties=per_family, objective=sum(per_family.values()),
                  elapsed=time.monotonic() - t0, info=info)
