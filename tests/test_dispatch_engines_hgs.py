"""engines/hgs.py: the PyVRP mapping, what it refuses, the routes it returns."""

from __future__ import annotations

import itertools
import time

from fieldops.solver.dispatch.engines import hgs

from line_world import check_flat_routes, tiny_flat


def test_hgs_refuses_what_it_cannot_express() -> None:
    assert hgs.why_not(tiny_flat()) is None
    assert hgs.why_not(tiny_flat(breaks=True)) == "lunch breaks"


def test_hgs_routes_respect_windows_and_allowed_vehicles() -> None:
    flat = tiny_flat()
    result = hgs.solve(flat, 0.5, seed=3, all_required=True)
    assert result.feasible
    check_flat_routes(flat, result.routes)


def test_stagnation_counts_only_once_a_feasible_cost_is_known(monkeypatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(hgs.time, "monotonic", lambda: clock[0])
    criterion = hgs._Stagnation(hgs.Until(1000.0, None), window=2.0)
    assert not criterion(hgs.INFEASIBLE_COST)
    clock[0] = 105.0  # five seconds with nothing feasible: still searching
    assert not criterion(hgs.INFEASIBLE_COST) and not criterion.stagnated
    assert not criterion(70)  # the first feasible cost starts the window
    clock[0] = 106.5
    assert not criterion(70)
    assert not criterion(60)  # better: the window starts again
    clock[0] = 108.4
    assert not criterion(60)
    clock[0] = 108.5
    assert criterion(60) and criterion.stagnated
    clock[0] = 1000.0  # the deadline ends a search that is not stagnant
    fresh = hgs._Stagnation(hgs.Until(1000.0, None), window=2.0)
    assert fresh(50) and not fresh.stagnated


def test_a_stagnant_search_restarts_from_its_own_start_and_the_best_of_all_is_kept(
        monkeypatch) -> None:
    costs = itertools.cycle([50, 30, 40])
    calls: list[tuple[int, object]] = []
    started: list[float] = []

    class Found:
        def __init__(self, cost: int) -> None:
            self.cost, self.best, self.num_iterations = cost, self, 7

    def fake_solve(data, stop, *, seed, display, initial_solution, collect_stats):
        calls.append((seed, initial_solution))
        started.append(time.monotonic())
        found = Found(next(costs))
        while not stop(found.cost):
            time.sleep(0.001)
        return found

    monkeypatch.setattr(hgs.pyvrp, "solve", fake_solve)
    monkeypatch.setattr(hgs, "cost_of", lambda data, solution: solution.cost)
    details: dict[str, object] = {}
    until = time.monotonic() + 0.8
    best, iterations = hgs._restarting_search(
        None, "start", 4, until, lambda: False, 0.05, details)
    assert best.cost == 30
    assert len(calls) >= 3 and details["restarts"] == len(calls) - 1
    assert iterations == 7 * len(calls)
    # the first search from the given start with the given seed, the others afresh
    assert calls[0] == (4, "start")
    assert [c[1] for c in calls[1:]] == [None] * (len(calls) - 1)
    assert [c[0] for c in calls] == [4 + hgs.RESTART_SEED_STRIDE * k for k in range(len(calls))]
    # no restart is begun in the last moments of the budget
    assert max(started) <= until - hgs.MIN_RESTART_SECONDS + 0.01


def test_hgs_restarts_a_converged_day_and_its_routes_stay_valid() -> None:
    flat = tiny_flat()
    result = hgs.solve(flat, 1.0, seed=3, all_required=True, restart_after=0.05)
    assert result.feasible and int(result.details["restarts"]) >= 1  # type: ignore[call-overload]
    check_flat_routes(flat, result.routes)
    plain = hgs.solve(flat, 0.3, seed=3, all_required=True)
    assert "restarts" not in plain.details
