"""constraints/pins.py: pinned technician and pinned start (hard)."""

from __future__ import annotations

from fieldops.solver.dispatch.constraints import pins

from dispatch_timed import timed
from line_world import LineWorld, t


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
