"""JSON in and out for problems and plans.

Units (docs/json-format.md): instants are ISO 8601 with a UTC offset, durations
ISO 8601 (``PT45M``), distances metres, locations ``{"lat", "lon"}`` objects.
Unknown keys are rejected so that a typo never silently drops a constraint.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

import isodate

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

T = TypeVar("T")
Json = dict[str, Any]


# ---------------------------------------------------------------- scalars
def parse_instant(value: object, field: str = "") -> datetime:
    if not isinstance(value, str):
        raise FieldError(field, "must be an ISO 8601 instant string with a UTC offset")
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise FieldError(field, f"{value!r} is not an ISO 8601 instant") from None
    if instant.tzinfo is None:
        raise FieldError(field, f"{value!r} has no UTC offset (add e.g. +01:00 or Z)")
    return instant


def format_instant(value: datetime) -> str:
    return value.isoformat()


def parse_duration(value: object, field: str = "") -> timedelta:
    if not isinstance(value, str):
        raise FieldError(field, "must be an ISO 8601 duration string like 'PT45M'")
    try:
        duration = isodate.parse_duration(value)
    except (isodate.ISO8601Error, ValueError):
        raise FieldError(field, f"{value!r} is not an ISO 8601 duration like 'PT45M'") from None
    if not isinstance(duration, timedelta):
        raise FieldError(field, "years and months are not allowed in durations")
    return duration


def format_duration(value: timedelta) -> str:
    return str(isodate.duration_isoformat(value))


def _time_of_day(value: object, field: str) -> time:
    if not isinstance(value, str):
        raise FieldError(field, "must be a local time like '17:00'")
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise FieldError(field, f"{value!r} is not a time like '17:00'") from None


# ---------------------------------------------------------------- helpers
class _Obj:
    """Reads one JSON object, tracking which keys were used and the field path."""

    def __init__(self, data: object, path: str, allowed: set[str]) -> None:
        if not isinstance(data, Mapping):
            raise FieldError(path, "must be a JSON object")
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise FieldError(
                f"{path}.{unknown[0]}" if path else unknown[0], "is not a known field"
            )
        self.data = data
        self.path = path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def need(self, key: str) -> Any:
        if self.data.get(key) is None:
            raise FieldError(self.at(key), "is required")
        return self.data[key]

    def instant(self, key: str, required: bool = True) -> datetime | None:
        if not self.has(key):
            if required:
                raise FieldError(self.at(key), "is required")
            return None
        return parse_instant(self.data[key], self.at(key))

    def duration(self, key: str, default: timedelta | None = None) -> timedelta | None:
        if not self.has(key):
            return default
        return parse_duration(self.data[key], self.at(key))

    def items(self, key: str) -> list[tuple[str, Any]]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise FieldError(self.at(key), "must be a JSON array")
        return [(f"{self.at(key)}[{i}]", item) for i, item in enumerate(value)]


def _build(path: str, factory: Callable[..., T], **kwargs: Any) -> T:
    """Construct a domain object, prefixing any FieldError with ``path``."""
    try:
        return factory(**kwargs)
    except FieldError as exc:
        raise exc.within(path) from None
    except TypeError as exc:
        raise FieldError(path, str(exc)) from None


def _ids(obj: _Obj, key: str) -> tuple[str, ...]:
    return tuple(value for _, value in obj.items(key))


# ---------------------------------------------------------------- problem in
def location_from_json(data: object, path: str) -> Location:
    if data is None:
        raise FieldError(path, "is required: a location {lat, lon}")
    o = _Obj(data, path, {"lat", "lon", "address", "matrix_index"})
    return _build(
        path,
        Location,
        lat=o.need("lat"),
        lon=o.need("lon"),
        address=o.raw("address"),
        matrix_index=o.raw("matrix_index"),
    )


def window_from_json(data: object, path: str) -> TimeWindow:
    o = _Obj(data, path, {"start", "end"})
    return _build(path, TimeWindow, start=o.instant("start"), end=o.instant("end"))


def _skills(o: _Obj, key: str) -> tuple[Skill, ...]:
    skills = []
    for path, item in o.items(key):
        s = _Obj(item, path, {"name", "level"})
        skills.append(_build(path, Skill, name=s.need("name"), level=s.raw("level", 1)))
    return tuple(skills)


def technician_from_json(data: object, path: str) -> Technician:
    o = _Obj(
        data,
        path,
        {"id", "name", "home", "skills", "tags", "territory", "cost_per_hour", "capacity",
         "email", "phone"},
    )
    return _build(
        path,
        Technician,
        id=o.need("id"),
        name=o.raw("name", o.raw("id")),
        home=location_from_json(o.raw("home"), o.at("home")),
        skills=_skills(o, "skills"),
        tags=frozenset(_ids(o, "tags")),
        territory=o.raw("territory"),
        cost_per_hour=o.raw("cost_per_hour", 0.0),
        capacity=o.raw("capacity"),
        email=o.raw("email"),
        phone=o.raw("phone"),
    )


def shift_from_json(data: object, path: str) -> Shift:
    o = _Obj(
        data,
        path,
        {"id", "technician_id", "start", "end", "start_location", "end_location", "lunch",
         "max_overtime"},
    )
    lunch = None
    if o.has("lunch"):
        lo = _Obj(o.raw("lunch"), o.at("lunch"), {"duration", "earliest_start", "latest_start"})
        lunch = _build(
            o.at("lunch"),
            LunchBreak,
            duration=lo.duration("duration") if lo.has("duration") else lo.need("duration"),
            earliest_start=lo.instant("earliest_start"),
            latest_start=lo.instant("latest_start"),
        )
    return _build(
        path,
        Shift,
        id=o.need("id"),
        technician_id=o.need("technician_id"),
        start=o.instant("start"),
        end=o.instant("end"),
        start_location=location_from_json(o.raw("start_location"), o.at("start_location"))
        if o.has("start_location")
        else None,
        end_location=location_from_json(o.raw("end_location"), o.at("end_location"))
        if o.has("end_location")
        else None,
        lunch=lunch,
        max_overtime=o.duration("max_overtime", timedelta(0)),
    )


def tier_from_json(data: object, path: str) -> ContractTier:
    o = _Obj(
        data,
        path,
        {"name", "response_time", "next_business_day", "business_day_end", "lateness_weight"},
    )
    kwargs: dict[str, Any] = {
        "name": o.need("name"),
        "response_time": o.duration("response_time"),
        "next_business_day": bool(o.raw("next_business_day", False)),
        "lateness_weight": o.raw("lateness_weight", 1.0),
    }
    if o.has("business_day_end"):
        kwargs["business_day_end"] = _time_of_day(o.raw("business_day_end"),
                                                  o.at("business_day_end"))
    return _build(path, ContractTier, **kwargs)


REQUEST_FIELDS = {
    "id", "customer_id", "location", "duration", "windows", "required_skills", "priority",
    "contract_tier", "created_at", "preferred_technicians", "required_technicians",
    "excluded_technicians", "pinned_technician", "pinned_start", "load", "job_type",
    "description", "customer_name", "customer_phone",
}


def request_from_json(data: object, path: str) -> ServiceRequest:
    o = _Obj(data, path, REQUEST_FIELDS)
    return _build(
        path,
        ServiceRequest,
        id=o.need("id"),
        customer_id=o.raw("customer_id"),
        location=location_from_json(o.raw("location"), o.at("location")),
        duration=o.duration("duration") if o.has("duration") else o.need("duration"),
        windows=tuple(window_from_json(item, p) for p, item in o.items("windows")),
        required_skills=_skills(o, "required_skills"),
        priority=o.raw("priority", Priority.NORMAL.value),
        contract_tier=o.raw("contract_tier"),
        created_at=o.instant("created_at", required=False),
        preferred_technicians=_ids(o, "preferred_technicians"),
        required_technicians=_ids(o, "required_technicians"),
        excluded_technicians=_ids(o, "excluded_technicians"),
        pinned_technician=o.raw("pinned_technician"),
        pinned_start=o.instant("pinned_start", required=False),
        load=o.raw("load", 0.0),
        job_type=o.raw("job_type"),
        description=o.raw("description"),
        customer_name=o.raw("customer_name"),
        customer_phone=o.raw("customer_phone"),
    )


def travel_from_json(data: object, path: str) -> TravelSettings:
    o = _Obj(
        data, path, {"provider", "detour_factor", "speed_kmh", "matrix", "osrm_url",
                     "osrm_profile"}
    )
    matrix = None
    if o.has("matrix"):
        mo = _Obj(o.raw("matrix"), o.at("matrix"), {"durations", "distances"})
        durations = mo.need("durations")
        matrix = _build(
            o.at("matrix"),
            TravelMatrix,
            durations=durations,
            distances=mo.raw("distances", durations),
        )
    kwargs: dict[str, Any] = {"matrix": matrix, "osrm_url": o.raw("osrm_url")}
    for key in ("provider", "detour_factor", "speed_kmh", "osrm_profile"):
        if o.has(key):
            kwargs[key] = o.raw(key)
    return _build(path, TravelSettings, **kwargs)


def weights_from_json(data: object, path: str) -> ObjectiveWeights:
    fields = {"travel_time", "travel_distance", "unassigned", "sla_lateness_per_hour",
              "overtime_per_hour", "non_preferred", "labour"}
    o = _Obj(data, path, fields)
    kwargs = {key: o.raw(key) for key in fields if o.has(key)}
    if "unassigned" in kwargs:
        merged = dict(ObjectiveWeights().unassigned)
        if not isinstance(kwargs["unassigned"], Mapping):
            raise FieldError(o.at("unassigned"), "must be an object {priority: weight}")
        for key, value in kwargs["unassigned"].items():
            try:
                merged[Priority(key)] = value
            except ValueError:
                raise FieldError(f"{o.at('unassigned')}.{key}", "is not a priority") from None
        kwargs["unassigned"] = merged
    return _build(path, ObjectiveWeights, **kwargs)


PROBLEM_FIELDS = {"name", "timezone", "horizon", "skills", "contract_tiers", "technicians",
                  "shifts", "requests", "travel", "weights"}


def problem_from_json(data: object) -> DispatchProblem:
    """Build a :class:`DispatchProblem` from parsed JSON; errors name the field."""
    o = _Obj(data, "", PROBLEM_FIELDS)
    skills = None
    if o.raw("skills") is not None:
        skills = _ids(o, "skills")
    return _build(
        "",
        DispatchProblem,
        name=o.raw("name"),
        timezone=o.need("timezone"),
        horizon=window_from_json(o.need("horizon"), "horizon"),
        skills=skills,
        contract_tiers=tuple(tier_from_json(item, p) for p, item in o.items("contract_tiers")),
        technicians=tuple(technician_from_json(item, p) for p, item in o.items("technicians")),
        shifts=tuple(shift_from_json(item, p) for p, item in o.items("shifts")),
        requests=tuple(request_from_json(item, p) for p, item in o.items("requests")),
        travel=travel_from_json(o.raw("travel"), "travel") if o.has("travel")
        else TravelSettings(),
        weights=weights_from_json(o.raw("weights"), "weights") if o.has("weights")
        else ObjectiveWeights(),
    )


# ---------------------------------------------------------------- problem out
def _drop_none(d: Json) -> Json:
    return {k: v for k, v in d.items() if v is not None and v != [] and v != ()}


def location_to_json(loc: Location) -> Json:
    return _drop_none(
        {"lat": loc.lat, "lon": loc.lon, "address": loc.address, "matrix_index": loc.matrix_index}
    )


def window_to_json(w: TimeWindow) -> Json:
    return {"start": format_instant(w.start), "end": format_instant(w.end)}


def _skills_json(skills: tuple[Skill, ...]) -> list[Json]:
    return [{"name": s.name, "level": s.level} for s in skills]


def problem_to_json(problem: DispatchProblem) -> Json:
    travel = problem.travel
    travel_json: Json = {
        "provider": travel.provider.value,
        "detour_factor": travel.detour_factor,
        "speed_kmh": travel.speed_kmh,
        "osrm_url": travel.osrm_url,
        "osrm_profile": travel.osrm_profile if travel.provider is TravelProvider.OSRM else None,
    }
    if travel.matrix is not None:
        travel_json["matrix"] = {
            "durations": [list(r) for r in travel.matrix.durations],
            "distances": [list(r) for r in travel.matrix.distances],
        }
    w = problem.weights
    return _drop_none(
        {
            "name": problem.name,
            "timezone": problem.timezone,
            "horizon": window_to_json(problem.horizon),
            "skills": list(problem.skills) if problem.skills is not None else None,
            "contract_tiers": [
                _drop_none(
                    {
                        "name": c.name,
                        "response_time": format_duration(c.response_time)
                        if c.response_time is not None
                        else None,
                        "next_business_day": c.next_business_day or None,
                        "business_day_end": c.business_day_end.strftime("%H:%M")
                        if c.next_business_day
                        else None,
                        "lateness_weight": c.lateness_weight,
                    }
                )
                for c in problem.contract_tiers
            ],
            "technicians": [
                _drop_none(
                    {
                        "id": t.id,
                        "name": t.name,
                        "home": location_to_json(t.home),
                        "skills": _skills_json(t.skills),
                        "tags": sorted(t.tags),
                        "territory": t.territory,
                        "cost_per_hour": t.cost_per_hour,
                        "capacity": t.capacity,
                        "email": t.email,
                        "phone": t.phone,
                    }
                )
                for t in problem.technicians
            ],
            "shifts": [
                _drop_none(
                    {
                        "id": s.id,
                        "technician_id": s.technician_id,
                        "start": format_instant(s.start),
                        "end": format_instant(s.end),
                        "start_location": location_to_json(s.start_location)
                        if s.start_location
                        else None,
                        "end_location": location_to_json(s.end_location)
                        if s.end_location
                        else None,
                        "lunch": {
                            "duration": format_duration(s.lunch.duration),
                            "earliest_start": format_instant(s.lunch.earliest_start),
                            "latest_start": format_instant(s.lunch.latest_start),
                        }
                        if s.lunch
                        else None,
                        "max_overtime": format_duration(s.max_overtime),
                    }
                )
                for s in problem.shifts
            ],
            "requests": [request_to_json(r) for r in problem.requests],
            "travel": _drop_none(travel_json),
            "weights": {
                "travel_time": w.travel_time,
                "travel_distance": w.travel_distance,
                "unassigned": {p.value: v for p, v in w.unassigned.items()},
                "sla_lateness_per_hour": w.sla_lateness_per_hour,
                "overtime_per_hour": w.overtime_per_hour,
                "non_preferred": w.non_preferred,
                "labour": w.labour,
            },
        }
    )


def request_to_json(r: ServiceRequest) -> Json:
    return _drop_none(
        {
            "id": r.id,
            "customer_id": r.customer_id,
            "location": location_to_json(r.location),
            "duration": format_duration(r.duration),
            "windows": [window_to_json(w) for w in r.windows],
            "required_skills": _skills_json(r.required_skills),
            "priority": r.priority.value,
            "contract_tier": r.contract_tier,
            "created_at": format_instant(r.created_at) if r.created_at else None,
            "preferred_technicians": list(r.preferred_technicians),
            "required_technicians": list(r.required_technicians),
            "excluded_technicians": list(r.excluded_technicians),
            "pinned_technician": r.pinned_technician,
            "pinned_start": format_instant(r.pinned_start) if r.pinned_start else None,
            "load": r.load or None,
            "job_type": r.job_type,
            "description": r.description,
            "customer_name": r.customer_name,
            "customer_phone": r.customer_phone,
        }
    )


# ---------------------------------------------------------------- plan
def _priority_counts(counts: Mapping[Priority, int]) -> Json:
    return {p.value: int(counts.get(p, 0)) for p in Priority}


def plan_to_json(plan: DispatchPlan) -> Json:
    """Serialise a plan; totals appear at plan, route and step level."""
    k = plan.kpis
    return {
        "problem_name": plan.problem_name,
        "timezone": plan.timezone,
        "status": plan.status.value,
        "objective": plan.objective,
        "solve_time": format_duration(plan.solve_time),
        "solver": plan.solver,
        "penalties": dict(plan.penalties),
        "kpis": {
            "jobs_total": k.jobs_total,
            "jobs_assigned": k.jobs_assigned,
            "assigned_by_priority": _priority_counts(k.assigned_by_priority),
            "unassigned_by_priority": _priority_counts(k.unassigned_by_priority),
            "travel_time": format_duration(k.travel_time),
            "travel_distance": k.travel_distance,
            "service_time": format_duration(k.service_time),
            "wait_time": format_duration(k.wait_time),
            "overtime": format_duration(k.overtime),
            "utilisation": k.utilisation,
            "routes_used": k.routes_used,
            "sla_met": k.sla_met,
            "sla_breached": k.sla_breached,
        },
        "routes": [
            {
                "shift_id": r.shift_id,
                "technician_id": r.technician_id,
                "kpis": {
                    "jobs": r.kpis.jobs,
                    "service_time": format_duration(r.kpis.service_time),
                    "travel_time": format_duration(r.kpis.travel_time),
                    "travel_distance": r.kpis.travel_distance,
                    "wait_time": format_duration(r.kpis.wait_time),
                    "break_time": format_duration(r.kpis.break_time),
                    "overtime": format_duration(r.kpis.overtime),
                    "span": format_duration(r.kpis.span),
                    "utilisation": r.kpis.utilisation,
                    "sla_met": r.kpis.sla_met,
                    "sla_breached": r.kpis.sla_breached,
                    "cost": r.kpis.cost,
                },
                "steps": [
                    _drop_none(
                        {
                            "kind": s.kind.value,
                            "request_id": s.request_id,
                            "location": location_to_json(s.location) if s.location else None,
                            "arrival": format_instant(s.arrival),
                            "wait": format_duration(s.wait),
                            "start": format_instant(s.start),
                            "end": format_instant(s.end),
                            "travel_time": format_duration(s.travel_time),
                            "travel_distance": s.travel_distance,
                            "sla_deadline": format_instant(s.sla_deadline)
                            if s.sla_deadline
                            else None,
                            "sla_lateness": format_duration(s.sla_lateness)
                            if s.sla_deadline
                            else None,
                        }
                    )
                    for s in r.steps
                ],
            }
            for r in plan.routes
        ],
        "unassigned": [
            {
                "request_id": u.request_id,
                "priority": u.priority.value,
                "reason": u.reason.value,
                "detail": u.detail,
            }
            for u in plan.unassigned
        ],
    }


def plan_from_json(data: object) -> DispatchPlan:
    """Read a plan written by :func:`plan_to_json` (e.g. to validate or report on it)."""
    if not isinstance(data, Mapping):
        raise FieldError("", "a plan must be a JSON object")
    try:
        k = data["kpis"]
        routes = []
        for i, r in enumerate(data["routes"]):
            rk = r["kpis"]
            steps = []
            for j, s in enumerate(r["steps"]):
                path = f"routes[{i}].steps[{j}]"
                steps.append(
                    Step(
                        kind=StepKind(s["kind"]),
                        request_id=s.get("request_id"),
                        location=location_from_json(s["location"], f"{path}.location")
                        if s.get("location")
                        else None,
                        arrival=parse_instant(s["arrival"], f"{path}.arrival"),
                        wait=parse_duration(s.get("wait", "PT0S"), f"{path}.wait"),
                        start=parse_instant(s["start"], f"{path}.start"),
                        end=parse_instant(s["end"], f"{path}.end"),
                        travel_time=parse_duration(s.get("travel_time", "PT0S"),
                                                   f"{path}.travel_time"),
                        travel_distance=float(s.get("travel_distance", 0.0)),
                        sla_deadline=parse_instant(s["sla_deadline"], f"{path}.sla_deadline")
                        if s.get("sla_deadline")
                        else None,
                        sla_lateness=parse_duration(s.get("sla_lateness", "PT0S"),
                                                    f"{path}.sla_lateness"),
                    )
                )
            routes.append(
                Route(
                    shift_id=r["shift_id"],
                    technician_id=r["technician_id"],
                    steps=tuple(steps),
                    kpis=RouteKPIs(
                        jobs=int(rk["jobs"]),
                        service_time=parse_duration(rk["service_time"]),
                        travel_time=parse_duration(rk["travel_time"]),
                        travel_distance=float(rk["travel_distance"]),
                        wait_time=parse_duration(rk["wait_time"]),
                        break_time=parse_duration(rk["break_time"]),
                        overtime=parse_duration(rk["overtime"]),
                        span=parse_duration(rk["span"]),
                        utilisation=float(rk["utilisation"]),
                        sla_met=int(rk["sla_met"]),
                        sla_breached=int(rk["sla_breached"]),
                        cost=float(rk["cost"]),
                    ),
                )
            )
        return DispatchPlan(
            problem_name=data.get("problem_name"),
            timezone=data["timezone"],
            status=PlanStatus(data["status"]),
            objective=float(data["objective"]),
            solve_time=parse_duration(data["solve_time"], "solve_time"),
            solver=dict(data.get("solver", {})),
            penalties={str(key): float(v) for key, v in data["penalties"].items()},
            kpis=PlanKPIs(
                jobs_total=int(k["jobs_total"]),
                jobs_assigned=int(k["jobs_assigned"]),
                assigned_by_priority={Priority(p): int(v)
                                      for p, v in k["assigned_by_priority"].items()},
                unassigned_by_priority={Priority(p): int(v)
                                        for p, v in k["unassigned_by_priority"].items()},
                travel_time=parse_duration(k["travel_time"]),
                travel_distance=float(k["travel_distance"]),
                service_time=parse_duration(k["service_time"]),
                wait_time=parse_duration(k["wait_time"]),
                overtime=parse_duration(k["overtime"]),
                utilisation=float(k["utilisation"]),
                routes_used=int(k["routes_used"]),
                sla_met=int(k["sla_met"]),
                sla_breached=int(k["sla_breached"]),
            ),
            routes=tuple(routes),
            unassigned=tuple(
                Unassigned(
                    request_id=u["request_id"],
                    priority=Priority(u["priority"]),
                    reason=UnassignedReason(u["reason"]),
                    detail=u.get("detail", ""),
                )
                for u in data["unassigned"]
            ),
        )
    except KeyError as exc:
        raise FieldError(str(exc.args[0]), "is required in a plan") from None
    except (TypeError, ValueError) as exc:
        if isinstance(exc, FieldError):
            raise
        raise FieldError("", f"not a valid plan: {exc}") from None


def load_problem(path: str | Path) -> DispatchProblem:
    with open(path, encoding="utf-8") as fh:
        try:
            data = json.load(fh)
        except json.JSONDecodeError as exc:
            raise FieldError("", f"{path}: not valid JSON ({exc})") from None
    return problem_from_json(data)


def load_plan(path: str | Path) -> DispatchPlan:
    with open(path, encoding="utf-8") as fh:
        return plan_from_json(json.load(fh))


def dump_json(data: Json, path: str | Path) -> None:
    Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
