"""Tiny dispatch worlds on a straight road, for solver tests whose answers can be
worked out by hand.

Places sit at kilometre marks on one road; driving 1 km takes 1 minute, so travel
between two places is ``abs(km_a - km_b)`` minutes. Times are minutes after 08:00
on Monday 2 March 2026 in Paris.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from fieldops.domain import (
    ContractTier,
    DispatchPlan,
    DispatchProblem,
    Location,
    LunchBreak,
    Priority,
    ServiceRequest,
    Shift,
    Skill,
    Technician,
    TimeWindow,
    TravelMatrix,
    TravelSettings,
)
from fieldops.solver.dispatch import SolveParams, solve_dispatch
from fieldops.solver.dispatch.engines import EngineResult
from fieldops.solver.dispatch.engines.flat import FlatJob, FlatProblem, FlatVehicle
from fieldops.validators.dispatch import assert_valid

TZ = ZoneInfo("Europe/Paris")
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=TZ)


def t(minutes: float) -> datetime:
    """``minutes`` after 08:00."""
    return T0 + timedelta(minutes=minutes)


def mins(value: float) -> timedelta:
    return timedelta(minutes=value)


class LineWorld:
    """Registers places by kilometre mark and builds the matching travel matrix."""

    def __init__(self) -> None:
        self.marks: list[float] = []

    def at(self, km: float, address: str | None = None) -> Location:
        self.marks.append(km)
        return Location(lat=45.75, lon=4.85 + km / 100, address=address,
                        matrix_index=len(self.marks) - 1)

    def travel(self) -> TravelSettings:
        durations = [[abs(a - b) * 60.0 for b in self.marks] for a in self.marks]
        distances = [[abs(a - b) * 1000.0 for b in self.marks] for a in self.marks]
        return TravelSettings(provider="matrix",
                              matrix=TravelMatrix(durations=durations, distances=distances))

    def technician(self, tech_id: str, km: float = 0.0, skills: Sequence[Skill] = (),
                   capacity: float | None = None) -> Technician:
        return Technician(tech_id, f"Technician {tech_id}", self.at(km, f"home {tech_id}"),
                          skills=tuple(skills), capacity=capacity)

    def job(self, job_id: str, km: float, duration: float = 30, **kwargs: object
            ) -> ServiceRequest:
        return ServiceRequest(id=job_id, location=self.at(km, f"site {job_id}"),
                              duration=mins(duration), **kwargs)  # type: ignore[arg-type]

    def problem(self, technicians: Sequence[Technician], requests: Sequence[ServiceRequest],
                shifts: Sequence[Shift] | None = None,
                tiers: Sequence[ContractTier] = (), **kwargs: object) -> DispatchProblem:
        if shifts is None:
            shifts = [shift(tech.id) for tech in technicians]
        return DispatchProblem(
            horizon=TimeWindow(t(-8 * 60), t(16 * 60)), timezone="Europe/Paris",
            technicians=tuple(technicians), shifts=tuple(shifts),
            requests=tuple(requests), contract_tiers=tuple(tiers), travel=self.travel(),
            **kwargs,  # type: ignore[arg-type]
        )


def shift(tech_id: str, start: float = 0, end: float = 9 * 60, *, lunch: LunchBreak | None = None,
          overtime: float = 0, **kwargs: object) -> Shift:
    return Shift(id=f"S-{tech_id}", technician_id=tech_id, start=t(start), end=t(end),
                 lunch=lunch, max_overtime=mins(overtime), **kwargs)  # type: ignore[arg-type]


def solve(problem: DispatchProblem, seconds: float = 1.0) -> DispatchPlan:
    """Solve and run the independent validator on the result."""
    plan = solve_dispatch(problem, SolveParams(time_limit=seconds))
    assert_valid(problem, plan)
    return plan


def assignment(plan: DispatchPlan) -> dict[str, str]:
    """request id → technician id for every routed job."""
    return {rid: r.technician_id for r in plan.routes for rid in r.request_ids}


def job_step(plan: DispatchPlan, request_id: str):  # type: ignore[no-untyped-def]
    for route in plan.routes:
        for step in route.steps:
            if step.request_id == request_id:
                return step
    raise AssertionError(f"{request_id} not routed")


def reasons(plan: DispatchPlan) -> dict[str, str]:
    return {u.request_id: u.reason.value for u in plan.unassigned}


# Days and spies for the engine tests (engines, candidates, construction).
def solver_info(plan: Any) -> dict[str, Any]:
    """``plan.solver`` as the loosely typed record it is."""
    return dict(plan.solver)


def vrptw_day(n: int = 12) -> Any:
    """Two vans at km 0, jobs with windows along the road: PyVRP can take it."""
    w = LineWorld()
    techs = [w.technician("A", 0), w.technician("B", 0)]
    jobs = [w.job(f"J{i}", (i * 17) % 60, duration=20,
                  windows=(TimeWindow(t((i % 4) * 60), t((i % 4) * 60 + 180)),))
            for i in range(n)]
    return w.problem(techs, jobs)


def lunch_day() -> Any:
    """Lunch breaks, skills, two windows for one job: VROOM's field day."""
    w = LineWorld()
    lunch = LunchBreak(duration=t(30) - t(0), earliest_start=t(180), latest_start=t(240))
    techs = [w.technician("A", 0, skills=[Skill("gas", 2)]), w.technician("B", 40)]
    jobs = [w.job(f"J{i}", (i * 13) % 50, duration=25) for i in range(8)]
    jobs.append(w.job("GAS", 20, duration=30, required_skills=(Skill("gas", 1),),
                      priority=Priority.CRITICAL))
    jobs.append(w.job("TWO", 35, duration=20,
                      windows=(TimeWindow(t(0), t(30)), TimeWindow(t(300), t(360)))))
    shifts = [shift("A", lunch=lunch), shift("B", lunch=lunch, overtime=60)]
    return w.problem(techs, jobs, shifts=shifts)


def tiny_flat(breaks: bool = False) -> FlatProblem:
    """Depot nodes 4..7 at 0; jobs 0..3 one to four time units out; job 3 only on
    vehicle 1; job 0 must start in [100, 200]."""
    places = [1, 2, 3, 4, 0, 0, 0, 0]
    travel = np.array([[abs(a - b) * 10 for b in places] for a in places], dtype=np.int64)
    jobs = tuple(
        FlatJob(service=5, windows=((100, 200),) if j == 0 else ((0, 1000),), load=0,
                allowed=frozenset({1}) if j == 3 else None, priority=2,
                drop_cost=10_000, pinned=False, has_soft_terms=False)
        for j in range(4))
    vehicles = tuple(
        FlatVehicle(start_node=4 + 2 * v, end_node=5 + 2 * v, start=0, soft_end=1000,
                    latest_end=1000, lunch=(50, 400, 30) if breaks else None,
                    capacity=None, labour_cost=0, overtime_cost=0)
        for v in range(2))
    return FlatProblem(travel=travel, cost=travel * 100, jobs=jobs, vehicles=vehicles,
                       horizon=1000)


def check_flat_routes(flat: FlatProblem, routes: list[list[int]]) -> None:
    """Each job once, allowed vehicles kept, windows met with the given travel."""
    served = sorted(j for r in routes for j in r)
    assert served == list(range(flat.n_jobs))
    for v, route in enumerate(routes):
        veh = flat.vehicles[v]
        clock, here = veh.start, veh.start_node
        for j in route:
            job = flat.jobs[j]
            assert job.allowed is None or v in job.allowed
            clock = max(clock + int(flat.travel[here, j]), job.windows[0][0])
            assert clock <= job.windows[-1][1]
            clock += job.service
            here = j
        assert clock + int(flat.travel[here, veh.end_node]) <= veh.latest_end


def spy(monkeypatch: pytest.MonkeyPatch, module: Any, replace: Any = None) -> list[dict[str, Any]]:
    """Record every call of ``module.solve`` (and optionally replace it)."""
    calls: list[dict[str, Any]] = []
    real = module.solve

    def wrapper(flat: FlatProblem, time_limit: float, **kwargs: Any) -> EngineResult:
        calls.append({"flat": flat, "time_limit": time_limit, **kwargs})
        if replace is not None:
            return replace(flat, time_limit, **kwargs)
        return real(flat, time_limit, **kwargs)

    monkeypatch.setattr(module, "solve", wrapper)
    return calls


def state_of(problem: DispatchProblem, params: SolveParams | None = None, *,
             progress: Any = None, stop: Any = None) -> Any:
    """The :class:`~fieldops.solver.dispatch.state.SolveState` a search of ``problem``
    starts from (phase 1 done, nothing searched yet)."""
    from fieldops.solver.dispatch.choice import EngineChoice
    from fieldops.solver.dispatch.deadline import Deadline
    from fieldops.solver.dispatch.model import build_model
    from fieldops.solver.dispatch.pipeline import new_report
    from fieldops.solver.dispatch.state import SolveState

    params = params or SolveParams(time_limit=2)
    deadline = Deadline.starting_now(params.time_limit)
    model = build_model(problem)
    return SolveState(params=params, deadline=deadline, search=deadline, model=model,
                      report=new_report(params, deadline, model),
                      choice=EngineChoice.of(problem), progress=progress, stop=stop)
