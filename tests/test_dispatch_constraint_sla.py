"""constraints/sla.py: hours late × sla_lateness_per_hour × the tier's weight."""

from __future__ import annotations

from datetime import timedelta

from fieldops.domain import (
    ContractTier,
    ObjectiveWeights,
)
from fieldops.solver.dispatch.constraints import sla

from dispatch_timed import timed
from line_world import LineWorld, job_step, mins, solve, t


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
    weights = ObjectiveWeights(sla_breach=0.5)
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


def test_the_default_breach_ranks_a_late_gold_visit_above_a_low_job_left_out() -> None:
    from fieldops.domain import Priority

    weights = ObjectiveWeights()
    gold_weight = 4.0  # the sample data's gold tier
    assert weights.sla_breach * gold_weight > weights.unassigned[Priority.LOW]
    assert weights.sla_breach * gold_weight < weights.unassigned[Priority.NORMAL]
