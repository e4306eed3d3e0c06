"""CSV exports run no formula in a spreadsheet (OWASP); fieldops reads its own back."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from fieldops.domain import DispatchPlan
from fieldops.domain.spreadsheet import FORMULA_STARTS, escape_cell, escape_frame, unescape_cell
from fieldops.reports import routes_csv

from dispatch_fixtures import small_plan, small_problem

PAYLOADS = [f"{c}HYPERLINK(\"http://x\",\"y\")" for c in FORMULA_STARTS]


@pytest.mark.parametrize("value", PAYLOADS)
def test_formula_text_gets_a_quote(value: str) -> None:
    assert escape_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["ann", "R-1", "2026-03-02T08:00:00+01:00", "", "'quoted"])
def test_plain_text_is_kept(value: str) -> None:
    assert escape_cell(value) == value


@pytest.mark.parametrize("value", [-4.83, -7, 0, 12.5, None])
def test_numbers_are_untouched(value: object) -> None:
    assert escape_cell(value) == value


def _hostile(plan: DispatchPlan) -> DispatchPlan:
    """Every id and address of ``plan`` rewritten to start with a formula character."""
    routes = []
    for n, route in enumerate(plan.routes):
        steps = []
        for m, step in enumerate(route.steps):
            c = FORMULA_STARTS[(n + m) % len(FORMULA_STARTS)]
            loc = step.location
            steps.append(replace(
                step,
                request_id=None if step.request_id is None else f"{c}cmd|{step.request_id}",
                location=None if loc is None else replace(loc, address=f"{c}SUM(A1)"),
            ))
        routes.append(replace(route, shift_id=f"=S{n}", technician_id=f"@T{n}",
                              steps=tuple(steps)))
    return replace(plan, routes=tuple(routes))


def test_routes_csv_has_no_formula_cell() -> None:
    plan = _hostile(small_plan(small_problem()))
    rows = list(csv.reader(io.StringIO(routes_csv(plan), newline="")))
    cells = [cell for row in rows[1:] for cell in row]
    escaped = [cell for cell in cells if cell.startswith("'")]
    assert len(escaped) >= 3 * len(rows[1:])  # shift, technician, address at least
    assert not [cell for cell in cells if cell.startswith(("=", "+", "@", "\t", "\r"))]
    # Negative numbers stay numbers; text beginning with "-" is escaped.
    assert not [cell for cell in cells if cell.startswith("-") and not _is_number(cell)]
    first_job = next(row for row in rows[1:] if row[3] == "job")
    assert first_job[4].startswith("'") and first_job[4][1:].startswith(FORMULA_STARTS)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_escape_frame_escapes_text_columns_only() -> None:
    frame = pd.DataFrame({"agent_id": ["=evil", "ana"], "paid_hours": [-1.5, 8.0]})
    out = escape_frame(frame)
    assert out["agent_id"].tolist() == ["'=evil", "ana"]
    assert out["paid_hours"].tolist() == [-1.5, 8.0]


def test_roster_table_csv_is_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fieldops.reports import roster_chart

    table = pd.DataFrame({"agent_id": ["+1", "ben"], "name": ["@x", "Ben"], "shifts": [-3, 2]})
    monkeypatch.setattr(roster_chart, "roster_table", lambda roster, problem: table)
    path = roster_chart.write_roster_table(None, None, tmp_path / "r.csv")  # type: ignore[arg-type]
    back = pd.read_csv(path)
    assert back["agent_id"].tolist() == ["'+1", "ben"]
    assert back["name"].tolist() == ["'@x", "Ben"]
    assert back["shifts"].tolist() == [-3, 2]


def test_forecast_csv_is_escaped_and_reads_back(tmp_path: Path) -> None:
    from fieldops.solver.forecast.io import read_volumes, volumes_from_frame, write_volumes

    starts = pd.date_range("2026-03-02 08:00", periods=2, freq="15min", tz="UTC")
    volumes = volumes_from_frame(pd.DataFrame({
        "interval_start": [t.isoformat() for t in starts], "queue": ["=cmd|x", "-voice"],
        "offered": [3.0, 4.0], "aht_seconds": [300.0, 280.0]}))
    path = tmp_path / "volumes.csv"
    write_volumes(volumes, path)
    text = path.read_text(encoding="utf-8")
    assert "'=cmd|x" in text and "'-voice" in text
    back = read_volumes(path)
    assert sorted(back.frame["queue"].unique()) == ["-voice", "=cmd|x"]
    pd.testing.assert_frame_equal(back.frame, volumes.frame, check_dtype=False)


def test_unescape_is_the_inverse() -> None:
    for value in [*PAYLOADS, "ann", "'plain", -3.5]:
        assert unescape_cell(escape_cell(value)) == value
