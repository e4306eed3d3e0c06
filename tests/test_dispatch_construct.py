"""construct.py: the fieldops construction (insertion, re-timing of given routes,
the swap for a higher-priority job) and its objective."""

from __future__ import annotations

from typing import Any

import pytest

from fieldops.domain import Priority
from fieldops.solver.dispatch import SolveParams, solve_dispatch
from fieldops.solver.dispatch.construct import Constructor
from fieldops.solver.dispatch.engines import EngineResult, hgs
from fieldops.solver.dispatch.engines.flat import FlatProblem
from fieldops.solver.dispatch.solve import evaluate_routes
from fieldops.validators.dispatch import assert_valid

from line_world import LineWorld, solve, solver_info, spy


def test_retiming_tries_the_break_before_every_leg(monkeypatch: pytest.MonkeyPatch) -> None:
    # VROOM may put the lunch break where neither of the scheduler's own rules
    # (lazy: as late as the next job allows; eager: at the first stop after the
    # window opens) would. Here both rules are made to fail on every route with
    # a break: re-timing must still keep each route whole by trying the break
    # before each leg, and the plan must pass the validator.
    from fieldops.data.sample import load_demo_day

    problem = load_demo_day()
    plan = solve_dispatch(problem, SolveParams(time_limit=3))
    assert_valid(problem, plan)
    routes = {r.shift_id: list(r.request_ids) for r in plan.routes}
    with_break = {r.shift_id for r in plan.routes if r.request_ids and any(
        s.id == r.shift_id and s.lunch is not None for s in problem.shifts)}
    assert with_break
    original = Constructor._schedule

    def rules_fail(self, v, veh, route, *, eager, break_before=None, on_arrival=False):  # type: ignore[no-untyped-def]
        if break_before is None and veh.lunch is not None and route:
            return None
        return original(self, v, veh, route, eager=eager, break_before=break_before,
                        on_arrival=on_arrival)

    monkeypatch.setattr(Constructor, "_schedule", rules_fail)
    same = evaluate_routes(problem, routes)
    assert_valid(problem, same)
    assert solver_info(same)["repaired_jobs"] == 0
    assert same.kpis.jobs_assigned == plan.kpis.jobs_assigned


def test_a_left_out_job_takes_the_place_of_a_lower_priority_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # One van, room for three long jobs; the engine filled it with the three low
    # ones. Re-inserting the high job needs one of them out: cheapest insertion
    # alone leaves it out, the swap puts it in.
    w = LineWorld()
    tech = w.technician("A", 0)
    lows = [w.job(f"L{i}", 1 + i, duration=170, priority=Priority.LOW) for i in range(3)]
    high = w.job("H", 2, duration=170, priority=Priority.HIGH)
    problem = w.problem([tech], [*lows, high])

    def low_only(flat: FlatProblem, time_limit: float, **kwargs: Any) -> EngineResult:
        return EngineResult("pyvrp-hgs", [[0, 1, 2]], 0.0)

    spy(monkeypatch, hgs, replace=low_only)
    plan = solve_dispatch(problem, SolveParams(time_limit=2))
    assert_valid(problem, plan)
    as_given = evaluate_routes(problem, {"S-A": ["L0", "L1", "L2"]})
    assert "H" not in {rid for r in as_given.routes for rid in r.request_ids}
    candidate = solver_info(plan)["engines"]["pyvrp-hgs"]["objective_internal"]
    assert candidate < solver_info(as_given)["objective_internal"]
    assert "H" in {rid for r in plan.routes for rid in r.request_ids}


def test_construction_and_plan_price_the_same_objective() -> None:
    # One job, one technician: the only plan drives 15 km out and back and returns
    # 30 minutes after shift end. Overtime is free here, so the construction's own
    # objective must equal the plan's (travel only): both use the cost definitions
    # of the constraint modules, with no private copy that could drift.
    import dataclasses

    from line_world import shift

    w = LineWorld()
    a = w.technician("A", 0)
    problem = w.problem([a], [w.job("J", 15, duration=120)],
                        shifts=[shift("A", 0, 120, overtime=60)])
    problem = dataclasses.replace(
        problem, weights=dataclasses.replace(problem.weights, overtime_per_hour=0.0))
    plan = solve(problem)
    assert plan.routes[0].kpis.overtime.total_seconds() == 30 * 60
    assert plan.penalties["overtime"] == 0
    assert plan.solver["construction_objective"] == pytest.approx(plan.objective)
    assert plan.objective == 30 * 60  # 30 minutes of driving at 1 per second


def _line_day(jobs: int = 24, techs: int = 5, hours: float = 0.5):  # type: ignore[no-untyped-def]
    """Jobs and homes on the line, several at the same kilometre (ties in travel)."""
    from fieldops.solver.dispatch.model import build_model

    w = LineWorld()
    technicians = [w.technician(f"T{k}", k % 11) for k in range(techs)]
    requests = [w.job(f"J{i}", (7 * i) % 13, duration=60 * hours) for i in range(jobs)]
    return build_model(w.problem(technicians, requests), search_jobs=0)


@pytest.mark.parametrize("kept", [5, 64])
def test_nearest_nodes_of_every_job_are_ranked_by_travel_then_node(
        monkeypatch: pytest.MonkeyPatch, kept: int) -> None:
    # The table of each job's nearest job and start nodes, built for all jobs at
    # once in blocks (of 7 here): nearest first by travel towards the job, ties by
    # node, the first NEAREST_NODES of them (5: a partition; 64: every node).
    from fieldops.solver.dispatch import construct

    monkeypatch.setattr(construct, "NEAREST_NODES", kept)
    monkeypatch.setattr(construct, "NEAREST_BLOCK", 7)
    model = _line_day()
    builder = Constructor(model.context)
    n, vehicles = model.n_jobs, len(model.vehicles)
    nodes = [*range(n), *(n + 2 * v for v in range(vehicles))]
    table = builder._nearest_table()
    assert table.shape == (n, min(kept, len(nodes)))
    for j in range(n):
        ranked = sorted(nodes, key=lambda x: (int(builder.travel[x, j]), x))
        assert table[j].tolist() == ranked[:kept]
    ties = [j for j in range(n) if len({int(builder.travel[x, j]) for x in nodes}) < len(nodes)]
    assert ties, "the day must have ties to break"


def test_scanned_routes_are_the_nearest_used_allowed_routes() -> None:
    # Every used route the job may join, ranked by its stop (or start) nearest the
    # job, ties by that stop's place (jobs by index, then starts by vehicle: the
    # walk's order); the first NEAREST of them.
    from fieldops.solver.dispatch import construct

    model = _line_day(jobs=40, techs=24, hours=3.5)  # two jobs a day each
    builder = Constructor(model.context)
    routes = builder.build()
    assert sum(1 for r in routes if r) > construct.NEAREST
    for j in range(model.n_jobs):
        trial = [[k for k in r if k != j] for r in routes]
        expected = sorted(
            (min((int(builder.travel[x, j]), place) for x, place in
                 [(builder.vehicles[v].start_node, model.n_jobs + v), *((k, k) for k in r)]), v)
            for v, r in enumerate(trial) if r and v in builder.ctx.allowed[j])
        assert builder._scanned_routes(j, trial) == [v for _, v in expected[:construct.NEAREST]]
