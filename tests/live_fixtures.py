"""A small published day on the line world, for the live-day tests.

Technician A lives at km 0 and B at km 50; every job takes 30 minutes, driving 1 km
takes a minute, shifts run 08:00–17:00 (minute 0–540). The published plan is timed
by the solver's own evaluator (``evaluate_routes``): A serves A1 (km 10) 08:10,
A2 (km 20) 08:50, A3 (km 30) 09:30; B serves B1 (km 40) 08:10, B2 (km 60) 09:00.
A2 has two windows, the published start in the first. Spare places (``E`` at
km 25, ``F`` at km 55) are in the travel matrix for new requests.
"""

from __future__ import annotations

from collections.abc import Sequence

from fieldops.domain import DispatchPlan, DispatchProblem, Location, ServiceRequest, TimeWindow
from fieldops.domain.live import LiveDay, LiveEvent
from fieldops.solver.dispatch.solve import evaluate_routes
from fieldops.validators.dispatch import assert_valid

from line_world import LineWorld, mins, t

ROUTES = {"S-A": ["A1", "A2", "A3"], "S-B": ["B1", "B2"]}


class Day:
    def __init__(self, **weights: object) -> None:
        w = LineWorld()
        self.world = w
        techs = [w.technician("A", 0), w.technician("B", 50)]
        jobs = [w.job("A1", 10), w.job("A2", 20, windows=(TimeWindow(t(30), t(120)),
                                                           TimeWindow(t(300), t(400)))),
                w.job("A3", 30), w.job("B1", 40), w.job("B2", 60)]
        self.spare: dict[str, Location] = {"E": w.at(25, "E"), "F": w.at(55, "F"),
                                           "G": w.at(5, "G")}
        self.problem: DispatchProblem = w.problem(techs, jobs)
        self.published: DispatchPlan = evaluate_routes(self.problem, ROUTES)
        assert_valid(self.problem, self.published)

    def live(self, minute: float, events: Sequence[LiveEvent] = ()) -> LiveDay:
        return LiveDay(self.problem, self.published, t(minute), tuple(events))

    def request(self, rid: str, place: str, duration: float = 30, **kwargs: object
                ) -> ServiceRequest:
        return ServiceRequest(id=rid, location=self.spare[place], duration=mins(duration),
                              **kwargs)  # type: ignore[arg-type]


def starts(plan: DispatchPlan) -> dict[str, tuple[str, object]]:
    """request id → (technician, start) of every routed job."""
    return {s.request_id: (r.technician_id, s.start) for r in plan.routes for s in r.jobs
            if s.request_id is not None}
