"""benchmarks/_live_sim.py and benchmarks/live_day.py: the simulated live day."""

from __future__ import annotations

import itertools
import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._live_sim import Execution, Stream, StreamParams, event_stream
from benchmarks.live_day import POLICIES, main
from fieldops.data.sample import generate_field_day
from fieldops.domain.live import (
    Cancellation,
    Delay,
    JobStatus,
    NewRequest,
    StatusReport,
    Unavailability,
)
from fieldops.domain.plan import DispatchPlan
from fieldops.domain.problem import DispatchProblem
from fieldops.solver.dispatch import SolveParams, solve_dispatch


@pytest.fixture(scope="module")
def morning() -> tuple[DispatchProblem, DispatchPlan]:
    problem = generate_field_day(40, 5, seed=3)
    return problem, solve_dispatch(problem, SolveParams(time_limit=1))


def test_the_stream_holds_the_shares_of_the_issue_and_is_seeded(
        morning: tuple[DispatchProblem, DispatchPlan]) -> None:
    problem, plan = morning
    stream = event_stream(problem, plan, StreamParams(), seed=7)
    kinds = [type(e) for _, e in stream.disruptions]
    assert kinds.count(Cancellation) == 2  # 5 % of 40
    assert kinds.count(NewRequest) == 1  # 3 % of 40
    assert len(stream.overrun) == 6  # 15 % of 40
    assert all(timedelta(minutes=15) <= d <= timedelta(minutes=60)
               for d in stream.overrun.values())
    out = [e for _, e in stream.disruptions if isinstance(e, Unavailability)]
    assert len(out) == 2 and sorted(e.end is None for e in out) == [False, True]
    again = event_stream(problem, plan, StreamParams(), seed=7)
    assert again.disruptions == stream.disruptions and again.overrun == stream.overrun


def test_technicians_work_the_published_plan_in_order_never_early_nor_while_out(
        morning: tuple[DispatchProblem, DispatchPlan]) -> None:
    problem, plan = morning
    stream = event_stream(problem, plan, StreamParams(), seed=7)
    route = max(plan.routes, key=lambda r: len(r.jobs))
    first = route.jobs[0]
    assert first.request_id is not None
    gone = Unavailability(route.technician_id, first.end, first.end + timedelta(hours=2),
                          "vehicle broken", first.end)
    quiet = Stream([], stream.factor, {first.request_id: timedelta(minutes=30)})
    ex = Execution(problem, plan, quiet, reports=[gone])
    ex.advance(max(s.latest_end for s in problem.shifts) + timedelta(hours=3))
    assert ex.actual[first.request_id][0] == first.start
    planned = {s.request_id: s.start for r in plan.routes for s in r.jobs}
    assert all(start >= planned[rid] for rid, (start, _) in ex.actual.items())
    mine = [ex.actual[s.request_id] for s in route.jobs if s.request_id in ex.actual]
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(mine))
    assert all(not gone.covers(start, end) for start, end in mine[1:])
    delays = [e for e in ex.reports if isinstance(e, Delay)]
    assert [d.request_id for d in delays] == [first.request_id]
    assert delays[0].expected_end == ex.actual[first.request_id][1]
    on_site = {e.request_id for e in ex.reports if isinstance(e, StatusReport)
               and e.status is JobStatus.ON_SITE}
    assert on_site == set(ex.actual)


def test_the_three_policies_play_the_same_day_and_every_plan_is_validated(
        tmp_path: Path) -> None:
    out = tmp_path / "live_day.json"
    main(["--jobs", "30", "--techs", "4", "--seed", "2", "--morning-limit", "1",
          "--solve-limit", "1", "--tick", "60", "--output", str(out)])
    rows = json.loads(out.read_text())["policies"]
    assert [r["policy"] for r in rows] == list(POLICIES)
    for row in rows:
        assert row["plans_validated"] == row["publishes"] > 0  # asserted inside each publish
        assert row["completed_total"] <= 30 + row["emergencies"]
        assert row["changes"] == row["reassigned"] + row["retimed"] + row["dropped"]
    assert rows[2]["solves"] == 0 < rows[1]["solves"]
