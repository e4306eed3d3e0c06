"""Tiny dispatch worlds on a straight road, for solver tests whose answers can be
worked out by hand.

Places sit at kilometre marks on one road; driving 1 km takes 1 minute, so travel
between two places is ``abs(km_a - km_b)`` minutes. Times are minutes after 08:00
on Monday 2 March 2026 in Paris.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fieldops.domain import (
    ContractTier,
    DispatchPlan,
    DispatchProblem,
    Location,
    LunchBreak,
    ServiceRequest,
    Shift,
    Skill,
    Technician,
    TimeWindow,
    TravelMatrix,
    TravelSettings,
)
from fieldops.solver.dispatch import SolveParams, solve_dispatch
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
