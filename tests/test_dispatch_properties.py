"""Property: whatever small problem comes in, the plan is valid and loses no job."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldops.domain import (
    ContractTier,
    DispatchProblem,
    LunchBreak,
    Priority,
    Skill,
    TimeWindow,
)
from fieldops.solver.dispatch import SolveParams, solve_dispatch
from fieldops.validators.dispatch import validate_plan

from line_world import LineWorld, mins, shift, t

SKILLS = ["hvac", "gas", "electrical"]


@st.composite
def problems(draw: st.DrawFn) -> DispatchProblem:
    w = LineWorld()
    n_techs = draw(st.integers(1, 3))
    techs = []
    shifts = []
    for i in range(n_techs):
        skills = draw(st.lists(st.sampled_from(SKILLS), unique=True, max_size=3))
        levels = [draw(st.integers(1, 3)) for _ in skills]
        capacity = draw(st.one_of(st.none(), st.floats(1, 20)))
        tech = w.technician(f"T{i}", draw(st.integers(-30, 30)),
                            [Skill(s, lv) for s, lv in zip(skills, levels, strict=True)],
                            capacity=capacity)
        techs.append(tech)
        start = draw(st.integers(0, 120))
        end = start + draw(st.integers(120, 540))
        lunch = None
        if draw(st.booleans()) and end - start >= 300:
            earliest = start + draw(st.integers(60, 150))
            lunch = LunchBreak(mins(draw(st.sampled_from([15, 30, 45]))), t(earliest),
                               t(earliest + draw(st.integers(0, 90))))
        shifts.append(shift(tech.id, start, end, lunch=lunch,
                            overtime=draw(st.sampled_from([0, 0, 30, 60]))))
    tiers = [ContractTier("gold", response_time=timedelta(hours=4))]
    jobs = []
    for j in range(draw(st.integers(0, 8))):
        windows: list[TimeWindow] = []
        cursor = draw(st.integers(-60, 400))
        for _ in range(draw(st.integers(0, 2))):
            length = draw(st.integers(0, 180))
            windows.append(TimeWindow(t(cursor), t(cursor + length)))
            cursor += length + draw(st.integers(1, 120))
        need = draw(st.lists(st.sampled_from(SKILLS), unique=True, max_size=2))
        kwargs: dict[str, object] = {
            "windows": tuple(windows),
            "required_skills": tuple(Skill(s, draw(st.integers(1, 3))) for s in need),
            "priority": draw(st.sampled_from(list(Priority))),
            "load": draw(st.sampled_from([0.0, 0.0, 2.0, 7.5])),
        }
        if draw(st.booleans()):
            kwargs["contract_tier"] = "gold"
            kwargs["created_at"] = t(draw(st.integers(-300, 120)))
        tech_ids = [x.id for x in techs]
        choice = draw(st.sampled_from(["none", "prefer", "exclude", "require", "pin", "freeze"]))
        some = draw(st.sampled_from(tech_ids))
        if choice == "prefer":
            kwargs["preferred_technicians"] = (some,)
        elif choice == "exclude":
            kwargs["excluded_technicians"] = (some,)
        elif choice == "require":
            kwargs["required_technicians"] = (some,)
        elif choice in ("pin", "freeze"):
            kwargs["pinned_technician"] = some
            if choice == "freeze":
                kwargs["pinned_start"] = t(draw(st.integers(0, 400)))
        jobs.append(w.job(f"J{j}", draw(st.integers(-40, 40)),
                          duration=draw(st.integers(0, 150)), **kwargs))
    return w.problem(techs, jobs, shifts=shifts, tiers=tiers)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(problems())
def test_random_problems_give_valid_plans_that_lose_no_job(problem: DispatchProblem) -> None:
    plan = solve_dispatch(problem, SolveParams(time_limit=0.3))
    assert validate_plan(problem, plan) == []
    routed = [rid for r in plan.routes for rid in r.request_ids]
    listed = [u.request_id for u in plan.unassigned]
    assert sorted(routed + listed) == sorted(r.id for r in problem.requests)
    assert len(set(routed)) == len(routed)
