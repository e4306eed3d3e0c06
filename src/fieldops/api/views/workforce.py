"""Contact-center demand: forecasts and required staff (docs/workforce.md).

Both run synchronously: a forecast of a few weeks of 15-minute history takes
seconds, staffing well under a second.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_smorest import Blueprint
from marshmallow import fields

from fieldops.api.auth import roles
from fieldops.api.schemas import Duration, Strict
from fieldops.schemas import parse_duration
from fieldops.schemas.workforce import (
    forecast_settings_from_json,
    queue_specs_from_json,
    staffing_target_from_json,
)
from fieldops.solver.forecast import forecast, forecast_to_json, volumes_from_records
from fieldops.solver.staffing import plan_to_records, staff

blp = Blueprint("workforce", __name__, url_prefix="/api/v1",
                description="Contact-center forecasts and staffing (manager role).")

RECORD = {"description": "{interval_start, queue, offered, aht | aht_seconds}"}


class ForecastIn(Strict):
    history = fields.List(fields.Dict(), required=True, metadata=RECORD)
    interval = Duration(load_default="PT15M")
    settings = fields.Dict(allow_none=True, metadata={"description": "ForecastSettings"})


class ForecastOut(Strict):
    timezone = fields.String()
    interval = fields.String()
    forecast = fields.List(fields.Dict())
    backtest = fields.List(fields.Dict())
    missing_intervals = fields.Dict()
    fit_seconds = fields.Float()


class StaffingIn(Strict):
    demand = fields.List(fields.Dict(), required=True, metadata=RECORD)
    interval = Duration(load_default="PT15M")
    target = fields.Dict(allow_none=True, metadata={"description": "StaffingTarget"})
    queues = fields.Dict(allow_none=True, metadata={"description": "{queue id: QueueSpec}"})


class StaffingOut(Strict):
    rows = fields.List(fields.Dict())


def _interval(value: str) -> timedelta:
    interval = parse_duration(value, "interval")
    if interval <= timedelta(0) or timedelta(days=1) % interval:
        from fieldops.domain.errors import FieldError

        raise FieldError("interval", "must divide a day, e.g. PT15M or PT30M")
    return interval


@blp.route("/forecasts", methods=["POST"])
@roles("admin", "manager")
@blp.arguments(ForecastIn)
@blp.response(200, ForecastOut)
def create_forecast(body: dict[str, Any]) -> dict[str, Any]:
    """Forecast contact volume per interval and queue from history."""
    history = volumes_from_records(body["history"], _interval(body["interval"]), "history")
    settings = forecast_settings_from_json(body.get("settings"), "settings")
    return dict(forecast_to_json(forecast(history, settings)))


@blp.route("/staffing", methods=["POST"])
@roles("admin", "manager")
@blp.arguments(StaffingIn)
@blp.response(200, StaffingOut)
def create_staffing(body: dict[str, Any]) -> dict[str, Any]:
    """Required agents per interval and queue (Erlang C / A, deadlines for email)."""
    demand = volumes_from_records(body["demand"], _interval(body["interval"]), "demand")
    target = staffing_target_from_json(body.get("target"), "target")
    queues = queue_specs_from_json(body.get("queues"), "queues")
    return {"rows": plan_to_records(staff(demand, target, queues))}
