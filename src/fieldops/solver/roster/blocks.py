"""One agent's first roster over a long horizon, built block by block.

Over a year one CP-SAT model per agent (:mod:`.heuristic`'s default) takes
seconds to its first solution (Curtois–Qu 22: 2–10 s an agent at load 4), so
50–150 agents do not fit in a time limit. Here the horizon is cut into blocks of
:data:`BLOCK_WEEKS` whole calendar weeks, solved in order, each by a small model
that carries the roster of the days before it:

* the shifts of the last days before the block, as constants, so that rest,
  overlap and forbidden successors across the boundary, and every run of worked
  days or days off that crosses it, are held to the contract
  (:func:`.sequences.forbid_short_runs` and the maximum run over the joined list);
* the horizon-wide totals so far (paid minutes, shifts in all and per template,
  nights, worked weekends) added to the block's own, so the block can never
  exceed a maximum; weeks and weekends never straddle a block, as blocks are
  whole weeks;
* the minimum minutes within reach: what the days after the block can still
  give, from the state it leaves (trailing run, trailing rest, weekends worked;
  :func:`.future.most_after`, an upper bound), must make up the rest of the
  minimum, with :data:`MARGIN_DAYS` shifts to spare;
* shares, as that bound ignores the caps per template: the block reaches its
  share of the minimum minutes (by the agent's workable days) less
  :data:`SLACK_DAYS` shifts, and each capped count stays below its pro-rata
  share of the cap plus that slack. The last block holds the exact totals.

Every constraint is one of the agent's hard rules restricted to the days seen
so far, so the concatenation keeps every hard rule. When a block has no roster,
it is solved again without the margin and the shares (only the bound), then
joined with the block before it, and so on back to the whole horizon: only a
model that is a relaxation of the whole problem (the first block, without the
margin and shares) may prove the agent infeasible.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from ortools.sat.python import cp_model

from fieldops.solver.roster.constraints.contracts import minutes
from fieldops.solver.roster.constraints.sequences import forbid_short_runs
from fieldops.solver.roster.context import RosterContext, ShiftSlot
from fieldops.solver.roster.deadline import Deadline
from fieldops.solver.roster.future import most_after

#: Length of a block in calendar weeks.
BLOCK_WEEKS = 4
#: Horizons longer than this (days) are built by blocks; shorter ones as one model
#: per agent, as before. Up to 26 weeks that path still fits (Curtois–Qu 21, 182
#: days and 100 agents: 117 s to the first roster at load 4.5) and its roster is
#: better: on 20 (182 days, 50 agents, load 4) the blocks gave 34 369 in 11 s,
#: one model per agent 18 517 in 35 s. Over a year it gives none in time (22, 24).
LONG_HORIZON_DAYS = 182
#: A block's count of a capped shift type may exceed its pro-rata share of the
#: cap by this many shifts.
SLACK_DAYS = 3
#: A block leaves the days after it this many days' worth of minutes more than the
#: minimum needs of them (their bound ignores the template rules).
MARGIN_DAYS = 2

#: ``(d, t) → objective weight`` of working a slot, and wishes ``(weight, d, t or
#: None)`` (weight signed: positive when working it is wanted)
Gains = dict[tuple[int, int], int]
Wish = tuple[int, int, int | None]
#: solves one model within about ``seconds``: status and the solver
Solve = Callable[[cp_model.CpModel, float], tuple[cp_model.CpSolverStatus, cp_model.CpSolver]]


def is_long(ctx: RosterContext) -> bool:
    """Whether the first roster is built by blocks."""
    return ctx.problem.days > LONG_HORIZON_DAYS


def week_spans(ctx: RosterContext, weeks: int = BLOCK_WEEKS) -> list[tuple[int, int]]:
    """``[lo, hi)`` day spans of ``weeks`` calendar weeks; a remainder shorter than
    half a block joins the last one (a short last block must meet the exact totals)."""
    ordered = [ctx.week_days[w] for w in sorted(ctx.week_days)]
    spans = [(ordered[k][0], ordered[min(k + weeks, len(ordered)) - 1][-1] + 1)
             for k in range(0, len(ordered), weeks)]
    if len(spans) > 1 and len(ordered) % weeks and len(ordered) % weeks < (weeks + 1) // 2:
        spans[-2:] = [(spans[-2][0], spans[-1][1])]
    return spans


@dataclass
class _Block:
    """One block's CP-SAT model for one agent."""

    model: cp_model.CpModel
    x: dict[tuple[int, int], cp_model.IntVar]  # (d, t) → works the slot
    work: dict[int, cp_model.IntVar]  # d → works that day (constants before the block)
    slots: list[ShiftSlot]


def roster_agent(ctx: RosterContext, a: int, gains: Gains, wishes: list[Wish],
                 deadline: Deadline, seconds: float, solve: Solve
                 ) -> tuple[cp_model.CpSolverStatus, list[ShiftSlot]]:
    """Agent ``a``'s shifts over the whole horizon, block by block, in about
    ``seconds``: ``OPTIMAL``/``FEASIBLE`` with the shifts, ``INFEASIBLE`` (the
    agent's rules cannot be kept) or ``UNKNOWN`` (out of time)."""
    spans = week_spans(ctx)
    options = ctx.options(a)  # asked once: it scans every slot of the horizon
    after = most_after(ctx, a, [hi for _, hi in spans], options)
    open_days = sorted({s.d for s in options})  # days the agent may work at all
    chosen: dict[int, ShiftSlot] = {}
    share = Deadline.after(seconds)
    i = 0
    while i < len(spans):
        lo, hi = spans[i]
        code, picked = cp_model.UNKNOWN, list[ShiftSlot]()
        for pro_rata in (True, False):  # with the margins first, then without
            budget = max(0.0, share.left()) / (len(spans) - i)
            pace = bisect.bisect_left(open_days, hi) / max(1, len(open_days))
            model = block_model(ctx, a, (lo, hi), chosen, pro_rata=pro_rata, after=after[hi],
                                options=options, pace=pace)
            code, picked = _solve_block(model, (lo, hi), gains, wishes, solve, budget)
            if code != cp_model.INFEASIBLE:
                break
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen.update((s.d, s) for s in picked)
            i += 1
        elif code != cp_model.INFEASIBLE or deadline.stopped():
            return cp_model.UNKNOWN, []
        elif i == 0:  # a relaxation of the whole problem has no roster
            return cp_model.INFEASIBLE, []
        else:  # what the blocks before left cannot be continued: redo the last with it
            i -= 1
            spans[i:i + 2] = [(spans[i][0], hi)]
            for d in [d for d in chosen if d >= spans[i][0]]:
                del chosen[d]
    return cp_model.FEASIBLE, sorted(chosen.values(), key=lambda s: s.d)


def _solve_block(block: _Block, span: tuple[int, int], gains: Gains, wishes: list[Wish],
                 solve: Solve, seconds: float
                 ) -> tuple[cp_model.CpSolverStatus, list[ShiftSlot]]:
    """Maximise the block's gains and wishes; its shifts when it has a roster."""
    lo, hi = span
    terms = [gains.get((s.d, s.t), 0) * block.x[(s.d, s.t)] for s in block.slots]
    for weight, d, t in wishes:
        if lo <= d < hi:
            lit = block.work[d] if t is None else block.x.get((d, t))
            if lit is not None:
                terms.append(weight * lit)
    block.model.maximize(sum(terms))
    code, solver = solve(block.model, seconds)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return code, []
    return code, [s for s in block.slots if solver.boolean_value(block.x[(s.d, s.t)])]


def block_model(ctx: RosterContext, a: int, span: tuple[int, int],
                chosen: dict[int, ShiftSlot], *, pro_rata: bool = True,
                after: np.ndarray | None = None,
                options: list[ShiftSlot] | None = None, pace: float | None = None) -> _Block:
    """Agent ``a``'s hard rules over ``span`` after the shifts ``chosen`` (day →
    slot) on the days before it (see the module docstring); ``after`` bounds the
    minutes the days after it can give (:func:`.future.most_after`); ``pace``: the
    share of the agent's workable days up to the block's end, whose share of the
    minimum minutes the block must reach, less a slack, when ``pro_rata``."""
    lo, hi = span
    m = cp_model.CpModel()
    slots = [s for s in (ctx.options(a) if options is None else options) if lo <= s.d < hi]
    x = {(s.d, s.t): m.new_bool_var(f"x_{s.d}_{s.t}") for s in slots}
    work: dict[int, cp_model.IntVar] = {}
    per_day: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for s in slots:
        per_day[s.d].append(x[(s.d, s.t)])
    for d in range(lo, hi):
        work[d] = m.new_bool_var(f"w_{d}")
        m.add(work[d] == sum(per_day[d]))  # one shift a day
    block = _Block(m, x, work, slots)
    _rest(ctx, a, block, chosen, lo)
    _runs(ctx, a, block, chosen, lo, hi)
    _weeks(ctx, a, block, lo, hi)
    _totals(ctx, a, block, chosen, (lo, hi), pro_rata, after, pace)
    return block


def _rest(ctx: RosterContext, a: int, block: _Block, chosen: dict[int, ShiftSlot],
          lo: int) -> None:
    """Overlap, minimum rest and forbidden successors, inside the block and from the
    shifts before it (as in :mod:`.constraints.rest`)."""
    rest = ctx.contract(ctx.problem.agents[a]).min_rest
    cache = ctx.conflict_cache
    m, x = block.model, block.x
    # a shift before the block reaches into it by at most its length plus the rest
    reach = max((tpl.length for tpl in ctx.problem.templates), default=timedelta(0))
    back = 2 + (reach + (rest or timedelta(0))).days
    before = [chosen[d] for d in range(max(0, lo - back), lo) if d in chosen]
    for slot in before + block.slots:
        key = (rest, slot.d, slot.t)
        if key not in cache:
            cache[key] = ctx.conflicts(slot, rest)
        per_day: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for d, t in cache[key]:
            if (d, t) in x:
                per_day[d].append(x[(d, t)])
        own = x.get((slot.d, slot.t)) if slot.d >= lo else None
        for others in per_day.values():
            if own is None:  # a shift already chosen: its conflicts are off
                m.add(sum(others) == 0)
            else:
                m.add(own + sum(others) <= 1)


def _runs(ctx: RosterContext, a: int, block: _Block, chosen: dict[int, ShiftSlot],
          lo: int, hi: int) -> None:
    """Runs of worked days and days off over the days before the block joined to it.

    Enough days before are joined that a run crossing the left edge is seen whole
    up to any minimum; a run touching the horizon's first day stays exempt (the
    joined list then starts on day 0), and one touching the block's right edge is
    checked by the next block (or is exempt at the horizon's end).
    """
    c = ctx.contract(ctx.problem.agents[a])
    m = block.model
    longest = max(c.max_consecutive_days or 0, c.min_consecutive_days or 0,
                  c.min_consecutive_days_off or 0)
    start = max(0, lo - longest - 1)
    for d in range(start, lo):
        fixed = m.new_bool_var(f"w_{d}")
        m.add(fixed == int(d in chosen))
        block.work[d] = fixed
    lits = [block.work[d] for d in range(start, hi)]
    if c.max_consecutive_days is not None:
        k = c.max_consecutive_days
        for s in range(max(0, lo - start - k), len(lits) - k):  # windows reaching the block
            m.add_bool_or([w.negated() for w in lits[s:s + k + 1]])
    if c.min_consecutive_days is not None and c.min_consecutive_days > 1:
        forbid_short_runs(m, lits, c.min_consecutive_days)
    if c.min_consecutive_days_off is not None and c.min_consecutive_days_off > 1:
        forbid_short_runs(m, lits, c.min_consecutive_days_off, negate=True)


def _weeks(ctx: RosterContext, a: int, block: _Block, lo: int, hi: int) -> None:
    """Weekly hours, as in :func:`.constraints.contracts.apply_hours` (a block holds
    whole weeks, so every week is inside it or before it)."""
    c = ctx.contract(ctx.problem.agents[a])
    if c.max_work_per_week is None and c.min_work_per_week is None:
        return
    for days in ctx.week_days.values():
        if not lo <= days[0] < hi:
            continue
        worked = sum(s.paid_minutes * block.x[(s.d, s.t)] for s in block.slots if s.d in days)
        if c.max_work_per_week is not None:
            block.model.add(worked <= minutes(c.max_work_per_week))
        if c.min_work_per_week is not None:
            block.model.add(worked >= minutes(c.min_work_per_week) * len(days) // 7)


def _totals(ctx: RosterContext, a: int, block: _Block, chosen: dict[int, ShiftSlot],
            span: tuple[int, int], pro_rata: bool, after: np.ndarray | None,
            pace: float | None = None) -> None:
    """Horizon-wide totals: what the days before used plus the block's own, within
    every maximum; the minimum minutes exactly on the last block and, on the others,
    within reach of what the days after can still give (``after``, by weekends worked
    so far: :func:`.future.most_after`), with a margin when ``pro_rata``; caps per
    template at their pro-rata share when ``pro_rata`` (module docstring)."""
    lo, hi = span
    c = ctx.contract(ctx.problem.agents[a])
    m, x = block.model, block.x
    last = hi >= ctx.problem.days
    longest = max((s.paid_minutes for s in block.slots), default=0)
    worked = sum(s.paid_minutes for s in chosen.values()) + sum(
        s.paid_minutes * x[(s.d, s.t)] for s in block.slots)
    if c.max_work_total is not None:
        m.add(worked <= minutes(c.max_work_total))
    weekends = _weekends(ctx, block, chosen, lo, hi)
    if c.max_weekends is not None:
        m.add(weekends <= c.max_weekends)
    if c.min_work_total is not None:
        least = minutes(c.min_work_total)
        if last:
            m.add(worked >= least)
        elif after is not None:
            more = _after(block, hi, after, weekends if c.max_weekends is not None else 0)
            margin = MARGIN_DAYS * longest if pro_rata else 0
            m.add(worked + more >= least + margin)
        if not last and pro_rata and pace is not None:
            # the bound above ignores the caps per template: where long shifts are
            # capped (Curtois-Qu 24), it lets a block fall behind a pace the year
            # can no longer make up; this keeps the block near its share
            m.add(worked >= int(least * pace) - SLACK_DAYS * longest)
    capped: list[tuple[cp_model.LinearExprT, int | None]] = [
        (len(chosen) + sum(x.values()), c.max_shifts),
        (sum(1 for s in chosen.values() if s.night)
         + sum(x[(s.d, s.t)] for s in block.slots if s.night), c.max_nights)]
    for tpl_id, tpl_cap in c.max_shifts_per_template.items():
        used = sum(1 for s in chosen.values() if s.template.id == tpl_id)
        capped.append((used + sum(x[(s.d, s.t)] for s in block.slots
                                  if s.template.id == tpl_id), tpl_cap))
    # a capped shift type spread over the year, so later blocks keep their options
    frac = hi / ctx.problem.days
    for expr, most in capped:
        if most is not None:
            bound = most if last or not pro_rata else math.ceil(most * frac) + SLACK_DAYS
            m.add(expr <= min(most, bound))


def _after(block: _Block, hi: int, after: np.ndarray, weekends: cp_model.LinearExprT
           ) -> cp_model.IntVar:
    """The bound of the minutes after day ``hi`` (``after[r, o, w]``) in the state the
    block leaves: ``r`` trailing worked days, ``o`` trailing days off (each counted up
    to the table's size), ``w`` weekends worked."""
    m, work = block.model, block.work
    counts = []
    for size, on in ((after.shape[0] - 1, True), (after.shape[1] - 1, False)):
        run: list[cp_model.IntVar] = []  # run[j]: the last j + 1 days all (not) worked
        for j in range(size):
            day = work[hi - 1 - j] if on else work[hi - 1 - j].negated()
            if j == 0:
                run.append(day)  # type: ignore[arg-type]
                continue
            both = m.new_bool_var(f"run_{on}_{j}")
            m.add_min_equality(both, [run[-1], day])
            run.append(both)
        counts.append(sum(run))
    r, o = counts
    flat = after.reshape(-1)
    index = m.new_int_var(0, len(flat) - 1, "state")
    m.add(index == (r * after.shape[1] + o) * after.shape[2] + weekends)
    more = m.new_int_var(int(flat.min()), int(flat.max()), "after")
    m.add_element(index, [int(v) for v in flat], more)
    return more


def _weekends(ctx: RosterContext, block: _Block, chosen: dict[int, ShiftSlot],
              lo: int, hi: int) -> cp_model.LinearExprT:
    """Worked weekends so far: those before the block plus the block's own."""
    before = {ctx.weekend_of_day[d] for d in chosen if ctx.weekend_of_day[d] is not None}
    inside: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for d in range(lo, hi):
        k = ctx.weekend_of_day[d]
        if k is not None:
            inside[k].append(block.work[d])
    terms = []
    for k, days in inside.items():
        var = block.model.new_bool_var(f"we_{k}")
        block.model.add_max_equality(var, days)
        terms.append(var)
    return len(before) + sum(terms)

