"""The request CSV format: one service request per row (columns in docs/api.md).

A header row names the columns (any order, any subset of :data:`CSV_COLUMNS`).
Empty cells mean "not given". ``lat``/``lon``/``address`` make the location;
``window_start``/``window_end`` give one window and ``windows`` more as
``start/end;start/end``; ``required_skills`` is ``name:level;name`` (level 1 when
left out); the technician lists are ``;``-separated ids. Each row becomes the
request JSON of :class:`~fieldops.schemas.dispatch.RequestSchema`, which the API
import and the CLI then read like any other request.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fieldops.domain.errors import FieldError
from fieldops.domain.requests import ServiceRequest
from fieldops.schemas.dispatch import request_from_json

CSV_LIST_SEP = ";"
CSV_COLUMNS = frozenset({
    "id", "customer_id", "customer_name", "customer_phone", "lat", "lon", "address",
    "duration", "window_start", "window_end", "windows", "required_skills", "priority",
    "contract_tier", "created_at", "preferred_technicians", "required_technicians",
    "excluded_technicians", "pinned_technician", "pinned_start", "load", "job_type",
    "description",
})
_TEXT_COLUMNS = ("id", "customer_id", "customer_name", "customer_phone", "duration",
                 "priority", "contract_tier", "created_at", "pinned_technician",
                 "pinned_start", "job_type", "description")
_ID_LISTS = ("preferred_technicians", "required_technicians", "excluded_technicians")


class CsvFormatError(ValueError):
    """The file is not a well-formed request CSV (encoding, header, cell count)."""

    def __init__(self, message: str, *, field: str = "body", row: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field  # the column at fault, else the file as a whole: "body"
        self.row = row


class TooManyRows(ValueError):
    """More rows than the caller allows."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"too many rows: at most {limit}")
        self.limit = limit


class CsvRowError(ValueError):
    """A row (1-based ``row``) whose cells are not a valid request."""

    def __init__(self, row: int, error: FieldError) -> None:
        super().__init__(f"row {row}: {error}")
        self.row = row
        self.error = error


def _number(value: str, field: str, cast: type = float) -> Any:
    try:
        return cast(value)
    except ValueError:
        raise FieldError(field, f"{value!r} is not a number") from None


def request_row_to_json(row: dict[str, str]) -> dict[str, Any]:
    """One CSV row to the request JSON :func:`request_from_json` reads.

    A cell holding NUL is refused (no database text column can store it).
    """
    for key, value in row.items():
        if value is not None and "\x00" in value:
            raise FieldError(str(key), "must not contain NUL characters")
    cells = {k: v.strip() for k, v in row.items() if v is not None and v.strip()}
    out: dict[str, Any] = {key: cells[key] for key in _TEXT_COLUMNS if key in cells}
    loc: dict[str, Any] = {key: _number(cells[key], key) for key in ("lat", "lon")
                           if key in cells}
    if "address" in cells:
        loc["address"] = cells["address"]
    if loc:
        out["location"] = loc
    if "load" in cells:
        out["load"] = _number(cells["load"], "load")
    windows = []
    if "window_start" in cells or "window_end" in cells:
        windows.append({"start": cells.get("window_start"), "end": cells.get("window_end")})
    for i, part in enumerate(filter(None, cells.get("windows", "").split(CSV_LIST_SEP))):
        start, sep, end = part.partition("/")
        if not sep:
            raise FieldError(f"windows[{i}]", "write windows as start/end;start/end")
        windows.append({"start": start.strip(), "end": end.strip()})
    if windows:
        out["windows"] = windows
    skills = []
    for i, part in enumerate(filter(None, cells.get("required_skills", "").split(CSV_LIST_SEP))):
        name, sep, level = part.partition(":")
        skills.append({"name": name.strip(),
                       "level": _number(level, f"required_skills[{i}].level", int)
                       if sep else 1})
    if skills:
        out["required_skills"] = skills
    for key in _ID_LISTS:
        if key in cells:
            out[key] = [p.strip() for p in cells[key].split(CSV_LIST_SEP) if p.strip()]
    return out


def request_rows_from_csv(raw: bytes | str, limit: int | None = None
                          ) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(row number, request JSON)`` per data row, numbered from 1.

    Raises :class:`CsvFormatError`, :class:`TooManyRows` (beyond ``limit`` rows)
    or :class:`CsvRowError` (a cell that cannot be read, e.g. ``lat`` not a number).
    """
    return csv_rows(raw, CSV_COLUMNS, request_row_to_json, limit)


def csv_rows(raw: bytes | str, columns: frozenset[str],
             convert: Callable[[dict[str, str]], dict[str, Any]], limit: int | None = None
             ) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(row number, convert(row))`` per data row of a UTF-8 CSV with a header.

    The one CSV reader of the imports (requests, agents): the header may hold any
    subset of ``columns`` in any order. Raises :class:`CsvFormatError`,
    :class:`TooManyRows` (beyond ``limit`` rows) or :class:`CsvRowError` (a
    :class:`FieldError` raised by ``convert``, with its row number).
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CsvFormatError(f"CSV is not UTF-8 (byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(raw, newline=""), strict=True)
    try:
        header = reader.fieldnames
        if not header:
            raise CsvFormatError("CSV is empty: expected a header row")
        unknown = [h for h in header if h not in columns]
        if unknown:
            raise CsvFormatError(f"unknown CSV column {unknown[0]!r}", field=unknown[0])
        if len(set(header)) != len(header):
            raise CsvFormatError("duplicate CSV column")
        for number, row in enumerate(reader, start=1):
            if limit is not None and number > limit:
                raise TooManyRows(limit)
            if None in row or any(v is None for v in row.values()):
                raise CsvFormatError(
                    f"row {number} (line {reader.line_num}) has "
                    f"{'more' if None in row else 'fewer'} cells than the header", row=number)
            try:
                yield number, convert(row)
            except FieldError as exc:
                raise CsvRowError(number, exc) from None
    except csv.Error as exc:
        raise CsvFormatError(f"malformed CSV at line {reader.line_num}: {exc}") from None


def read_requests_csv(path: str | Path) -> list[ServiceRequest]:
    """Every request of a CSV file; errors name the row (``[3].duration``)."""
    requests = []
    for number, data in request_rows_from_csv(Path(path).read_bytes()):
        try:
            requests.append(request_from_json(data, f"[{number - 1}]"))
        except FieldError as exc:
            raise CsvRowError(number, exc) from None
    return requests


__all__ = [
    "CSV_COLUMNS",
    "CSV_LIST_SEP",
    "CsvFormatError",
    "CsvRowError",
    "TooManyRows",
    "csv_rows",
    "read_requests_csv",
    "request_row_to_json",
    "request_rows_from_csv",
]
