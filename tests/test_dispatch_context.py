"""context.py: the integer model's node layout and its clock."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from fieldops.solver.dispatch.model import build_model

from dispatch_timed import context_of
from line_world import LineWorld, shift, t


def _ctx():  # type: ignore[no-untyped-def]
    w = LineWorld()
    techs = [w.technician("A", 0), w.technician("B", 10)]
    problem = w.problem(techs, [w.job(f"J{i}", i) for i in range(3)],
                        shifts=[shift("A", 0, 300), shift("B", 60, 480, overtime=30)])
    return context_of(problem)


def test_jobs_come_first_then_a_start_and_an_end_node_per_vehicle() -> None:
    ctx = _ctx()
    assert ctx.n_jobs == 3
    assert [(ctx.start_node(v), ctx.end_node(v)) for v in range(2)] == [(3, 4), (5, 6)]
    assert [ctx.manager.IndexToNode(ctx.job_index(j)) for j in range(3)] == [0, 1, 2]
    assert ctx.manager.IndexToNode(ctx.routing.Start(1)) == ctx.start_node(1)
    assert ctx.manager.IndexToNode(ctx.routing.End(1)) == ctx.end_node(1)


def test_seconds_count_from_the_origin_and_stay_inside_the_horizon() -> None:
    ctx = _ctx()
    assert ctx.seconds(ctx.origin) == 0
    assert ctx.seconds(ctx.origin + timedelta(minutes=90, seconds=0.6)) == 90 * 60
    assert ctx.seconds(ctx.origin - timedelta(hours=1)) == 0
    assert ctx.seconds(ctx.origin + timedelta(days=30)) == ctx.horizon
    # The horizon reaches the latest end: B's shift end plus its overtime.
    assert ctx.horizon >= ctx.seconds(t(510))


def test_durations_round_up_to_whole_seconds() -> None:
    ctx = _ctx()
    assert ctx.seconds_up(timedelta(seconds=90)) == 90
    assert ctx.seconds_up(timedelta(seconds=90.2)) == 91
    assert ctx.seconds_up(timedelta(seconds=89.9999999999)) == 90  # float noise is not a second
    assert ctx.seconds_up(timedelta(0)) == 0


def test_the_built_model_keeps_only_jobs_some_shift_can_take() -> None:
    # J far away cannot be reached in A's shift: the context holds the other two,
    # and only the shifts some modelled job may use.
    w = LineWorld()
    techs = [w.technician("A", 0)]
    problem = w.problem(techs, [w.job("NEAR", 5), w.job("FAR", 900), w.job("MID", 50)])
    model = build_model(problem)
    ctx = model.context
    assert [j.id for j in ctx.jobs] == ["NEAR", "MID"]
    assert [s.id for s in ctx.vehicles] == ["S-A"]
    assert ctx.allowed == [[0], [0]]
    assert ctx.service_seconds[:2] == [30 * 60, 30 * 60]


def test_node_seconds_are_rounded_up_a_block_of_rows_at_a_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Travel between model nodes in whole seconds, rounded up, float noise below a
    # nanosecond ignored; rows gathered in blocks (of 3 here) across block edges,
    # repeated locations (a shift's start and end) included.
    from fieldops.solver.dispatch import model

    durations = np.array([[0.0, 5.0, 5.0000000001, 7.2],
                          [5.0, 0.0, 59.999999, 1.0 + 1e-12],
                          [4.0, 60.0, 0.0, 3.5],
                          [7.2, 0.5, 2.0, 0.0]])
    nodes = np.array([3, 0, 2, 2, 1, 0, 3])
    monkeypatch.setattr(model, "SECONDS_BLOCK_ROWS", 3)
    seconds = model.whole_seconds(durations, nodes)
    expected = np.ceil(durations - 1e-9).astype(np.int64)[np.ix_(nodes, nodes)]
    assert seconds.dtype == np.int64 and np.array_equal(seconds, expected)
    assert seconds[1, 0] == 8 and seconds[4, 6] == 1 and seconds[2, 4] == 60
