"""A route in real units, as :mod:`.schedule` times it and the constraint modules
price it.

The types only (no logic), so that the constraint modules can price a
:class:`TimedRoute` without importing the evaluator that builds it (which imports
their integer coefficients).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fieldops.domain.requests import ServiceRequest
from fieldops.domain.resources import Shift, Technician

ZERO = timedelta(0)


@dataclass
class RawRoute:
    """A route as the solver sees it: job indices into ``problem.requests`` in order,
    the start of service of each (aware), the departure, and the break start."""

    shift: Shift
    jobs: list[int]
    starts: list[datetime]
    departure: datetime
    break_start: datetime | None


@dataclass
class Legs:
    """Exact travel (seconds, metres) and the solver's rounded-up seconds per leg."""

    seconds: float
    metres: float
    seconds_up: int


@dataclass(frozen=True)
class TimedStop:
    """One job of a timed route: reached at ``arrival``, served from ``start``.

    ``travel``/``distance`` are the exact travel of the leg that leads to it.
    """

    request: ServiceRequest
    arrival: datetime
    start: datetime
    travel: timedelta
    distance: float  # metres

    @property
    def end(self) -> datetime:
        return self.start + self.request.duration

    @property
    def wait(self) -> timedelta:
        return self.start - self.arrival


@dataclass(frozen=True)
class TimedRoute:
    """One shift's route with every time fixed, in real units.

    ``break_start`` is ``None`` when the shift has no lunch break.
    ``break_position`` is where the break goes among the route's steps
    ``[start, stop 0, …, stop n-1, end]``: the number of those steps before it.
    """

    shift: Shift
    technician: Technician
    departure: datetime
    stops: tuple[TimedStop, ...]
    end: datetime  # back at the shift's end location
    last_travel: timedelta  # exact travel of the leg home
    last_distance: float  # metres
    break_start: datetime | None
    break_position: int

    @property
    def travel_time(self) -> timedelta:
        total = ZERO
        for stop in self.stops:
            total += stop.travel
        return total + self.last_travel

    @property
    def travel_distance(self) -> float:
        """Metres, summed leg by leg in route order."""
        total = 0.0
        for stop in self.stops:
            total += stop.distance
        return total + self.last_distance

    @property
    def span(self) -> timedelta:
        """Paid time: from departure to return."""
        return self.end - self.departure

    @property
    def overtime(self) -> timedelta:
        return max(ZERO, self.end - self.shift.end)


@dataclass(frozen=True)
class Penalty:
    """What one constraint module charges one route (or the plan) for, and why.

    ``cost`` is in objective units (what the plan's ``penalties`` add up);
    ``amount`` is the quantity behind it in ``unit`` (hours late, jobs, …). A hard
    rule's ``cost`` is always zero: its ``amount`` measures the violation, zero in
    every valid plan.
    """

    constraint: str  # the module's name
    cost: float
    amount: float
    unit: str
    explanation: tuple[str, ...] = ()
    hard: bool = False
