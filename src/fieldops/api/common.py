"""JSON rendering of stored rows, shared by the blueprints."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fieldops.domain._checks import require_id
from fieldops.schemas import (
    format_duration,
    location_to_json,
    request_to_json,
)
from fieldops.schemas.scalars import format_instant_utc
from fieldops.store.convert import request_from_row, shift_from_row, technician_from_row
from fieldops.store.models import (
    ContractTierRow,
    CustomerRow,
    PlanRow,
    RequestRow,
    RosterRow,
    ShiftRow,
    TechnicianRow,
)


def location(collection: str, key: str) -> dict[str, str]:
    """The ``Location`` header of a created resource: ``/api/v1/<collection>/<key>``.

    ``key`` passed the id rule when it was created (a control character here would be
    a bug, so it raises before any header is built); it is percent-encoded as one
    path segment, so ``?``, ``#``, ``%`` or spaces in an id lead to the resource.
    """
    require_id("id", key)
    return {"Location": f"/api/v1/{collection}/{quote(key, safe='')}"}


def instant(value: Any) -> str | None:
    """Every stored instant the API answers, in UTC (docs/api.md, "Units")."""
    return format_instant_utc(value) if value is not None else None


def technician_json(row: TechnicianRow) -> dict[str, Any]:
    t = technician_from_row(row)
    out: dict[str, Any] = {
        "id": t.id, "name": t.name, "home": location_to_json(t.home),
        "skills": [{"name": s.name, "level": s.level} for s in t.skills],
        "tags": sorted(t.tags), "cost_per_hour": t.cost_per_hour,
    }
    for key in ("territory", "capacity", "email", "phone"):
        if getattr(t, key) is not None:
            out[key] = getattr(t, key)
    return out


def shift_json(row: ShiftRow) -> dict[str, Any]:
    sh = shift_from_row(row)
    out: dict[str, Any] = {
        "id": sh.id, "technician_id": sh.technician_id, "start": instant(sh.start),
        "end": instant(sh.end), "max_overtime": format_duration(sh.max_overtime),
    }
    if sh.start_location:
        out["start_location"] = location_to_json(sh.start_location)
    if sh.end_location:
        out["end_location"] = location_to_json(sh.end_location)
    if sh.lunch:
        out["lunch"] = {"duration": format_duration(sh.lunch.duration),
                        "earliest_start": instant(sh.lunch.earliest_start),
                        "latest_start": instant(sh.lunch.latest_start)}
    return out


def tier_json(row: ContractTierRow) -> dict[str, Any]:
    out: dict[str, Any] = {"name": row.name, "next_business_day": row.next_business_day,
                           "business_day_end": row.business_day_end,
                           "lateness_weight": row.lateness_weight}
    if row.response_time_s is not None:
        from datetime import timedelta

        out["response_time"] = format_duration(timedelta(seconds=row.response_time_s))
    return out


def request_json(row: RequestRow) -> dict[str, Any]:
    out = request_to_json(request_from_row(row))
    out["status"] = row.status
    out["status_changed_at"] = instant(row.status_changed_at)
    out["received_at"] = instant(row.received_at)
    out["assignment"] = None
    if row.assigned_technician_id is not None:
        out["assignment"] = {
            "plan_id": row.plan_id, "technician_id": row.assigned_technician_id,
            "shift_id": row.assigned_shift_id,
            "planned_arrival": instant(row.planned_arrival),
            "planned_start": instant(row.planned_start),
            "planned_end": instant(row.planned_end),
        }
    return out


def customer_json(row: CustomerRow) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "phone": row.phone, "email": row.email,
            "address": row.address, "created_at": instant(row.created_at),
            "preferred_technicians": list(row.preferred_technicians or [])}


def plan_json(row: PlanRow, *, with_result: bool = True) -> dict[str, Any]:
    out = _plan_head(row, with_result=with_result)
    if row.kind is not None:  # a live-day proposal
        out.update(kind=row.kind, base_version=str(row.base_version), as_of=instant(row.as_of),
                   diff=row.diff, cost=row.cost)
    return out


def _plan_head(row: PlanRow, *, with_result: bool) -> dict[str, Any]:
    return {
        "id": row.id, "name": row.name, "status": row.status, "timezone": row.timezone,
        "horizon": {"start": instant(row.horizon_start), "end": instant(row.horizon_end)},
        "params": row.params,
        "progress": {"best_objective": row.best_objective, "elapsed": row.elapsed,
                     "solutions": row.solutions, "assigned": row.assigned},
        "error": row.error,
        "result": row.result if with_result else None,
        "created_by": row.created_by, "created_at": instant(row.created_at),
        "started_at": instant(row.started_at), "finished_at": instant(row.finished_at),
        "published_at": instant(row.published_at),
    }


def _predict_options(spec: dict[str, Any] | None) -> dict[str, Any] | None:
    if spec is None:
        return None
    return {"volumes": len(spec.get("volumes") or ()), "forecast_id": spec.get("forecast_id"),
            "target": spec.get("target"), "queues": spec.get("queues"),
            "what_if": spec.get("what_if")}


def roster_json(row: RosterRow, *, with_result: bool = True) -> dict[str, Any]:
    return {
        "id": row.id, "name": row.name, "status": row.status, "timezone": row.timezone,
        "start": row.start_day.isoformat(), "days": row.days,
        "horizon": {"start": instant(row.horizon_start), "end": instant(row.horizon_end)},
        "params": {k: v for k, v in row.params.items() if k != "predict"},
        # The forecast behind result.predicted is the caller's; its options are echoed.
        "predict": _predict_options(row.params.get("predict")),
        "progress": {"best_objective": row.best_objective, "elapsed": row.elapsed,
                     "solutions": row.solutions},
        "error": row.error, "solver_status": row.solver_status,
        "verdict": (row.result or {}).get("verdict"),
        "validation": row.validation,
        "result": row.result if with_result else None,
        "created_by": row.created_by, "created_at": instant(row.created_at),
        "started_at": instant(row.started_at), "finished_at": instant(row.finished_at),
        "published_at": instant(row.published_at),
    }
