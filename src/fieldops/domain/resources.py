"""Technicians, their skills and their shifts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fieldops.domain._checks import (
    optional,
    require_aware,
    require_duration,
    require_id,
    require_int,
    require_number,
    require_type,
)
from fieldops.domain.errors import FieldError
from fieldops.domain.location import Location

MIN_SKILL_LEVEL = 1
MAX_SKILL_LEVEL = 3


@dataclass(frozen=True, slots=True)
class Skill:
    """A named skill at a level: 1 = basic, 2 = experienced, 3 = expert.

    On a technician it is the level held; on a request it is the minimum level needed.
    """

    name: str
    level: int = MIN_SKILL_LEVEL

    def __post_init__(self) -> None:
        require_id("name", self.name)
        require_int("level", self.level, minimum=MIN_SKILL_LEVEL, maximum=MAX_SKILL_LEVEL)


def _check_skills(skills: tuple[Skill, ...]) -> None:
    seen: set[str] = set()
    for i, skill in enumerate(skills):
        require_type(f"skills[{i}]", skill, Skill, "a Skill")
        if skill.name in seen:
            raise FieldError(f"skills[{i}].name", f"skill {skill.name!r} listed twice")
        seen.add(skill.name)


@dataclass(frozen=True, slots=True)
class Technician:
    """A field technician.

    ``capacity`` is the van's load capacity in the same unit as
    :attr:`ServiceRequest.load` (``None``: unlimited). ``cost_per_hour`` is the
    paid cost of an hour of this technician's working time.
    """

    id: str
    name: str
    home: Location
    skills: tuple[Skill, ...] = ()
    tags: frozenset[str] = frozenset()
    territory: str | None = None
    cost_per_hour: float = 0.0
    capacity: float | None = None
    email: str | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        require_id("id", self.id)
        require_type("name", self.name, str, "a string")
        require_type("home", self.home, Location, "a location {lat, lon}")
        object.__setattr__(self, "skills", tuple(self.skills))
        object.__setattr__(self, "tags", frozenset(self.tags))
        _check_skills(self.skills)
        require_number("cost_per_hour", self.cost_per_hour, minimum=0)
        if self.capacity is not None:
            require_number("capacity", self.capacity, minimum=0)

    def skill_level(self, name: str) -> int:
        """Level held in skill ``name``; 0 when the technician lacks it."""
        for skill in self.skills:
            if skill.name == name:
                return skill.level
        return 0

    def qualifies_for(self, required: tuple[Skill, ...]) -> bool:
        return all(self.skill_level(s.name) >= s.level for s in required)


@dataclass(frozen=True, slots=True)
class LunchBreak:
    """An unpaid break of ``duration`` that must start in ``[earliest_start, latest_start]``.

    It is taken between two jobs (never during service, never while driving).
    """

    duration: timedelta
    earliest_start: datetime
    latest_start: datetime

    def __post_init__(self) -> None:
        require_duration("duration", self.duration, allow_zero=False)
        require_aware("earliest_start", self.earliest_start)
        require_aware("latest_start", self.latest_start)
        if self.latest_start < self.earliest_start:
            raise FieldError("latest_start", "must not be before earliest_start")


@dataclass(frozen=True, slots=True)
class Shift:
    """One working period of a technician: a vehicle in the routing model.

    The technician leaves ``start_location`` (default: home) no earlier than
    ``start`` and is back at ``end_location`` (default: home) by ``end``; returning
    up to ``max_overtime`` later is allowed at a cost. Several shifts of the same
    technician make a multi-day horizon.
    """

    id: str
    technician_id: str
    start: datetime
    end: datetime
    start_location: Location | None = None
    end_location: Location | None = None
    lunch: LunchBreak | None = None
    max_overtime: timedelta = field(default=timedelta(0))

    def __post_init__(self) -> None:
        require_id("id", self.id)
        require_id("technician_id", self.technician_id)
        require_aware("start", self.start)
        require_aware("end", self.end)
        if self.end <= self.start:
            raise FieldError("end", "must be after start")
        require_duration("max_overtime", self.max_overtime)
        for name in ("start_location", "end_location"):
            optional(require_type, name, getattr(self, name), kind=Location,
                     what="a location {lat, lon}")
        if self.lunch is not None:
            require_type("lunch", self.lunch, LunchBreak, "a LunchBreak")
            if (
                self.lunch.earliest_start < self.start
                or self.lunch.latest_start + self.lunch.duration > self.end + self.max_overtime
            ):
                raise FieldError("lunch", "break window must lie inside the shift")

    @property
    def latest_end(self) -> datetime:
        """The hard end: shift end plus the allowed overtime."""
        return self.end + self.max_overtime
