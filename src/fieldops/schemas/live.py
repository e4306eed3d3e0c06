"""The live day's JSON formats: events, live parameters and the plan diff.

An event is a JSON object with a ``type``: ``status`` (``request_id``,
``status``, ``at``), ``unavailable`` (``technician_id``, ``start``, ``end``,
``reason``, ``reported_at``), ``delay`` (``request_id``, ``expected_end``,
``reported_at``), ``new_request`` (``request``, ``at``) or ``cancelled``
(``request_id``, ``at``). Errors name the field (``events[2].expected_end``).
"""

from __future__ import annotations

from typing import Any

from fieldops.domain.errors import FieldError
from fieldops.domain.live import (
    Cancellation,
    Delay,
    JobStatus,
    LiveEvent,
    LiveParams,
    NewRequest,
    StatusReport,
    Unavailability,
)
from fieldops.schemas._base import (
    Bool,
    DomainSchema,
    Duration,
    EnumText,
    Instant,
    Json,
    Nested,
    Text,
    load,
)
from fieldops.schemas.dispatch import RequestSchema


class StatusReportSchema(DomainSchema):
    request_id = Text(required=True)
    status = EnumText(JobStatus, required=True)
    at = Instant(required=True)

    model = StatusReport


class UnavailabilitySchema(DomainSchema):
    technician_id = Text(required=True)
    start = Instant(required=True)
    end = Instant(allow_none=True, metadata={"description": "null: the rest of the day"})
    reason = Text()
    reported_at = Instant(allow_none=True)

    model = Unavailability


class DelaySchema(DomainSchema):
    request_id = Text(required=True)
    expected_end = Instant(required=True)
    reported_at = Instant(required=True)

    model = Delay


class NewRequestSchema(DomainSchema):
    request = Nested(RequestSchema, required=True)
    at = Instant(required=True)

    model = NewRequest


class CancellationSchema(DomainSchema):
    request_id = Text(required=True)
    at = Instant(required=True)

    model = Cancellation


class LiveParamsSchema(DomainSchema):
    freeze_horizon = Duration()
    promised_windows = Bool()

    model = LiveParams


EVENT_SCHEMAS: dict[str, DomainSchema] = {
    "status": StatusReportSchema(),
    "unavailable": UnavailabilitySchema(),
    "delay": DelaySchema(),
    "new_request": NewRequestSchema(),
    "cancelled": CancellationSchema(),
}
_TYPE_OF = {StatusReport: "status", Unavailability: "unavailable", Delay: "delay",
            NewRequest: "new_request", Cancellation: "cancelled"}
_PARAMS = LiveParamsSchema()


def event_from_json(data: object, path: str = "") -> LiveEvent:
    """One event (see the module docstring); errors name the field under ``path``."""
    where = f"{path}." if path else ""
    if not isinstance(data, dict):
        raise FieldError(path or "event", "must be a JSON object")
    kind = data.get("type")
    if kind not in EVENT_SCHEMAS:
        raise FieldError(f"{where}type", f"must be one of {sorted(EVENT_SCHEMAS)}")
    body = {k: v for k, v in data.items() if k != "type"}
    event: LiveEvent = load(EVENT_SCHEMAS[kind], body, path)
    return event


def events_from_json(items: object, path: str = "events") -> tuple[LiveEvent, ...]:
    if not isinstance(items, list):
        raise FieldError(path, "must be a JSON array")
    return tuple(event_from_json(item, f"{path}[{i}]") for i, item in enumerate(items))


def event_to_json(event: LiveEvent) -> Json:
    kind = _TYPE_OF[type(event)]
    return {"type": kind, **EVENT_SCHEMAS[kind].dump(event)}


def live_params_from_json(data: object, path: str = "") -> LiveParams:
    return load(_PARAMS, data, path)


def diff_to_json(diff: Any) -> Json:
    """A :class:`~fieldops.solver.live.PlanDiff` as JSON (instants ISO 8601)."""
    return {
        "tolerance": f"PT{int(diff.tolerance.total_seconds())}S",
        "notify": list(diff.notify),
        "reassigned": diff.reassigned,
        "retimed": diff.retimed,
        "technicians": [{
            "technician_id": t.technician_id,
            "added": [{"request_id": rid, "start": at.isoformat()} for rid, at in t.added],
            "removed": list(t.removed),
            "retimed": [{"request_id": r.request_id, "old": r.old.isoformat(),
                         "new": r.new.isoformat()} for r in t.retimed],
        } for t in diff.technicians],
    }


__all__ = [
    "EVENT_SCHEMAS",
    "CancellationSchema",
    "DelaySchema",
    "LiveParamsSchema",
    "NewRequestSchema",
    "StatusReportSchema",
    "UnavailabilitySchema",
    "diff_to_json",
    "event_from_json",
    "event_to_json",
    "events_from_json",
    "live_params_from_json",
]
