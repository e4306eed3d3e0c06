"""The staffing table: the format ``fieldops staff`` writes and ``fieldops roster`` reads.

Both directions live here: :func:`write_staffing` / :func:`staffing_to_records` and
:func:`read_staffing`.

One row per interval and queue: ``interval_start`` (ISO 8601 with a UTC offset),
``queue``, ``agents`` (heads on the phones), ``scheduled`` (heads to roster,
including shrinkage) and the other columns of docs/workforce.md ("Staffing
output"); optional ``under_weight`` / ``over_weight`` per row. CSV, or JSON
records (optionally under a ``staffing`` key).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from fieldops.domain.errors import FieldError
from fieldops.domain.roster import CoverageRequirement, RosterProblem
from fieldops.domain.spreadsheet import escape_frame, unescape_frame
from fieldops.domain.workforce import PLAN_COLUMNS, StaffingPlan
from fieldops.schemas.scalars import format_instant


def staffing_to_records(plan: StaffingPlan, timezone: str | None = None
                        ) -> list[dict[str, object]]:
    """JSON-ready rows: instants ISO 8601 in ``timezone`` (default UTC), NaN as ``None``."""
    records: list[dict[str, object]] = []
    for row in plan.frame.itertuples(index=False):
        rec: dict[str, object] = {}
        for col, value in zip(PLAN_COLUMNS, row, strict=True):
            if col == "interval_start":
                stamp = pd.Timestamp(value)
                rec[col] = (stamp.tz_convert(timezone) if timezone else stamp).isoformat()
            elif isinstance(value, float | np.floating):
                rec[col] = None if not math.isfinite(float(value)) else round(float(value), 6)
            elif isinstance(value, np.integer):
                rec[col] = int(value)
            else:
                rec[col] = value
        records.append(rec)
    return records


def write_staffing(plan: StaffingPlan, path: str | Path, timezone: str) -> None:
    """Write the table as JSON records (``.json``, instants in UTC) or CSV (instants
    in ``timezone``).

    CSV text cells a spreadsheet would run as formulas are escaped;
    :func:`read_staffing` undoes it.
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(staffing_to_records(plan)), encoding="utf-8")
        return
    frame = plan.frame.copy()
    frame["interval_start"] = frame["interval_start"].map(
        lambda t: pd.Timestamp(t).tz_convert(timezone).isoformat())
    escape_frame(frame.round(6)).to_csv(path, index=False)


def read_staffing(path: str | Path) -> pd.DataFrame:
    """Read a staffing table written by ``fieldops staff`` (CSV, or JSON records)."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, Mapping) and "staffing" in data:
                data = data["staffing"]
            if not isinstance(data, list):
                raise FieldError("staffing", f"{path}: expected a JSON array of rows")
            return pd.DataFrame.from_records(data)
        return unescape_frame(pd.read_csv(path))
    except (OSError, ValueError) as exc:
        if isinstance(exc, FieldError):
            raise
        raise FieldError("staffing", f"cannot read {path}: {exc}") from None


def requirements_from_staffing(
    frame: pd.DataFrame,
    column: str = "scheduled",
    *,
    within: tuple[datetime, datetime] | None = None,
    queues: Sequence[str] | None = None,
    path: str = "staffing",
) -> tuple[CoverageRequirement, ...]:
    """Coverage rows from a staffing table (docs/workforce.md, "Staffing output").

    ``column`` holds the heads a roster must put on the queue in each interval;
    the default ``scheduled`` is agents / (1 − shrinkage), a fraction, so it is
    rounded **up** (a roster cannot staff 0.4 of an agent, and rounding down
    would miss the target). A tolerance of 1e-6 keeps 12.0000001 at 12.
    ``within`` keeps the rows whose ``interval_start`` falls in ``[start, end)``
    (a forecast usually covers more days than one roster); ``queues`` lists the
    queues allowed (a staffing queue outside it is an error naming the row).
    Intervals needing 0 heads are kept: they still price over-staffing.
    Optional ``under_weight`` / ``over_weight`` columns set per-row weights
    (empty cells: the problem's :class:`RosterWeights`).
    Errors name ``staffing[row].column`` with 0-based rows as given.
    """
    if not isinstance(frame, pd.DataFrame):
        raise FieldError(path, "must be a table (DataFrame)")
    for col in ("interval_start", "queue", column):
        if col not in frame.columns:
            raise FieldError(f"{path}.{col}", "column is missing")
    df = frame.reset_index(drop=True)
    raw = df["interval_start"]
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        starts = raw.dt.tz_convert("UTC")
    else:
        text = raw.astype(str)
        starts = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
        has_offset = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
        bad_rows = np.flatnonzero((starts.isna() | ~has_offset).to_numpy())
        if len(bad_rows):
            i = int(bad_rows[0])
            raise FieldError(f"{path}[{i}].interval_start",
                             f"{raw.iloc[i]!r} is not an ISO 8601 instant with a UTC offset")
    values = pd.to_numeric(df[column], errors="coerce")
    bad = np.flatnonzero((values.isna() | (values < 0)
                          | ~np.isfinite(values.fillna(0))).to_numpy())
    if len(bad):
        i = int(bad[0])
        raise FieldError(f"{path}[{i}].{column}",
                         f"{df[column].iloc[i]!r} is not a number of agents >= 0")
    weights: dict[str, list[int | None]] = {}
    for col in ("under_weight", "over_weight"):
        # Optional per-row weights (a VIP line priced higher); empty cells mean default.
        if col in df.columns:
            numbers = pd.to_numeric(df[col], errors="coerce")
            weights[col] = [None if pd.isna(v) else int(v) for v in numbers]
    allowed = set(queues) if queues is not None else None
    seen: dict[tuple[pd.Timestamp, str], int] = {}
    rows: list[CoverageRequirement] = []
    low, high = within if within is not None else (None, None)
    for i, (start, queue, value) in enumerate(zip(starts, df["queue"], values, strict=True)):
        queue = str(queue)
        if allowed is not None and queue not in allowed:
            raise FieldError(f"{path}[{i}].queue",
                             f"queue {queue!r} is not one of {', '.join(sorted(allowed))}")
        key = (start, queue)
        if key in seen:
            raise FieldError(f"{path}[{i}].interval_start",
                             f"duplicate of row {seen[key]} (same queue and interval)")
        seen[key] = i
        instant = start.to_pydatetime()
        if low is not None and high is not None and not low <= instant < high:
            continue
        heads = math.ceil(float(value) - 1e-6)
        try:
            rows.append(CoverageRequirement(
                start=instant, queue=queue, required=max(heads, 0),
                **{col: values_[i] for col, values_ in weights.items()}))
        except FieldError as exc:
            raise exc.within(f"{path}[{i}]") from None
    return tuple(rows)


def staffing_from_requirements(problem: RosterProblem) -> pd.DataFrame:
    """The problem's coverage rows as a staffing table (the inverse of
    :func:`requirements_from_staffing`): ``interval_start`` in the problem's time
    zone, ``queue``, ``scheduled`` (= ``required``) and the per-row weights."""
    tz = problem.tz
    return pd.DataFrame({
        "interval_start": [format_instant(r.start.astimezone(tz)) for r in problem.requirements],
        "queue": [r.queue for r in problem.requirements],
        "scheduled": [r.required for r in problem.requirements],
        "under_weight": pd.array([r.under_weight for r in problem.requirements], dtype="Int64"),
        "over_weight": pd.array([r.over_weight for r in problem.requirements], dtype="Int64"),
    })


__all__ = ["read_staffing", "requirements_from_staffing", "staffing_from_requirements"]
