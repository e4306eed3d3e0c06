"""Tiny roster problems for the roster tests (hour intervals keep them fast)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fieldops.domain.roster import (
    Agent,
    Contract,
    CoverageRequirement,
    QueueSkill,
    Roster,
    RosterParams,
    RosterProblem,
    RosterWeights,
    ShiftTemplate,
)
from fieldops.solver.roster import solve_roster
from fieldops.validators.roster import assert_roster_valid

MONDAY = date(2026, 3, 2)
NO_FAIRNESS = RosterWeights(fairness_weekends=0, fairness_nights=0, fairness_hours=0)


def template(tid: str = "D", start: int = 8, hours: int = 8, **kw: Any) -> ShiftTemplate:
    return ShiftTemplate(tid, time(start), timedelta(hours=hours), **kw)


def agent(aid: str, *queues: str, contract: str = "c", **kw: Any) -> Agent:
    return Agent(aid, contract, tuple(QueueSkill(q) for q in (queues or ("q",))), **kw)


def need(day: int, hour: int, queue: str = "q", required: int = 1, *,
         start: date = MONDAY, tz: Any = UTC, **kw: Any) -> CoverageRequirement:
    when = datetime.combine(start + timedelta(days=day), time(hour), tzinfo=tz)
    return CoverageRequirement(when, queue, required, **kw)


def problem(*, days: int = 7, agents: tuple[Agent, ...] | None = None,
            templates: tuple[ShiftTemplate, ...] | None = None,
            contracts: tuple[Contract, ...] | None = None,
            requirements: tuple[CoverageRequirement, ...] = (),
            queues: tuple[str, ...] = ("q",), weights: RosterWeights = NO_FAIRNESS,
            start: date = MONDAY, timezone: str = "UTC",
            interval: timedelta = timedelta(hours=1)) -> RosterProblem:
    return RosterProblem(
        start=start, days=days, queues=queues,
        templates=templates or (template(),),
        contracts=contracts or (Contract("c"),),
        agents=agents or (agent("a"),),
        requirements=requirements, timezone=timezone, interval=interval, weights=weights)


def solve(p: RosterProblem, time_limit: float = 20.0, **kw: Any) -> Roster:
    """Solve with one worker and check the result with the independent validator."""
    roster = solve_roster(p, RosterParams(time_limit=time_limit, workers=1, seed=0), **kw)
    assert_roster_valid(p, roster)
    return roster


def worked_days(roster: Roster, agent_id: str = "a") -> list[int]:
    return sorted((s.day - MONDAY).days for s in roster.for_agent(agent_id))


# One head wanted at 09:00 on each day of a week.
EVERY_DAY = tuple(need(d, 9) for d in range(7))
