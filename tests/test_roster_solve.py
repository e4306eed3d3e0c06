"""solve_roster: parameters, stop and progress, statuses, DST, nights, multi-skill."""

from __future__ import annotations

import threading
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from fieldops.domain.errors import FieldError
from fieldops.domain.roster import (
    Contract,
    RosterParams,
    RosterProblem,
    RosterProgress,
    RosterStatus,
    roster_verdict,
)
from fieldops.solver.roster import solve_roster
from fieldops.validators.roster import assert_roster_valid
from roster_fixtures import agent, need, problem, solve, template

BERLIN = ZoneInfo("Europe/Berlin")


def busy(n_agents: int = 6, days: int = 14) -> RosterProblem:
    """A problem with some search in it (several agents, queues and templates)."""
    templates = (template("E", 6, 8), template("L", 14, 8), template("N", 22, 8))
    agents = tuple(agent(f"a{k}", "x", "y") if k % 2 else agent(f"a{k}", "x")
                   for k in range(n_agents))
    reqs = tuple(need(d, h, q, 1 + (d + h) % 2) for d in range(days)
                 for h in (7, 15, 23) for q in ("x", "y"))
    return problem(days=days, agents=agents, templates=templates, queues=("x", "y"),
                   requirements=reqs,
                   contracts=(Contract("c", max_consecutive_days=4, min_consecutive_days_off=2,
                                       min_rest=timedelta(hours=11)),))


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"time_limit": 0}, "time_limit"),
    ({"time_limit": True}, "time_limit"),
    ({"workers": 0}, "workers"),
    ({"seed": -1}, "seed"),
])
def test_params_are_validated(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(FieldError) as err:
        RosterParams(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


def test_wrong_argument_types_raise_field_errors() -> None:
    p = problem()
    with pytest.raises(FieldError, match="params"):
        solve_roster(p, {"time_limit": 1})  # type: ignore[arg-type]
    with pytest.raises(FieldError, match="problem"):
        solve_roster("nope")  # type: ignore[arg-type]


def test_stop_event_set_before_start_cancels_with_a_valid_roster() -> None:
    p = busy()
    stop = threading.Event()
    stop.set()
    r = solve_roster(p, RosterParams(time_limit=30, workers=1), stop=stop)
    assert r.status == RosterStatus.CANCELLED
    assert_roster_valid(p, r)


def test_stop_event_during_search_returns_best_so_far() -> None:
    p = busy(n_agents=10, days=28)
    stop = threading.Event()
    seen: list[RosterProgress] = []

    def progress(update: RosterProgress) -> None:
        seen.append(update)
        stop.set()  # stop at the first roster found

    r = solve_roster(p, RosterParams(time_limit=60, workers=1), progress=progress, stop=stop)
    assert seen, "no progress reported"
    assert r.status in (RosterStatus.CANCELLED, RosterStatus.OPTIMAL)
    assert r.assignments
    assert_roster_valid(p, r)
    assert r.objective <= seen[0].objective


def test_progress_reports_improving_rosters_and_the_best_is_returned() -> None:
    p = busy()
    seen: list[RosterProgress] = []
    r = solve(p, time_limit=10, progress=seen.append)
    assert seen
    objectives = [u.objective for u in seen]
    assert objectives == sorted(objectives, reverse=True)
    assert [u.solutions for u in seen] == list(range(1, len(seen) + 1))
    assert r.objective <= objectives[-1]
    hint = r.info["hint_objective"]
    assert hint is not None and r.objective <= hint


def test_time_limit_counts_and_status_is_reported() -> None:
    r = solve(problem(requirements=(need(0, 9),)), time_limit=5)
    assert r.status == RosterStatus.OPTIMAL
    assert r.objective == 0 and r.info["engine"] == "cp-sat"


def test_docs_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "roster.md").read_text()
    block = doc.split("<!-- roster-example -->", 1)[1].split("```python", 1)[1]
    code = block.split("```", 1)[0]
    exec(compile(code, "docs/roster.md", "exec"), {})
    out = capsys.readouterr().out
    assert out.startswith("roster ") and "interval_start" in out


@pytest.mark.parametrize(("status", "short", "words"), [
    (RosterStatus.OPTIMAL, 334, "optimal for the agents available, 334 agent-intervals short"),
    (RosterStatus.OPTIMAL, 1, "optimal for the agents available, 1 agent-interval short"),
    (RosterStatus.OPTIMAL, 0, "optimal, every required agent-interval staffed"),
    ("time_limit", 12,
     "best found in the time limit (not proven optimal), 12 agent-intervals short"),
    (RosterStatus.INFEASIBLE, 0, "infeasible: no roster keeps every hard rule"),
])
def test_verdict_never_says_a_bare_optimal_when_short(status: RosterStatus | str, short: int,
                                                      words: str) -> None:
    assert roster_verdict(status, short) == words


def test_an_understaffed_optimal_roster_says_how_short_it_is() -> None:
    # One agent, one 8-hour template, two heads wanted at 09:00: one head is short
    # whatever the roster, so CP-SAT proves optimality with a shortfall.
    p = problem(requirements=(need(0, 9, required=2),))
    r = solve(p, time_limit=5)
    assert_roster_valid(p, r)
    assert r.status == RosterStatus.OPTIMAL and r.short == 1
    assert r.verdict == "optimal for the agents available, 1 agent-interval short"
    assert r.summary().splitlines()[0].startswith(
        "roster optimal for the agents available, 1 agent-interval short:")


def test_a_large_model_the_lns_can_search_leaves_it_most_of_the_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from fieldops.solver.roster import lns, solve
    m, _ = solve.build_model(busy())
    assert solve.full_share(m) == solve.FULL_SHARE
    # over LARGE_MODEL shift variables: CP-SAT on the whole model had all the time,
    # and on Curtois-Qu 13 only returned the heuristic's roster
    monkeypatch.setattr(solve, "LARGE_MODEL", 1)
    monkeypatch.setattr(lns, "LARGE_MODEL", 1)
    assert solve.full_share(m) == solve.FULL_SHARE_MID < solve.FULL_SHARE
    # ... unless the whole model is too large for the LNS's sub-solves
    monkeypatch.setattr(lns, "LNS_MAX_VARIABLES", 1)
    assert solve.full_share(m) == solve.FULL_SHARE_LARGE
