"""A first roster, agent by agent, to hint CP-SAT (``AddHint``).

Every hard rule concerns one agent only (coverage is soft), so a roster that
keeps each agent's rules keeps them all. The heuristic therefore solves one
tiny CP-SAT model per agent, in turn: maximise the residual coverage the
agent's shifts would fill (the under-weight per unit of capacity still short,
minus the over-weight per unit beyond the demand, on the best queue the agent
can serve there; a learner fills half of what an expert does) plus met
preferences; then subtract the chosen shifts from the residual
demand. Specialists go first, as they have the fewest ways to be useful. An
agent whose own model is infeasible proves the whole problem infeasible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from fieldops.solver.roster import blocks
from fieldops.solver.roster.constraints import HARD, preferences
from fieldops.solver.roster.context import RosterContext, ShiftSlot
from fieldops.solver.roster.deadline import Deadline
from fieldops.solver.roster.model import RosterModel


@dataclass
class Hint:
    """The heuristic's roster: chosen ``(a, d, t)`` and agents proven infeasible."""

    shifts: dict[tuple[int, int, int], str | None]  # (a, d, t) → queue served
    infeasible: list[int]
    complete: bool


def _demand(ctx: RosterContext) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    p = ctx.problem
    qi = {q: k for k, q in enumerate(p.queues)}
    shape = (ctx.n_intervals, len(p.queues))
    need = np.zeros(shape, dtype=np.int64)
    wu = np.zeros(shape, dtype=np.int64)
    wo = np.zeros(shape, dtype=np.int64)
    for r, req in enumerate(p.requirements):
        i, k = ctx.row_interval[r], qi[req.queue]
        need[i, k] = max(need[i, k], ctx.unit * req.required)  # capacity units
        under, over = req.prices(p.weights)
        wu[i, k] = max(wu[i, k], under)
        wo[i, k] = max(wo[i, k], over)
    return need, wu, wo, qi


def greedy_hint(ctx: RosterContext, deadline: Deadline, pace: Deadline | None = None) -> Hint:
    """Build the agent-by-agent roster until ``deadline`` (or its stop event).

    The agents' solves share the time up to ``pace`` (default ``deadline``);
    once it has passed, each agent still gets a short solve until ``deadline``:
    on a loaded machine the share can pass before the last agents, and without a
    complete roster the whole solve may end with none at all.
    """
    share = pace or deadline
    p = ctx.problem
    need, wu, wo, qi = _demand(ctx)
    n = ctx.n_intervals
    order = sorted(range(len(p.agents)), key=lambda a: (len(p.agents[a].skills), a))
    chosen: dict[tuple[int, int, int], str | None] = {}
    infeasible: list[int] = []
    long = blocks.is_long(ctx)
    for done, a in enumerate(order):
        left = deadline.left()
        if left <= 0 or deadline.stopped():
            return Hint(chosen, infeasible, complete=False)
        seconds = share.left() / (len(order) - done)
        skills = [[(qi[q], ctx.capacity(level)) for q, level in ctx.group(p.agents[a], tpl)]
                  for tpl in p.templates]
        values = {(s.d, s.t): _value(s, skills[s.t], need, wu, wo, n) for s in ctx.options(a)}
        solve = _by_blocks if long else _whole
        code, slots = solve(ctx, a, values, deadline, seconds)
        if code == cp_model.INFEASIBLE:
            infeasible.append(a)
            continue
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return Hint(chosen, infeasible, complete=False)
        for slot in slots:
            _, q, cap = values[(slot.d, slot.t)]
            chosen[(a, slot.d, slot.t)] = p.queues[q] if q >= 0 else None
            if q >= 0:
                need[slot.first:min(slot.last, n), q] -= cap
    return Hint(chosen, infeasible, complete=True)


Values = dict[tuple[int, int], tuple[int, int, int]]  # (d, t) → _value's triple


def _whole(ctx: RosterContext, a: int, values: Values, deadline: Deadline, seconds: float
           ) -> tuple[cp_model.CpSolverStatus, list[ShiftSlot]]:
    """Agent ``a``'s shifts from one model over the whole horizon."""
    m = RosterModel(ctx, agent_ids=[a])
    for family in HARD:
        family.add(m)
    terms = [values[(slot.d, slot.t)][0] * var for slot, var in m.by_agent[a]]
    for w, wanted, lit in preferences.wishes(m, a):
        if lit is not None:
            # coverage values are in capacity units (ctx.unit per agent)
            terms.append(ctx.unit * (w if wanted else -w) * lit)
    m.model.maximize(sum(terms))
    code, solver = _solve_agent(m.model, deadline, seconds)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return code, []
    return code, [slot for slot, var in m.by_agent[a] if solver.boolean_value(var)]


def _by_blocks(ctx: RosterContext, a: int, values: Values, deadline: Deadline,
               seconds: float) -> tuple[cp_model.CpSolverStatus, list[ShiftSlot]]:
    """Agent ``a``'s shifts built block by block (:mod:`.blocks`, long horizons)."""
    p = ctx.problem
    t_index = {t.id: i for i, t in enumerate(p.templates)}
    wishes = [(ctx.unit * pref.weight * p.weights.preference * (1 if pref.wanted else -1),
               (pref.day - p.start).days,
               None if pref.template is None else t_index[pref.template])
              for pref in p.agents[a].preferences]
    gains = {key: value for key, (value, _q, _c) in values.items()}
    threshold = _threshold(ctx, a, gains)
    gains = {key: value - threshold for key, value in gains.items()}
    return blocks.roster_agent(ctx, a, gains, wishes, deadline, seconds,
                               lambda model, budget: _solve_agent(model, deadline, budget))


def _threshold(ctx: RosterContext, a: int, gains: dict[tuple[int, int], int]) -> int:
    """The gain of the worst day among the most the agent may work (its maximum
    minutes in shifts of median length), on the best option of each day.

    One model over the year picks those days; a block sees only its own, and with
    every gain below zero (over-cover) would work as little as it may and leave
    the minimum to later blocks. Gains less this threshold make a block take a
    day that is among the year's best for the agent when it comes.
    """
    c = ctx.contract(ctx.problem.agents[a])
    if c.max_work_total is None or not gains:
        return 0
    best: dict[int, int] = {}
    for (d, _t), value in gains.items():
        best[d] = max(best.get(d, value), value)
    lengths = sorted(ctx.problem.templates[t].paid for _d, t in gains)
    k = int(c.max_work_total / lengths[len(lengths) // 2]) if lengths[0] else 0
    ranked = sorted(best.values(), reverse=True)
    return ranked[min(k, len(ranked)) - 1] if k > 0 else 0


def _solve_agent(model: cp_model.CpModel, deadline: Deadline, share: float
                 ) -> tuple[cp_model.CpSolverStatus, cp_model.CpSolver]:
    """Solve one agent's model (or block) in about ``share`` seconds (0.05 to 2).

    A search that found nothing in its time retries with twice the time, up to
    all of ``deadline``: on a loaded machine the share can pass before CP-SAT's
    first solution, and one agent without shifts leaves the hint incomplete.
    """
    limit = max(0.05, min(2.0, share))
    while True:
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = limit
        # with the LP relaxation and cuts CP-SAT finds an agent's roster over 182
        # days (Curtois-Qu 20) in seconds; without it, none in 30 s
        solver.parameters.linearization_level = 2
        code = solver.solve(model)
        left = deadline.left()
        if code != cp_model.UNKNOWN or left <= limit or deadline.stopped():
            return code, solver
        limit = min(left, 2 * limit)


def _value(slot: ShiftSlot, skills: list[tuple[int, int]], need: np.ndarray,
           wu: np.ndarray, wo: np.ndarray, n: int) -> tuple[int, int, int]:
    """Best (value, queue index, capacity) of working ``slot`` for an agent serving
    ``skills`` (queue index, capacity in units).

    The value is the coverage penalty the agent's capacity would remove, in units:
    the part of it that fills a shortfall at the under-weight, minus the part
    beyond the demand at the over-weight.
    """
    lo, hi = slot.first, min(slot.last, n)
    best, best_q, best_c = 0, -1, 0
    for k, c in skills:
        short = np.clip(need[lo:hi, k], 0, c)
        value = int((wu[lo:hi, k] * short - wo[lo:hi, k] * (c - short)).sum())
        if best_q < 0 or value > best:
            best, best_q, best_c = value, k, c
    # a shift is worth a little even where nobody is short: the contract's
    # minimum hours must be met somewhere, better where the cost is lowest
    return best, best_q, best_c
