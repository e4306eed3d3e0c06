"""The dispatch problem: everything one solve needs, validated as a whole."""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fieldops.domain._checks import (
    require_duration,
    require_enum,
    require_number,
    require_type,
    unique_ids,
)
from fieldops.domain.errors import FieldError
from fieldops.domain.location import Location
from fieldops.domain.requests import ContractTier, Priority, ServiceRequest
from fieldops.domain.resources import Shift, Technician
from fieldops.domain.timewindow import TimeWindow

DEFAULT_DETOUR_FACTOR = 1.3
DEFAULT_SPEED_KMH = 30.0


class TravelProvider(enum.StrEnum):
    GEODESIC = "geodesic"
    MATRIX = "matrix"
    OSRM = "osrm"


@dataclass(frozen=True, slots=True)
class TravelMatrix:
    """A caller-supplied travel matrix; locations refer to it by ``matrix_index``.

    ``durations`` in seconds and ``distances`` in metres, square and of equal size.
    """

    durations: tuple[tuple[float, ...], ...]
    distances: tuple[tuple[float, ...], ...]

    def __post_init__(self) -> None:
        durations = tuple(tuple(float(v) for v in row) for row in self.durations)
        distances = tuple(tuple(float(v) for v in row) for row in self.distances)
        n = len(durations)
        for name, rows in (("durations", durations), ("distances", distances)):
            if len(rows) != n:
                raise FieldError(name, f"must have {n} rows like durations")
            for i, row in enumerate(rows):
                if len(row) != n:
                    raise FieldError(f"{name}[{i}]", f"must have {n} values (square matrix)")
                for j, value in enumerate(row):
                    if not value >= 0 or value == float("inf"):
                        raise FieldError(f"{name}[{i}][{j}]", "must be a finite number >= 0")
        object.__setattr__(self, "durations", durations)
        object.__setattr__(self, "distances", distances)

    @property
    def size(self) -> int:
        return len(self.durations)


@dataclass(frozen=True, slots=True)
class TravelSettings:
    """How travel time and distance are found.

    ``geodesic``: distance = geodesic distance × ``detour_factor``; time = distance ÷
    ``speed_kmh``. ``matrix``: ``matrix`` holds both, indexed by
    :attr:`Location.matrix_index`. ``osrm``: an OSRM-compatible table API at
    ``osrm_url``.
    """

    provider: TravelProvider = TravelProvider.GEODESIC
    detour_factor: float = DEFAULT_DETOUR_FACTOR
    speed_kmh: float = DEFAULT_SPEED_KMH
    matrix: TravelMatrix | None = None
    osrm_url: str | None = None
    osrm_profile: str = "driving"

    def __post_init__(self) -> None:
        object.__setattr__(self, "provider",
                           require_enum("provider", self.provider, TravelProvider))
        require_number("detour_factor", self.detour_factor, minimum=1.0)
        require_number("speed_kmh", self.speed_kmh, positive=True)
        if self.provider is TravelProvider.MATRIX and self.matrix is None:
            raise FieldError("matrix", "is required when provider is 'matrix'")
        if self.provider is TravelProvider.OSRM and not self.osrm_url:
            raise FieldError("osrm_url", "is required when provider is 'osrm'")


@dataclass(frozen=True, slots=True)
class ObjectiveWeights:
    """Weights of the dispatch objective (a weighted sum, see docs/objective.md).

    All costs are in objective units; one unit is one second of travel at weight 1.

    Attributes
    ----------
    travel_time
        Cost per second of driving.
    travel_distance
        Cost per kilometre driven.
    unassigned
        Cost of leaving a job of each priority out, as a multiple of the *travel
        bound* (the most travel any plan of this problem could contain): with the
        default 1 000 / 100 / 10 / 1 dropping one low job costs more than any
        amount of travel, and each level costs ten times the level below.
    sla_lateness_per_hour
        Cost per hour a job starts after its SLA deadline (× the tier's weight).
        Default 180: three minutes of driving per hour late (exact in the integer
        model: 0.05 per second), so that of two late visits the later costs more,
        without making the search buy shorter lateness with much travel (measured
        on the field days: benchmarks/README.md, issue 21).
    sla_breach
        Cost of each job that starts after its SLA deadline, on top of the hourly
        cost, as a multiple of the travel bound (like ``unassigned``) × the tier's
        ``lateness_weight``; a job left out whose deadline falls within the horizon
        pays it too (it will be late). Default 0. 0.75 is the contract-first
        ranking: with the sample tiers a late gold (weight 4) or silver (2) visit
        then costs more than leaving a low-priority job for another day and more
        than any amount of travel.
    sla_breach_flat
        The same breach priced in objective units (seconds of driving) × the tier's
        ``lateness_weight``, whatever the size of the day; added to ``sla_breach``'s
        part. Default 1 800: a late gold visit (weight 4) is worth two hours of
        driving, silver one hour, bronze half an hour. See docs/dispatch.md.
    overtime_per_hour
        Cost per hour a route returns after its shift end.
    non_preferred
        Cost of giving a job to a technician who is not among its preferred ones.
    labour
        Cost per second of paid route time per unit of ``Technician.cost_per_hour``.
    reassigned
        Disruption: cost of serving a job on another technician than its
        ``baseline_technician`` (the published plan's). Default 3 600: one hour of
        driving.
    retimed_per_hour
        Disruption: cost per hour a job's start moves more than
        ``retime_tolerance`` away from its ``baseline_start``. Default 1 800.
    retime_tolerance
        Disruption: how far a start may move without cost. Default 30 minutes.
    dropped_published
        Disruption: extra cost of leaving out a job the published plan held, as a
        multiple of the travel bound (like ``unassigned``). Default 10: a dropped
        published job costs as much again as a normal job.
    """

    travel_time: float = 1.0
    travel_distance: float = 0.0
    unassigned: dict[Priority, float] = field(
        default_factory=lambda: {
            Priority.CRITICAL: 1000.0,
            Priority.HIGH: 100.0,
            Priority.NORMAL: 10.0,
            Priority.LOW: 1.0,
        }
    )
    sla_lateness_per_hour: float = 180.0
    sla_breach: float = 0.0
    sla_breach_flat: float = 1800.0
    overtime_per_hour: float = 7200.0
    non_preferred: float = 1800.0
    labour: float = 0.0
    reassigned: float = 3600.0
    retimed_per_hour: float = 1800.0
    retime_tolerance: timedelta = timedelta(minutes=30)
    dropped_published: float = 10.0

    def __post_init__(self) -> None:
        for name in (
            "travel_time",
            "travel_distance",
            "sla_lateness_per_hour",
            "sla_breach",
            "sla_breach_flat",
            "overtime_per_hour",
            "non_preferred",
            "labour",
            "reassigned",
            "retimed_per_hour",
            "dropped_published",
        ):
            require_number(name, getattr(self, name), minimum=0)
        require_duration("retime_tolerance", self.retime_tolerance)
        table: dict[Priority, float] = {}
        for key, value in dict(self.unassigned).items():
            try:
                priority = Priority(key)
            except ValueError:
                raise FieldError(f"unassigned.{key}", "is not a priority") from None
            table[priority] = require_number(f"unassigned.{key}", value, positive=True)
        missing = [p.value for p in Priority if p not in table]
        if missing:
            raise FieldError("unassigned", f"missing priorities {missing}")
        object.__setattr__(self, "unassigned", table)

    def __hash__(self) -> int:  # dict field; hash by value for use as a cache key
        return hash((self.travel_time, tuple(sorted(self.unassigned.items()))))


def _zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise FieldError("timezone", "must be an IANA time zone name like 'Europe/Berlin'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldError(
            "timezone", f"unknown IANA time zone {name!r} (e.g. 'Europe/Berlin')"
        ) from None


@dataclass(frozen=True)
class DispatchProblem:
    """One dispatch day (or several): technicians, their shifts and the jobs.

    Validated as a whole at construction: ids are unique, every reference points to
    something that exists, and (when ``skills`` is given) every skill is known.
    """

    horizon: TimeWindow
    timezone: str
    technicians: tuple[Technician, ...]
    shifts: tuple[Shift, ...]
    requests: tuple[ServiceRequest, ...]
    contract_tiers: tuple[ContractTier, ...] = ()
    travel: TravelSettings = field(default_factory=TravelSettings)
    weights: ObjectiveWeights = field(default_factory=ObjectiveWeights)
    skills: tuple[str, ...] | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        require_type("horizon", self.horizon, TimeWindow, "a time window {start, end}")
        _zone(self.timezone)
        for name in ("technicians", "shifts", "requests", "contract_tiers"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        unique_ids("technicians", [t.id for t in self.technicians])
        unique_ids("shifts", [s.id for s in self.shifts])
        unique_ids("requests", [r.id for r in self.requests])
        tiers = [c.name for c in self.contract_tiers]
        for i, tier in enumerate(tiers):
            if tier in tiers[:i]:
                raise FieldError(f"contract_tiers[{i}].name", f"duplicate tier {tier!r}")
        tech_ids = {t.id for t in self.technicians}
        for i, shift in enumerate(self.shifts):
            if shift.technician_id not in tech_ids:
                raise FieldError(
                    f"shifts[{i}].technician_id", f"unknown technician {shift.technician_id!r}"
                )
        by_tech: dict[str, list[Shift]] = {}
        for shift in self.shifts:
            by_tech.setdefault(shift.technician_id, []).append(shift)
        for shifts in by_tech.values():
            shifts.sort(key=lambda s: s.start)
            for a, b in itertools.pairwise(shifts):
                if b.start < a.latest_end:
                    i = self.shifts.index(b)
                    raise FieldError(f"shifts[{i}].start", f"overlaps shift {a.id!r}")
        known_skills = set(self.skills) if self.skills is not None else None
        if known_skills is not None:
            for i, tech in enumerate(self.technicians):
                for j, skill in enumerate(tech.skills):
                    if skill.name not in known_skills:
                        raise FieldError(
                            f"technicians[{i}].skills[{j}].name", f"unknown skill {skill.name!r}"
                        )
        tier_names = set(tiers)
        for i, req in enumerate(self.requests):
            where = f"requests[{i}]"
            if known_skills is not None:
                for j, skill in enumerate(req.required_skills):
                    if skill.name not in known_skills:
                        raise FieldError(
                            f"{where}.required_skills[{j}].name", f"unknown skill {skill.name!r}"
                        )
            if req.contract_tier is not None:
                if req.contract_tier not in tier_names:
                    raise FieldError(
                        f"{where}.contract_tier", f"unknown contract tier {req.contract_tier!r}"
                    )
                if req.created_at is None:
                    raise FieldError(f"{where}.created_at", "is required with a contract tier")
            for name in ("preferred_technicians", "required_technicians", "excluded_technicians"):
                for j, tech_id in enumerate(getattr(req, name)):
                    if tech_id not in tech_ids:
                        raise FieldError(f"{where}.{name}[{j}]", f"unknown technician {tech_id!r}")
            if req.pinned_technician is not None and req.pinned_technician not in tech_ids:
                raise FieldError(
                    f"{where}.pinned_technician", f"unknown technician {req.pinned_technician!r}"
                )
        if self.travel.provider is TravelProvider.MATRIX:
            assert self.travel.matrix is not None
            size = self.travel.matrix.size
            for path, loc in self._locations_with_paths():
                if loc.matrix_index is None:
                    raise FieldError(f"{path}.matrix_index", "is required with a travel matrix")
                if loc.matrix_index >= size:
                    raise FieldError(
                        f"{path}.matrix_index", f"is outside the {size}×{size} matrix"
                    )

    def _locations_with_paths(self) -> Iterable[tuple[str, Location]]:
        for i, tech in enumerate(self.technicians):
            yield f"technicians[{i}].home", tech.home
        for i, shift in enumerate(self.shifts):
            if shift.start_location is not None:
                yield f"shifts[{i}].start_location", shift.start_location
            if shift.end_location is not None:
                yield f"shifts[{i}].end_location", shift.end_location
        for i, req in enumerate(self.requests):
            yield f"requests[{i}].location", req.location

    @cached_property
    def tz(self) -> ZoneInfo:
        return _zone(self.timezone)

    @cached_property
    def technician_by_id(self) -> dict[str, Technician]:
        return {t.id: t for t in self.technicians}

    @cached_property
    def shift_by_id(self) -> dict[str, Shift]:
        return {s.id: s for s in self.shifts}

    @cached_property
    def request_by_id(self) -> dict[str, ServiceRequest]:
        return {r.id: r for r in self.requests}

    @cached_property
    def tier_by_name(self) -> dict[str, ContractTier]:
        return {c.name: c for c in self.contract_tiers}

    def shift_start_location(self, shift: Shift) -> Location:
        return shift.start_location or self.technician_by_id[shift.technician_id].home

    def shift_end_location(self, shift: Shift) -> Location:
        return shift.end_location or self.technician_by_id[shift.technician_id].home

    def sla_deadline(self, request: ServiceRequest) -> datetime | None:
        """The request's SLA deadline (aware datetime), or ``None`` without a contract."""
        if request.contract_tier is None or request.created_at is None:
            return None
        return self.tier_by_name[request.contract_tier].deadline(request.created_at, self.tz)

    def horizon_length(self) -> timedelta:
        return self.horizon.duration
