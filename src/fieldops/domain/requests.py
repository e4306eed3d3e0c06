"""Service requests (jobs), their priorities and the customer contracts behind them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from fieldops.domain._checks import (
    require_aware,
    require_duration,
    require_enum,
    require_id,
    require_number,
    require_type,
)
from fieldops.domain.errors import FieldError
from fieldops.domain.location import Location
from fieldops.domain.resources import Skill, _check_skills
from fieldops.domain.timewindow import TimeWindow


class Priority(enum.StrEnum):
    """How badly a job must be done today; decides which jobs are left out first."""

    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for critical up to 3 for low."""
        return list(Priority).index(self)


@dataclass(frozen=True, slots=True)
class ContractTier:
    """A customer contract level and its SLA response time.

    The SLA deadline of a request is its creation time plus ``response_time``; with
    ``next_business_day`` it is instead ``business_day_end`` (local time) on the first
    working day (Monday to Friday) after the creation date. ``lateness_weight``
    scales the objective's SLA lateness cost for this tier.
    """

    name: str
    response_time: timedelta | None = None
    next_business_day: bool = False
    business_day_end: time = time(17, 0)
    lateness_weight: float = 1.0

    def __post_init__(self) -> None:
        require_id("name", self.name)
        if self.response_time is None and not self.next_business_day:
            raise FieldError("response_time", "give a response time or next_business_day")
        if self.response_time is not None:
            require_duration("response_time", self.response_time, allow_zero=False)
        require_number("lateness_weight", self.lateness_weight, minimum=0)

    def deadline(self, created_at: datetime, tz: ZoneInfo) -> datetime:
        """The SLA deadline for a request created at ``created_at``."""
        if self.response_time is not None and not self.next_business_day:
            return created_at + self.response_time
        local = created_at.astimezone(tz)
        day = local.date() + timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        deadline = datetime.combine(day, self.business_day_end, tzinfo=tz)
        if self.response_time is not None:
            deadline = min(deadline, created_at + self.response_time)
        return deadline


@dataclass(frozen=True, slots=True)
class ServiceRequest:
    """A job: go to ``location`` and work for ``duration``.

    Service must *start* inside one of ``windows`` (the appointment windows); with
    no windows any time within a shift will do. ``required_skills`` give the minimum
    level needed. ``pinned_technician`` forces the technician; ``pinned_start`` also
    freezes the start time (work already under way or promised to the minute).
    ``baseline_technician`` / ``baseline_start`` are where and when the published
    plan put the job: a re-plan pays the disruption weights for moving it away
    from them (see ``solver/dispatch/constraints/disruption.py``).
    """

    id: str
    location: Location
    duration: timedelta
    customer_id: str | None = None
    windows: tuple[TimeWindow, ...] = ()
    required_skills: tuple[Skill, ...] = ()
    priority: Priority = Priority.NORMAL
    contract_tier: str | None = None
    created_at: datetime | None = None
    preferred_technicians: tuple[str, ...] = ()
    required_technicians: tuple[str, ...] = ()
    excluded_technicians: tuple[str, ...] = ()
    pinned_technician: str | None = None
    pinned_start: datetime | None = None
    load: float = 0.0
    job_type: str | None = None
    description: str | None = None
    customer_name: str | None = None
    customer_phone: str | None = None
    baseline_technician: str | None = None
    baseline_start: datetime | None = None

    def __post_init__(self) -> None:
        require_id("id", self.id)
        require_type("location", self.location, Location, "a location {lat, lon}")
        require_duration("duration", self.duration)
        if self.customer_id is not None:
            require_id("customer_id", self.customer_id)
        object.__setattr__(self, "windows", tuple(sorted(self.windows, key=lambda w: w.start)))
        for i, window in enumerate(self.windows):
            require_type(f"windows[{i}]", window, TimeWindow, "a time window {start, end}")
        for i in range(1, len(self.windows)):
            if self.windows[i].start <= self.windows[i - 1].end:
                raise FieldError(f"windows[{i}]", "appointment windows must not overlap")
        object.__setattr__(self, "required_skills", tuple(self.required_skills))
        try:
            _check_skills(self.required_skills)
        except FieldError as exc:
            raise FieldError("required_" + exc.field, exc.message) from None
        object.__setattr__(self, "priority", require_enum("priority", self.priority, Priority))
        if self.contract_tier is not None:
            require_id("contract_tier", self.contract_tier)
        if self.created_at is not None:
            require_aware("created_at", self.created_at)
        for name in ("preferred_technicians", "required_technicians", "excluded_technicians"):
            values = tuple(getattr(self, name))
            object.__setattr__(self, name, values)
            for i, value in enumerate(values):
                require_id(f"{name}[{i}]", value)
        clash = set(self.required_technicians) & set(self.excluded_technicians)
        if clash:
            raise FieldError(
                "excluded_technicians", f"{sorted(clash)} also listed as required"
            )
        if self.pinned_technician is not None:
            require_id("pinned_technician", self.pinned_technician)
            if self.pinned_technician in self.excluded_technicians:
                raise FieldError("pinned_technician", "is also listed as excluded")
        if self.pinned_start is not None:
            require_aware("pinned_start", self.pinned_start)
            if self.pinned_technician is None:
                raise FieldError("pinned_start", "needs pinned_technician as well")
        require_number("load", self.load, minimum=0)
        if self.baseline_technician is not None:
            require_id("baseline_technician", self.baseline_technician)
        if self.baseline_start is not None:
            require_aware("baseline_start", self.baseline_start)
            if self.baseline_technician is None:
                raise FieldError("baseline_start", "needs baseline_technician as well")
