"""The result of a dispatch solve: routes, unassigned jobs, KPIs and penalties."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fieldops.domain.location import Location
from fieldops.domain.requests import Priority


class StepKind(enum.StrEnum):
    START = "start"
    JOB = "job"
    BREAK = "break"
    END = "end"


class UnassignedReason(enum.StrEnum):
    """Why a job is not in the plan.

    All but ``not_enough_capacity`` come from the pre-solve diagnosis, which proves
    the job cannot be placed in any plan; ``not_enough_capacity`` means it could be
    placed alone but the solver found no room for it next to the other work.
    """

    NO_QUALIFIED_TECHNICIAN = "no_qualified_technician"
    EXCLUDED_EVERYWHERE = "excluded_everywhere"
    REQUIRED_TECHNICIAN_UNAVAILABLE = "required_technician_unavailable"
    OUTSIDE_ALL_SHIFTS = "outside_all_shifts"
    UNREACHABLE_IN_TIME = "unreachable_in_time"
    EXCEEDS_CAPACITY = "exceeds_capacity"
    PIN_INFEASIBLE = "pin_infeasible"
    NOT_ENOUGH_CAPACITY = "not_enough_capacity"


class PlanStatus(enum.StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    TIME_LIMIT = "time_limit"
    NO_SOLUTION = "no_solution"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a route.

    For a job: ``arrival`` at the site, ``start`` and ``end`` of service; ``wait`` is
    the idle time in ``[arrival, start)``: a lunch break taken there (a BREAK step)
    is not waiting, so it counts once, as the route's ``break_time``.
    ``travel_time``/``travel_distance`` are those of the leg that leads to this step
    (zero for ``start`` and ``break``). For ``start`` and ``end``,
    ``arrival == start == end`` is the departure from / return to the depot.
    """

    kind: StepKind
    start: datetime
    end: datetime
    arrival: datetime
    location: Location | None = None
    request_id: str | None = None
    wait: timedelta = timedelta(0)
    travel_time: timedelta = timedelta(0)
    travel_distance: float = 0.0
    sla_deadline: datetime | None = None
    sla_lateness: timedelta = timedelta(0)


@dataclass(frozen=True, slots=True)
class RouteKPIs:
    jobs: int
    service_time: timedelta
    travel_time: timedelta
    travel_distance: float
    wait_time: timedelta
    break_time: timedelta
    overtime: timedelta
    span: timedelta
    utilisation: float
    sla_met: int
    sla_breached: int
    cost: float


@dataclass(frozen=True, slots=True)
class Route:
    """The ordered work of one technician-shift."""

    shift_id: str
    technician_id: str
    steps: tuple[Step, ...]
    kpis: RouteKPIs

    @property
    def jobs(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.kind is StepKind.JOB)

    @property
    def request_ids(self) -> tuple[str, ...]:
        return tuple(s.request_id for s in self.steps if s.request_id is not None)

    # A lunch break taken before leaving comes before the START step, and one taken
    # after return after the END step: the first and last steps are not always them.
    @property
    def start_step(self) -> Step:
        """The departure (``START``) step; the first step when there is none."""
        return next((s for s in self.steps if s.kind is StepKind.START), self.steps[0])

    @property
    def end_step(self) -> Step:
        """The return (``END``) step; the last step when there is none."""
        return next((s for s in reversed(self.steps) if s.kind is StepKind.END),
                    self.steps[-1])


@dataclass(frozen=True, slots=True)
class Unassigned:
    request_id: str
    priority: Priority
    reason: UnassignedReason
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PlanKPIs:
    jobs_total: int
    jobs_assigned: int
    assigned_by_priority: dict[Priority, int]
    unassigned_by_priority: dict[Priority, int]
    travel_time: timedelta
    travel_distance: float
    service_time: timedelta
    wait_time: timedelta
    overtime: timedelta
    utilisation: float
    routes_used: int
    sla_met: int
    sla_breached: int


@dataclass(frozen=True)
class DispatchPlan:
    """The answer to a :class:`DispatchProblem`.

    ``penalties`` gives the objective paid per constraint family (``travel``,
    ``unassigned``, ``sla``, ``overtime``, ``preference``, ``labour``); their sum is
    ``objective``.
    """

    problem_name: str | None
    timezone: str
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    kpis: PlanKPIs
    penalties: dict[str, float]
    objective: float
    status: PlanStatus
    solve_time: timedelta
    solver: dict[str, object] = field(default_factory=dict)

    def route_for(self, shift_id: str) -> Route | None:
        return next((r for r in self.routes if r.shift_id == shift_id), None)

    def summary(self) -> str:
        """A readable table of the plan: totals, one line per route, the unassigned."""
        from fieldops.domain.summary import render_summary

        return render_summary(self)
