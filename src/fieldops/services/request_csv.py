"""The request CSV format: one request per row, read into the request JSON.

Columns are listed in :data:`CSV_COLUMNS` (and in docs/api.md); empty cells mean
"not given"; lists are ``;``-separated (windows as ``start/end``, skills as
``name:level``). The rows are handed to the request codec like JSON ones, so both
formats give the same errors.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from fieldops.domain.errors import FieldError
from fieldops.services.errors import BadInput, RowError, TooLarge

CSV_LIST_SEP = ";"
CSV_COLUMNS = {
    "id", "customer_id", "customer_name", "customer_phone", "lat", "lon", "address",
    "duration", "window_start", "window_end", "windows", "required_skills", "priority",
    "contract_tier", "created_at", "preferred_technicians", "required_technicians",
    "excluded_technicians", "pinned_technician", "pinned_start", "load", "job_type",
    "description",
}
_PLAIN = ("id", "customer_id", "customer_name", "customer_phone", "duration", "priority",
          "contract_tier", "created_at", "pinned_technician", "pinned_start", "job_type",
          "description")
_TECHNICIAN_LISTS = ("preferred_technicians", "required_technicians", "excluded_technicians")
MALFORMED = "malformed-csv"


def too_many(limit: int) -> TooLarge:
    return TooLarge(f"too many rows: at most {limit} per import; split the file",
                    field="requests")


def row_error(number: int, exc: FieldError) -> RowError:
    """Row ``number`` (1-based) of a batch is invalid."""
    return RowError(f"row {number}: {exc}", field=exc.field, row=number)


def _number(value: str, field: str, cast: type = float) -> Any:
    try:
        return cast(value)
    except ValueError:
        raise FieldError(field, f"{value!r} is not a number") from None


def _windows(cells: dict[str, str]) -> list[dict[str, Any]]:
    windows: list[dict[str, Any]] = []
    if "window_start" in cells or "window_end" in cells:
        windows.append({"start": cells.get("window_start"), "end": cells.get("window_end")})
    for i, part in enumerate(filter(None, cells.get("windows", "").split(CSV_LIST_SEP))):
        start, sep, end = part.partition("/")
        if not sep:
            raise FieldError(f"windows[{i}]", "write windows as start/end;start/end")
        windows.append({"start": start.strip(), "end": end.strip()})
    return windows


def _skills(cells: dict[str, str]) -> list[dict[str, Any]]:
    skills = []
    for i, part in enumerate(filter(None, cells.get("required_skills", "").split(CSV_LIST_SEP))):
        name, sep, level = part.partition(":")
        skills.append({"name": name.strip(),
                       "level": _number(level, f"required_skills[{i}].level", int)
                       if sep else 1})
    return skills


def row_to_json(row: dict[str, str]) -> dict[str, Any]:
    """One CSV row to the request JSON the codec reads. Empty cells mean 'not given'."""
    cells = {k: v.strip() for k, v in row.items() if v is not None and v.strip()}
    out: dict[str, Any] = {key: cells[key] for key in _PLAIN if key in cells}
    loc: dict[str, Any] = {key: _number(cells[key], key) for key in ("lat", "lon")
                           if key in cells}
    if "address" in cells:
        loc["address"] = cells["address"]
    if loc:
        out["location"] = loc
    if "load" in cells:
        out["load"] = _number(cells["load"], "load")
    windows = _windows(cells)
    if windows:
        out["windows"] = windows
    skills = _skills(cells)
    if skills:
        out["required_skills"] = skills
    for key in _TECHNICIAN_LISTS:
        if key in cells:
            out[key] = [p.strip() for p in cells[key].split(CSV_LIST_SEP) if p.strip()]
    return out


def _check_header(header: list[str] | None) -> None:
    if not header:
        raise BadInput("CSV is empty: expected a header row", kind=MALFORMED)
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise BadInput(f"unknown CSV column {unknown[0]!r}", field=unknown[0], kind=MALFORMED)
    if len(set(header)) != len(header):
        raise BadInput("duplicate CSV column", kind=MALFORMED)


def rows_from_csv(raw: bytes, limit: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(row number, request JSON)`` of each row of a UTF-8 CSV with a header.

    Raises :class:`BadInput` for a file that is not CSV of known columns,
    :class:`TooLarge` past ``limit`` rows and :class:`RowError` for a bad cell.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput(f"CSV is not UTF-8 (byte {exc.start})", kind=MALFORMED) from None
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        _check_header(list(reader.fieldnames) if reader.fieldnames else None)
        for number, row in enumerate(reader, start=1):
            if number > limit:
                raise too_many(limit)
            if None in row or any(v is None for v in row.values()):
                raise BadInput(f"row {number} (line {reader.line_num}) has "
                               f"{'more' if None in row else 'fewer'} cells than the header",
                               row=number, kind=MALFORMED)
            try:
                yield number, row_to_json(row)
            except FieldError as exc:
                raise row_error(number, exc) from None
    except csv.Error as exc:
        raise BadInput(f"malformed CSV at line {reader.line_num}: {exc}",
                       kind=MALFORMED) from None
