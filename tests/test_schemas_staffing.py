"""The staffing table: requirements from it and back, errors naming the row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from fieldops.domain.roster import RosterProblem
from fieldops.schemas.staffing import (
    read_staffing,
    requirements_from_staffing,
    staffing_from_requirements,
)
from test_schemas_roster import field_of, full_problem, local


def staffing_frame() -> pd.DataFrame:
    # As `fieldops staff` writes it: local instants with offsets, fractional `scheduled`.
    return pd.DataFrame({
        "interval_start": ["2026-12-07T08:00:00+01:00", "2026-12-07T08:15:00+01:00",
                           "2026-12-07T08:00:00+01:00", "2026-12-21T08:00:00+01:00"],
        "queue": ["voice/en", "voice/en", "chat/en", "voice/en"],
        "agents": [7, 0, 3, 5],
        "scheduled": [7 / 0.7, 0.0, 3 / 0.7, 5 / 0.7],
    })


def test_requirements_from_staffing_round_up_scheduled_heads() -> None:
    problem = full_problem()
    reqs = requirements_from_staffing(staffing_frame(), within=problem.horizon)
    # 10.0000001 stays 10 (7 / 0.7 in floating point), 4.29 becomes 5; the row two
    # weeks later is outside the horizon.
    assert [(r.start, r.queue, r.required) for r in reqs] == [
        (local(7, 8), "voice/en", 10), (local(7, 8, 15), "voice/en", 0),
        (local(7, 8), "chat/en", 5)]
    assert all(r.start.utcoffset() == timedelta(0) for r in reqs)
    by_agents = requirements_from_staffing(staffing_frame(), "agents")
    assert [r.required for r in by_agents] == [7, 0, 3, 5]
    rebuilt = RosterProblem(**{**{f: getattr(problem, f) for f in (
        "start", "days", "queues", "templates", "contracts", "agents", "timezone", "interval",
        "weights", "name")}, "requirements": reqs})
    assert len(rebuilt.requirements) == 3


def test_requirements_from_staffing_errors_name_the_row(tmp_path: Any) -> None:
    frame = staffing_frame()
    frame.loc[2, "scheduled"] = -1
    assert field_of(requirements_from_staffing, frame) == "staffing[2].scheduled"
    frame = staffing_frame()
    frame.loc[1, "interval_start"] = "2026-12-07T08:15:00"  # no offset: ambiguous at DST
    assert field_of(requirements_from_staffing, frame) == "staffing[1].interval_start"
    frame = staffing_frame()
    frame.loc[1, "interval_start"] = frame.loc[0, "interval_start"]
    assert field_of(requirements_from_staffing, frame) == "staffing[1].interval_start"
    assert field_of(requirements_from_staffing, staffing_frame(),
                    queues=["voice/en"]) == "staffing[2].queue"
    assert field_of(requirements_from_staffing, staffing_frame(), "heads") == "staffing.heads"
    path = tmp_path / "staffing.csv"
    staffing_frame().to_csv(path, index=False)
    assert len(requirements_from_staffing(read_staffing(path))) == 4
    json_path = tmp_path / "staffing.json"
    json_path.write_text(staffing_frame().to_json(orient="records"))
    assert len(requirements_from_staffing(read_staffing(json_path))) == 4


def test_requirements_accept_tz_aware_timestamps() -> None:
    frame = staffing_frame()
    frame["interval_start"] = pd.to_datetime(frame["interval_start"], utc=True)
    reqs = requirements_from_staffing(frame)
    assert reqs[0].start == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)


def test_staffing_table_round_trips_requirements_with_weights(tmp_path: Any) -> None:
    problem = full_problem()
    path = tmp_path / "staffing.csv"
    staffing_from_requirements(problem).to_csv(path, index=False)
    back = requirements_from_staffing(read_staffing(path), within=problem.horizon,
                                      queues=problem.queues)
    assert back == problem.requirements  # same instants (any offset), heads and weights
    assert back[1].under_weight == 500 and back[0].under_weight is None
