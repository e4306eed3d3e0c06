"""Read, validate and write contact volumes (history or forecast) as CSV, JSON or records."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from fieldops.domain.errors import FieldError
from fieldops.domain.spreadsheet import escape_frame, unescape_frame
from fieldops.domain.workforce import (
    DEFAULT_INTERVAL,
    VOLUME_COLUMNS,
    ContactVolumes,
    Forecast,
    HistoryRow,
)
from fieldops.schemas.scalars import format_duration


def _row_error(path: str, row: int, column: str, message: str) -> FieldError:
    return FieldError(f"{path}[{row}].{column}", message)


def volumes_from_frame(
    frame: pd.DataFrame, interval: timedelta = DEFAULT_INTERVAL, path: str = "history"
) -> ContactVolumes:
    """Validate a frame with columns ``interval_start, queue, offered, aht_seconds``.

    Row numbers in errors are 0-based positions in ``frame`` as given.
    ``interval_start`` values must carry a UTC offset (strings like
    ``2026-01-05T08:00:00+01:00`` or tz-aware timestamps).
    """
    if not isinstance(frame, pd.DataFrame):
        raise FieldError(path, "must be a table with columns " + ", ".join(VOLUME_COLUMNS))
    if interval <= timedelta(0) or timedelta(days=1) % interval:
        raise FieldError("interval", "must divide a day, e.g. PT15M or PT30M")
    for column in VOLUME_COLUMNS:
        if column not in frame.columns:
            raise FieldError(f"{path}.{column}", "column is missing (expected columns: "
                             f"{', '.join(VOLUME_COLUMNS)})")
    df = frame.reset_index(drop=True)
    out = pd.DataFrame(index=df.index)
    # Instants: parse, then insist on an offset (a bare local time is ambiguous at DST).
    raw = df["interval_start"]
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        starts = raw.dt.tz_convert("UTC")
    else:
        as_text = raw.astype(str)
        try:
            starts = pd.to_datetime(as_text, utc=True, format="ISO8601")
        except (ValueError, TypeError):
            starts = pd.to_datetime(as_text, utc=True, format="ISO8601", errors="coerce")
            bad = int(np.flatnonzero(starts.isna().to_numpy())[0])
            raise _row_error(path, bad, "interval_start",
                             f"{raw.iloc[bad]!r} is not an ISO 8601 instant") from None
        has_offset = as_text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
        if not bool(has_offset.all()):
            bad = int(np.flatnonzero(~has_offset.to_numpy())[0])
            raise _row_error(path, bad, "interval_start",
                             f"{raw.iloc[bad]!r} has no UTC offset (add e.g. +01:00 or Z)")
    if starts.isna().any():
        bad = int(np.flatnonzero(starts.isna().to_numpy())[0])
        raise _row_error(path, bad, "interval_start", "is required")
    out["interval_start"] = starts
    queues = df["queue"]
    blank = queues.isna() | (queues.astype(str).str.strip() == "")
    if blank.any():
        raise _row_error(path, int(np.flatnonzero(blank.to_numpy())[0]), "queue",
                         "must be a non-empty string")
    out["queue"] = queues.astype(str).str.strip()
    for column in ("offered", "aht_seconds"):
        values = pd.to_numeric(df[column], errors="coerce")
        bad_mask = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
        if bad_mask.any():
            bad = int(np.flatnonzero(bad_mask.to_numpy())[0])
            raise _row_error(path, bad, column, f"{df[column].iloc[bad]!r} is not a number")
        negative = values < 0
        if negative.any():
            raise _row_error(path, int(np.flatnonzero(negative.to_numpy())[0]), column,
                             "must be at least 0")
        out[column] = values.astype(float)
    step = pd.Timedelta(interval)
    epoch_offset = (out["interval_start"] - pd.Timestamp("2000-01-01", tz="UTC")) % step
    off_grid = epoch_offset != pd.Timedelta(0)
    if off_grid.any():
        bad = int(np.flatnonzero(off_grid.to_numpy())[0])
        raise _row_error(path, bad, "interval_start",
                         f"{out['interval_start'].iloc[bad].isoformat()} is not on the "
                         f"{int(step.total_seconds() // 60)}-minute grid")
    dup = out.duplicated(["queue", "interval_start"], keep=False)
    if dup.any():
        rows = np.flatnonzero(dup.to_numpy())
        first = rows[0]
        key = (out["queue"].iloc[first], out["interval_start"].iloc[first])
        same = [r for r in rows if (out["queue"].iloc[r], out["interval_start"].iloc[r]) == key]
        raise _row_error(path, int(same[1]), "interval_start",
                         f"duplicate of row {same[0]} (queue {key[0]!r}, {key[1].isoformat()})")
    extra = [c for c in ("method",) if c in df.columns]
    for c in extra:
        out[c] = df[c].astype(str)
    out = out.sort_values(["queue", "interval_start"], kind="stable").reset_index(drop=True)
    return ContactVolumes(frame=out, interval=interval)


def volumes_from_records(
    records: Sequence[Mapping[str, object] | HistoryRow],
    interval: timedelta = DEFAULT_INTERVAL,
    path: str = "history",
) -> ContactVolumes:
    """Validate JSON-like records (``aht`` ISO 8601 duration or ``aht_seconds`` number).

    :class:`HistoryRow` objects are accepted as well.
    """
    if isinstance(records, Mapping) or not isinstance(records, Sequence):
        raise FieldError(path, "must be a JSON array of records")
    from fieldops.schemas.scalars import parse_duration

    allowed = {"interval_start", "queue", "offered", "aht", "aht_seconds", "method"}
    rows: list[dict[str, object]] = []
    for i, item in enumerate(records):
        rec = ({"interval_start": item.interval_start, "queue": item.queue,
                "offered": item.offered, "aht": item.aht}
               if isinstance(item, HistoryRow) else item)
        if not isinstance(rec, Mapping):
            raise FieldError(f"{path}[{i}]", "must be a JSON object")
        unknown = sorted(set(rec) - allowed)
        if unknown:
            raise _row_error(path, i, unknown[0], "is not a known field")
        for key in ("interval_start", "queue", "offered"):
            if rec.get(key) is None:
                raise _row_error(path, i, key, "is required")
        if (rec.get("aht") is None) == (rec.get("aht_seconds") is None):
            raise _row_error(path, i, "aht", "give exactly one of aht (ISO 8601) or aht_seconds")
        if rec.get("aht") is not None:
            aht_value = rec["aht"]
            aht = (aht_value.total_seconds() if isinstance(aht_value, timedelta)
                   else parse_duration(aht_value, f"{path}[{i}].aht").total_seconds())
        else:
            aht = rec["aht_seconds"]  # type: ignore[assignment]
        start = rec["interval_start"]
        for key, value in (("offered", rec["offered"]), ("aht_seconds", aht)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
                value
            ):
                raise _row_error(path, i, key, "must be a finite number")
        if isinstance(start, datetime):
            if start.tzinfo is None:
                raise _row_error(path, i, "interval_start", "must carry a UTC offset")
            start = start.isoformat()
        rows.append({"interval_start": start, "queue": rec["queue"],
                     "offered": rec["offered"], "aht_seconds": aht})
    if not rows:
        raise FieldError(path, "must contain at least one record")
    return volumes_from_frame(pd.DataFrame(rows), interval, path)


def read_volumes(
    path: str | Path, interval: timedelta = DEFAULT_INTERVAL, field: str = "history"
) -> ContactVolumes:
    """Read a CSV (``interval_start,queue,offered,aht_seconds``) or JSON file."""
    p = Path(path)
    if not p.is_file():
        raise FieldError(field, f"file {str(p)!r} not found")
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise FieldError(field, f"not valid JSON: {exc}") from None
        if isinstance(data, Mapping):
            data = data.get(field, data.get("history", data.get("forecast")))
        return volumes_from_records(data, interval, field)
    try:
        frame = pd.read_csv(p, dtype={"queue": str}, keep_default_na=False,
                            na_values={"offered": [""], "aht_seconds": [""]})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise FieldError(field, f"not a readable CSV: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return volumes_from_frame(unescape_frame(frame), interval, field)


def volumes_to_records(
    volumes: ContactVolumes, timezone: str | None = None
) -> list[dict[str, object]]:
    """JSON-ready records; instants in ``timezone`` (default UTC) with their offset."""
    frame = volumes.frame
    starts = frame["interval_start"]
    if timezone:
        starts = starts.dt.tz_convert(timezone)
    has_method = "method" in frame.columns
    out: list[dict[str, object]] = []
    for i, (start, queue, offered, aht) in enumerate(zip(
        starts, frame["queue"], frame["offered"], frame["aht_seconds"], strict=True
    )):
        rec: dict[str, object] = {
            "interval_start": start.isoformat(), "queue": queue,
            "offered": round(float(offered), 4), "aht_seconds": round(float(aht), 2),
        }
        if has_method:
            rec["method"] = frame["method"].iloc[i]
        out.append(rec)
    return out


def write_volumes(volumes: ContactVolumes, path: str | Path, timezone: str | None = None) -> None:
    """Write CSV, or JSON when ``path`` ends in ``.json``; instants with offsets."""
    p = Path(path)
    if p.suffix.lower() == ".json":
        p.write_text(json.dumps(volumes_to_records(volumes, timezone)), encoding="utf-8")
        return
    frame = volumes.frame.copy()
    starts = frame["interval_start"]
    if timezone:
        starts = starts.dt.tz_convert(timezone)
    frame["interval_start"] = starts.map(lambda t: t.isoformat())
    frame["offered"] = frame["offered"].round(4)
    frame["aht_seconds"] = frame["aht_seconds"].round(2)
    escape_frame(frame).to_csv(p, index=False)


def forecast_to_json(result: Forecast, timezone: str | None = None) -> dict[str, object]:
    """JSON-ready forecast: ``{"forecast": [records], "backtest": [...], ...}``.

    ``timezone`` defaults to the forecast's own ``settings.timezone``; WAPE and bias
    are fractions (``null`` when a back-test week had no contacts).
    """
    def number(value: float) -> float | None:
        return round(float(value), 6) if math.isfinite(value) else None

    return {
        "timezone": timezone or result.settings.timezone,
        "interval": format_duration(result.volumes.interval),
        "forecast": volumes_to_records(result.volumes, timezone or result.settings.timezone),
        "backtest": [
            {"queue": s.queue, "method": s.method, "wape": number(s.wape),
             "bias": number(s.bias), "chosen": s.chosen}
            for s in result.scores
        ],
        "missing_intervals": dict(result.missing_intervals),
        "fit_seconds": round(result.fit_seconds, 3),
    }
