"""solver/slots/remove.py: taking a booked job out without moving anyone."""

from __future__ import annotations

import pytest

from fieldops.domain import FieldError
from fieldops.solver.slots import remove_job
from fieldops.validators.dispatch import assert_valid

from live_fixtures import Day, starts


def test_the_job_leaves_and_everyone_else_keeps_their_start() -> None:
    d = Day()
    problem, plan = remove_job(d.problem, d.published, "A2")
    assert "A2" not in problem.request_by_id
    assert_valid(problem, plan)
    before = starts(d.published)
    del before["A2"]
    assert starts(plan) == before
    assert plan.kpis.jobs_assigned == d.published.kpis.jobs_assigned - 1
    assert plan.penalties["travel"] == d.published.penalties["travel"]  # km 10 → 30 anyway
    _, shorter = remove_job(d.problem, d.published, "A3")  # the drive back from km 30
    assert shorter.penalties["travel"] < d.published.penalties["travel"]
    assert shorter.objective < d.published.objective


def test_the_last_job_of_a_route_takes_the_route_with_it() -> None:
    d = Day()
    problem, plan = remove_job(d.problem, d.published, "B1")
    problem, plan = remove_job(problem, plan, "B2")
    assert_valid(problem, plan)
    assert plan.route_for("S-B") is None


def test_an_unknown_request_names_the_field() -> None:
    d = Day()
    with pytest.raises(FieldError) as err:
        remove_job(d.problem, d.published, "nope")
    assert err.value.field == "request_id"
