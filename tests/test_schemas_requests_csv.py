"""The request CSV format, read without the API (the CLI and the API share it)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from fieldops.domain import Priority, Skill
from fieldops.schemas.requests_csv import (
    CsvFormatError,
    CsvRowError,
    TooManyRows,
    read_requests_csv,
    request_rows_from_csv,
)

HEAD = "id,lat,lon,address,duration,windows,required_skills,priority,excluded_technicians\n"
ROW = ("r1,52.5,13.4,Main St 1,PT30M,2026-03-02T08:00:00+01:00/2026-03-02T10:00:00+01:00;"
       "2026-03-02T13:00:00+01:00/2026-03-02T15:00:00+01:00,gas:2;water,high,t1;t2\n")


def test_a_row_becomes_a_request(tmp_path: Path) -> None:
    path = tmp_path / "requests.csv"
    path.write_text(HEAD + ROW + "r2,52.6,13.5,,PT1H,,,,\n", encoding="utf-8")
    first, second = read_requests_csv(path)
    assert first.location.address == "Main St 1" and first.duration == timedelta(minutes=30)
    assert [w.start.hour for w in first.windows] == [8, 13]
    assert first.required_skills == (Skill("gas", 2), Skill("water", 1))
    assert first.priority is Priority.HIGH
    assert first.excluded_technicians == ("t1", "t2")
    assert second.windows == () and second.priority is Priority.NORMAL  # empty: default


@pytest.mark.parametrize(("text", "field"), [
    (HEAD + ROW.replace("52.5", "north"), "lat"),
    (HEAD + ROW.replace("gas:2", "gas:two"), "required_skills[0].level"),
    (HEAD + ROW.replace("/2026-03-02T10", " 2026-03-02T10"), "windows[0]"),
])
def test_unreadable_cells_name_the_row_and_field(text: str, field: str) -> None:
    with pytest.raises(CsvRowError) as info:
        list(request_rows_from_csv(text))
    assert info.value.row == 1 and info.value.error.field == field


def test_invalid_request_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "requests.csv"
    path.write_text(HEAD + ROW + ROW.replace("r1,", "r2,").replace("PT30M", "half an hour"))
    with pytest.raises(CsvRowError) as info:
        read_requests_csv(path)
    assert info.value.row == 2 and info.value.error.field == "[1].duration"


@pytest.mark.parametrize(("raw", "row"), [
    (b"", None),
    ((HEAD + ROW).encode() + b"\xff\n", None),
    ("id,colour\nr1,blue\n", None),
    (HEAD + "r1,52.5\n", 1),
])
def test_malformed_files_are_refused(raw: bytes | str, row: int | None) -> None:
    with pytest.raises(CsvFormatError) as info:
        list(request_rows_from_csv(raw))
    assert info.value.row == row


def test_row_limit() -> None:
    with pytest.raises(TooManyRows):
        list(request_rows_from_csv(HEAD + ROW * 3, limit=2))
    assert len(list(request_rows_from_csv(HEAD + ROW * 2, limit=2))) == 2
