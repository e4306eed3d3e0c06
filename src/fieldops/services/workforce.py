"""Contact-center demand: forecasts and required staff from plain records.

Forecasts are kept (:class:`~fieldops.store.models.ForecastRow`) so that a roster
request can name one by id (``forecast_id``) instead of sending its volumes.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from fieldops.domain.errors import FieldError
from fieldops.schemas import parse_duration
from fieldops.schemas.staffing import staffing_to_records
from fieldops.schemas.workforce import (
    forecast_settings_from_json,
    queue_specs_from_json,
    staffing_target_from_json,
    what_if_from_json,
)
from fieldops.solver.forecast import forecast, forecast_to_json, volumes_from_records
from fieldops.solver.staffing import staff
from fieldops.store.models import ForecastRow

DAY = timedelta(days=1)


def interval(value: str) -> timedelta:
    """An ISO duration that divides a day (the length of one forecast interval)."""
    step = parse_duration(value, "interval")
    if step <= timedelta(0) or DAY % step:
        raise FieldError("interval", "must divide a day, e.g. PT15M or PT30M")
    return step


def forecast_records(history: list[dict[str, Any]], step: str,
                     settings: dict[str, Any] | None) -> dict[str, Any]:
    """Forecast contact volume per interval and queue from ``history`` records."""
    volumes = volumes_from_records(history, interval(step), "history")
    return dict(forecast_to_json(forecast(volumes,
                                          forecast_settings_from_json(settings, "settings"))))


def store_forecast(s: Session, document: dict[str, Any], *, created_by: int | None) -> str:
    """Keep a forecast answer (:func:`forecast_records`); returns its new id."""
    forecast_id = str(uuid.uuid4())
    s.add(ForecastRow(id=forecast_id, interval=str(document["interval"]),
                      timezone=document.get("timezone"), document=document,
                      created_by=created_by))
    return forecast_id


def forecast_json(row: ForecastRow) -> dict[str, Any]:
    """A stored forecast as answered by ``POST /forecasts``, with its ``id``."""
    return {"id": row.id, **row.document}


#: Longest forecast id: the width of ``forecasts.id`` (a UUID).
MAX_FORECAST_ID = 36


def stored_forecast(s: Session, forecast_id: object, field: str = "forecast_id"
                    ) -> ForecastRow:
    """The stored forecast named in a request; an unknown id is a :class:`FieldError`
    naming ``field`` (the request is wrong, not a missing resource)."""
    row = None
    if isinstance(forecast_id, str) and len(forecast_id) <= MAX_FORECAST_ID:
        row = s.get(ForecastRow, forecast_id)
    if row is None:
        raise FieldError(field, f"no stored forecast {forecast_id!r} (POST /api/v1/forecasts "
                         "answers the id of the forecast it made)")
    return row


def staffing_records(demand: list[dict[str, Any]], step: str, target: dict[str, Any] | None,
                     queues: dict[str, Any] | None,
                     what_if: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Required agents per interval and queue for ``demand`` records, under the
    ``what_if`` scenario (volume and handle-time factors, shrinkage) when given."""
    scenario = what_if_from_json(what_if, "what_if")
    goal = scenario.target(staffing_target_from_json(target, "target"))
    volumes = scenario.volumes(volumes_from_records(demand, interval(step), "demand"))
    plan = staff(volumes, goal, queue_specs_from_json(queues, "queues"))
    return staffing_to_records(plan)
