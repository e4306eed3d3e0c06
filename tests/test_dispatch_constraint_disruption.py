"""constraints/disruption.py: reassigned, re-timed beyond the tolerance, dropped."""

from __future__ import annotations

from datetime import timedelta

from fieldops.domain import ObjectiveWeights, Priority, Unassigned, UnassignedReason
from fieldops.solver.dispatch.constraints import PLAN_KEYS, disruption
from fieldops.solver.dispatch.schedule import RouteEvaluator

from dispatch_timed import context_of, minute, timed
from line_world import LineWorld, assignment, solve, t

WEIGHTS = ObjectiveWeights(reassigned=500.0, retimed_per_hour=1200.0,
                           retime_tolerance=timedelta(minutes=30), dropped_published=3.0)


def _world() -> tuple[LineWorld, list]:  # type: ignore[type-arg]
    w = LineWorld()
    techs = [w.technician("A", 0), w.technician("B", 50)]
    return w, techs


def test_route_pays_each_reassignment_and_each_hour_beyond_the_tolerance() -> None:
    w, techs = _world()
    jobs = [
        # published on B: served by A costs one reassignment
        w.job("MOVED", 5, baseline_technician="B", baseline_start=t(5)),
        # published on A at minute 40, served at 130: 90 min off, 60 beyond 30
        w.job("LATE", 10, baseline_technician="A", baseline_start=t(40)),
        # 20 min off: within the tolerance
        w.job("NEAR", 15, baseline_technician="A", baseline_start=t(150)),
        w.job("NEW", 20),  # no baseline: free
    ]
    problem = w.problem(techs, jobs, weights=WEIGHTS)
    route = timed(problem, "S-A", [("MOVED", 5), ("LATE", 130), ("NEAR", 170), ("NEW", 205)])
    got = disruption.penalty(problem, route)
    assert got.constraint == "disruption"
    assert got.cost == 500.0 + 1.0 * 1200.0
    assert got.amount == 2
    assert any("MOVED moves from B to A" in line for line in got.explanation)


def test_early_start_is_charged_like_a_late_one() -> None:
    w, techs = _world()
    problem = w.problem(techs, [w.job("EARLY", 5, baseline_technician="A",
                                      baseline_start=t(120))], weights=WEIGHTS)
    route = timed(problem, "S-A", [("EARLY", 30)])  # 90 min early: 60 beyond
    assert disruption.penalty(problem, route).cost == 1200.0


def test_dropped_published_job_costs_its_weight_times_the_travel_bound() -> None:
    w, techs = _world()
    problem = w.problem(techs, [w.job("P", 5, baseline_technician="A"), w.job("N", 6)],
                        weights=WEIGHTS)
    out = [Unassigned("P", Priority.NORMAL, UnassignedReason.NOT_ENOUGH_CAPACITY),
           Unassigned("N", Priority.NORMAL, UnassignedReason.NOT_ENOUGH_CAPACITY)]
    got = disruption.dropped_penalty(problem, out, travel_bound=1000.0)
    assert got.amount == 1
    assert got.cost == 3.0 * 1000.0


def test_evaluator_adds_the_same_cost_inline() -> None:
    w, techs = _world()
    problem = w.problem(techs, [w.job("J", 10, baseline_technician="B",
                                      baseline_start=t(100))], weights=WEIGHTS)
    ctx = context_of(problem)
    evaluator = RouteEvaluator(ctx)
    plain = RouteEvaluator(context_of(w.problem(techs, [w.job("J2", 10)], weights=WEIGHTS)))
    # On A (vehicle 0), service starts at minute 10: 90 min early, 60 beyond.
    on_a = evaluator.schedule(0, [0])
    base = plain.schedule(0, [0])
    assert on_a is not None and base is not None
    assert on_a.starts == [minute(ctx, 10)]
    expected = 500 * 100 + 3600 * round(1200 / 3600 * 100)
    assert on_a.cost - base.cost == expected


def test_plan_key_is_disruption() -> None:
    assert PLAN_KEYS["disruption"] == disruption.NAME


def test_solver_keeps_a_published_job_on_its_technician() -> None:
    # B is nearer (1 min of driving less), so a fresh plan gives the job to B; the
    # reassignment cost (500 units) keeps it on A, where it was published.
    w = LineWorld()
    techs = [w.technician("A", 0), w.technician("B", 1.5)]
    fresh = solve(w.problem(techs, [w.job("J", 1)], weights=WEIGHTS))
    assert assignment(fresh) == {"J": "B"}
    published = w.problem(techs, [w.job("J", 1, baseline_technician="A",
                                        baseline_start=t(1))], weights=WEIGHTS)
    plan = solve(published)
    assert assignment(plan) == {"J": "A"}
    assert plan.penalties["disruption"] == 0.0
    assert set(fresh.penalties) == set(plan.penalties)
