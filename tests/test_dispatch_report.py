"""The typed solve report (``fieldops.solver.dispatch.report``) and ``plan.solver``."""

from __future__ import annotations

from fieldops.solver.dispatch.context import COST_SCALE
from fieldops.solver.dispatch.improve import RuinStats
from fieldops.solver.dispatch.report import EngineRun, SolveReport


def report() -> SolveReport:
    return SolveReport(engine="vroom", time_limit=10, first_solution="automatic",
                       metaheuristic="guided_local_search", seed=0, jobs_modelled=5,
                       vehicles_modelled=2)


def test_fields_left_unset_are_keys_the_record_does_not_have() -> None:
    assert report().to_dict() == {
        "engine": "vroom", "time_limit": 10, "first_solution": "automatic",
        "metaheuristic": "guided_local_search", "seed": 0, "jobs_modelled": 5,
        "vehicles_modelled": 2}


def test_engine_runs_and_ruin_stats_serialise_as_the_plan_record() -> None:
    r = report()
    r.engines = {
        "vroom": EngineRun(seconds=1.5, feasible=True, assigned=4, travel_seconds=5400,
                           details={"exploration": 5}, pyvrp_skipped="lunch breaks",
                           objective_internal=12.5, repaired_jobs=1),
        "pyvrp-hgs": EngineRun(stopped=True),
    }
    r.ruin_recreate = RuinStats(iterations=7, accepted=3, improved=2,
                                start_cost=50 * COST_SCALE, best_cost=40 * COST_SCALE,
                                seconds=0.12345)
    r.routing_status = [1, 1]
    out = r.to_dict()
    assert out["engines"] == {
        "vroom": {"seconds": 1.5, "feasible": True, "assigned": 4, "travel_hours": 1.5,
                  "exploration": 5, "pyvrp_skipped": "lunch breaks",
                  "objective_internal": 12.5, "repaired_jobs": 1},
        "pyvrp-hgs": {"stopped": True},
    }
    assert out["ruin_recreate"] == {"seconds": 0.123, "iterations": 7, "accepted": 3,
                                    "improvements": 2, "start_objective": 50.0,
                                    "best_objective": 40.0}
    assert out["routing_status"] == [1, 1]
    assert EngineRun(error="RuntimeError: x").to_dict() == {"error": "RuntimeError: x"}
