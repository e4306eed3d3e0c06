"""constraints/sla.py: hours late × sla_lateness_per_hour × the tier's weight."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fieldops.domain import (
    ContractTier,
    ObjectiveWeights,
)
from fieldops.solver.dispatch.constraints import sla

from dispatch_timed import timed
from line_world import LineWorld, assignment, job_step, mins, solve, t


def test_each_late_job_pays_its_hours_late_times_its_tier_weight() -> None:
    w = LineWorld()
    a = w.technician("A", 0)
    gold = ContractTier("gold", response_time=timedelta(hours=1), lateness_weight=3.0)
    # Deadlines: minute 60 for both. G1 starts at 90 (30 min late), G2 at 150 (90 min).
    g1 = w.job("G1", 10, contract_tier="gold", created_at=t(0))
    g2 = w.job("G2", 40, contract_tier="gold", created_at=t(0))
    on_time = w.job("OK", 45, contract_tier="gold", created_at=t(200))
    problem = w.problem([a], [g1, g2, on_time], tiers=[gold],
                        weights=ObjectiveWeights(sla_lateness_per_hour=100.0))
    route = timed(problem, "S-A", [("G1", 90), ("G2", 150), ("OK", 185)])
    got = sla.penalty(problem, route)
    hours_late = 0.5 + 1.5
    assert got.constraint == "sla"
    assert got.amount == hours_late
    assert got.cost == hours_late * 100.0 * 3.0
    assert len(got.explanation) == 2


def test_a_job_without_a_tier_is_never_late() -> None:
    w = LineWorld()
    a = w.technician("A", 0)
    problem = w.problem([a], [w.job("J", 10, created_at=t(-600))])
    assert sla.penalty(problem, timed(problem, "S-A", [("J", 400)])).cost == 0


def test_sla_deadline_reorders_the_route() -> None:
    # NEAR (km 10) and GOLD (km 30), 60 minutes each. Travel alone prefers NEAR
    # first (10 + 20 + 30 = 60 km) over GOLD first (30 + 20 + 10 = 60 km: equal),
    # so make NEAR-first strictly cheaper by putting NEAR on the way home: home at 0,
    # NEAR at 5, GOLD at 30. NEAR first: 5+25+30 = 60; GOLD first: 30+25+5 = 60.
    # Travel ties; the SLA breaks the tie decisively: GOLD's deadline is 09:00
    # (created 05:00 + 4 h) and only GOLD-first meets it (arrives 08:30).
    w = LineWorld()
    a = w.technician("A", 0)
    gold = ContractTier("gold", response_time=timedelta(hours=4))
    near = w.job("NEAR", 5, duration=60)
    urgent = w.job("GOLD", 30, duration=60, contract_tier="gold", created_at=t(-180))
    plan = solve(w.problem([a], [near, urgent], tiers=[gold]))
    assert plan.routes[0].request_ids == ("GOLD", "NEAR")
    step = job_step(plan, "GOLD")
    assert step.sla_deadline == t(60) and step.sla_lateness == timedelta(0)
    assert plan.kpis.sla_met == 1 and plan.kpis.sla_breached == 0


def test_sla_breach_is_reported_when_unavoidable() -> None:
    # Deadline 08:10 but the site is 30 minutes away: 20 minutes late.
    w = LineWorld()
    a = w.technician("A", 0)
    tier = ContractTier("platinum", response_time=timedelta(hours=1))
    job = w.job("J", 30, contract_tier="platinum", created_at=t(-50))
    plan = solve(w.problem([a], [job], tiers=[tier]))
    assert job_step(plan, "J").sla_lateness == mins(20)
    assert plan.kpis.sla_breached == 1 and plan.penalties["sla"] > 0


def test_a_breach_costs_its_weight_times_the_travel_bound_once_served_or_left_out() -> None:
    from fieldops.domain import Priority, Unassigned, UnassignedReason
    from fieldops.solver.dispatch.constraints import priority

    from dispatch_timed import context_of

    w = LineWorld()
    a = w.technician("A", 0)
    gold = ContractTier("gold", response_time=timedelta(hours=1), lateness_weight=4.0)
    late = w.job("LATE", 10, contract_tier="gold", created_at=t(0))  # due at minute 60
    left = w.job("LEFT", 20, contract_tier="gold", created_at=t(0), priority=Priority.LOW)
    # Created well after the horizon's end: due tomorrow, not a breach when left out.
    later = w.job("LATER", 30, contract_tier="gold", created_at=t(24 * 60))
    weights = ObjectiveWeights(sla_breach=0.5, sla_breach_flat=0.0)
    problem = w.problem([a], [late, left, later], tiers=[gold], weights=weights)
    out = [Unassigned(j.id, j.priority, UnassignedReason.NOT_ENOUGH_CAPACITY, "")
           for j in (left, later)]
    got = sla.breach_penalty(problem, [late], out, travel_bound=1000.0)
    assert got.amount == 2  # LATE served late, LEFT left out though due today
    assert got.cost == 2 * 0.5 * 4.0 * 1000.0
    # In the integer model: a left-out job due today carries the breach in its drop.
    ctx = context_of(problem)
    breach = round(0.5 * 4.0 * ctx.travel_bound)
    assert sla.dropped_breach_cost(ctx, left) == breach
    assert sla.dropped_breach_cost(ctx, later) == 0
    low = round(weights.unassigned[Priority.LOW] * ctx.travel_bound)
    assert priority.drop_penalty(ctx, left) == low + breach


def test_a_flat_breach_costs_the_same_hours_of_driving_whatever_the_days_size() -> None:
    from fieldops.domain import Priority, Unassigned, UnassignedReason
    from fieldops.solver.dispatch.constraints import priority
    from fieldops.solver.dispatch.context import COST_SCALE

    from dispatch_timed import context_of

    w = LineWorld()
    a = w.technician("A", 0)
    gold = ContractTier("gold", response_time=timedelta(hours=1), lateness_weight=4.0)
    late = w.job("LATE", 10, contract_tier="gold", created_at=t(0))
    left = w.job("LEFT", 20, contract_tier="gold", created_at=t(0), priority=Priority.LOW)
    weights = ObjectiveWeights(sla_breach=0.0, sla_breach_flat=900.0)
    problem = w.problem([a], [late, left], tiers=[gold], weights=weights)
    out = [Unassigned(left.id, left.priority, UnassignedReason.NOT_ENOUGH_CAPACITY, "")]
    for bound in (1000.0, 1e6):  # a small day and a large one: the same price
        got = sla.breach_penalty(problem, [late], out, travel_bound=bound)
        assert got.amount == 2
        assert got.cost == 2 * 900.0 * 4.0
    ctx = context_of(problem)
    breach = round(900.0 * 4.0 * COST_SCALE)
    assert sla.dropped_breach_cost(ctx, left) == breach
    low = round(weights.unassigned[Priority.LOW] * ctx.travel_bound)
    assert priority.drop_penalty(ctx, left) == low + breach
    # Both parts add up when both are set.
    both = w.problem([a], [late], tiers=[gold],
                     weights=ObjectiveWeights(sla_breach=0.5, sla_breach_flat=900.0))
    assert sla.breach_penalty(both, [late], [], travel_bound=1000.0).cost == (
        0.5 * 4.0 * 1000.0 + 900.0 * 4.0)


@pytest.mark.parametrize(("b_home", "on_time"), [(50, True), (109, False)])
def test_the_default_objective_drives_up_to_a_breachs_price_to_serve_gold_on_time(
        b_home: float, on_time: bool) -> None:
    # A (km 0) must serve E (km 30, starts 08:30-08:40, 30 min) and can then reach
    # GOLD (km -10) at minute 100, one minute after its deadline (09:39). B, at
    # km -b_home, can serve GOLD on time, for 2 × (b_home - 10) minutes of driving,
    # while A's route shrinks from 80 to 60 minutes: 2 × b_home - 40 minutes more.
    # The default prices the late visit at sla_breach_flat × 4 + a minute's lateness
    # (about two hours): B goes when the detour is 60 minutes (b_home 50), not when
    # it is 178 (b_home 109: B would still be on time, arriving at minute 99).
    from fieldops.domain import TimeWindow

    weights = ObjectiveWeights()
    price_min = (weights.sla_breach_flat * 4 + weights.sla_lateness_per_hour * 4 / 60) / 60
    assert 60 < price_min < 178  # the documented default: a late gold visit ≈ 2 h
    w = LineWorld()
    a, b = w.technician("A", 0), w.technician("B", -b_home)
    gold = ContractTier("gold", response_time=timedelta(hours=1), lateness_weight=4.0)
    east = w.job("E", 30, windows=(TimeWindow(t(30), t(40)),))
    urgent = w.job("GOLD", -10, contract_tier="gold", created_at=t(39))
    plan = solve(w.problem([a, b], [east, urgent], tiers=[gold]))
    assert not plan.unassigned
    step = job_step(plan, "GOLD")
    assert step.sla_deadline == t(99)
    assert (step.sla_lateness == timedelta(0)) is on_time
    assert assignment(plan)["GOLD"] == ("B" if on_time else "A")
