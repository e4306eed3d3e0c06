"""constraints/skills.py: skills at level, required and excluded technicians (hard)."""

from __future__ import annotations

from fieldops.domain import Skill
from fieldops.solver.dispatch.constraints import skills

from dispatch_timed import timed
from line_world import LineWorld


def test_each_job_the_technician_may_not_serve_counts_once() -> None:
    w = LineWorld()
    a = w.technician("A", 0, [Skill("hvac", 1)])
    b = w.technician("B", 0, [Skill("hvac", 3)])
    jobs = [w.job("LEVEL", 5, required_skills=(Skill("hvac", 2),)),
            w.job("EXCL", 10, excluded_technicians=("A",)),
            w.job("REQ", 15, required_technicians=("B",)),
            w.job("FINE", 20, required_skills=(Skill("hvac", 1),))]
    problem = w.problem([a, b], jobs)
    starts = [("LEVEL", 5), ("EXCL", 40), ("REQ", 75), ("FINE", 110)]
    got = skills.check(problem, timed(problem, "S-A", starts))
    assert got.hard and got.constraint == "skills"
    assert got.amount == 3
    assert skills.check(problem, timed(problem, "S-B", starts)).amount == 0
