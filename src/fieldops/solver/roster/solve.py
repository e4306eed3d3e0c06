"""``solve_roster``: build the CP-SAT model, search, and return the best roster.

The solve is a short wiring of named phases sharing one :class:`Deadline`:

1. :func:`_first_roster` — the per-agent heuristic (paced to :data:`HINT_SHARE` of
   the time, allowed to run late on a loaded machine) proves infeasibility agent by
   agent or gives a complete roster, reported at once and priced without the
   CP-SAT model (:func:`.plan.construction_model`);
2. :func:`build_model` — every constraint family adds itself to the model, unless
   less than :data:`BUILD_SHARE` of the time, or less than :data:`BUILD_FACTOR` ×
   the heuristic's time plus :data:`FINISH_SHARE`, is left (the heuristic's roster
   is then the result: the deadline holds under load);
3. :func:`_search` — CP-SAT on the whole model, then our LNS (:mod:`.lns`) on
   what time is left; or, when a roster's cost separates by agent
   (:func:`.columns.separable`) and the model is small, :func:`_column_search`:
   column generation and a dive (:mod:`.columns`) give the LNS its start and the
   solve its lower bound;
4. :func:`_result` — the best roster's assignments, coverage and exact penalties.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ortools.sat.python import cp_model

from fieldops.domain.errors import FieldError
from fieldops.domain.roster import (
    Roster,
    RosterParams,
    RosterProblem,
    RosterProgress,
    RosterStatus,
)
from fieldops.solver.roster import columns
from fieldops.solver.roster.constraints import FAMILIES, Penalty
from fieldops.solver.roster.context import RosterContext
from fieldops.solver.roster.deadline import Deadline
from fieldops.solver.roster.heuristic import Hint, greedy_hint
from fieldops.solver.roster.lns import (
    LARGE_MODEL,
    LINEARIZATION,
    MIN_LEFT,
    Incumbent,
    LnsStats,
    improve,
    searchable,
    set_hint,
    solve_held,
)
from fieldops.solver.roster.model import RosterModel
from fieldops.solver.roster.plan import (
    Aggregates,
    add_full_hint,
    construction_model,
    from_shifts,
    from_values,
    rebalance_blocks,
    to_roster,
)
from fieldops.solver.roster.plan import penalties as plan_penalties

#: Share of the time left after building that CP-SAT gets on the whole model
#: before the LNS takes over. A large model spends seconds in every sub-solve's
#: presolve, and the LNS did not help there (realistic center, 120 s, single
#: runs on a loaded machine: 927 685 and 891 274 alone, 929 742 with 20 % LNS).
FULL_SHARE = 0.3
FULL_SHARE_LARGE = 1.0
#: ... and on a model over LARGE_MODEL shift variables that the LNS can still search
#: (:func:`.lns.searchable`). There CP-SAT on the whole model returns the hint and
#: little more: on Curtois-Qu 13 (120 agents, 28 days) it returned the heuristic's
#: 7 673 at 26 s and nothing better by 150 s, while the LNS from 28 s reached 4 912.
FULL_SHARE_MID = 0.05
#: The per-agent heuristic is paced to this share of the whole time limit ...
HINT_SHARE = 1 / 3
#: ... and may run late until this share is left (to finish the roster in).
FINISH_SHARE = 0.1
#: The CP-SAT model is built only while this share of the time is left: on the
#: realistic center at load 10 the build alone took a fifth of 120 s.
BUILD_SHARE = 1 / 3
#: ... and while BUILD_FACTOR × the heuristic's time (plus FINISH_SHARE) is left.
BUILD_FACTOR = 1.25
#: CP-SAT overshoots its limit by up to a second or two on a large model: it is
#: stopped this share of the time limit early, at most MAX_MARGIN seconds.
MARGIN_SHARE = 0.02
MAX_MARGIN = 2.0
MIN_CP_SAT_TIME = 0.1  # seconds
#: A model over LARGE_MODEL shift variables gets a light presolve when less than this
#: is left for its search (seconds): the full one would take most of it.
LIGHT_PRESOLVE_LEFT = 300.0
STOP_POLL = 0.05  # seconds between two looks at the stop event during a search
#: Column generation (:mod:`.columns`) replaces CP-SAT's whole-model phase on
#: separable models of at most this many shift variables (Curtois-Qu 12: 13 773) ...
COLUMNS_MAX_SHIFTS = 20_000
#: ... with this share of the time left for the root's generation ...
ROOT_SHARE = 0.45
#: ... and this share for the root and the dive together ...
DIVE_TIME_SHARE = 0.7
#: ... then CP-SAT on the agents the dive left free, all others fixed, at most this
#: share of the time left, before the LNS takes the rest
FREE_SHARE = 0.1
#: Before the generation, CP-SAT on the whole model gets this share of the time:
#: it proves a small model optimal at once, and its roster seeds the columns
PROOF_SHARE = 0.05


class _Callback(cp_model.CpSolverSolutionCallback):
    """Counts improving rosters, keeps their history and reports progress."""

    def __init__(self, deadline: Deadline,
                 progress: Callable[[RosterProgress], None] | None, unit: int = 1) -> None:
        super().__init__()
        self.deadline = deadline
        #: the model's objective counts in 1/unit of a penalty unit (RosterContext.unit)
        self.unit = unit
        self.progress = progress
        self.solutions = 0
        self.history: list[tuple[float, float]] = []

    def on_solution_callback(self) -> None:
        self.report(self.objective_value / self.unit)
        if self.deadline.stopped():
            self.stop_search()

    def report(self, objective: float) -> None:
        self.solutions += 1
        elapsed = self.deadline.elapsed()
        self.history.append((round(elapsed, 3), objective))
        if self.progress is not None:
            self.progress(RosterProgress(objective, elapsed, self.solutions))


@dataclass
class _Start:
    """What the phases before the search produced."""

    hint: Hint
    hint_seconds: float
    build_seconds: float
    fallback: Aggregates | None = None  # the heuristic's complete roster
    hint_objective: float | None = None
    built: bool = False  # False: no time was left to build the CP-SAT model


@dataclass
class _Search:
    """What CP-SAT and the LNS found."""

    code: cp_model.CpSolverStatus
    status_name: str
    values: list[int] | None
    objective: float | None
    best_bound: float | None
    lns: LnsStats | None
    dive: columns.Dive | None = None


def build_model(problem: RosterProblem, ctx: RosterContext | None = None,
                ) -> tuple[RosterModel, list[Penalty]]:
    """The CP-SAT model with every constraint family and the objective.

    Returns the model and its objective terms ``(penalty key, expression)``.
    """
    m = RosterModel(ctx or RosterContext(problem))
    for family in FAMILIES:
        family.add(m)
    m.minimize_penalties()
    return m, m.penalties


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
    params = _checked(problem, params)
    deadline = Deadline.after(params.time_limit, stop)
    ctx = RosterContext(problem)
    callback = _Callback(deadline, progress, ctx.unit)
    start, m = _first_roster(ctx, deadline, params.time_limit, callback)
    if start.hint.infeasible:
        proof = {"engine": "heuristic", "infeasible_agents":
                 [problem.agents[a].id for a in start.hint.infeasible]}
        return _result(m, None, RosterStatus.INFEASIBLE, deadline, proof)
    if not start.built:
        status = (RosterStatus.CANCELLED if deadline.stopped() else
                  RosterStatus.TIME_LIMIT if start.fallback is not None else
                  RosterStatus.NO_SOLUTION)
        return _result(m, start.fallback, status, deadline,
                       {"engine": "heuristic", "hint_objective": start.hint_objective,
                        "hint_complete": start.hint.complete,
                        "hint_seconds": round(start.hint_seconds, 3),
                        "solutions": callback.solutions, "model_built": False})
    _hint_model(m, start)
    if deadline.stopped():
        return _result(m, start.fallback, RosterStatus.CANCELLED, deadline,
                       {"engine": "heuristic", "hint_objective": start.hint_objective,
                        "solutions": callback.solutions})
    if _columns_apply(m, start):
        search = _column_search(m, start, params, deadline, callback)
    else:
        search = _search(m, params, _search_deadline(m, deadline, params), callback)
    agg = from_values(m, search.values) if search.values is not None else start.fallback
    info = _info(m, start, search, callback)
    return _result(m, agg, _status(search, agg, deadline), deadline, info)


def _checked(problem: RosterProblem, params: RosterParams | None) -> RosterParams:
    if not isinstance(problem, RosterProblem):
        raise FieldError("problem", "must be a RosterProblem")
    if params is None:
        return RosterParams()
    if not isinstance(params, RosterParams):
        raise FieldError("params", "must be RosterParams")
    return params


def _first_roster(ctx: RosterContext, deadline: Deadline, limit: float,
                  callback: _Callback) -> tuple[_Start, RosterModel]:
    """Phase 1 and 2: the heuristic's roster, reported as the first roster found,
    then the full model when there is time to build it (else the model returned
    has no variables and the heuristic's roster is the result)."""
    hint = greedy_hint(ctx, deadline.shortened(FINISH_SHARE * limit),
                       pace=deadline.share(HINT_SHARE))
    start = _Start(hint, deadline.elapsed(), 0.0)
    light = construction_model(ctx)
    if hint.complete and not hint.infeasible:
        start.fallback = rebalance_blocks(light, from_shifts(light, hint.shifts))
        start.hint_objective = sum(plan_penalties(light, start.fallback).values())
        callback.report(start.hint_objective)
    # Building the model takes about as long as the heuristic on a large center (25 s
    # after 36 s at load 10, 58 s after 54 s at load 20): skip it when that, and
    # finishing the roster, would overrun the deadline.
    needed = max(BUILD_SHARE * limit, BUILD_FACTOR * start.hint_seconds + FINISH_SHARE * limit)
    if hint.infeasible or deadline.stopped() or deadline.left() < needed:
        return start, light
    m, _ = build_model(ctx.problem, ctx)
    start.build_seconds, start.built = deadline.elapsed() - start.hint_seconds, True
    return start, m


def _hint_model(m: RosterModel, start: _Start) -> None:
    """Hint the heuristic's complete roster to CP-SAT."""
    if start.fallback is not None:
        add_full_hint(m, start.fallback)


def _search_deadline(m: RosterModel, deadline: Deadline, params: RosterParams) -> Deadline:
    if len(m.x) <= LARGE_MODEL:
        return deadline
    return deadline.shortened(min(MAX_MARGIN, MARGIN_SHARE * params.time_limit))


@contextmanager
def _stopping(deadline: Deadline, current: list[cp_model.CpSolver | None]) -> Iterator[None]:
    """Stop whichever CP-SAT search is running once the stop event is set."""
    if deadline.stop is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.wait(STOP_POLL):
            if deadline.stopped():
                running = current[0]
                if running is not None:
                    running.stop_search()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def _search(m: RosterModel, params: RosterParams, deadline: Deadline,
            callback: _Callback) -> _Search:
    """Phase 3: CP-SAT on the whole model (it may prove optimality, and gives the
    bound), then the LNS on what time is left."""
    solver = cp_model.CpSolver()
    sp = solver.parameters
    sp.max_time_in_seconds = max(MIN_CP_SAT_TIME, deadline.left() * full_share(m))
    sp.num_workers = params.workers
    sp.random_seed = params.seed
    # the LP relaxation with cuts pays off on these covering models, but on a
    # large center it slows CP-SAT's start too much
    if len(m.x) <= LARGE_MODEL:
        sp.linearization_level = LINEARIZATION
    elif deadline.left() < LIGHT_PRESOLVE_LEFT:
        _light_presolve(sp)
    current: list[cp_model.CpSolver | None] = [solver]
    lns_stats = None
    with _stopping(deadline, current):
        code = solver.solve(m.model, callback)
        while code == cp_model.UNKNOWN and deadline.left() > MIN_LEFT and not deadline.stopped():
            # nothing found in the share (a loaded machine, no complete hint):
            # an empty result is worse than any roster, so keep searching
            sp.max_time_in_seconds = deadline.left()
            code = solver.solve(m.model, callback)
        if code == cp_model.MODEL_INVALID:
            raise RuntimeError(f"roster model invalid: {m.model.validate()}")
        has_solution = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        values = list(solver.response_proto.solution) if has_solution else None
        objective = solver.objective_value if has_solution else None
        if (values is not None and objective is not None and code != cp_model.OPTIMAL
                and not deadline.stopped()):
            incumbent = Incumbent(values, objective)

            def improved(best: Incumbent) -> None:
                callback.report(best.objective / m.ctx.unit)

            lns_stats = improve(m, incumbent, deadline, params, improved, current)
            values, objective = incumbent.values, incumbent.objective
    return _Search(code, solver.status_name(code), values, objective,
                   solver.best_objective_bound if has_solution else None, lns_stats)


def _columns_apply(m: RosterModel, start: _Start) -> bool:
    return (start.fallback is not None and len(m.x) <= COLUMNS_MAX_SHIFTS
            and columns.separable(m.ctx))


@dataclass
class _Solved:
    """One CP-SAT solve of the whole model (some agents possibly held)."""

    code: cp_model.CpSolverStatus
    values: list[int] | None = None
    objective: float | None = None
    bound: float | None = None


def _column_search(m: RosterModel, start: _Start, params: RosterParams, deadline: Deadline,
                   callback: _Callback) -> _Search:
    """Phase 3 on a separable model, in four steps.

    1. CP-SAT on the whole model for :data:`PROOF_SHARE` of the time: it proves a
       small model optimal at once, as the plain path does.
    2. Column generation and a dive (:func:`.columns.dive`) from the heuristic's and
       CP-SAT's rosters, for :data:`DIVE_TIME_SHARE` of the time left.
    3. CP-SAT on the agents the dive left free, every other agent held to the dived
       roster (:data:`FREE_SHARE` of the time left).
    4. The LNS from the best roster, until the time is up or a roster reaches the
       bound (the generation's or CP-SAT's, whichever is higher): it is then optimal.
    """
    current: list[cp_model.CpSolver | None] = [None]
    with _stopping(deadline, current):
        proof = _solve_held(m, params, PROOF_SHARE * deadline.left(), current)
        if proof.code == cp_model.OPTIMAL or deadline.stopped():
            return _Search(proof.code, "OPTIMAL" if proof.code == cp_model.OPTIMAL else
                           "cancelled", proof.values, proof.objective, proof.bound, None)
        dived = _dive(m, start, proof, params, deadline)
        bound = max((b for b in (proof.bound, dived.bound) if b is not None), default=None)
        best = _dived_start(m, start, proof, dived, callback)
        if best.values is None and not deadline.stopped():
            best = _solve_held(m, params, FREE_SHARE * deadline.left(), current, dived.free)
        lns_stats = None
        if best.values is not None and best.objective is not None and not deadline.stopped() \
                and (bound is None or best.objective > bound):
            incumbent = Incumbent(best.values, best.objective)

            def improved(found: Incumbent) -> None:
                callback.report(found.objective / m.ctx.unit)

            lns_stats = improve(m, incumbent, deadline, params, improved, current, bound)
            best.values, best.objective = incumbent.values, incumbent.objective
    proven = best.objective is not None and bound is not None and best.objective <= bound
    # CP-SAT's OPTIMAL with agents held proves nothing of the whole problem
    code = (cp_model.OPTIMAL if proven else
            cp_model.FEASIBLE if best.values is not None else best.code)
    return _Search(code, "OPTIMAL" if proven else "column generation", best.values,
                   best.objective, bound, lns_stats, dived)


def _dive(m: RosterModel, start: _Start, proof: _Solved, params: RosterParams,
          deadline: Deadline) -> columns.Dive:
    """Step 2: the dive from the heuristic's roster and CP-SAT's, if it found one."""
    starts = [start.hint.shifts]
    if proof.values is not None:
        starts.append(_shifts_of(m, from_values(m, proof.values)))
    left = deadline.left()
    return columns.dive(m.ctx, starts, deadline.shortened(left * (1 - DIVE_TIME_SHARE)),
                        params.workers, root_deadline=deadline.shortened(left * (1 - ROOT_SHARE)))


def _dived_start(m: RosterModel, start: _Start, proof: _Solved, dived: columns.Dive,
                 callback: _Callback) -> _Solved:
    """Hint the best of the dived, CP-SAT's and the heuristic's roster.

    Returns CP-SAT's solution when it is the best (the LNS starts from it), else an
    empty :class:`_Solved` with the hint set for step 3; when the heuristic's roster
    is the best, every agent is left free there.
    """
    agg = from_shifts(m, dived.shifts)
    cost = m.ctx.unit * sum(plan_penalties(m, agg).values())
    if proof.objective is not None and proof.values is not None and proof.objective <= cost:
        set_hint(m.model, proof.values)
        return _Solved(cp_model.FEASIBLE, proof.values, proof.objective)
    assert start.fallback is not None and start.hint_objective is not None
    if m.ctx.unit * start.hint_objective < cost:
        agg, dived.free = start.fallback, list(m.agents)
    else:
        callback.report(cost / m.ctx.unit)
    add_full_hint(m, agg)
    return _Solved(cp_model.UNKNOWN)


def _shifts_of(m: RosterModel, agg: Aggregates) -> dict[tuple[int, int, int], str | None]:
    """The ``(a, d, t) → queue`` shifts of a roster on a separable model."""
    out: dict[tuple[int, int, int], str | None] = {}
    for a, slot, group in agg.chosen:
        out[(a, slot.d, slot.t)] = group[0][0] if group else None
    return out


def _solve_held(m: RosterModel, params: RosterParams, seconds: float,
                current: list[cp_model.CpSolver | None], free: list[int] | None = None
                ) -> _Solved:
    """CP-SAT on the whole model for ``seconds``, from its hint; every agent not in
    ``free`` (default: all are free) is held to the hint."""
    free_set = set(m.agents if free is None else free)
    hinted = dict(zip(m.model.proto.solution_hint.vars, m.model.proto.solution_hint.values,
                      strict=True))
    held = [var.index for (a, _d, _t), var in m.x.items() if a not in free_set]
    solver = cp_model.CpSolver()
    sp = solver.parameters
    sp.max_time_in_seconds = max(MIN_CP_SAT_TIME, seconds)
    sp.num_workers = params.workers
    sp.random_seed = params.seed
    sp.linearization_level = LINEARIZATION
    code = solve_held(m, solver, held, hinted, current)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _Solved(code)
    values = list(solver.response_proto.solution)
    # a bound of the model with agents held bounds nothing of the whole problem
    return _Solved(code, values, solver.objective_value,
                   solver.best_objective_bound if not held else None)


def full_share(m: RosterModel) -> float:
    """The share of the time left that CP-SAT gets on the whole model before the LNS."""
    if len(m.x) <= LARGE_MODEL:
        return FULL_SHARE
    return FULL_SHARE_MID if searchable(m) else FULL_SHARE_LARGE


def _light_presolve(sp: Any) -> None:
    """One presolve pass without probing or symmetry: on the realistic center
    (434 000 variables) the full presolve alone took over 80 s at load 5-8 and
    CP-SAT never searched; this one took 14 s, and the search then improved the
    heuristic's roster four times in the next 55 s."""
    sp.cp_model_probing_level = 0
    sp.max_presolve_iterations = 1
    sp.symmetry_level = 0


def _status(search: _Search, agg: Aggregates | None, deadline: Deadline) -> RosterStatus:
    if search.code == cp_model.OPTIMAL:
        return RosterStatus.OPTIMAL
    if deadline.stopped():
        return RosterStatus.CANCELLED
    if search.code == cp_model.INFEASIBLE:
        return RosterStatus.INFEASIBLE
    if agg is not None:
        return RosterStatus.TIME_LIMIT
    return RosterStatus.NO_SOLUTION


def _info(m: RosterModel, start: _Start, search: _Search,
          callback: _Callback) -> dict[str, Any]:
    unit = m.ctx.unit  # the model counts in 1/unit of a penalty unit

    def scaled(value: float | None) -> float | None:
        return None if value is None else value / unit

    info: dict[str, Any] = {
        "engine": "cp-sat" if search.lns is None else "cp-sat+lns",
        "cp_sat_status": search.status_name,
        "best_bound": scaled(search.best_bound),
        "cp_sat_objective": scaled(search.objective),
        "solutions": callback.solutions,
        "history": callback.history,
        "build_seconds": round(start.build_seconds, 3),
        "hint_seconds": round(start.hint_seconds, 3),
        "hint_complete": start.hint.complete,
        "hint_objective": start.hint_objective,
        "variables": len(m.model.proto.variables),
        "constraints": len(m.model.proto.constraints),
    }
    if search.lns is not None:
        info["lns"] = {"iterations": search.lns.iterations,
                       "improvements": search.lns.improvements}
    if search.dive is not None:
        info["engine"] = "columns+lns" if search.lns is not None else "columns"
        info["columns"] = {"root_lp": scaled(search.dive.root), "columns": search.dive.columns,
                           "rounds": search.dive.rounds, "free": len(search.dive.free)}
    if search.values is None and start.fallback is not None:
        # CP-SAT found nothing in time: the heuristic's roster is valid
        info["engine"] = "heuristic"
    return info


def _result(m: RosterModel, agg: Aggregates | None, status: RosterStatus,
            deadline: Deadline, info: dict[str, Any]) -> Roster:
    """Phase 4: the roster of ``agg`` (no shift at all when ``None``)."""
    return to_roster(m, agg, status, deadline.elapsed(), info)
