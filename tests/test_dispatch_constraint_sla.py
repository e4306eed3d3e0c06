"""constraints/sla.py: hours late × sla_lateness_per_hour × the tier's weight."""

from __future__ import annotations

from datetime import timedelta

from fieldops.domain import ContractTier, ObjectiveWeights
from fieldops.solver.dispatch.constraints import sla

from dispatch_timed import timed
from line_world import LineWorld, t


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
