"""Coverage per interval and queue (soft), with queue choice and break placement.

Coverage counts capacity, not heads: an agent counts its proficiency's share of
a fully proficient agent on the queue it serves (``PROFICIENCY_CAPACITY``: a
learner half), as the predicted service level and the routing simulation do. So
the model stays integer, capacity is counted in units of 1/``ctx.unit`` of an
agent (quarters when some agent is at level 2; a plain head count when every
agent counts fully, as on the Curtois–Qu instances).

Heads are counted per (day, template, skill group) — ``count[d, t, g]`` — never
per agent; a group's key holds its capacity per queue. Around the break window
each agent has a *home* queue: ``assign[d, t, g, q]`` of the group's agents serve
``q`` there, ``on_queue[d, t, q, c]`` sums them over the groups of capacity ``c``
on ``q``, and those are split over the template's grid break options,
``breaks[d, t, q, c][k]`` agents taking option ``k``, which lets the solver place
breaks where coverage needs them. Outside the break window a shift is cut into
blocks (``ShiftSlot.blocks``, at most ``QUEUE_BLOCK`` long) in which every agent
works, and a multi-skilled group's agents are split over their queues anew in
each block, ``block[d, t, g, q, b]``: an agent serves whichever of its queues
needs it, block by block, so coverage reflects a pooled, multi-skilled team. The
staffed capacity of queue ``q`` at interval ``i`` is then a sum with one term per
template and capacity overlapping ``i``, whatever the number of agents.
Shortfall and excess of every requirement row (in units) are bounded below by
the deviation (plain linear rows, which CP-SAT's feasibility jump and LP handle
far better than ``max`` equalities); the minimisation makes them tight, and the
reported penalties are recomputed from the staffed capacity
(:func:`coverage_penalties`), so they are exact for any roster.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from fieldops.solver.roster.aggregates import Aggregates
from fieldops.solver.roster.constraints.base import Family
from fieldops.solver.roster.context import Group, RosterContext, ShiftSlot
from fieldops.solver.roster.model import RosterModel


def build_heads(m: RosterModel) -> dict[tuple[int, str], list[cp_model.LinearExprT]]:
    """Create count/assign/on_queue/breaks; return capacity terms per (interval, queue)."""
    ctx = m.ctx
    model = m.model
    members: dict[tuple[int, int, tuple[tuple[str, int], ...]], list[cp_model.IntVar]] = (
        defaultdict(list))
    for (a, d, t), var in m.x.items():
        members[(d, t, m.group_of[(a, t)])].append(var)
    per_queue: dict[tuple[int, int, str, int], list[cp_model.LinearExprT]] = defaultdict(list)
    size: dict[tuple[int, int, str, int], int] = defaultdict(int)
    for (d, t, g), vars_ in sorted(members.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        if not g:
            continue  # serves no queue: counts toward nothing
        n = model.new_int_var(0, len(vars_), f"n_{d}_{t}")
        model.add(n == sum(vars_))
        m.count[(d, t, g)] = n
        if len(g) == 1:
            m.assign[(d, t, g, g[0][0])] = n
        else:
            parts = [model.new_int_var(0, len(vars_), f"y_{d}_{t}_{q}") for q, _ in g]
            model.add(sum(parts) == n)
            for (q, _), y in zip(g, parts, strict=True):
                m.assign[(d, t, g, q)] = y
        for q, level in g:
            c = ctx.capacity(level)
            per_queue[(d, t, q, c)].append(m.assign[(d, t, g, q)])
            size[(d, t, q, c)] += len(vars_)
    block_heads = _block_capacity(m, members)
    block_of = {key: _block_of(slot) for key, slot in ctx.slots.items() if slot.blocks}
    heads: dict[tuple[int, str], list[cp_model.LinearExprT]] = defaultdict(list)
    counted: set[tuple[tuple[int, int, str, int], int]] = set()
    for (d, t, q, c), terms in per_queue.items():
        slot = ctx.slots[(d, t)]
        total = model.new_int_var(0, size[(d, t, q, c)], f"nq_{d}_{t}_{q}")
        model.add(total == sum(terms))
        m.on_queue[(d, t, q, c)] = total
        opts = [model.new_int_var(0, size[(d, t, q, c)], f"b_{d}_{t}_{q}_{k}")
                for k in range(len(slot.breaks))]
        if opts:
            model.add(sum(opts) == total)
            m.breaks[(d, t, q, c)] = opts
        in_block = block_of.get((d, t), {})
        for i in range(slot.first, min(slot.last, ctx.n_intervals)):
            if (i, q) not in ctx.rows_at:
                continue
            if i in in_block:
                # the block's term already sums every capacity of the queue
                bkey = (d, t, q, in_block[i])
                if (bkey, i) not in counted:
                    counted.add((bkey, i))
                    heads[(i, q)].append(block_heads[bkey])
                continue
            on_break = [b for b, opt in zip(opts, slot.breaks, strict=True)
                        if opt.first <= i < opt.last]
            heads[(i, q)].append(_weighted(c, total - sum(on_break) if on_break else total))
    return heads


def _block_capacity(m: RosterModel, members: dict[tuple[int, int, Group], list[cp_model.IntVar]]
                    ) -> dict[tuple[int, int, str, int], cp_model.LinearExprT]:
    """One capacity sum per (shift, queue, block), shared by the block's intervals."""
    out: dict[tuple[int, int, str, int], cp_model.LinearExprT] = {}
    for key, (vars_, caps) in _build_blocks(m, members).items():
        if len(vars_) == 1 and caps[0] == 1:
            out[key] = vars_[0]
        elif all(c == 1 for c in caps):
            out[key] = cp_model.LinearExpr.sum(vars_)
        else:  # one weighted sum: far cheaper to build than c * z terms added up
            out[key] = cp_model.LinearExpr.weighted_sum(vars_, caps)
    return out


def _block_of(slot: ShiftSlot) -> dict[int, int]:
    """Interval → index of the slot's block holding it (intervals in no block: absent)."""
    return {i: b for b, (lo, hi) in enumerate(slot.blocks) for i in range(lo, hi)}


def _build_blocks(m: RosterModel,
                  members: dict[tuple[int, int, Group], list[cp_model.IntVar]]
                  ) -> dict[tuple[int, int, str, int], tuple[list[cp_model.IntVar], list[int]]]:
    """``block[d, t, g, q, b]``: the group's agents on queue ``q`` in block ``b``.

    Every agent of the group works the whole block (blocks avoid the break
    window). Only queues with a requirement row in the block get a term (heads
    elsewhere count toward nothing): the terms sum to at most ``count[d, t, g]``,
    the rest of the group serving its other queues; a one-queue group's term is
    the count itself. Returns the terms per (d, t, queue, block) as variables and
    their capacities (heads × the group's capacity on the queue, in units).
    """
    ctx = m.ctx
    model = m.model
    queues_at: dict[int, set[str]] = defaultdict(set)
    for i, q in ctx.rows_at:
        queues_at[i].add(q)
    demanded: dict[tuple[int, int], list[set[str]]] = {}  # queues with a row, per block
    terms: dict[tuple[int, int, str, int], tuple[list[cp_model.IntVar], list[int]]] = {}
    for (d, t, g), vars_ in members.items():
        if not g:
            continue
        n = m.count[(d, t, g)]
        if (d, t) not in demanded:
            demanded[(d, t)] = [set().union(*(queues_at.get(i, ()) for i in range(lo, hi)))
                                for lo, hi in ctx.slots[(d, t)].blocks]
        for b, in_block in enumerate(demanded[(d, t)]):
            wanted = [(q, ctx.capacity(level)) for q, level in g if q in in_block]
            if len(g) == 1:
                parts = [n] * len(wanted)
            else:
                parts = [model.new_int_var(0, len(vars_), f"z_{d}_{t}_{q}_{b}")
                         for q, _ in wanted]
                if not parts:
                    continue
                if len(wanted) == len(g):
                    model.add(sum(parts) == n)
                else:
                    model.add(sum(parts) <= n)
            for (q, c), z in zip(wanted, parts, strict=True):
                m.block[(d, t, g, q, b)] = z
                vs, cs = terms.setdefault((d, t, q, b), ([], []))
                vs.append(z)
                cs.append(c)
    return terms


def _weighted(c: int, expr: cp_model.LinearExprT) -> cp_model.LinearExprT:
    return expr if c == 1 else c * expr


def add(m: RosterModel) -> None:
    """Staffed capacity per (interval, queue) and shortfall and excess per row, in units."""
    ctx = m.ctx
    p = ctx.problem
    unit = ctx.unit
    heads = build_heads(m)
    under: list[cp_model.LinearExprT] = []
    over: list[cp_model.LinearExprT] = []
    w = p.weights
    for (i, q), rows in ctx.rows_at.items():
        terms = heads.get((i, q), [])
        s = m.model.new_int_var(0, unit * len(p.agents), f"s_{i}_{q}")
        m.model.add(s == sum(terms))
        m.staffed[(i, q)] = s
        for r in rows:
            req = p.requirements[r]
            wu, wo = req.prices(w)
            if wu:
                short = m.model.new_int_var(0, unit * req.required, f"short_{r}")
                m.model.add(short >= unit * req.required - s)
                m.short[r] = short
                under.append(wu * short)
            if wo:
                excess = m.model.new_int_var(0, unit * len(p.agents), f"over_{r}")
                m.model.add(excess >= s - unit * req.required)
                m.over[r] = excess
                over.append(wo * excess)
    m.add_penalty("coverage_under", sum(under), in_units=True)
    m.add_penalty("coverage_over", sum(over), in_units=True)


def in_agents(units: int, unit: int) -> float:
    """``units`` of 1/``unit`` agent, in agents (an int when whole)."""
    return units // unit if units % unit == 0 else units / unit


def penalty(ctx: RosterContext, roster: Aggregates) -> dict[str, float]:
    """The exact coverage penalties of the roster's staffed capacity per (interval, queue).

    A penalty unit is one agent short (or over) of full capacity for one
    requirement row: a row short by one learner's half costs half the weight.
    """
    p = ctx.problem
    unit = ctx.unit
    under = over = 0
    for r, req in enumerate(p.requirements):
        s = roster.staffed.get((ctx.row_interval[r], req.queue), 0)
        wu, wo = req.prices(p.weights)
        under += wu * max(0, unit * req.required - s)
        over += wo * max(0, s - unit * req.required)
    return {"coverage_under": in_agents(under, unit), "coverage_over": in_agents(over, unit)}


FAMILY = Family("coverage", add, penalty, {
    "coverage_under": "the row's under weight per agent of capacity short (a learner "
                      "counts half), per requirement row",
    "coverage_over": "the row's over weight per agent of capacity over, per requirement row",
})
