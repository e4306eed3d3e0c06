"""Property: on random small problems every roster the solver returns is validator-clean."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldops.domain.roster import Contract, RosterParams, RosterProblem, RosterStatus
from fieldops.solver.roster import solve_roster
from fieldops.validators.roster import validate_roster
from roster_fixtures import agent, need, problem, template

QUEUES = ("x", "y")


@st.composite
def problems(draw: st.DrawFn) -> RosterProblem:
    days = draw(st.integers(1, 7))
    templates = []
    for k in range(draw(st.integers(1, 3))):
        hours = draw(st.integers(4, 10))
        kw = {}
        if draw(st.booleans()):
            kw = {"break_length": timedelta(hours=1), "break_earliest": timedelta(hours=1),
                  "break_latest": timedelta(hours=hours - 2)}
        templates.append(template(f"t{k}", draw(st.integers(0, 23)), hours, **kw))
    maybe = st.none() | st.integers(1, 4)
    contract = Contract(
        "c", max_consecutive_days=draw(maybe), min_consecutive_days_off=draw(maybe),
        max_shifts=draw(st.none() | st.integers(0, 7)),
        min_rest=draw(st.none() | st.integers(8, 14).map(lambda h: timedelta(hours=h))),
        max_weekends=draw(st.none() | st.integers(0, 1)))
    agents = tuple(agent(f"a{k}", *draw(st.sampled_from([("x",), ("y",), ("x", "y")])))
                   for k in range(draw(st.integers(1, 4))))
    reqs = tuple(need(d, h, q, draw(st.integers(0, 2)))
                 for d in range(days) for h in (3, 9, 15, 21) for q in QUEUES
                 if draw(st.booleans()))
    return problem(days=days, templates=tuple(templates), contracts=(contract,),
                   agents=agents, queues=QUEUES, requirements=reqs)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_solver_output_is_always_valid(p: RosterProblem) -> None:
    r = solve_roster(p, RosterParams(time_limit=3, workers=1))
    assert r.status not in (RosterStatus.INFEASIBLE, RosterStatus.NO_SOLUTION)
    assert validate_roster(p, r) == []
