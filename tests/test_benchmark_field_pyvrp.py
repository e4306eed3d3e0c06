"""The PyVRP study (``benchmarks/field_pyvrp.py``): the day without lunch, and skills
as routing profiles that PyVRP's feasible plans respect."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import field_pyvrp as fp
from benchmarks.day_shapes import build_day
from fieldops.solver.dispatch.engines.flat import FlatProblem, flat_from_context
from fieldops.solver.dispatch.model import build_model

DAY = ("metro", 40, 6, 3)


def _flat() -> FlatProblem:
    return flat_from_context(build_model(build_day(*DAY), search_jobs=0).context)


def test_lunch_goes_and_each_shift_ends_the_shrunk_lunch_earlier() -> None:
    flat = _flat()
    assert all(v.lunch is not None for v in flat.vehicles)
    relaxed = fp.without_lunch(flat, 0.5)
    assert not relaxed.has_breaks
    for before, after in zip(flat.vehicles, relaxed.vehicles, strict=True):
        assert before.lunch is not None
        cut = before.lunch[2] // 2
        assert (after.soft_end, after.latest_end) == (before.soft_end - cut,
                                                      before.latest_end - cut)
        assert after.start == before.start
    assert relaxed.jobs == flat.jobs


def test_pyvrp_never_gives_a_job_to_a_technician_without_its_skills() -> None:
    flat = _flat()
    assert any(job.allowed is not None and len(job.allowed) < flat.n_vehicles
               for job in flat.jobs)  # the day does restrict some jobs
    routes, info = fp.pyvrp_routes(flat, 1.0, None)
    assert info["feasible"] and info["jobs"] > 0
    for v, route in enumerate(routes):
        for j in route:
            allowed = flat.jobs[j].allowed
            assert allowed is None or v in allowed, (v, j)
