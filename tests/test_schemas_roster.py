"""Roster JSON: round trips, strictness, error paths, and requirements from staffing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldops.domain.errors import FieldError
from fieldops.domain.roster import (
    Activity,
    Agent,
    Contract,
    CoverageRequirement,
    QueueSkill,
    Roster,
    RosterAssignment,
    RosterParams,
    RosterProblem,
    RosterStatus,
    RosterWeights,
    ShiftPreference,
    ShiftTemplate,
    Unavailability,
)
from fieldops.schemas import (
    roster_from_json,
    roster_params_from_json,
    roster_params_to_json,
    roster_problem_from_json,
    roster_problem_to_json,
    roster_to_json,
    template_from_json,
    template_to_json,
)

BERLIN = ZoneInfo("Europe/Berlin")


def through_json(data: dict[str, Any]) -> Any:
    """What a file or HTTP body would carry: serialised text, parsed back."""
    return json.loads(json.dumps(data))


def field_of(fn: Callable[..., object], *args: object, **kwargs: object) -> str:
    with pytest.raises(FieldError) as exc:
        fn(*args, **kwargs)
    return exc.value.field


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=BERLIN)


def full_problem() -> RosterProblem:
    """Every optional feature used at least once, with non-default values."""
    early = ShiftTemplate("early", time(7, 0), timedelta(hours=8, minutes=30),
                          break_length=timedelta(minutes=30),
                          break_earliest=timedelta(hours=3), break_latest=timedelta(hours=5),
                          days=frozenset({0, 1, 2, 3, 4}), name="Early",
                          forbidden_successors=frozenset())
    night = ShiftTemplate("night", time(22, 0), timedelta(hours=9),
                          break_length=timedelta(minutes=45), break_paid=True,
                          queues=frozenset({"voice/en"}),
                          forbidden_successors=frozenset({"early"}))
    short = ShiftTemplate("short", time(12, 15), timedelta(hours=4))
    full = Contract("full", min_work_per_week=timedelta(hours=30),
                    max_work_per_week=timedelta(hours=40), max_work_total=timedelta(hours=80),
                    max_shifts=10, max_shifts_per_template={"night": 2},
                    max_consecutive_days=5, min_consecutive_days=2,
                    min_consecutive_days_off=2, min_rest=timedelta(hours=11),
                    max_weekends=1, max_nights=3)
    part = Contract("part", min_work_total=timedelta(hours=10))
    agents = (
        Agent("a1", "full", (QueueSkill("voice/en", 5), QueueSkill("chat/en", 2)),
              name="Ann", days_off=frozenset({date(2026, 12, 9)}),
              unavailable=(Unavailability(local(10, 9), local(10, 11), "doctor"),),
              preferences=(ShiftPreference(date(2026, 12, 8), "early", True, 3),
                           ShiftPreference(date(2026, 12, 11), None, False)),
              templates=frozenset({"early", "night"}), email="ann@example.com"),
        Agent("a2", "part", (QueueSkill("chat/en"),)),
    )
    requirements = (
        CoverageRequirement(local(7, 8), "voice/en", 2),
        CoverageRequirement(local(7, 8, 15), "chat/en", 1, under_weight=500, over_weight=0),
    )
    return RosterProblem(start=date(2026, 12, 7), days=14, queues=("voice/en", "chat/en"),
                         templates=(early, night, short), contracts=(full, part),
                         agents=agents, requirements=requirements, timezone="Europe/Berlin",
                         interval=timedelta(minutes=15),
                         weights=RosterWeights(under=1000, over=2, preference=3,
                                               fairness_weekends=0, fairness_nights=7,
                                               fairness_hours=2, proficiency=1),
                         name="two weeks")


def test_problem_round_trips_through_json_text() -> None:
    problem = full_problem()
    data = through_json(roster_problem_to_json(problem))
    assert roster_problem_from_json(data) == problem
    # Units as documented: local times, ISO durations, weekday names, local instants.
    early = data["templates"][0]
    assert early["start"] == "07:00" and early["length"] == "PT8H30M"
    assert early["days"] == ["mon", "tue", "wed", "thu", "fri"]
    assert data["horizon"] == {"start": "2026-12-07", "days": 14, "timezone": "Europe/Berlin",
                               "interval": "PT15M"}
    assert data["requirements"][0]["start"] == "2026-12-07T08:00:00+01:00"
    assert data["contracts"][0]["max_shifts_per_template"] == {"night": 2}


def test_agents_json_without_requirements_takes_them_from_elsewhere() -> None:
    problem = full_problem()
    data = through_json(roster_problem_to_json(problem, requirements=False))
    assert "requirements" not in data
    rebuilt = roster_problem_from_json(data, requirements=problem.requirements)
    assert rebuilt == problem
    assert roster_problem_from_json(data).requirements == ()
    with_reqs = through_json(roster_problem_to_json(problem))
    assert field_of(roster_problem_from_json, with_reqs,
                    requirements=problem.requirements) == "requirements"


def test_minimal_problem_uses_documented_defaults() -> None:
    problem = roster_problem_from_json({
        "horizon": {"start": "2026-12-07", "days": 7, "timezone": "UTC"},
        "queues": ["voice/en"],
        "templates": [{"id": "day", "start": "09:00", "length": "PT8H"}],
        "contracts": [{"id": "c"}],
        "agents": [{"id": "a", "contract": "c", "skills": [{"queue": "voice/en"}]}],
    })
    assert problem.interval == timedelta(minutes=15)
    assert problem.weights == RosterWeights()
    assert problem.templates[0].days == frozenset(range(7))
    assert problem.agents[0].skills[0].proficiency == 3
    assert problem.agents[0].templates is None


@pytest.mark.parametrize(("mutate", "path"), [
    (lambda d: d.update(colour="red"), "colour"),
    (lambda d: d["horizon"].update(timezone="Mars/Base"), "horizon.timezone"),
    (lambda d: d["horizon"].update(days=99), "horizon.days"),
    (lambda d: d["horizon"].update(start="07.12.2026"), "horizon.start"),
    (lambda d: d["horizon"].update(interval="PT7M"), "horizon.interval"),
    (lambda d: d["horizon"].pop("timezone"), "horizon.timezone"),
    (lambda d: d["agents"][1]["skills"][0].update(proficiency=9),
     "agents[1].skills[0].proficiency"),
    (lambda d: d["agents"][0]["skills"][0].update(level=2), "agents[0].skills[0].level"),
    (lambda d: d["agents"][1].update(contract="gig"), "agents[1].contract"),
    (lambda d: d["agents"][0]["preferences"][0].update(day="2027-01-01"),
     "agents[0].preferences[0].day"),
    (lambda d: d["agents"][0]["unavailable"][0].update(end="2026-12-10T08:00:00"),
     "agents[0].unavailable[0].end"),
    (lambda d: d["agents"][0].update(days_off=["tomorrow"]), "agents[0].days_off[0]"),
    (lambda d: d["templates"][0].update(days=["mon", "someday"]), "templates[0].days[1]"),
    (lambda d: d["templates"][0].update(start="7am"), "templates[0].start"),
    (lambda d: d["templates"][0].update(break_latest="PT8H30M"), "templates[0].break_latest"),
    (lambda d: d["templates"][1].update(forbidden_successors=["late"]),
     "templates[1].forbidden_successors"),
    (lambda d: d["contracts"][0].update(max_rest="PT11H"), "contracts[0].max_rest"),
    (lambda d: d["contracts"][0].update(min_rest="11 hours"), "contracts[0].min_rest"),
    (lambda d: d["contracts"][0].update(max_shifts_per_template={"late": 1}),
     "contracts[0].max_shifts_per_template"),
    (lambda d: d["requirements"][1].update(required=-1), "requirements[1].required"),
    (lambda d: d["requirements"][0].update(start="2026-12-07T08:05:00+01:00"),
     "requirements[0].start"),
    (lambda d: d["requirements"][0].update(queue="fax"), "requirements[0].queue"),
    (lambda d: d["weights"].update(under=-5), "weights.under"),
    (lambda d: d["weights"].update(overtime=5), "weights.overtime"),
    (lambda d: d.update(queues="voice/en"), "queues"),
])
def test_bad_input_names_the_field(mutate: Callable[[dict[str, Any]], object],
                                   path: str) -> None:
    data = through_json(roster_problem_to_json(full_problem()))
    mutate(data)
    assert field_of(roster_problem_from_json, data) == path


times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@st.composite
def templates(draw: st.DrawFn) -> ShiftTemplate:
    length = timedelta(minutes=15 * draw(st.integers(8, 48)))
    brk = timedelta(minutes=15 * draw(st.integers(0, 4)))
    kwargs: dict[str, Any] = {}
    if brk and brk < length:
        room = length - brk
        earliest = timedelta(minutes=15 * draw(st.integers(0, room // timedelta(minutes=15))))
        latest = draw(st.sampled_from([earliest, room]))
        kwargs = {"break_length": brk, "break_earliest": earliest, "break_latest": latest,
                  "break_paid": draw(st.booleans())}
    return ShiftTemplate(
        id=draw(st.text("abcxyz-_ ", min_size=1, max_size=6).filter(str.strip)),
        start=draw(times), length=length,
        days=frozenset(draw(st.sets(st.integers(0, 6), min_size=1))),
        queues=draw(st.none() | st.just(frozenset({"voice/en"}))),
        name=draw(st.text(max_size=8)), **kwargs)


@given(templates())
@settings(max_examples=60, deadline=None)
def test_any_template_round_trips(template: ShiftTemplate) -> None:
    assert template_from_json(through_json(template_to_json(template)), "t") == template


@st.composite
def contracts(draw: st.DrawFn) -> Contract:
    hours = st.none() | st.integers(0, 60).map(lambda h: timedelta(hours=h))
    low, high = draw(hours), draw(hours)
    if low is not None and high is not None and low > high:
        low, high = high, low
    small = st.none() | st.integers(1, 7)
    return Contract(id="c", min_work_per_week=low, max_work_per_week=high,
                    max_work_total=draw(hours), max_shifts=draw(small),
                    max_consecutive_days=draw(small), min_consecutive_days_off=draw(small),
                    min_rest=draw(hours), max_weekends=draw(small), max_nights=draw(small))


@given(contracts())
@settings(max_examples=60, deadline=None)
def test_any_contract_round_trips_inside_a_problem(contract: Contract) -> None:
    problem = full_problem()
    problem = RosterProblem(start=problem.start, days=problem.days, queues=problem.queues,
                            templates=problem.templates,
                            contracts=(contract, *problem.contracts[1:]),
                            agents=(Agent("z", "c", (QueueSkill("voice/en"),)),),
                            requirements=(), timezone="America/New_York")
    assert roster_problem_from_json(through_json(roster_problem_to_json(problem))) == problem


def sample_roster() -> Roster:
    start, end = local(7, 7), local(7, 15, 30)
    activities = (Activity(start, local(7, 10), "work", "voice/en"),
                  Activity(local(7, 10), local(7, 10, 30), "break"),
                  Activity(local(7, 10, 30), end, "work", "chat/en"))
    assignment = RosterAssignment("a1", date(2026, 12, 7), "early", start, end,
                                  local(7, 10), local(7, 10, 30), activities)
    night = RosterAssignment("a1", date(2026, 12, 8), "night", local(8, 22), local(9, 7))
    coverage = pd.DataFrame({
        "interval_start": pd.to_datetime(["2026-12-07T07:00:00Z", "2026-12-07T07:15:00Z"],
                                         utc=True),
        "queue": ["voice/en", "chat/en"],
        "required": [2, 1], "staffed": [1, 1], "short": [1, 0], "over": [0, 0],
    })
    return Roster(status=RosterStatus.FEASIBLE, assignments=(night, assignment),
                  coverage=coverage, penalties={"under": 1000, "fairness_nights": 7},
                  objective=1007, elapsed=1.25,
                  info={"bound": 900.0, "engine": "cp-sat", "gap": float("nan")})


def test_roster_to_json_and_back() -> None:
    problem, roster = full_problem(), sample_roster()
    data = through_json(roster_to_json(roster, problem))
    assert data["status"] == "feasible" and data["objective"] == 1007
    assert data["totals"] == {"shifts": 2, "required": 3, "staffed": 2, "short": 1, "over": 0}
    assert data["info"]["gap"] is None  # NaN is not JSON
    first = data["assignments"][0]  # sorted by start
    assert first["template_id"] == "early" and first["start"] == "2026-12-07T07:00:00+01:00"
    assert [a["kind"] for a in first["activities"]] == ["work", "break", "work"]
    assert data["coverage"][0]["interval_start"] == "2026-12-07T08:00:00+01:00"
    ann = data["agents"][0]
    # early: 8.5 h - 30 min unpaid break; night: 9 h, break paid.
    assert ann == {"agent_id": "a1", "shifts": 2, "paid": "PT17H", "nights": 1, "weekends": 0}
    back = roster_from_json(data)
    assert back.status is roster.status and back.objective == roster.objective
    assert sorted(back.assignments, key=lambda a: a.start) == roster.for_agent("a1")
    pd.testing.assert_frame_equal(back.coverage, roster.coverage, check_dtype=False)
    assert dict(back.penalties) == dict(roster.penalties)


def test_roster_from_json_is_strict() -> None:
    data = through_json(roster_to_json(sample_roster()))
    data["assignments"][0]["activities"][0]["kind"] = "lunch"
    assert field_of(roster_from_json, data) == "assignments[0].activities[0].kind"
    data = through_json(roster_to_json(sample_roster()))
    data["coverage"][1]["staffed"] = "1.5"  # capacity may be a fraction, but a number
    assert field_of(roster_from_json, data) == "coverage[1].staffed"
    assert field_of(roster_from_json, {**data, "status": "done"}) == "status"


def test_params() -> None:
    params = roster_params_from_json({"time_limit": 2.5, "workers": 1, "seed": 4})
    assert params == RosterParams(time_limit=2.5, workers=1, seed=4)
    assert roster_params_from_json(roster_params_to_json(params)) == params
    assert roster_params_from_json(None) == RosterParams()
    assert field_of(roster_params_from_json, {"time_limit": 0}) == "params.time_limit"
    assert field_of(roster_params_from_json, {"threads": 2}) == "params.threads"
