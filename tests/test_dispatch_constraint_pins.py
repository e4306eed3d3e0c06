"""constraints/pins.py: pinned technician and pinned start (hard)."""

from __future__ import annotations

from fieldops.solver.dispatch.constraints import pins

from dispatch_timed import timed
from line_world import LineWorld, assignment, job_step, solve, t


def test_a_job_off_its_pinned_technician_or_start_counts_once() -> None:
    w = LineWorld()
    a, b = w.technician("A", 0), w.technician("B", 0)
    jobs = [w.job("TO_B", 5, pinned_technician="B"),
            w.job("AT_40", 10, pinned_technician="A", pinned_start=t(40)),
            w.job("AT_90", 15, pinned_technician="A", pinned_start=t(90))]
    problem = w.problem([a, b], jobs)
    # TO_B on A's route; AT_40 served at 40 as pinned; AT_90 served at 75.
    route = timed(problem, "S-A", [("TO_B", 5), ("AT_40", 40), ("AT_90", 75)])
    got = pins.check(problem, route)
    assert got.hard and got.constraint == "pins"
    assert got.amount == 2


def test_pin_forces_technician_and_frozen_start() -> None:
    # A is closer, but the job is pinned to B at 10:00 (work promised to the minute).
    w = LineWorld()
    a, b = w.technician("A", 0), w.technician("B", 50)
    job = w.job("J", 1, pinned_technician="B", pinned_start=t(120))
    plan = solve(w.problem([a, b], [job]))
    assert assignment(plan) == {"J": "B"}
    assert job_step(plan, "J").start == t(120)
