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

A sub-solve runs on one CP-SAT worker, so with ``workers`` > 1 as many *lanes*
run side by side, each on its own copy of the model (CP-SAT releases the GIL
while it solves), sharing the incumbent: a lane's sub-solve starts from the best
roster at that moment, and its result is kept only if it beats the best at the
moment it ends (every sub-solve's solution is a complete roster of the whole
model, whatever the other lanes did meanwhile).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
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
MIN_LEFT = 0.5  # seconds: less than this left is not worth a sub-solve
#: At most this many lanes (sub-solves side by side), whatever ``workers`` says.
MAX_LANES = 4
#: day windows improve most often on the benchmark instances; a block (some
#: agents over two weeks) lets them swap work within the block
KINDS = ("days", "block", "days", "agents")


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


@dataclass
class _Search:
    """What the lanes share: the incumbent, the statistics, the neighbourhood sizes."""

    m: RosterModel
    best: Incumbent
    deadline: Deadline
    params: RosterParams
    on_improve: Callable[[Incumbent], None]
    current: list[cp_model.CpSolver | None]
    stats: LnsStats = field(default_factory=LnsStats)
    lock: threading.Lock = field(default_factory=threading.Lock)
    size: dict[str, int] = field(default_factory=dict)
    by_agent: dict[int, list[int]] = field(default_factory=dict)
    by_day: dict[int, list[int]] = field(default_factory=dict)
    cell: dict[tuple[int, int], list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        agents, n_days = self.m.agents, self.m.ctx.problem.days
        self.by_agent = {a: [] for a in agents}
        self.by_day = {d: [] for d in range(n_days)}
        for (a, d, _t), var in self.m.x.items():
            self.by_agent[a].append(var.index)
            self.by_day[d].append(var.index)
            self.cell.setdefault((a, d), []).append(var.index)
        self.size = {"agents": max(1, min(len(agents), 3)), "days": max(1, min(n_days, 7)),
                     "block": max(1, min(len(agents), max(2, len(agents) // 4)))}

    def fixed(self, kind: str, rng: random.Random) -> list[int]:
        """The shift variables outside a random neighbourhood of ``kind``."""
        agents, n_days = self.m.agents, self.m.ctx.problem.days
        with self.lock:
            size = self.size[kind]
        if kind == "agents":
            free_agents = set(rng.sample(agents, size))
            return [i for a in agents if a not in free_agents for i in self.by_agent[a]]
        if kind == "block":
            free_agents = set(rng.sample(agents, size))
            span = min(n_days, 14)
            first = rng.randrange(0, n_days - span + 1)
            return [i for (a, d), idx in self.cell.items()
                    if a not in free_agents or not first <= d < first + span for i in idx]
        first = rng.randrange(0, max(1, n_days - size + 1))
        free_days = set(range(first, first + size))
        return [i for d in range(n_days) if d not in free_days for i in self.by_day[d]]

    def record(self, kind: str, solver: cp_model.CpSolver, code: cp_model.CpSolverStatus
               ) -> None:
        """Keep an improvement and adapt the neighbourhood's size (under the lock)."""
        with self.lock:
            self.stats.iterations += 1
            if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) and \
                    solver.objective_value < self.best.objective - 1e-6:
                self.best.values = list(solver.response_proto.solution)
                self.best.objective = solver.objective_value
                self.stats.improvements += 1
                self.stats.history.append((kind, self.size[kind], self.best.objective))
                self.on_improve(self.best)
            limit = self.m.ctx.problem.days if kind == "days" else len(self.m.agents)
            # proven optimal: the neighbourhood was too easy, grow it; judged by the
            # search's own deterministic time, not the wall clock, which on a loaded
            # machine is mostly waiting and would shrink every neighbourhood to one
            if code == cp_model.OPTIMAL and solver.deterministic_time < SUB_DTIME / 2:
                self.size[kind] = min(limit, self.size[kind] + 1)
            elif code != cp_model.OPTIMAL:
                self.size[kind] = max(1, self.size[kind] - 1)


def improve(m: RosterModel, best: Incumbent, deadline: Deadline, params: RosterParams,
            on_improve: Callable[[Incumbent], None],
            current: list[cp_model.CpSolver | None]) -> LnsStats:
    """Improve ``best`` in place until ``deadline`` (or its stop event).

    ``current`` gets one entry per lane, the sub-solve running there (for the
    caller to stop them).
    """
    search = _Search(m, best, deadline, params, on_improve, current)
    lanes = max(1, min(params.workers, MAX_LANES)) if len(m.x) < LARGE_MODEL else 1
    current.extend([None] * (lanes - len(current)))
    if lanes == 1:
        _lane(search, 0, m.model)
        return search.stats
    threads = [threading.Thread(target=_lane, args=(search, k, m.model if k == 0
                                                    else m.model.clone()), daemon=True)
               for k in range(lanes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return search.stats


def _lane(search: _Search, lane: int, model: cp_model.CpModel) -> None:
    """Sub-solves on ``model`` (this lane's own copy) until the deadline."""
    deadline, params = search.deadline, search.params
    rng = random.Random(params.seed + 7919 * lane)
    variables = model.proto.variables
    sub_time = SUB_TIME if len(search.m.x) < LARGE_MODEL else SUB_TIME_LARGE
    step = lane  # lanes start at different kinds of neighbourhood
    while True:
        left = deadline.left()
        if left < MIN_LEFT or deadline.stopped():
            return
        kind = KINDS[step % len(KINDS)]
        step += 1
        fixed = search.fixed(kind, rng)
        with search.lock:
            values = search.best.values
            seed = params.seed + search.stats.iterations + 1000 * lane
        # shift variables are booleans: their domain is the interval [0, 1]
        for i in fixed:
            variables[i].domain[0] = values[i]
            variables[i].domain[1] = values[i]
        set_hint(model, values)
        solver = _sub_solver(len(search.m.x), seed, left, sub_time)
        search.current[lane] = solver
        try:
            code = solver.solve(model)
        finally:
            search.current[lane] = None
            for i in fixed:
                variables[i].domain[0] = 0
                variables[i].domain[1] = 1
        search.record(kind, solver, code)


def _sub_solver(n_vars: int, seed: int, left: float, sub_time: float) -> cp_model.CpSolver:
    """A CP-SAT solver for one neighbourhood's sub-solve, ``left`` seconds at most."""
    solver = cp_model.CpSolver()
    sp = solver.parameters
    if n_vars < LARGE_MODEL:
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
