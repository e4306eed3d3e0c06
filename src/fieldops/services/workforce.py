"""Contact-center demand: forecasts and required staff from plain records."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

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
