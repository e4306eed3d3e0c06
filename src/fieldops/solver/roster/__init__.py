"""Roster solver: which agent works which shift, from a RosterProblem (CP-SAT).

Usage::

    roster = solve_roster(problem, RosterParams(time_limit=30))
    assert_roster_valid(problem, roster)   # fieldops.validators.roster
    print(roster.summary())
"""

from fieldops.solver.roster.solve import build_model, solve_roster

__all__ = ["build_model", "solve_roster"]
