"""benchmarks/roster_probe.py: counts the neighbourhoods that improve a roster."""

from __future__ import annotations

import sys
from pathlib import Path

from ortools.sat.python import cp_model

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.roster_probe import probe
from fieldops.domain.roster import Contract
from fieldops.solver.roster.solve import build_model
from roster_fixtures import agent, need, problem, template


def _swap_case():  # type: ignore[no-untyped-def]
    """Two days; the late shift of day 0 and the early one of day 1 want a head each.
    ``a0`` works at most one shift, ``a1`` only early ones, at most one."""
    early = template("E", 6, 8, queues=frozenset({"e"}))
    late = template("L", 14, 8, queues=frozenset({"l"}))
    return problem(days=2, queues=("e", "l"), templates=(early, late),
                   agents=(agent("a0", "e", "l"),
                           agent("a1", "e", "l", templates=frozenset({"E"}))),
                   requirements=(need(0, 15, "l"), need(1, 7, "e")),
                   contracts=(Contract("c", max_shifts=1),))


def _values_of(m, shifts):  # type: ignore[no-untyped-def]
    """The model's values and objective for exactly ``shifts`` ((agent, day, template))."""
    variables = m.model.proto.variables
    for key, var in m.x.items():
        variables[var.index].domain[0] = variables[var.index].domain[1] = int(key in shifts)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    try:
        assert solver.solve(m.model) == cp_model.OPTIMAL
    finally:
        for var in m.x.values():
            variables[var.index].domain[0], variables[var.index].domain[1] = 0, 1
    return list(solver.response_proto.solution), solver.objective_value


def test_a_two_agent_exchange_is_found_by_pairs_and_not_by_a_one_day_window() -> None:
    # a0 on day 1's early shift leaves day 0's late row short; a0 moving to it
    # leaves day 1 short, a1 taking day 1 alone is a head over: only the two
    # agents moving together improve, and a window of one day cannot move a0
    m, _ = build_model(_swap_case())
    values, objective = _values_of(m, {(0, 1, 0)})
    found = probe(m, values, objective, 0.1, [1])
    assert found["pairs"]["tried"] == 1 and found["pairs"]["improving"] == 1
    assert found["pairs"]["best"] < objective
    assert found["windows 1"] == {"tried": 1, "proven": 1, "improving": 0, "best": None,
                                  "seconds": found["windows 1"]["seconds"]}
    assert found["triples"]["tried"] == 0  # two agents: no set of three


def test_the_optimal_roster_has_no_improving_neighbourhood() -> None:
    m, _ = build_model(_swap_case())
    values, objective = _values_of(m, {(0, 0, 1), (1, 1, 0)})
    found = probe(m, values, objective, 0.1, [1, 2])
    assert all(row["improving"] == 0 for row in found.values())
