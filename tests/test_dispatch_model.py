"""model.py: phase 1 (matrix, diagnosis, the routing model) and the model's view of
plans (nodes, left-out jobs, the plan of given routes)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fieldops.domain import PlanStatus, Skill
from fieldops.solver.dispatch.model import build_model
from fieldops.solver.dispatch.timed import RawRoute
from fieldops.validators.dispatch import assert_valid

from line_world import LineWorld, t


def _day():  # type: ignore[no-untyped-def]
    w = LineWorld()
    techs = [w.technician("A", 0), w.technician("B", 40), w.technician("C", 80)]
    jobs = [w.job("J0", 10), w.job("GAS", 20, required_skills=(Skill("gas", 1),)),
            w.job("J2", 30), w.job("PIN", 45, pinned_technician="B")]
    return w.problem(techs, jobs)


def test_diagnosed_jobs_leave_the_model_with_their_reason() -> None:
    model = build_model(_day())
    assert model.job_ids == [0, 2, 3] and model.n_jobs == 3
    assert [(u.request_id, u.reason.value) for u in model.unassigned] == [
        ("GAS", "no_qualified_technician")]
    assert [s.id for s in model.vehicles] == ["S-A", "S-B", "S-C"]


def test_an_empty_day_has_no_routing_model() -> None:
    w = LineWorld()
    model = build_model(w.problem([w.technician("A", 0)], []))
    assert model.ctx is None and model.n_jobs == 0 and model.dropped_from(set()) == []
    with pytest.raises(AssertionError):
        _ = model.context


def test_legs_are_exact_and_round_up_for_the_search() -> None:
    model = build_model(_day())
    leg = model.leg(("s", "S-A"), ("j", 0))  # home at km 0 to J0 at km 10
    assert leg.seconds == pytest.approx(600) and leg.metres == pytest.approx(10_000)
    assert leg.seconds_up == 600
    back = model.leg(("j", 3), ("e", "S-B"))  # PIN at km 45 to B's home at km 40
    assert back.seconds == pytest.approx(300)


def test_modelled_jobs_off_the_routes_are_left_out_for_room_or_their_pin() -> None:
    model = build_model(_day())
    out = model.dropped_from({0})
    assert [(u.request_id, u.reason.value) for u in out] == [
        ("J2", "not_enough_capacity"), ("PIN", "pin_infeasible")]


def test_routes_become_nodes_and_a_valid_plan() -> None:
    problem = _day()
    model = build_model(problem)
    ctx = model.context
    routes = [RawRoute(shift=model.vehicles[0], jobs=[0, 2], starts=[t(10), t(60)],
                       departure=t(0), break_start=None)]
    nodes = model.as_nodes(routes)
    assert [[ctx.manager.IndexToNode(i) for i in r] for r in nodes] == [[0, 1], [], []]
    assert model.at(ctx.seconds(t(60))) == t(60)
    plan = model.plan(routes, PlanStatus.FEASIBLE, timedelta(seconds=1), {})
    assert_valid(problem, plan)
    assert [r.request_ids for r in plan.routes] == [("J0", "J2")]
    assert {u.request_id: u.reason.value for u in plan.unassigned} == {
        "GAS": "no_qualified_technician", "PIN": "pin_infeasible"}
