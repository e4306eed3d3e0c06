"""Routes as flat rows: CSV for spreadsheets, JSON for other tools.

One row per step of every route (start, jobs, breaks, end), in route order.
Instants are ISO 8601 in the plan's time zone, durations whole seconds, distances
metres, coordinates WGS 84 degrees.
"""

from __future__ import annotations

import csv
import io
from typing import Any
from zoneinfo import ZoneInfo

from fieldops.domain.plan import DispatchPlan
from fieldops.domain.spreadsheet import escape_cell

COLUMNS: tuple[str, ...] = (
    "shift_id",
    "technician_id",
    "sequence",
    "kind",
    "request_id",
    "arrival",
    "wait_s",
    "start",
    "end",
    "travel_time_s",
    "travel_distance_m",
    "lat",
    "lon",
    "address",
    "sla_deadline",
    "sla_lateness_s",
)


def route_rows(plan: DispatchPlan) -> list[dict[str, Any]]:
    """The rows shared by :func:`routes_csv` and :func:`routes_json` (keys: ``COLUMNS``)."""
    tz = ZoneInfo(plan.timezone)
    rows: list[dict[str, Any]] = []
    for route in plan.routes:
        for sequence, step in enumerate(route.steps):
            loc = step.location
            rows.append(
                {
                    "shift_id": route.shift_id,
                    "technician_id": route.technician_id,
                    "sequence": sequence,
                    "kind": step.kind.value,
                    "request_id": step.request_id,
                    "arrival": step.arrival.astimezone(tz).isoformat(),
                    "wait_s": round(step.wait.total_seconds()),
                    "start": step.start.astimezone(tz).isoformat(),
                    "end": step.end.astimezone(tz).isoformat(),
                    "travel_time_s": round(step.travel_time.total_seconds()),
                    "travel_distance_m": round(step.travel_distance, 1),
                    "lat": loc.lat if loc is not None else None,
                    "lon": loc.lon if loc is not None else None,
                    "address": loc.address if loc is not None else None,
                    "sla_deadline": step.sla_deadline.astimezone(tz).isoformat()
                    if step.sla_deadline is not None
                    else None,
                    "sla_lateness_s": round(step.sla_lateness.total_seconds())
                    if step.sla_deadline is not None
                    else None,
                }
            )
    return rows


def routes_csv(plan: DispatchPlan) -> str:
    """CSV (RFC 4180, CRLF line ends) with a header row of :data:`COLUMNS`.

    Missing values (e.g. no request on a start step) are empty cells. Text cells a
    spreadsheet would run as a formula (``=…``, ``+…``, ``-…``, ``@…``) start with
    ``'`` (:func:`fieldops.domain.spreadsheet.escape_cell`); numbers are unchanged.
    """
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in route_rows(plan):
        writer.writerow({k: "" if v is None else escape_cell(v) for k, v in row.items()})
    return out.getvalue()


def routes_json(plan: DispatchPlan) -> dict[str, Any]:
    """``{"problem_name", "timezone", "columns", "stops": [row, ...]}`` (``null`` for missing)."""
    return {
        "problem_name": plan.problem_name,
        "timezone": plan.timezone,
        "columns": list(COLUMNS),
        "stops": route_rows(plan),
    }
