"""Skill-based routing simulation: agrees with Erlang C on one queue, routes only to
skilled agents, honours queue priority, pools, simulates a roster, staffs by simulation."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from fieldops.domain.errors import FieldError
from fieldops.domain.workforce import ContactVolumes
from fieldops.solver.staffing import erlang_c
from fieldops.solver.staffing.routing import (
    RoutedAgent,
    RoutedQueue,
    pooled_agents,
    simulate_roster,
    simulate_routing,
)
from fieldops.validators.roster import assert_roster_valid
from roster_fixtures import agent, need, problem, solve

HALF_HOUR = 1800.0
ALWAYS = ((0.0, 1e9),)


def team(n: int, *queues: str) -> list[RoutedAgent]:
    return [RoutedAgent(f"a{k}", dict.fromkeys(queues, 3), ALWAYS) for k in range(n)]


def steady(qid: str, per_half_hour: float, intervals: int = 12, **kw: object) -> RoutedQueue:
    return RoutedQueue(qid, [per_half_hour / HALF_HOUR] * intervals, [180.0] * intervals,
                       **kw)  # type: ignore[arg-type]


def mean_sl(frame: pd.DataFrame, queue: str, skip: int = 2) -> float:
    rows = frame[(frame["queue"] == queue) & (frame["interval"] >= skip)]
    return float(rows["service_level"].mean())


def test_one_queue_agrees_with_erlang_c() -> None:
    # 10 Erlangs, 14 agents: Erlang C says SL 88.8 % (docs/workforce.md).
    frame = simulate_routing([steady("v", 100)], team(14, "v"), HALF_HOUR, replications=8,
                             seed=3)
    expected = erlang_c(14, 100 / HALF_HOUR, 180.0, 20.0).sl_offered
    assert mean_sl(frame, "v") == pytest.approx(expected, abs=0.04)
    assert set(frame.columns) >= {"service_level", "service_level_ci", "asa_seconds"}


def test_contacts_go_only_to_agents_with_the_skill() -> None:
    frame = simulate_routing([steady("v", 20), steady("c", 20)], team(10, "v"), HALF_HOUR,
                             replications=2)
    assert mean_sl(frame, "v") > 0.95
    assert mean_sl(frame, "c") == 0.0  # nobody may answer chat: every contact waits


def test_the_higher_priority_queue_is_served_first() -> None:
    # Four agents for 3.6 Erlangs: busy; a free agent takes the first queue first.
    # The same arrivals (seeds) with the priorities swapped.
    def sl_of_a(priority_a: int) -> float:
        queues = [steady("a", 18, priority=priority_a), steady("b", 18, priority=1)]
        frame = simulate_routing(queues, team(4, "a", "b"), HALF_HOUR, replications=4,
                                 seed=5)
        return mean_sl(frame, "a") - mean_sl(frame, "b")

    assert sl_of_a(0) > 0.1 and sl_of_a(2) < -0.1


def test_a_pooled_team_beats_the_same_heads_split_by_queue() -> None:
    queues = [steady("x", 50), steady("y", 50)]  # 5 Erlangs each
    split = [*team(7, "x"), *[RoutedAgent(f"b{k}", {"y": 3}, ALWAYS) for k in range(7)]]
    pooled = team(14, "x", "y")
    by_queue = simulate_routing(queues, split, HALF_HOUR, replications=5, seed=1)
    together = simulate_routing(queues, pooled, HALF_HOUR, replications=5, seed=1)
    for q in ("x", "y"):
        assert mean_sl(together, q) > mean_sl(by_queue, q)


def test_pooled_agents_is_the_smallest_team_meeting_every_target() -> None:
    queues = [steady("x", 50, intervals=6), steady("y", 30, intervals=6)]
    n, frame = pooled_agents(queues, 0.8, 20.0, HALF_HOUR, start=5, replications=3, seed=2)
    per_queue = frame[frame["interval"] >= 1].groupby("queue")["service_level"].mean()
    assert (per_queue >= 0.8).all()
    fewer = simulate_routing(queues, team(n - 1, "x", "y"), HALF_HOUR, replications=3, seed=2)
    below = fewer[fewer["interval"] >= 1].groupby("queue")["service_level"].mean()
    assert (below < 0.8).any()


def test_a_roster_is_simulated_with_every_skill_of_its_agents() -> None:
    p = problem(days=1, agents=(agent("a", "x", "y"), agent("b", "x")), queues=("x", "y"),
                requirements=tuple(need(0, h, q) for h in range(8, 16) for q in ("x", "y")))
    roster = solve(p)
    assert_roster_valid(p, roster)
    starts = pd.date_range("2026-03-02T08:00Z", periods=8, freq="1h")
    demand = ContactVolumes(pd.DataFrame(
        [(t, q, 6.0, 240.0) for q in ("x", "y") for t in starts],
        columns=["interval_start", "queue", "offered", "aht_seconds"]), timedelta(hours=1))
    frame = simulate_roster(roster, p, demand, replications=3, priority=("y",))
    assert len(frame) == 16 and set(frame["queue"]) == {"x", "y"}
    assert frame["interval_start"].min() == starts[0]
    assert (frame["service_level"].between(0, 1)).all()
    assert frame["offered_mean"].mean() == pytest.approx(6.0, rel=0.5)


def test_bad_arguments() -> None:
    with pytest.raises(FieldError, match="queues"):
        simulate_routing([], team(1, "x"), HALF_HOUR)
    with pytest.raises(FieldError, match="replications"):
        simulate_routing([steady("x", 1)], team(1, "x"), HALF_HOUR, replications=0)


def test_pooled_staffing_per_interval_never_needs_more_than_per_queue_erlang() -> None:
    from fieldops.domain.workforce import StaffingTarget
    from fieldops.solver.staffing.routing import pooled_staffing

    starts = pd.date_range("2026-03-02T08:00Z", periods=2, freq="30min")
    demand = ContactVolumes(pd.DataFrame(
        [(t, q, v, 180.0) for t in starts for q, v in (("voice/en", 50.0), ("voice/de", 50.0),
                                                       ("email/en", 10.0))],
        columns=["interval_start", "queue", "offered", "aht_seconds"]), timedelta(minutes=30))
    frame = pooled_staffing(demand, StaffingTarget(service_level=0.8), replications=3)
    assert list(frame["interval_start"]) == list(starts)
    assert (frame["per_queue_agents"] == 16).all()  # 8 + 8: email is not simulated
    assert (frame["pooled_agents"] < frame["per_queue_agents"]).all()
    assert (frame["saved"] == frame["per_queue_agents"] - frame["pooled_agents"]).all()


def test_a_learner_takes_longer_as_erlang_c_with_its_handle_time() -> None:
    # 5 Erlangs at the forecast's 3 minutes; learners (capacity 0.5) take 6 minutes,
    # so 14 learners face 10 Erlangs: Erlang C with the doubled handle time.
    learners = [RoutedAgent(f"l{k}", {"v": 1}, ALWAYS) for k in range(14)]
    frame = simulate_routing([steady("v", 50)], learners, HALF_HOUR, replications=8, seed=3)
    expected = erlang_c(14, 50 / HALF_HOUR, 360.0, 20.0).sl_offered
    assert mean_sl(frame, "v") == pytest.approx(expected, abs=0.04)
    experts = simulate_routing([steady("v", 50)], team(14, "v"), HALF_HOUR, replications=8,
                               seed=3)
    assert mean_sl(experts, "v") > mean_sl(frame, "v") + 0.05


def test_a_team_of_specialists_needs_more_agents_than_a_cross_skilled_one() -> None:
    # Two queues of 1 Erlang: specialists (skills alternate q0, q1) cannot pool.
    queues = [steady(f"q{k}", 10, intervals=4) for k in range(2)]
    full, _ = pooled_agents(queues, 0.8, 20.0, HALF_HOUR, start=2, replications=2, seed=2)
    split, frame = pooled_agents(queues, 0.8, 20.0, HALF_HOUR, start=2, replications=2,
                                 seed=2, skills=[("q0",), ("q1",)])
    assert split > full
    measured = frame[frame["interval"] >= 1].groupby("queue")["service_level"].mean()
    assert (measured >= 0.8).all()
