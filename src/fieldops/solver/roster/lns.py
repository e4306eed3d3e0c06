"""Large-neighbourhood search around CP-SAT: free a few agents or a window of days.

CP-SAT's own LNS workers need spare cores; on two they mostly sit behind the
full-problem search. This loop instead re-solves the whole model briefly with
every shift variable outside a neighbourhood fixed to the incumbent (by
narrowing variable domains in place, restored afterwards, so the model is
built once), hinting the incumbent so every sub-solve starts from it, and keeps
any improvement. Neighbourhoods alternate between a random set of agents (all
days) and a window of consecutive days (all agents); their size adapts: grown
when a sub-solve proves its neighbourhood optimal fast, shrunk when it times
out without improving.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from fieldops.domain.roster import RosterParams
from fieldops.solver.roster.deadline import Deadline
from fieldops.solver.roster.model import RosterModel

SUB_TIME = 1.0  # seconds per sub-solve
#: CP-SAT's deterministic time of a sub-solve on a model under LARGE_MODEL (about
#: a second's search on an idle core); below half of it a proven neighbourhood grows
SUB_DTIME = 0.1
WALL_SLACK = 5.0  # × SUB_TIME: the wall-clock cap of such a sub-solve
LINEARIZATION = 2
SUB_TIME_LARGE = 10.0  # when the model has over LARGE_MODEL shift variables
LARGE_MODEL = 20_000  # shift variables
#: ... yet a model over LARGE_MODEL shift variables with at most this many variables
#: in all still gets budgeted sub-solves: each presolves the whole model (most of it
#: fixed), so its cost follows every variable, not only the shifts. Curtois-Qu 13
#: (39 936 shifts, 46 297 variables): about a second a sub-solve at load 4-5; the
#: realistic center (29 688 shifts but 433 877 variables, the coverage and breaks of
#: 15-minute rows): its light presolve alone took 14 s. Curtois-Qu 21 (118 773
#: variables) gained from it too: 24 276 against 43 996 at 600 s, side by side.
LNS_MAX_VARIABLES = 150_000
MIN_LEFT = 0.5  # seconds: less than this left is not worth a sub-solve


@dataclass
class LnsStats:
    iterations: int = 0
    improvements: int = 0
    history: list[tuple[str, int, float]] = field(default_factory=list)


@dataclass
class Incumbent:
    values: list[int]
    objective: float


def set_hint(model: cp_model.CpModel, values: list[int]) -> None:
    model.clear_hints()
    hint = model.proto.solution_hint
    hint.vars.extend(range(len(values)))
    hint.values.extend(values)


def searchable(m: RosterModel) -> bool:
    """Whether sub-solves of ``m`` are cheap enough for the LNS's budgeted loop."""
    return len(m.x) < LARGE_MODEL or len(m.model.proto.variables) <= LNS_MAX_VARIABLES


def improve(m: RosterModel, best: Incumbent, deadline: Deadline, params: RosterParams,
            on_improve: Callable[[Incumbent], None],
            current: list[cp_model.CpSolver | None], bound: float | None = None) -> LnsStats:
    """Improve ``best`` in place until ``deadline`` (or its stop event), or until it
    reaches ``bound`` (a proven lower bound on the objective, model units)."""
    rng = random.Random(params.seed)
    stats = LnsStats()
    agents = m.agents
    n_days = m.ctx.problem.days
    by_agent: dict[int, list[int]] = {a: [] for a in agents}
    by_day: dict[int, list[int]] = {d: [] for d in range(n_days)}
    cell: dict[tuple[int, int], list[int]] = {}
    for (a, d, _t), var in m.x.items():
        by_agent[a].append(var.index)
        by_day[d].append(var.index)
        cell.setdefault((a, d), []).append(var.index)
    size = {"agents": max(1, min(len(agents), 3)), "days": max(1, min(n_days, 7)),
            "block": max(1, min(len(agents), max(2, len(agents) // 4)))}
    kinds = ("days", "agents", "block", "days", "agents")
    budgeted = searchable(m)
    sub_time = SUB_TIME if budgeted else SUB_TIME_LARGE
    while True:
        left = deadline.left()
        if left < MIN_LEFT or deadline.stopped() or (
                bound is not None and best.objective <= bound + 1e-9):
            return stats
        # day windows improve most often on the benchmark instances; a block
        # (some agents over two weeks) lets them swap work within the block; a
        # few agents over every day exchange shifts (benchmarks/roster_probe.py:
        # after loaded 60-s runs of Curtois-Qu 8 and 12, random sets of three
        # agents improved the most per second of all classes tried, pairs a third
        # to a tenth of that)
        kind = kinds[stats.iterations % len(kinds)]
        if kind == "agents":
            free_agents = set(rng.sample(agents, size["agents"]))
            fixed = [i for a in agents if a not in free_agents for i in by_agent[a]]
        elif kind == "block":
            free_agents = set(rng.sample(agents, size["block"]))
            span = min(n_days, 14)
            first = rng.randrange(0, n_days - span + 1)
            fixed = [i for (a, d), idx in cell.items()
                     if a not in free_agents or not first <= d < first + span for i in idx]
        else:
            first = rng.randrange(0, max(1, n_days - size["days"] + 1))
            free_days = set(range(first, first + size["days"]))
            fixed = [i for d in range(n_days) if d not in free_days for i in by_day[d]]
        set_hint(m.model, best.values)
        solver = _sub_solver(budgeted, params.seed + stats.iterations, left, sub_time)
        code = solve_held(m, solver, fixed, best.values, current)
        stats.iterations += 1
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) and \
                solver.objective_value < best.objective - 1e-6:
            best.values = list(solver.response_proto.solution)
            best.objective = solver.objective_value
            stats.improvements += 1
            stats.history.append((kind, size[kind], best.objective))
            on_improve(best)
        limit = n_days if kind == "days" else len(agents)
        # proven optimal: the neighbourhood was too easy, grow it; judged by the
        # search's own deterministic time, not the wall clock, which on a loaded
        # machine is mostly waiting and would shrink every neighbourhood to one
        if code == cp_model.OPTIMAL and solver.deterministic_time < SUB_DTIME / 2:
            size[kind] = min(limit, size[kind] + 1)
        elif code != cp_model.OPTIMAL:
            size[kind] = max(1, size[kind] - 1)


def solve_held(m: RosterModel, solver: cp_model.CpSolver, held: list[int],
               values: Sequence[int] | Mapping[int, int],
               current: list[cp_model.CpSolver | None]) -> cp_model.CpSolverStatus:
    """Solve ``m`` with the shift variables ``held`` (indices) fixed to ``values``.

    Their domains are narrowed in place and restored afterwards, so the model is
    built once; ``current`` holds the running solver for the stop watcher.
    """
    variables = m.model.proto.variables
    # shift variables are booleans: their domain is the interval [0, 1]
    for i in held:
        variables[i].domain[0] = variables[i].domain[1] = values[i]
    current[0] = solver
    try:
        return solver.solve(m.model)
    finally:
        current[0] = None
        for i in held:
            variables[i].domain[0], variables[i].domain[1] = 0, 1


def _sub_solver(budgeted: bool, seed: int, left: float, sub_time: float) -> cp_model.CpSolver:
    """A CP-SAT solver for one neighbourhood's sub-solve, ``left`` seconds at most
    (``budgeted``: :func:`searchable` model, a deterministic budget)."""
    solver = cp_model.CpSolver()
    sp = solver.parameters
    if budgeted:
        # a budget of search, not of wall clock: on a loaded machine a second
        # of wall clock is a fraction of a second of search, and every
        # sub-solve would stop early, unproven, and shrink its neighbourhood
        sp.max_deterministic_time = SUB_DTIME
        sp.max_time_in_seconds = min(WALL_SLACK * sub_time, left)
        # a light presolve: most variables are fixed, and a full one (probing,
        # symmetry, repeated passes) cost more wall clock than the search
        sp.cp_model_probing_level = 0
        sp.symmetry_level = 0
        sp.max_presolve_iterations = 1
    else:
        sp.max_time_in_seconds = min(sub_time, left)
    sp.num_workers = 1
    sp.random_seed = seed
    sp.linearization_level = LINEARIZATION
    return solver
