"""roster/heuristic.py: the agent-by-agent first roster, which proves an agent's
contract infeasible on its own."""

from __future__ import annotations

from datetime import timedelta

from fieldops.domain.roster import Contract, RosterParams, RosterStatus
from fieldops.solver.roster import solve_roster
from fieldops.validators.roster import validate_roster
from roster_fixtures import problem


def test_infeasible_contract_is_reported_with_the_agent() -> None:
    p = problem(days=1, contracts=(Contract("c", min_work_total=timedelta(hours=40)),))
    r = solve_roster(p, RosterParams(time_limit=5, workers=1))
    assert r.status == RosterStatus.INFEASIBLE
    assert r.assignments == ()
    assert r.info["infeasible_agents"] == ["a"]
    codes = {v.code for v in validate_roster(p, r)}
    assert codes == {"min_work_total"}  # the validator agrees: no roster keeps it
