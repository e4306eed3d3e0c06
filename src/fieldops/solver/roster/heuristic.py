"""A first roster, agent by agent, to hint CP-SAT (``AddHint``).

Every hard rule concerns one agent only (coverage is soft), so a roster that
keeps each agent's rules keeps them all. The heuristic therefore solves one
tiny CP-SAT model per agent, in turn: maximise the residual coverage the
agent's shifts would fill (the under-weight per interval still short, minus the
over-weight per interval already met, on the best queue the agent can serve
there) plus met preferences; then subtract the chosen shifts from the residual
demand. Specialists go first, as they have the fewest ways to be useful. An
agent whose own model is infeasible proves the whole problem infeasible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

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
        need[i, k] = max(need[i, k], req.required)
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
    for done, a in enumerate(order):
        left = deadline.left()
        if left <= 0 or deadline.stopped():
            return Hint(chosen, infeasible, complete=False)
        m = RosterModel(ctx, agent_ids=[a])
        for family in HARD:
            family.add(m)
        best_q: dict[tuple[int, int], int] = {}
        terms = []
        for slot, var in m.by_agent[a]:
            value, q = _value(slot, m.group_of[(a, slot.t)], need, wu, wo, qi, n)
            best_q[(slot.d, slot.t)] = q
            if value:
                terms.append(value * var)
        for w, wanted, lit in preferences.wishes(m, a):
            if lit is not None:
                terms.append((w if wanted else -w) * lit)
        m.model.maximize(sum(terms))
        code, solver = _solve_agent(m, deadline, share.left() / (len(order) - done))
        if code == cp_model.INFEASIBLE:
            infeasible.append(a)
            continue
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return Hint(chosen, infeasible, complete=False)
        for slot, var in m.by_agent[a]:
            if solver.boolean_value(var):
                q = best_q[(slot.d, slot.t)]
                chosen[(a, slot.d, slot.t)] = p.queues[q] if q >= 0 else None
                if q >= 0:
                    need[slot.first:min(slot.last, n), q] -= 1
    return Hint(chosen, infeasible, complete=True)


def _solve_agent(m: RosterModel, deadline: Deadline, share: float
                 ) -> tuple[cp_model.CpSolverStatus, cp_model.CpSolver]:
    """Solve one agent's model in about ``share`` seconds (0.05 to 2).

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
        code = solver.solve(m.model)
        left = deadline.left()
        if code != cp_model.UNKNOWN or left <= limit or deadline.stopped():
            return code, solver
        limit = min(left, 2 * limit)


def _value(slot: ShiftSlot, group: tuple[tuple[str, int], ...], need: np.ndarray,
           wu: np.ndarray, wo: np.ndarray, qi: dict[str, int], n: int) -> tuple[int, int]:
    """Best (value, queue index) of working ``slot`` for an agent of ``group``."""
    lo, hi = slot.first, min(slot.last, n)
    best, best_q = 0, -1
    for q, _ in group:
        k = qi[q]
        short = need[lo:hi, k] > 0
        value = int(np.where(short, wu[lo:hi, k], -wo[lo:hi, k]).sum())
        if best_q < 0 or value > best:
            best, best_q = value, k
    # a shift is worth a little even where nobody is short: the contract's
    # minimum hours must be met somewhere, better where the cost is lowest
    return best, best_q
