"""validators/promises.py: booked windows are kept, independently checked."""

from __future__ import annotations

import pytest

from fieldops.domain import TimeWindow
from fieldops.validators.promises import assert_promises_kept, validate_promises

from line_world import t
from live_fixtures import Day


def test_a_start_inside_the_promise_passes_and_one_outside_is_named() -> None:
    d = Day()  # A1 starts 08:10, A2 08:50
    assert validate_promises(d.published, {"A1": TimeWindow(t(0), t(120))}) == []
    broken = validate_promises(d.published, {"A2": TimeWindow(t(120), t(240))})
    assert [(v.code, v.request_id, v.shift_id) for v in broken] == [
        ("promise-broken", "A2", "S-A")]


def test_a_booked_job_missing_from_the_plan_is_a_dropped_promise() -> None:
    d = Day()
    broken = validate_promises(d.published, {"GONE": TimeWindow(t(0), t(120))})
    assert [(v.code, v.request_id) for v in broken] == [("promise-dropped", "GONE")]
    with pytest.raises(AssertionError, match="promise-dropped"):
        assert_promises_kept(d.published, {"GONE": TimeWindow(t(0), t(120))})
