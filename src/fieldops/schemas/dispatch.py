"""Dispatch problems and plans: one schema per domain type (docs/json-format.md).

Units: instants are ISO 8601 with a UTC offset, durations ISO 8601 (``PT45M``),
distances metres, locations ``{"lat", "lon"}`` objects. Unknown keys in a problem
are rejected so that a typo never silently drops a constraint; a plan (written by
fieldops itself) is read leniently.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import EXCLUDE, validate

from fieldops.domain.errors import FieldError
from fieldops.domain.location import Location
from fieldops.domain.plan import (
    DispatchPlan,
    PlanKPIs,
    PlanStatus,
    Route,
    RouteKPIs,
    Step,
    StepKind,
    Unassigned,
    UnassignedReason,
)
from fieldops.domain.problem import (
    DispatchProblem,
    ObjectiveWeights,
    TravelMatrix,
    TravelProvider,
    TravelSettings,
)
from fieldops.domain.requests import ContractTier, Priority, ServiceRequest
from fieldops.domain.resources import LunchBreak, Shift, Skill, Technician
from fieldops.domain.timewindow import TimeWindow
from fieldops.schemas._base import (
    Bool,
    DomainSchema,
    Duration,
    EnumText,
    Instant,
    Int,
    Json,
    Key,
    List,
    Mapping_,
    Nested,
    Num,
    Real,
    Text,
    TimeOfDay,
    load,
)

#: Largest matrix index: a row or column of a travel matrix, stored in a 32-bit column.
MAX_MATRIX_INDEX = 2**31 - 1


# ---------------------------------------------------------------- problem parts
class LocationSchema(DomainSchema):
    lat = Num(required=True, metadata={"minimum": -90, "maximum": 90})
    lon = Num(required=True, metadata={"minimum": -180, "maximum": 180})
    address = Text(allow_none=True)
    matrix_index = Int(allow_none=True, validate=validate.Range(max=MAX_MATRIX_INDEX),
                       metadata={"minimum": 0})

    model = Location


class WindowSchema(DomainSchema):
    start = Instant(required=True)
    end = Instant(required=True)

    model = TimeWindow


class SkillSchema(DomainSchema):
    name = Key(required=True)
    level = Int(metadata={"minimum": 1, "maximum": 3, "default": 1})

    model = Skill


class TechnicianSchema(DomainSchema):
    id = Key(required=True)
    name = Text(metadata={"description": "default: the id"})
    home = Nested(LocationSchema, required=True)
    skills = List(Nested(SkillSchema))
    tags = List(Text())
    territory = Text(allow_none=True)
    cost_per_hour = Num(metadata={"minimum": 0})
    capacity = Num(allow_none=True, metadata={"minimum": 0})
    email = Text(allow_none=True)
    phone = Text(allow_none=True)

    def make(self, data: dict[str, Any]) -> Technician:
        data.setdefault("name", data.get("id"))
        data["skills"] = tuple(data.get("skills", ()))
        data["tags"] = frozenset(data.get("tags", ()))
        return Technician(**data)

    def omit(self, obj: Any, data: Json) -> Json:
        if isinstance(obj, Technician):
            data["tags"] = sorted(obj.tags)
        return super().omit(obj, data)


class LunchSchema(DomainSchema):
    duration = Duration(required=True)
    earliest_start = Instant(required=True)
    latest_start = Instant(required=True)

    model = LunchBreak


class ShiftSchema(DomainSchema):
    id = Key(required=True)
    technician_id = Key(required=True)
    start = Instant(required=True)
    end = Instant(required=True)
    start_location = Nested(LocationSchema, allow_none=True)
    end_location = Nested(LocationSchema, allow_none=True)
    lunch = Nested(LunchSchema, allow_none=True)
    max_overtime = Duration()

    model = Shift


class TierSchema(DomainSchema):
    name = Key(required=True)
    response_time = Duration(allow_none=True)
    next_business_day = Bool()
    business_day_end = TimeOfDay(minutes_only=True)
    lateness_weight = Num(metadata={"minimum": 0})

    model = ContractTier

    def omit(self, obj: Any, data: Json) -> Json:
        if isinstance(obj, ContractTier) and not obj.next_business_day:
            data["next_business_day"] = data["business_day_end"] = None
        return super().omit(obj, data)


class RequestSchema(DomainSchema):
    id = Key(required=True)
    customer_id = Key(allow_none=True)
    location = Nested(LocationSchema, required=True)
    duration = Duration(required=True)
    windows = List(Nested(WindowSchema))
    required_skills = List(Nested(SkillSchema))
    priority = EnumText(Priority)
    contract_tier = Key(allow_none=True)
    created_at = Instant(allow_none=True)
    preferred_technicians = List(Key())
    required_technicians = List(Key())
    excluded_technicians = List(Key())
    pinned_technician = Key(allow_none=True)
    pinned_start = Instant(allow_none=True)
    load_ = Num(data_key="load", attribute="load", metadata={"minimum": 0})
    job_type = Text(allow_none=True)
    description = Text(allow_none=True)
    customer_name = Text(allow_none=True)
    customer_phone = Text(allow_none=True)
    baseline_technician = Text(allow_none=True)
    baseline_start = Instant(allow_none=True)

    def make(self, data: dict[str, Any]) -> ServiceRequest:
        for key in ("windows", "required_skills", "preferred_technicians",
                    "required_technicians", "excluded_technicians"):
            if key in data:
                data[key] = tuple(data[key])
        return ServiceRequest(**data)

    def omit(self, obj: Any, data: Json) -> Json:
        if isinstance(obj, ServiceRequest) and not obj.load:
            data["load"] = None
        return super().omit(obj, data)


class MatrixSchema(DomainSchema):
    durations = List(List(Num()), required=True, metadata={"description": "seconds"})
    distances = List(List(Num()), metadata={"description": "metres; default: durations"})

    def make(self, data: dict[str, Any]) -> TravelMatrix:
        data.setdefault("distances", data["durations"])
        return TravelMatrix(**data)


class TravelSchema(DomainSchema):
    provider = EnumText(TravelProvider)
    detour_factor = Num(metadata={"minimum": 1})
    speed_kmh = Num()
    osrm_url = Text(allow_none=True)
    osrm_profile = Text()
    matrix = Nested(MatrixSchema, allow_none=True)

    model = TravelSettings

    def omit(self, obj: Any, data: Json) -> Json:
        if isinstance(obj, TravelSettings) and obj.provider is not TravelProvider.OSRM:
            data["osrm_profile"] = None
        return super().omit(obj, data)


_DEFAULT_DISRUPTION: dict[str, Any] = {
    "reassigned": ObjectiveWeights().reassigned,
    "retimed_per_hour": ObjectiveWeights().retimed_per_hour,
    "retime_tolerance": "PT30M",
    "dropped_published": ObjectiveWeights().dropped_published,
}


class WeightsSchema(DomainSchema):
    travel_time = Num()
    travel_distance = Num()
    unassigned = Mapping_(metadata={"description": "{priority: weight}, merged with defaults"})
    sla_lateness_per_hour = Num()
    sla_breach = Num()
    sla_breach_flat = Num()
    overtime_per_hour = Num()
    non_preferred = Num()
    labour = Num()
    reassigned = Num()
    retimed_per_hour = Num()
    retime_tolerance = Duration()
    dropped_published = Num()
    omit_empty = False

    def make(self, data: dict[str, Any]) -> ObjectiveWeights:
        if "unassigned" in data:
            merged: dict[Priority, float] = dict(ObjectiveWeights().unassigned)
            for key, value in data["unassigned"].items():
                try:
                    merged[Priority(key)] = value
                except ValueError:
                    raise FieldError(f"unassigned.{key}", "is not a priority") from None
            data["unassigned"] = merged
        return ObjectiveWeights(**data)

    def omit(self, obj: Any, data: Json) -> Json:
        data["unassigned"] = {str(getattr(p, "value", p)): v
                              for p, v in data["unassigned"].items()}
        # The disruption weights (live re-planning) are written only when they are
        # not the defaults, so that documents written before them stay unchanged.
        defaults = _DEFAULT_DISRUPTION
        for key, value in defaults.items():
            if data.get(key) == value:
                data.pop(key, None)
        return data


class ProblemSchema(DomainSchema):
    name = Text(allow_none=True)
    timezone = Text(required=True, metadata={"example": "Europe/Berlin"})
    horizon = Nested(WindowSchema, required=True)
    skills = List(Text(), allow_none=True)
    contract_tiers = List(Nested(TierSchema))
    technicians = List(Nested(TechnicianSchema))
    shifts = List(Nested(ShiftSchema))
    requests = List(Nested(RequestSchema))
    travel = Nested(TravelSchema)
    weights = Nested(WeightsSchema)

    def make(self, data: dict[str, Any]) -> DispatchProblem:
        for key in ("skills", "contract_tiers"):
            if key in data:
                data[key] = tuple(data[key])
        for key in ("technicians", "shifts", "requests"):
            data[key] = tuple(data.get(key, ()))
        return DispatchProblem(**data)


# ---------------------------------------------------------------- plan
class _PlanPart(DomainSchema):
    """Plans are written by fieldops; unknown keys are ignored, every key written."""

    class Meta:
        unknown = EXCLUDE

    omit_empty = False


class ByPriority(Mapping_):
    """Counts per priority, written for every priority in order."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kw: Any) -> Any:
        raw = super()._deserialize(value, attr, data, **kw)
        try:
            return {Priority(p): int(v) for p, v in raw.items()}
        except (ValueError, TypeError):
            raise self.make_error("invalid") from None


    def _serialize(self, value: Any, attr: Any, obj: Any, **kw: Any) -> Any:
        counts: Mapping[Any, int] = value or {}
        return {p.value: int(counts.get(p, 0)) for p in Priority}


class StepSchema(_PlanPart):
    kind = EnumText(StepKind, required=True)
    request_id = Text(allow_none=True)
    location = Nested(LocationSchema, allow_none=True)
    arrival = Instant(required=True)
    wait = Duration()
    start = Instant(required=True)
    end = Instant(required=True)
    travel_time = Duration()
    travel_distance = Real()
    sla_deadline = Instant(allow_none=True)
    sla_lateness = Duration()

    model = Step

    def omit(self, obj: Any, data: Json) -> Json:
        if isinstance(obj, Step) and not obj.sla_deadline:
            data["sla_lateness"] = None
        return {k: v for k, v in data.items() if v is not None}


class RouteKPIsSchema(_PlanPart):
    jobs = Int(required=True)
    service_time = Duration(required=True)
    travel_time = Duration(required=True)
    travel_distance = Real(required=True)
    wait_time = Duration(required=True)
    break_time = Duration(required=True)
    overtime = Duration(required=True)
    span = Duration(required=True)
    utilisation = Real(required=True)
    sla_met = Int(required=True)
    sla_breached = Int(required=True)
    cost = Real(required=True)

    model = RouteKPIs


class RouteSchema(_PlanPart):
    shift_id = Text(required=True)
    technician_id = Text(required=True)
    kpis = Nested(RouteKPIsSchema, required=True)
    steps = List(Nested(StepSchema), required=True)

    def make(self, data: dict[str, Any]) -> Route:
        data["steps"] = tuple(data["steps"])
        return Route(**data)


class UnassignedSchema(_PlanPart):
    request_id = Text(required=True)
    priority = EnumText(Priority, required=True)
    reason = EnumText(UnassignedReason, required=True)
    detail = Text()

    model = Unassigned


class PlanKPIsSchema(_PlanPart):
    jobs_total = Int(required=True)
    jobs_assigned = Int(required=True)
    assigned_by_priority = ByPriority(required=True)
    unassigned_by_priority = ByPriority(required=True)
    travel_time = Duration(required=True)
    travel_distance = Real(required=True)
    service_time = Duration(required=True)
    wait_time = Duration(required=True)
    overtime = Duration(required=True)
    utilisation = Real(required=True)
    routes_used = Int(required=True)
    sla_met = Int(required=True)
    sla_breached = Int(required=True)

    model = PlanKPIs


class PlanSchema(_PlanPart):
    problem_name = Text(allow_none=True)
    timezone = Text(required=True)
    status = EnumText(PlanStatus, required=True)
    objective = Real(required=True)
    solve_time = Duration(required=True)
    solver = Mapping_()
    penalties = Mapping_(required=True, metadata={"description": "{family: objective units}"})
    kpis = Nested(PlanKPIsSchema, required=True)
    routes = List(Nested(RouteSchema), required=True)
    unassigned = List(Nested(UnassignedSchema), required=True)

    def make(self, data: dict[str, Any]) -> DispatchPlan:
        data.setdefault("problem_name", None)
        data["penalties"] = {str(k): float(v) for k, v in data["penalties"].items()}
        data["routes"] = tuple(data["routes"])
        data["unassigned"] = tuple(data["unassigned"])
        return DispatchPlan(**data)

    def omit(self, obj: Any, data: Json) -> Json:
        if data.get("solver") is None:
            data["solver"] = {}
        return data


# ---------------------------------------------------------------- functions
_LOCATION = LocationSchema()
_WINDOW = WindowSchema()
_TECHNICIAN = TechnicianSchema()
_SHIFT = ShiftSchema()
_TIER = TierSchema()
_REQUEST = RequestSchema()
_TRAVEL = TravelSchema()
_WEIGHTS = WeightsSchema()
_PROBLEM = ProblemSchema()
_PLAN = PlanSchema()


def problem_from_json(data: object) -> DispatchProblem:
    """Build a :class:`DispatchProblem` from parsed JSON; errors name the field."""
    return load(_PROBLEM, data)


def problem_to_json(problem: DispatchProblem) -> Json:
    return _PROBLEM.dump(problem)


def plan_from_json(data: object) -> DispatchPlan:
    """Read a plan written by :func:`plan_to_json` (e.g. to validate or report on it)."""
    return load(_PLAN, data)


def plan_to_json(plan: DispatchPlan) -> Json:
    """Serialise a plan; totals appear at plan, route and step level."""
    return _PLAN.dump(plan)


def location_from_json(data: object, path: str) -> Location:
    if data is None:
        raise FieldError(path, "is required: a location {lat, lon}")
    return load(_LOCATION, data, path)


def location_to_json(loc: Location) -> Json:
    return _LOCATION.dump(loc)


def window_from_json(data: object, path: str) -> TimeWindow:
    return load(_WINDOW, data, path)


def window_to_json(window: TimeWindow) -> Json:
    return _WINDOW.dump(window)


def technician_from_json(data: object, path: str) -> Technician:
    return load(_TECHNICIAN, data, path)


def shift_from_json(data: object, path: str) -> Shift:
    return load(_SHIFT, data, path)


def tier_from_json(data: object, path: str) -> ContractTier:
    return load(_TIER, data, path)


def request_from_json(data: object, path: str) -> ServiceRequest:
    return load(_REQUEST, data, path)


def request_to_json(request: ServiceRequest) -> Json:
    return _REQUEST.dump(request)


def travel_from_json(data: object, path: str) -> TravelSettings:
    return load(_TRAVEL, data, path)


def weights_from_json(data: object, path: str) -> ObjectiveWeights:
    return load(_WEIGHTS, data, path)


__all__ = [
    "LocationSchema",
    "LunchSchema",
    "PlanSchema",
    "ProblemSchema",
    "RequestSchema",
    "ShiftSchema",
    "SkillSchema",
    "TechnicianSchema",
    "TierSchema",
    "WindowSchema",
    "location_from_json",
    "location_to_json",
    "plan_from_json",
    "plan_to_json",
    "problem_from_json",
    "problem_to_json",
    "request_from_json",
    "request_to_json",
    "shift_from_json",
    "technician_from_json",
    "tier_from_json",
    "travel_from_json",
    "weights_from_json",
    "window_from_json",
    "window_to_json",
]
