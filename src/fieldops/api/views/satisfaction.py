"""Customer satisfaction: visit ratings per technician and per day."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from flask_smorest import Blueprint

from fieldops.api.auth import READERS, roles
from fieldops.api.ext import session
from fieldops.api.schemas import SatisfactionArgs, SatisfactionSchema
from fieldops.domain.errors import FieldError
from fieldops.domain.satisfaction import MAX_SCORE, MIN_SCORE, Group
from fieldops.services.customers import satisfaction

blp = Blueprint("satisfaction", __name__, url_prefix="/api/v1/satisfaction",
                description="Customer satisfaction: ratings per technician and per day.")


def _scores(g: Group) -> dict[str, int]:
    return {str(v): n for v, n in zip(range(MIN_SCORE, MAX_SCORE + 1), g.scores, strict=True)}


@blp.route("", methods=["GET"])
@roles(*READERS)
@blp.arguments(SatisfactionArgs, location="query")
@blp.response(200, SatisfactionSchema)
def get_satisfaction(args: dict[str, Any]) -> dict[str, Any]:
    """Ratings of the visits done in ``[from, to)``: count, average and the count of
    each score, per technician and per calendar day of ``timezone``."""
    tz = args["timezone"]
    if tz not in available_timezones():
        raise FieldError("timezone", f"unknown IANA time zone {tz!r}")
    with session() as s:
        summary = satisfaction(s, timezone=tz, start=args.get("from_"), end=args.get("to"),
                               technician_id=args.get("technician_id"))
    return {
        "count": summary.count, "average": summary.average, "timezone": tz,
        "by_technician": [{"technician_id": g.key, "name": g.label, "count": g.count,
                           "average": g.average, "scores": _scores(g)}
                          for g in summary.by_technician],
        "by_day": [{"date": g.key, "count": g.count, "average": g.average,
                    "scores": _scores(g)} for g in summary.by_day],
    }
