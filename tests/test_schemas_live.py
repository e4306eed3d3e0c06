"""schemas/live.py: live events and parameters in JSON, errors naming the field."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fieldops.domain import FieldError
from fieldops.domain.live import Delay, JobStatus, NewRequest, StatusReport, Unavailability
from fieldops.schemas.live import (
    diff_to_json,
    event_from_json,
    event_to_json,
    events_from_json,
    live_params_from_json,
)
from fieldops.solver.dispatch.solve import evaluate_routes
from fieldops.solver.live import plan_diff

from line_world import t
from live_fixtures import Day


def test_every_event_round_trips() -> None:
    d = Day()
    events = [StatusReport("A1", JobStatus.ON_SITE, t(10)), Delay("A1", t(70), t(30)),
              Unavailability("B", t(60), None, "ill", t(55)),
              NewRequest(d.request("N", "E"), t(5))]
    for event in events:
        assert event_from_json(event_to_json(event)) == event


def test_bad_events_name_the_field() -> None:
    with pytest.raises(FieldError) as err:
        events_from_json([{"type": "status", "request_id": "A1", "status": "on_site",
                           "at": "2026-03-02T08:10:00+01:00"},
                          {"type": "delay", "request_id": "A1", "expected_end": "soon",
                           "reported_at": "2026-03-02T08:10:00+01:00"}])
    assert err.value.field == "events[1].expected_end"
    with pytest.raises(FieldError) as err:
        events_from_json([{"type": "lunch"}])
    assert err.value.field == "events[0].type"
    with pytest.raises(FieldError) as err:
        event_from_json({"type": "unavailable", "technician_id": "B",
                         "start": "2026-03-02T10:00:00+01:00",
                         "end": "2026-03-02T09:00:00+01:00"}, "event")
    assert err.value.field == "event.end"


def test_live_params_and_diff() -> None:
    assert live_params_from_json({"freeze_horizon": "PT30M"}).freeze_horizon == timedelta(
        minutes=30)
    d = Day()
    other = evaluate_routes(d.problem, {"S-A": ["A1", "A3"], "S-B": ["B1", "A2", "B2"]})
    out = diff_to_json(plan_diff(d.published, other))
    assert out["notify"] == ["A", "B"]
    assert out["technicians"][0]["removed"] == ["A2"]
