"""Customer satisfaction: visit ratings and their summary per technician and per day.

A rating is the customer's 1-5 score of one completed visit, asked once on the
tracking page. The summary is what the dispatch report and
``GET /api/v1/satisfaction`` show: count, average and the count of each score.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from fieldops.domain.errors import FieldError

MIN_SCORE, MAX_SCORE = 1, 5
#: Longest comment kept (characters); longer ones are refused, not cut.
MAX_COMMENT = 2000
#: The dispatch report shows the ratings of this many days up to the end of its plan.
REPORT_DAYS = 30


def check_score(value: object, field: str = "rating") -> int:
    """``value`` as a score in ``[MIN_SCORE, MAX_SCORE]``, else :class:`FieldError`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(field, f"must be a whole number from {MIN_SCORE} to {MAX_SCORE}")
    if not MIN_SCORE <= value <= MAX_SCORE:
        raise FieldError(field, f"must be from {MIN_SCORE} to {MAX_SCORE}")
    return value


@dataclass(frozen=True, slots=True)
class Rating:
    """One visit's rating (``visit_at``: when the visit was done, the day it counts for)."""

    request_id: str
    score: int
    visit_at: datetime
    technician_id: str | None = None
    customer_id: str | None = None
    comment: str | None = None

    def __post_init__(self) -> None:
        check_score(self.score, "score")
        if self.visit_at.tzinfo is None:
            raise FieldError("visit_at", "must be timezone-aware")


@dataclass(frozen=True, slots=True)
class Group:
    """The ratings of one technician or one day: ``scores[i]`` counts score ``i + 1``."""

    key: str
    count: int
    average: float
    scores: tuple[int, ...]
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Satisfaction:
    """Ratings summarised per technician (by id) and per local day (oldest first)."""

    count: int
    average: float | None
    by_technician: tuple[Group, ...]
    by_day: tuple[Group, ...]


def _group(key: str, scores: list[int], label: str | None = None) -> Group:
    counts = tuple(scores.count(v) for v in range(MIN_SCORE, MAX_SCORE + 1))
    return Group(key, len(scores), round(sum(scores) / len(scores), 2), counts, label)


def _grouped(ratings: Iterable[Rating], key: Callable[[Rating], str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for r in ratings:
        out.setdefault(key(r), []).append(r.score)
    return out


def summarise(ratings: Iterable[Rating], timezone: str = "UTC",
              names: Mapping[str, str] | None = None) -> Satisfaction:
    """Count and average the ``ratings`` per technician and per day.

    Parameters
    ----------
    ratings
        Any ratings; a rating without a technician is grouped under ``"(none)"``.
    timezone
        IANA zone whose calendar days ``by_day`` uses (a visit at 23:30 local time
        counts for that local day, not the UTC one).
    names
        Technician id → display name, written as each technician group's ``label``.
    """
    tz = ZoneInfo(timezone)
    rows = list(ratings)
    scores = [r.score for r in rows]
    per_tech = _grouped(rows, lambda r: r.technician_id or "(none)")
    per_day = _grouped(rows, lambda r: r.visit_at.astimezone(tz).date().isoformat())
    return Satisfaction(
        count=len(rows),
        average=round(sum(scores) / len(scores), 2) if scores else None,
        by_technician=tuple(_group(k, v, (names or {}).get(k))
                            for k, v in sorted(per_tech.items())),
        by_day=tuple(_group(k, v) for k, v in sorted(per_day.items())),
    )

