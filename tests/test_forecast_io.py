"""forecast/io.py: reading and writing contact history (CSV, JSON, records); bad
rows are named."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from fieldops.domain.errors import FieldError
from fieldops.domain.workforce import HistoryRow
from fieldops.solver.forecast import (
    read_volumes,
    volumes_from_frame,
    volumes_from_records,
    write_volumes,
)

TZ = "Europe/Berlin"


def _rows() -> pd.DataFrame:
    return pd.DataFrame({
        "interval_start": ["2026-03-02T08:00:00+01:00", "2026-03-02T08:15:00+01:00",
                           "2026-03-02T08:30:00+01:00", "2026-03-02T08:00:00+01:00"],
        "queue": ["voice/en", "voice/en", "voice/en", "chat/en"],
        "offered": [10, 12, 9, 4],
        "aht_seconds": [300, 310, 290, 500],
    })


@pytest.mark.parametrize(("column", "row", "value", "field", "words"), [
    ("offered", 2, -3, "history[2].offered", "at least 0"),
    ("offered", 1, "many", "history[1].offered", "not a number"),
    ("aht_seconds", 0, float("nan"), "history[0].aht_seconds", "not a number"),
    ("interval_start", 1, "2026-03-02T08:00:00+01:00", "history[1].interval_start",
     "duplicate of row 0"),
    ("interval_start", 2, "2026-03-02T08:37:00+01:00", "history[2].interval_start",
     "15-minute grid"),
    ("interval_start", 1, "2026-03-02T08:15:00", "history[1].interval_start", "UTC offset"),
    ("interval_start", 0, "next tuesday", "history[0].interval_start", "ISO 8601"),
    ("queue", 3, "  ", "history[3].queue", "non-empty"),
])
def test_bad_rows_are_named(column: str, row: int, value: object, field: str,
                            words: str) -> None:
    frame = _rows().astype(object)
    frame.loc[row, column] = value
    with pytest.raises(FieldError) as exc:
        volumes_from_frame(frame)
    assert exc.value.field == field
    assert words in exc.value.message


def test_csv_in_the_wrong_shape(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_text("start,queue,calls\n2026-03-02T08:00:00+01:00,voice/en,3\n")
    with pytest.raises(FieldError) as exc:
        read_volumes(path)
    assert exc.value.field == "history.interval_start"
    assert "column is missing" in exc.value.message


def test_csv_and_json_round_trip(tmp_path: Path) -> None:
    volumes = volumes_from_frame(_rows())
    for name in ("h.csv", "h.json"):
        write_volumes(volumes, tmp_path / name, timezone=TZ)
        back = read_volumes(tmp_path / name)
        pd.testing.assert_frame_equal(back.frame, volumes.frame, check_dtype=False)


def test_records_accept_iso_aht_and_name_bad_rows() -> None:
    records = [
        {"interval_start": "2026-03-02T08:00:00+01:00", "queue": "voice/en", "offered": 10,
         "aht": "PT5M"},
        {"interval_start": "2026-03-02T08:15:00+01:00", "queue": "voice/en", "offered": 11,
         "aht_seconds": 290},
    ]
    volumes = volumes_from_records(records)
    assert volumes.frame["aht_seconds"].tolist() == [300.0, 290.0]
    row = HistoryRow(datetime(2026, 3, 2, 7, 30, tzinfo=UTC), "voice/en", 4, timedelta(minutes=4))
    assert volumes_from_records([row]).frame["aht_seconds"].tolist() == [240.0]
    bad = [*records, {"interval_start": "2026-03-02T08:30:00+01:00", "queue": "voice/en",
                      "offered": 3, "aht": "PT5M", "colour": "red"}]
    with pytest.raises(FieldError) as exc:
        volumes_from_records(bad)
    assert exc.value.field == "history[2].colour"
    with pytest.raises(FieldError) as exc:
        volumes_from_records([{**records[0], "aht": "five minutes"}])
    assert exc.value.field == "history[0].aht"
    with pytest.raises(FieldError) as exc:
        volumes_from_records(json.loads('{"not": "a list"}'))
    assert exc.value.field == "history"
