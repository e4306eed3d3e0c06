"""The sample-day generator and the bundled demo day."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, time, timedelta
from importlib import resources

import pytest
from geopy.distance import geodesic

from fieldops.data.sample import (
    CITIES,
    demo_day_json,
    generate_field_day,
    load_demo_day,
)
from fieldops.domain import DispatchProblem, FieldError, Priority, TravelProvider
from fieldops.schemas import problem_to_json

# Place Bellecour and Alexanderplatz: the metro areas are about 25 km across.
CENTRES = {"lyon": (45.7578, 4.8320), "berlin": (52.5219, 13.4132)}


@pytest.fixture(scope="module")
def day() -> DispatchProblem:
    return generate_field_day(350, 50, seed=7)


def test_same_arguments_give_the_same_day() -> None:
    a = problem_to_json(generate_field_day(60, 8, seed=3))
    b = problem_to_json(generate_field_day(60, 8, seed=3))
    c = problem_to_json(generate_field_day(60, 8, seed=4))
    assert a == b
    assert a != c


def test_bundled_demo_equals_generator_output() -> None:
    text = resources.files("fieldops.data").joinpath("demo_day.json").read_text("utf-8")
    assert json.loads(text) == demo_day_json(), (
        "demo_day.json drifted: run `python -m fieldops.data.sample --write-demo`"
    )


def test_load_demo_day() -> None:
    problem = load_demo_day()
    assert len(problem.technicians) == 30
    assert len(problem.requests) == 250
    assert problem.timezone == "Europe/Paris"
    assert problem.travel.provider is TravelProvider.GEODESIC
    assert problem.travel.detour_factor == 1.3 and problem.travel.speed_kmh == 30.0


@pytest.mark.parametrize("city", sorted(CITIES))
def test_everything_lies_in_the_metro_area(city: str) -> None:
    problem = generate_field_day(200, 25, seed=1, city=city)
    assert problem.timezone == {"lyon": "Europe/Paris", "berlin": "Europe/Berlin"}[city]
    points = [t.home for t in problem.technicians] + [r.location for r in problem.requests]
    far = max(geodesic(CENTRES[city], (p.lat, p.lon)).km for p in points)
    assert 5 < far < 18, "spread over the area, within a ~25 km metro area"
    assert all(p.address and any(ch.isdigit() for ch in p.address) for p in points)


def test_technicians_and_shifts(day: DispatchProblem) -> None:
    tz = day.tz
    assert day.skills is not None and len(day.skills) == 8
    for tech in day.technicians:
        assert 2 <= len(tech.skills) <= 4
        assert all(1 <= s.level <= 3 for s in tech.skills)
    levels = Counter(s.level for t in day.technicians for s in t.skills)
    assert set(levels) == {1, 2, 3}
    for shift in day.shifts:
        assert shift.start.astimezone(tz).time() == time(8, 0)
        assert shift.end.astimezone(tz).time() == time(17, 0)
        assert shift.max_overtime == timedelta(hours=1)
        assert shift.lunch is not None and shift.lunch.duration == timedelta(minutes=30)
        assert shift.lunch.earliest_start.astimezone(tz).time() == time(11, 30)
        latest_end = shift.lunch.latest_start + shift.lunch.duration
        assert latest_end.astimezone(tz).time() == time(13, 30)


def test_jobs_look_like_a_field_service_day(day: DispatchProblem) -> None:
    reqs = day.requests
    n = len(reqs)
    assert all(timedelta(minutes=20) <= r.duration <= timedelta(minutes=120) for r in reqs)
    with_window = [r for r in reqs if r.windows]
    assert 0.5 < len(with_window) / n < 0.7
    for r in with_window:
        (w,) = r.windows
        assert timedelta(hours=2) <= w.duration <= timedelta(hours=4)
        # the job can still be finished by 17:30
        assert (w.end + r.duration).astimezone(day.tz).time() <= time(17, 30)
        assert w.start.astimezone(day.tz).date() == date(2026, 3, 3)
    shares = Counter(r.priority for r in reqs)
    assert 0.01 < shares[Priority.CRITICAL] / n < 0.10
    assert 0.13 < shares[Priority.HIGH] / n < 0.27
    assert 0.45 < shares[Priority.NORMAL] / n < 0.65
    assert 0.13 < shares[Priority.LOW] / n < 0.27
    assert {r.contract_tier for r in reqs} == {"gold", "silver", "bronze"}
    assert len({r.job_type for r in reqs}) > 10
    assert all(r.customer_name and r.customer_id for r in reqs)
    assert any(r.preferred_technicians for r in reqs)
    assert any(r.excluded_technicians for r in reqs)
    # most jobs have someone qualified; a dispatcher sees a few that nobody can do
    qualified = [
        r for r in reqs if any(t.qualifies_for(r.required_skills) for t in day.technicians)
    ]
    assert len(qualified) / n > 0.93


def test_sla_deadlines_follow_the_tiers(day: DispatchProblem) -> None:
    for r in day.requests:
        deadline = day.sla_deadline(r)
        assert r.created_at is not None and deadline is not None
        if r.contract_tier == "gold":
            assert deadline == r.created_at + timedelta(hours=4)
        elif r.contract_tier == "silver":
            assert deadline == r.created_at + timedelta(hours=8)
        else:  # created Monday 2026-03-02, next business day is the planning day
            assert r.created_at.astimezone(day.tz).date() == date(2026, 3, 2)
            assert deadline.astimezone(day.tz).replace(tzinfo=None).isoformat() == (
                "2026-03-03T17:00:00"
            )


def test_a_couple_of_pins_to_qualified_technicians(day: DispatchProblem) -> None:
    pinned = [r for r in day.requests if r.pinned_technician]
    assert len(pinned) == 2
    assert len({r.pinned_technician for r in pinned}) == 2
    for r in pinned:
        assert r.pinned_technician is not None
        assert day.technician_by_id[r.pinned_technician].qualifies_for(r.required_skills)
    timed = [r for r in pinned if r.pinned_start]
    assert len(timed) == 1 and not timed[0].windows


def test_bad_arguments_name_the_field() -> None:
    with pytest.raises(FieldError) as err:
        generate_field_day(0, 3)
    assert err.value.field == "n_jobs"
    with pytest.raises(FieldError) as err:
        generate_field_day(10, 3, city="paris")
    assert err.value.field == "city"


def test_docs_example_runs() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "sample-data.md").read_text()
    blocks = text.split("```python\n")[1:]
    assert blocks, "docs/sample-data.md lost its example"
    for block in blocks:
        exec(compile(block.split("```", 1)[0], "docs/sample-data.md", "exec"), {})
