"""roster/model.py: the CP-SAT variables of a roster model and its objective terms."""

from __future__ import annotations

from ortools.sat.python import cp_model

from fieldops.solver.roster.context import RosterContext
from fieldops.solver.roster.model import RosterModel
from roster_fixtures import agent, problem, template


def _ctx() -> RosterContext:
    # A night template too, so that one option per day is a night.
    return RosterContext(problem(days=7, agents=(agent("a"), agent("b")),
                                 templates=(template("D", 8, 8), template("N", 22, 8))))


def _solve(m: RosterModel) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(m.model) == cp_model.OPTIMAL
    return solver


def test_one_variable_per_option_and_one_shift_per_day() -> None:
    ctx = _ctx()
    m = RosterModel(ctx)
    assert m.agents == [0, 1]
    assert len(m.x) == sum(len(ctx.options(a)) for a in (0, 1))
    assert len(m.work) == 2 * 7
    # Ask for both shifts of day 3: one shift per local day makes that impossible.
    m.model.add(m.x[(0, 3, 0)] + m.x[(0, 3, 1)] == 2)
    assert cp_model.CpSolver().solve(m.model) == cp_model.INFEASIBLE


def test_a_model_of_one_agent_has_only_that_agents_variables() -> None:
    m = RosterModel(_ctx(), agent_ids=[1])
    assert m.agents == [1]
    assert {a for a, _, _ in m.x} == {1} and {a for a, _ in m.work} == {1}


def test_work_weekends_paid_minutes_and_nights_follow_the_chosen_shifts() -> None:
    m = RosterModel(_ctx())
    weekend = m.weekends()[0]
    saturday = next(d for d, k in enumerate(m.ctx.weekend_of_day) if k == weekend)
    var = m.weekend_var(0, weekend)
    assert m.weekend_var(0, weekend) is var  # made once
    m.model.add(m.x[(0, saturday, 1)] == 1)  # a's night on Saturday
    m.model.add(sum(v for (a, _, _), v in m.x.items() if a == 0) == 1)
    minutes, nights = m.model.new_int_var(0, 10_000, "m"), m.model.new_int_var(0, 7, "n")
    m.model.add(minutes == m.paid_minutes(0))
    m.model.add(nights == m.nights(0))
    solver = _solve(m)
    assert solver.value(m.work[(0, saturday)]) == 1 and solver.value(var) == 1
    assert solver.value(minutes) == m.ctx.slots[(saturday, 1)].paid_minutes
    assert solver.value(nights) == 1


def test_the_objective_is_the_sum_of_the_penalty_terms() -> None:
    m = RosterModel(_ctx())
    days = m.model.new_int_var(0, 7, "days")
    m.model.add(days == sum(v for (a, _), v in m.work.items() if a == 0))
    m.model.add(days >= 2)
    m.add_penalty("first", 3 * days)
    m.add_penalty("second", 5 - days)
    m.minimize_penalties()
    assert [k for k, _ in m.penalties] == ["first", "second"]
    solver = _solve(m)
    assert solver.value(days) == 2 and solver.objective_value == 3 * 2 + 5 - 2
