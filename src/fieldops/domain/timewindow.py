"""Time windows between two aware instants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fieldops.domain._checks import require_aware
from fieldops.domain.errors import FieldError


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A closed interval ``[start, end]`` of aware instants."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_aware("start", self.start)
        require_aware("end", self.end)
        if self.end < self.start:
            raise FieldError("end", f"must not be before start ({self.start.isoformat()})")

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant <= self.end

    def overlaps(self, other: TimeWindow) -> bool:
        return self.start <= other.end and other.start <= self.end
