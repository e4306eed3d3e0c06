"""Phase 2 of a solve: candidate plans under the full model, the best one kept.

The fieldops construction (:class:`~.construct.Constructor`) builds a plan; the
engine that fits the day improves on it — PyVRP when it expresses the modelled
day exactly, else VROOM, which needs no start plan and so runs in its child
interpreter beside the construction; every engine plan is re-timed, repaired and
priced with the construction's exact schedules; on days VROOM takes, ruin and
recreate (:mod:`.improve`) improves the best candidate. Each phase's time is its
share (:class:`~.params.EngineParams`) of what the :class:`~.deadline.Deadline`
has left.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta

from fieldops.domain.plan import PlanStatus
from fieldops.solver.dispatch.constraints.priority import drop_penalty
from fieldops.solver.dispatch.construct import Constructor
from fieldops.solver.dispatch.context import COST_SCALE
from fieldops.solver.dispatch.engines import EngineResult, EngineStopped, hgs
from fieldops.solver.dispatch.engines import vroom as vroom_engine
from fieldops.solver.dispatch.engines.flat import FlatProblem, flat_from_context
from fieldops.solver.dispatch.extract import RawRoute
from fieldops.solver.dispatch.improve import RuinRecreate, RuinStats
from fieldops.solver.dispatch.model import Model
from fieldops.solver.dispatch.report import EngineRun
from fieldops.solver.dispatch.state import Candidate, SolveState

# Below these many seconds an engine or ruin and recreate is not started.
MIN_ENGINE_SECONDS = 0.1
MIN_RUIN_SECONDS = 0.2
EXACT_REASON = "PyVRP's objective is the full objective"
RUIN_SUFFIX = "+ruin-recreate"
# The timeout VROOM is asked for past ``vroom.HUGE_JOBS`` jobs. Its start heuristics,
# which no timeout interrupts, are most of its work there (5 000 jobs, level 0: 28
# CPU s, 56 s wall at load 5 with a 1 s timeout; 60.8 s with 60 s; with 120 s a
# plan no better). Alone, ruin and recreate went further in 40 s from that plan,
# re-timed and repaired, than from the construction (44.5 × 10⁹ against 54.6 ×
# 10⁹), so the plan is asked for as early as it comes: in a 300 s solve it came
# at 94 s instead of 154 s (benchmarks/README.md), though on both runs the
# construction improved beside it was still the better plan by then.
HUGE_VROOM_TIMEOUT = 1.0


def priced(model: Model, builder: Constructor, name: str,
           routes_v: list[list[int]]) -> Candidate:
    """Routes per vehicle (job nodes) with the builder's exact schedules, priced."""
    ctx = model.context
    raw: list[RawRoute] = []
    for v, route in enumerate(routes_v):
        if not route:
            continue
        sched = builder.schedules[v]
        departure = builder.departure(v, route, sched)
        raw.append(RawRoute(
            shift=model.vehicles[v], jobs=[model.job_ids[j] for j in route],
            starts=[model.at(x) for x in sched.starts], departure=model.at(departure),
            break_start=(model.at(sched.break_start) if sched.break_start is not None
                         else None),
        ))
    routed = {j for r in routes_v for j in r}
    cost = sum(sc.cost for sc in builder.schedules) + sum(
        drop_penalty(ctx, job) for j, job in enumerate(ctx.jobs) if j not in routed)
    return Candidate(name, cost, raw, len(routed), [list(r) for r in routes_v])


def find_candidates(state: SolveState) -> Candidate:
    """The best candidate (construction, engine, ruin and recreate); it becomes the
    incumbent and OR-Tools' warm start."""
    builder = Constructor(state.model.context)
    early: dict[str, EngineResult | None] = {}
    early_thread: threading.Thread | None = None
    deferred = not state.choice.pyvrp and _first_plan_first(state)
    if not state.choice.pyvrp:
        # VROOM needs no start plan: it runs in its child interpreter beside the
        # construction, so that it gets the construction's seconds.
        early_thread = threading.Thread(
            target=lambda: early.update(result=run_engine(state, [])),
            name="fieldops-engine", daemon=True)
        if not deferred:
            early_thread.start()
    with state.report.phase("construction"):
        routes_built = builder.build(stop_at=state.search.end)
        chosen = priced(state.model, builder, "fieldops-insertion", routes_built)
    state.report.construction_objective = chosen.cost / COST_SCALE
    state.report.construction_seconds = round(state.deadline.elapsed(), 3)
    state.tell(chosen.cost, chosen.assigned)
    if early_thread is not None and deferred:
        early_thread.start()
    search: RuinRecreate | None = None
    if early_thread is not None:
        with state.report.phase("beside_engine"):
            chosen, search = _improve_while_engine_runs(state, builder, chosen, early_thread)
        with state.report.phase("engine_wait"):
            early_thread.join()
        engine = early.get("result")
    else:
        engine = run_engine(state, routes_built)
        if state.pool is not None:
            state.pool.close()  # the engine was its only user
    if engine is not None:
        with state.report.phase("engine_repair"):
            chosen = _repaired(state, builder, engine, chosen)
    if not state.choice.pyvrp:
        with state.report.phase("ruin_recreate"):
            chosen = ruin_and_recreate(state, builder, chosen, search)
    with state.report.phase("adopt"):
        _adopt(state, chosen)
    return chosen


def _first_plan_first(state: SolveState) -> bool:
    """Whether VROOM's child waits for the construction's plan to be reported.

    Past ``EngineParams.warm_start_max_jobs``: handing the day to the child
    (its integer view, a pickle of two n × n matrices) and the child's own start
    on the other core slowed the construction beside it by half or more (5 000
    jobs at load 8: the first plan 21–25 s wall with the child started first,
    13–16 s without it). The construction is the plan a caller sees first there;
    VROOM at that size rarely answers within the limit at all. Below, VROOM's
    plan is the better start and the construction takes a second or two.
    """
    return state.model.n_jobs > state.params.engines.warm_start_max_jobs


def _improve_while_engine_runs(state: SolveState, builder: Constructor, chosen: Candidate,
                               engine: threading.Thread,
                               ) -> tuple[Candidate, RuinRecreate | None]:
    """``chosen`` (the construction) improved by ruin and recreate until the engine's
    thread ends, when a core is free for it; and the search, to go on with later.

    VROOM's child runs for most of the time limit on a large day (90 % of it), and
    this process only waited for it: with one engine thread on two cores a core
    stood idle for most of a 5 000-job day's minutes. The better of this plan and
    the engine's repaired one is then improved as before (:func:`ruin_and_recreate`).

    Only past ``EngineParams.warm_start_max_jobs``: on smaller days VROOM answers
    with the better start and early, and a search beside it was seen to slow it on
    a crowded machine (350 jobs at load 18: its plan 14 % worse, the day's 7 %).
    """
    if (state.stopped() or not engine.is_alive()
            or state.model.n_jobs <= state.params.engines.warm_start_max_jobs
            or state.engine_threads >= (os.cpu_count() or 1)
            or state.search.remaining() < MIN_RUIN_SECONDS):
        return chosen, None
    search = RuinRecreate(builder, seed=state.params.seed, params=state.params.ruin)

    def engine_done() -> bool:
        return not engine.is_alive() or state.stopped()

    improved, stats = search.run(chosen.nodes, state.search.end, engine_done, state.tell)
    state.report.ruin_recreate = stats
    if stats.best_cost >= chosen.cost:
        return chosen, search
    better = priced(state.model, builder, _with_ruin(chosen.name),
                    builder.build(initial=improved, insert=False))
    if better.cost >= chosen.cost:
        return chosen, search
    state.tell(better.cost, better.assigned)
    return better, search


def _with_ruin(name: str) -> str:
    return name if name.endswith(RUIN_SUFFIX) else name + RUIN_SUFFIX


def _repaired(state: SolveState, builder: Constructor, engine: EngineResult,
              chosen: Candidate) -> Candidate:
    """The engine's routes re-timed and repaired by ``builder``; the better one."""
    repaired = priced(state.model, builder, engine.engine,
                      builder.build(initial=engine.routes, stop_at=state.search.end))
    assert state.report.engines is not None
    run = state.report.engines[engine.engine]
    run.objective_internal = repaired.cost / COST_SCALE
    run.repaired_jobs = builder.repaired
    if repaired.cost >= chosen.cost:
        return chosen
    state.tell(repaired.cost, repaired.assigned)
    return repaired


def _adopt(state: SolveState, chosen: Candidate) -> None:
    """``chosen`` as the incumbent, OR-Tools' warm start and the plan to beat."""
    incumbent = state.incumbent
    incumbent.cost, incumbent.routes = chosen.cost, chosen.routes
    state.report.engine = chosen.name
    state.start_from = state.model.as_nodes(chosen.routes)
    incumbent.candidate_plan = state.model.plan(
        chosen.routes, PlanStatus.FEASIBLE, timedelta(0), state.report.to_dict())
    incumbent.candidate_routes = chosen.routes


def run_engine(state: SolveState, constructed: list[list[int]]) -> EngineResult | None:
    """Run the engine that fits the modelled day; ``None`` when none ran or it failed.

    PyVRP when it expresses the day exactly (with the state's pool, when there
    is one), else VROOM (``engine_threads`` threads). Failures (library missing,
    engine error) are recorded in the report and the solver goes on with the
    construction.
    """
    if state.stopped():
        return None
    with state.report.phase("engine"):
        return _engine_result(state, constructed)


def _engine_result(state: SolveState, constructed: list[list[int]]) -> EngineResult | None:
    flat = flat_from_context(state.model.context)
    remaining = state.search.remaining()
    runs: dict[str, EngineRun] = {}
    state.report.engines = runs
    reason = hgs.why_not(flat)
    name = "pyvrp-hgs" if reason is None else "vroom"
    try:
        if reason is None:
            result = _run_pyvrp(state, flat, constructed, remaining)
        else:
            result = _run_vroom(state, flat, remaining)
    except EngineStopped:
        runs[name] = EngineRun(stopped=True)
        return None
    except Exception as exc:  # an engine failure only loses its candidate
        runs[name] = EngineRun(error=f"{type(exc).__name__}: {exc}")
        return None
    if result is None:
        return None
    runs[name] = _engine_run(flat, result, reason)
    return result


def _run_pyvrp(state: SolveState, flat: FlatProblem, constructed: list[list[int]],
               remaining: float) -> EngineResult | None:
    shares, decompose = state.params.engines, state.params.decompose
    # Every job routed by the construction: one plan serves them all, so PyVRP may
    # treat them as required (a much easier search than prizes).
    all_in = sum(len(r) for r in constructed) == flat.n_jobs
    budget = remaining * shares.hgs_share
    if all_in and hgs.exact(flat):
        # PyVRP optimises the full objective here: on large days its sub-problems
        # gain more in OR-Tools' seconds than OR-Tools does (restoring a warm start
        # alone takes seconds there); on Solomon's 100-customer days OR-Tools'
        # polish bettered PyVRP's plan in 3 of 112 searches at 10 s, where PyVRP
        # was still improving (benchmarks/README.md, "Solomon at 10 s").
        budget = remaining * shares.exact_hgs_share
        state.report.search_skipped = EXACT_REASON
    if budget < MIN_ENGINE_SECONDS:
        return None
    return hgs.solve(flat, budget, seed=state.params.seed, all_required=all_in,
                     initial=constructed if shares.hgs_from_construction else None,
                     should_stop=state.should_stop,
                     pool=state.pool, decompose=decompose,
                     restart_after=budget * shares.hgs_restart_share)


def _run_vroom(state: SolveState, flat: FlatProblem, remaining: float,
               ) -> EngineResult | None:
    budget = remaining * state.params.engines.vroom_share
    if budget < MIN_ENGINE_SECONDS:
        return None
    # Past HUGE_JOBS VROOM is asked for its first plan only (a short timeout), the
    # parent still waiting up to the whole budget: see HUGE_VROOM_TIMEOUT.
    aim = HUGE_VROOM_TIMEOUT if flat.n_jobs > vroom_engine.HUGE_JOBS else None
    return vroom_engine.solve(flat, budget, threads=state.engine_threads,
                              should_stop=state.should_stop, aim=aim,
                              until=state.search.end)


def _engine_run(flat: FlatProblem, result: EngineResult, reason: str | None) -> EngineRun:
    travel = 0
    for v, route in enumerate(result.routes):
        if route:
            path = [flat.vehicles[v].start_node, *route, flat.vehicles[v].end_node]
            travel += int(flat.travel[path[:-1], path[1:]].sum())
    return EngineRun(seconds=round(result.elapsed, 3), feasible=result.feasible,
                     assigned=sum(len(r) for r in result.routes), travel_seconds=travel,
                     details=dict(result.details), pyvrp_skipped=reason)


def ruin_and_recreate(state: SolveState, builder: Constructor, chosen: Candidate,
                      search: RuinRecreate | None = None) -> Candidate:
    """``chosen`` improved by ruin and recreate (:mod:`.improve`) for its share of time.

    Past ``EngineParams.warm_start_max_jobs`` it has all the time left (OR-Tools
    does not run); below, OR-Tools gets the rest. ``search``: the one that ran
    beside the engine (:func:`_improve_while_engine_runs`), whose statistics this
    run's are added to.
    """
    if state.stopped():
        return chosen
    shares = state.params.engines
    share = 1.0 if state.model.n_jobs > shares.warm_start_max_jobs else shares.ruin_share
    budget = state.search.share(share)
    if budget < MIN_RUIN_SECONDS:
        return chosen
    earlier = state.report.ruin_recreate
    search = search or RuinRecreate(builder, seed=state.params.seed, params=state.params.ruin)
    improved, stats = search.run(chosen.nodes, time.monotonic() + budget, state.should_stop,
                                 state.tell)
    state.report.ruin_recreate = _merged(earlier, stats)
    if stats.best_cost >= chosen.cost:
        return chosen
    better = priced(state.model, builder, _with_ruin(chosen.name),
                    builder.build(initial=improved, insert=False))
    if better.cost >= chosen.cost:
        return chosen
    state.tell(better.cost, better.assigned)
    return better


def _merged(earlier: RuinStats | None, later: RuinStats) -> RuinStats:
    """Both runs of one search as one: counts and seconds added, from the first's
    start to the better best."""
    if earlier is None:
        return later
    return RuinStats(
        iterations=earlier.iterations + later.iterations,
        accepted=earlier.accepted + later.accepted,
        improved=earlier.improved + later.improved,
        start_cost=earlier.start_cost, best_cost=min(earlier.best_cost, later.best_cost),
        seconds=earlier.seconds + later.seconds, history=earlier.history + later.history)
