"""constraints/skills.py: skills at level, required and excluded technicians (hard)."""

from __future__ import annotations

from fieldops.domain import Skill
from fieldops.solver.dispatch.constraints import skills

from dispatch_timed import timed
from line_world import LineWorld, assignment, reasons, solve


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


def test_skill_levels_decide_who_can_go() -> None:
    # A lives next to the job but holds hvac at level 1; the job needs level 2, so
    # only B (level 3, 40 km away) may take it despite the longer drive.
    w = LineWorld()
    a = w.technician("A", 0, [Skill("hvac", 1)])
    b = w.technician("B", 40, [Skill("hvac", 3)])
    job = w.job("J", 1, required_skills=(Skill("hvac", 2),))
    plan = solve(w.problem([a, b], [job]))
    assert assignment(plan) == {"J": "B"}


def test_required_and_excluded_technicians() -> None:
    # Both are qualified and A is nearer; exclusion sends J1 to B, and J2's
    # requirement sends it to B as well. J3 excludes both: nobody is left.
    w = LineWorld()
    a, b = w.technician("A", 0), w.technician("B", 30)
    j1 = w.job("J1", 2, excluded_technicians=("A",))
    j2 = w.job("J2", 3, required_technicians=("B",))
    j3 = w.job("J3", 4, excluded_technicians=("A", "B"))
    plan = solve(w.problem([a, b], [j1, j2, j3]))
    assert assignment(plan) == {"J1": "B", "J2": "B"}
    assert reasons(plan) == {"J3": "excluded_everywhere"}
