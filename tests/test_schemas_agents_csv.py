"""The agent CSV format (an HR export): cells to agent JSON, errors naming row and field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from fieldops.domain.roster import QueueSkill
from fieldops.schemas.agents_csv import agent_row_to_json, agent_rows_from_csv, read_agents_csv
from fieldops.schemas.requests_csv import CsvFormatError, CsvRowError


def test_a_row_becomes_the_agent_json_of_a_roster_problem() -> None:
    row = {"id": " ann ", "name": "Ann", "email": "", "contract": "full",
           "queues": "voice/en:5; chat/en", "days_off": "2026-12-08;2026-12-24",
           "unavailable": "2026-12-07T09:00+01:00/2026-12-07T11:00+01:00",
           "templates": "early;late"}
    assert agent_row_to_json(row) == {
        "id": "ann", "name": "Ann", "contract": "full",
        "skills": [{"queue": "voice/en", "proficiency": 5}, {"queue": "chat/en"}],
        "days_off": ["2026-12-08", "2026-12-24"],
        "unavailable": [{"start": "2026-12-07T09:00+01:00", "end": "2026-12-07T11:00+01:00"}],
        "templates": ["early", "late"],
    }


def test_read_agents_csv_checks_every_agent(tmp_path: Path) -> None:
    path = tmp_path / "hr.csv"
    path.write_text("id,contract,queues,days_off\nann,full,voice:5;chat:2,2026-12-08\n"
                    "bo,part,chat,\n", encoding="utf-8")
    ann, bo = read_agents_csv(path)
    assert ann.skills == (QueueSkill("voice", 5), QueueSkill("chat", 2))
    assert ann.days_off == frozenset({date(2026, 12, 8)})
    assert bo.contract == "part" and bo.skills == (QueueSkill("chat", 3),)

    path.write_text("id,contract,queues\nann,full,voice:7\n", encoding="utf-8")
    with pytest.raises(CsvRowError) as err:
        read_agents_csv(path)
    assert err.value.row == 1 and err.value.error.field == "skills[0].proficiency"


@pytest.mark.parametrize(("text", "field"), [
    ("id,contract,queues\nann,full,voice:x\n", "queues[0].proficiency"),
    ("id,queues\nann,voice\n", "contract"),
    ("id,contract,unavailable\nann,full,2026-12-07\n", "unavailable[0]"),
])
def test_bad_cells_name_the_column(text: str, field: str) -> None:
    with pytest.raises(CsvRowError) as err:
        list(agent_rows_from_csv(text))
    assert err.value.error.field == field and err.value.row == 1


def test_unknown_column_is_a_format_error() -> None:
    with pytest.raises(CsvFormatError) as err:
        list(agent_rows_from_csv("id,contract,salary\nann,full,1\n"))
    assert err.value.field == "salary"
