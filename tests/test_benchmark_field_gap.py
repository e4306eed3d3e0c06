"""The travel-gap experiments (``benchmarks/field_gap.py``): VROOM's candidate posed
as each experiment says, and plans counted the way the tables read them."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import field_gap as fg
from benchmarks.day_shapes import build_day
from fieldops.solver.dispatch import SolveParams, solve_dispatch
from fieldops.solver.dispatch.engines.flat import flat_from_context
from fieldops.solver.dispatch.model import build_model
from fieldops.solver.dispatch.solve import evaluate_routes
from fieldops.validators.dispatch import assert_valid

DAY = ("metro", 40, 6, 3)


def test_posings_set_every_deadline_and_take_overtime_away() -> None:
    problem = build_day(*DAY)
    model = build_model(problem, search_jobs=0)
    ctx = model.context
    flat = flat_from_context(ctx)
    assert fg.posed_flat(flat, model, "as solved") == flat
    due = fg.posed_flat(flat, model, "SLA due")
    deadlines = [problem.sla_deadline(job) for job in ctx.jobs]
    assert any(d is not None for d in deadlines)
    assert [j.due for j in due.jobs] == [
        None if d is None else ctx.seconds(d) for d in deadlines]
    assert due.vehicles == flat.vehicles
    tight = fg.posed_flat(flat, model, "SLA due, no overtime")
    assert any(v.latest_end > v.soft_end for v in flat.vehicles)  # there was overtime
    assert all(v.latest_end == v.soft_end for v in tight.vehicles)
    assert [j.due for j in tight.jobs] == [j.due for j in due.jobs]


def test_a_plan_is_counted_as_fieldops_prices_it() -> None:
    problem = build_day(*DAY)
    plan = solve_dispatch(problem, SolveParams(time_limit=1))
    assert_valid(problem, plan)
    routes = {r.shift_id: list(r.request_ids) for r in plan.routes if r.request_ids}
    priced = evaluate_routes(problem, routes)
    assert_valid(problem, priced)
    summary = fg._summary(problem, priced)
    assert summary["assigned"] == priced.kpis.jobs_assigned == plan.kpis.jobs_assigned
    assert summary["objective"] == priced.objective
    assert summary["overtime_h"] * problem.weights.overtime_per_hour == (
        priced.penalties.get("overtime", 0.0))
    assert summary["routes_used"] == len(routes)
