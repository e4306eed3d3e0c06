"""Contract rules on worked hours and shift counts (hard).

Hours are paid minutes (:attr:`ShiftTemplate.paid`). A calendar week (Monday to
Sunday) cut by the horizon keeps its full maximum but only a pro-rata minimum
(rounded down to the minute): an agent rostered for the last three days of a
week owes 3/7 of the weekly minimum.
"""

from __future__ import annotations

from datetime import timedelta

from fieldops.solver.roster.constraints.base import Family, no_penalty
from fieldops.solver.roster.model import RosterModel


def minutes(value: timedelta) -> int:
    return int(value.total_seconds()) // 60


def apply_hours(m: RosterModel) -> None:
    """Weekly and whole-horizon minimum and maximum paid hours."""
    ctx = m.ctx
    for a in m.agents:
        agent = ctx.problem.agents[a]
        c = ctx.contract(agent)
        for days in ctx.week_days.values():
            worked = m.paid_minutes(a, days)
            if c.max_work_per_week is not None:
                m.model.add(worked <= minutes(c.max_work_per_week))
            if c.min_work_per_week is not None:
                m.model.add(worked >= minutes(c.min_work_per_week) * len(days) // 7)
        total = m.paid_minutes(a)
        if c.max_work_total is not None:
            m.model.add(total <= minutes(c.max_work_total))
        if c.min_work_total is not None:
            m.model.add(total >= minutes(c.min_work_total))


def apply_counts(m: RosterModel) -> None:
    """Maximum shifts (in all and per template), nights and worked weekends."""
    ctx = m.ctx
    for a in m.agents:
        agent = ctx.problem.agents[a]
        c = ctx.contract(agent)
        options = m.by_agent[a]
        if c.max_shifts is not None:
            m.model.add(sum(v for _, v in options) <= c.max_shifts)
        for tpl_id, cap in c.max_shifts_per_template.items():
            m.model.add(sum(v for s, v in options if s.template.id == tpl_id) <= cap)
        if c.max_nights is not None:
            m.model.add(m.nights(a) <= c.max_nights)
        if c.max_weekends is not None:
            m.model.add(sum(m.weekend_var(a, k) for k in m.weekends()) <= c.max_weekends)


def add(m: RosterModel) -> None:
    """Hours first, then counts (the order the model's constraints are numbered in)."""
    apply_hours(m)
    apply_counts(m)


FAMILY = Family("contracts", add, no_penalty, {})
