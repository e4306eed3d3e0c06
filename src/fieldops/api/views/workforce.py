"""Contact-center demand: forecasts and required staff (docs/workforce.md).

Both run synchronously: a forecast of a few weeks of 15-minute history takes
seconds, staffing well under a second.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import fields

from fieldops.api.auth import roles
from fieldops.api.schemas import Duration, Strict
from fieldops.services.workforce import forecast_records, staffing_records

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
    what_if = fields.Dict(allow_none=True, metadata={
        "description": "scenario: {volume_factor, aht_factor, shrinkage} (1, 1, target's)"})


class StaffingOut(Strict):
    rows = fields.List(fields.Dict())


@blp.route("/forecasts", methods=["POST"])
@roles("admin", "manager")
@blp.arguments(ForecastIn)
@blp.response(200, ForecastOut)
def create_forecast(body: dict[str, Any]) -> dict[str, Any]:
    """Forecast contact volume per interval and queue from history."""
    return forecast_records(body["history"], body["interval"], body.get("settings"))


@blp.route("/staffing", methods=["POST"])
@roles("admin", "manager")
@blp.arguments(StaffingIn)
@blp.response(200, StaffingOut)
def create_staffing(body: dict[str, Any]) -> dict[str, Any]:
    """Required agents per interval and queue (Erlang C / A, deadlines for email)."""
    return {"rows": staffing_records(body["demand"], body["interval"], body.get("target"),
                                     body.get("queues"), body.get("what_if"))}
