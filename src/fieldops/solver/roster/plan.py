"""A concrete roster in index form, from CP-SAT or from the heuristic.

Both sources reduce to the same :class:`Aggregates` (shifts chosen, agents per
queue and per break option, staffed heads), from which the result's
assignments, coverage and exact penalties are computed (each constraint
family's own ``penalty``), and which can be written back into the model as a
complete solution hint.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd
from ortools.sat.python import cp_model

from fieldops.domain.roster import Roster, RosterAssignment, RosterStatus
from fieldops.solver.roster.aggregates import Aggregates
from fieldops.solver.roster.constraints import PENALTY_KEYS, SOFT
from fieldops.solver.roster.constraints.coverage import in_agents
from fieldops.solver.roster.context import Group, RosterContext
from fieldops.solver.roster.extract import build_assignments
from fieldops.solver.roster.model import RosterModel

__all__ = ["Aggregates", "add_full_hint", "construction_model", "from_shifts", "from_values",
           "penalties", "rebalance_blocks", "to_roster"]


def construction_model(ctx: RosterContext) -> RosterModel:
    """A model without variables, holding only every agent's skill group per template.

    That is all :func:`from_shifts`, :func:`rebalance_blocks` and :func:`to_roster`
    need to turn the heuristic's shifts into a priced, complete roster, so the first
    roster does not wait for the CP-SAT model: on the realistic center that model
    took 25 s to build at load 10, as long as the heuristic itself.
    """
    m = RosterModel(ctx, agent_ids=[])
    for a, agent in enumerate(ctx.problem.agents):
        for slot in ctx.options(a):
            m.group_of.setdefault((a, slot.t), ctx.group(agent, slot.template))
    return m


def from_values(m: RosterModel, values: list[int]) -> Aggregates:
    """Aggregates of a full CP-SAT solution vector (values by variable index)."""

    def val(e: cp_model.LinearExprT) -> int:
        assert isinstance(e, cp_model.IntVar)
        return int(values[e.index])

    chosen = [(a, m.ctx.slots[(d, t)], m.group_of[(a, t)])
              for (a, d, t), v in m.x.items() if values[v.index]]
    assigned = {k: val(e) for k, e in m.assign.items()}
    counts = {k: [val(b) for b in bs] for k, bs in m.breaks.items()}
    staffed = {k: val(v) for k, v in m.staffed.items()}
    blocks = {k: val(e) for k, e in m.block.items()}
    return Aggregates(chosen, assigned, counts, staffed, blocks)


def from_shifts(m: RosterModel, shifts: dict[tuple[int, int, int], str | None]) -> Aggregates:
    """Aggregates of shifts ``(a, d, t) → queue``; breaks staggered over the options."""
    ctx = m.ctx
    chosen = []
    assigned: dict[tuple[int, int, Group, str], int] = defaultdict(int)
    on_queue: dict[tuple[int, int, str, int], int] = defaultdict(int)
    for (a, d, t), q in sorted(shifts.items()):
        g = m.group_of[(a, t)]
        chosen.append((a, ctx.slots[(d, t)], g))
        if q is not None and g:
            assigned[(d, t, g, q)] += 1
            on_queue[(d, t, q, ctx.capacity(dict(g)[q]))] += 1
    for akey in m.assign:
        assigned.setdefault(akey, 0)
    counts: dict[tuple[int, int, str, int], list[int]] = {}
    staffed: dict[tuple[int, str], int] = defaultdict(int)
    for (d, t, q, cap), n in on_queue.items():
        slot = ctx.slots[(d, t)]
        k = len(slot.breaks)
        split = [n // k + (j < n % k) for j in range(k)] if k else []
        if k:
            counts[(d, t, q, cap)] = split
        for i in range(slot.first, min(slot.last, ctx.n_intervals)):
            if (i, q) in ctx.rows_at:
                staffed[(i, q)] += cap * (n - sum(
                    c for c, opt in zip(split, slot.breaks, strict=True)
                    if opt.first <= i < opt.last))
    for bkey, opts in m.breaks.items():
        counts.setdefault(bkey, [0] * len(opts))
    # Every block follows the home queues: the heuristic picks one queue per shift.
    blocks = {key: assigned.get(key[:4], 0) for key in m.block}
    return Aggregates(chosen, dict(assigned), counts, dict(staffed), blocks)


def rebalance_blocks(m: RosterModel, agg: Aggregates) -> Aggregates:
    """``agg`` with multi-skilled agents moved between queues block by block where
    that lowers the coverage cost (one greedy sweep; shifts and breaks unchanged).

    The heuristic gives every agent one queue per shift; this hands a pooled
    team's heads to whichever queue is short in each block before CP-SAT starts.
    """
    ctx = m.ctx
    price: dict[tuple[int, str], list[tuple[int, int, int]]] = defaultdict(list)
    for r, req in enumerate(ctx.problem.requirements):
        wu, wo = req.prices(ctx.problem.weights)
        price[(ctx.row_interval[r], req.queue)].append((ctx.unit * req.required, wu, wo))
    staffed = dict(agg.staffed)
    blocks = dict(agg.blocks)

    def cost(i: int, q: str, change: int) -> int:
        s = staffed.get((i, q), 0)
        return sum(wu * (max(0, need - s - change) - max(0, need - s))
                   + wo * (max(0, s + change - need) - max(0, s - need))
                   for need, wu, wo in price.get((i, q), ()))

    groups: dict[tuple[int, int, Group, int], list[str]] = defaultdict(list)
    for d, t, g, q, b in m.block or _block_keys(ctx, agg):
        if len(g) > 1:
            groups[(d, t, g, b)].append(q)
    for (d, t, g, b), wanted in groups.items():
        lo, hi = ctx.slots[(d, t)].blocks[b]
        span = list(range(lo, hi))
        count = sum(agg.assigned.get((d, t, g, q), 0) for q, _ in g)
        # a block without an entry follows the home queues (Aggregates.blocks)
        held = {q: blocks.get((d, t, g, q, b), agg.assigned.get((d, t, g, q), 0))
                for q in wanted}
        spare = count - sum(held.values())  # serving queues without demand here
        cap = {q: ctx.capacity(level) for q, level in g}
        while True:
            moves = [(sum(cost(i, dst, cap[dst]) for i in span)
                      + (sum(cost(i, src, -cap[src]) for i in span) if src else 0), src, dst)
                     for src in [*wanted, None] if (held[src] if src else spare) > 0
                     for dst in wanted if dst != src]
            best = min(moves, default=None)
            if best is None or best[0] >= 0:
                break
            _, src, dst = best
            if src:
                held[src] -= 1
            else:
                spare -= 1
            held[dst] += 1
            changes = [(src, -cap[src] if src else 0), (dst, cap[dst])]
            for i in span:
                for moved, change in changes:
                    if moved and (i, moved) in ctx.rows_at:
                        staffed[(i, moved)] = staffed.get((i, moved), 0) + change
        for q in wanted:
            blocks[(d, t, g, q, b)] = held[q]
    return Aggregates(agg.chosen, agg.assigned, agg.break_counts, staffed, blocks)


def _block_keys(ctx: RosterContext, agg: Aggregates) -> list[tuple[int, int, Group, str, int]]:
    """``(d, t, g, q, b)`` of the chosen shifts' blocks, as the coverage family keys its
    block terms (queues with a requirement row in the block), for a model without
    them (:func:`construction_model`)."""
    keys: list[tuple[int, int, Group, str, int]] = []
    for d, t, g in sorted({(slot.d, slot.t, g) for _, slot, g in agg.chosen}):
        for b, (lo, hi) in enumerate(ctx.slots[(d, t)].blocks):
            keys.extend((d, t, g, q, b) for q, _ in g
                        if any((i, q) in ctx.rows_at for i in range(lo, hi)))
    return keys


def penalties(m: RosterModel, agg: Aggregates) -> dict[str, float]:
    """Exact penalty per key, as each soft constraint family prices ``agg``."""
    out: dict[str, float] = {}
    for family in SOFT:
        out.update(family.penalty(m.ctx, agg))
    return out


def to_roster(m: RosterModel, agg: Aggregates | None, status: RosterStatus,
              elapsed: float, info: dict[str, Any]) -> Roster:
    """The :class:`Roster` of ``agg``: assignments, coverage and exact penalties.

    ``None`` is the empty roster (nothing could be rostered).
    """
    ctx = m.ctx
    problem = ctx.problem
    assignments: list[RosterAssignment] = []
    if agg is not None:
        assignments = build_assignments(ctx, agg.chosen, agg.assigned, agg.break_counts,
                                        agg.blocks)
    else:
        agg = from_shifts(m, {})  # nothing rostered: priced as the empty roster
    per_family: dict[str, float] = dict.fromkeys(PENALTY_KEYS, 0)
    per_family.update(penalties(m, agg))
    rows = []
    unit = ctx.unit
    for r, req in enumerate(problem.requirements):
        s = agg.staffed.get((ctx.row_interval[r], req.queue), 0)
        need = unit * req.required
        rows.append((req.start, req.queue, req.required, in_agents(s, unit),
                     in_agents(max(0, need - s), unit), in_agents(max(0, s - need), unit)))
    coverage = pd.DataFrame(rows, columns=["interval_start", "queue", "required", "staffed",
                                           "short", "over"])
    return Roster(status=status, assignments=tuple(assignments), coverage=coverage,
                  penalties=per_family, objective=sum(per_family.values()),
                  elapsed=elapsed, info=info)


def add_full_hint(m: RosterModel, agg: Aggregates) -> None:
    """Hint every model variable with the values of ``agg`` (a complete solution)."""
    ctx = m.ctx
    model = m.model
    model.clear_hints()
    on = {(a, s.d, s.t) for a, s, _ in agg.chosen}
    for key, var in m.x.items():
        model.add_hint(var, key in on)
    worked_days = {(a, d) for a, d, _ in on}
    for wkey, wvar in m.work.items():
        model.add_hint(wvar, wkey in worked_days)
    weekends: dict[int, set[int]] = defaultdict(set)
    nights: dict[int, int] = defaultdict(int)
    minutes: dict[int, int] = defaultdict(int)
    for a, slot, _ in agg.chosen:
        k = ctx.weekend_of_day[slot.d]
        if k is not None:
            weekends[a].add(k)
        nights[a] += int(slot.night)
        minutes[a] += slot.paid_minutes
    for (a, k), var in m.weekend.items():
        model.add_hint(var, k in weekends[a])
    members: dict[tuple[int, int, Group], int] = defaultdict(int)
    for _a, slot, g in agg.chosen:
        members[(slot.d, slot.t, g)] += 1
    for ckey, cvar in m.count.items():
        model.add_hint(cvar, members[ckey])
    for akey, expr in m.assign.items():
        if len(akey[2]) > 1:  # single-queue groups' assign is the count itself
            assert isinstance(expr, cp_model.IntVar)
            model.add_hint(expr, agg.assigned.get(akey, 0))
    for zkey, zexpr in m.block.items():
        if len(zkey[2]) > 1:  # single-queue groups' block term is the count itself
            assert isinstance(zexpr, cp_model.IntVar)
            model.add_hint(zexpr, agg.blocks.get(zkey, agg.assigned.get(zkey[:4], 0)))
    per_queue: dict[tuple[int, int, str, int], int] = defaultdict(int)
    for (d, t, g, q), n in agg.assigned.items():
        per_queue[(d, t, q, ctx.capacity(dict(g)[q]))] += n
    for qkey, qvar in m.on_queue.items():
        model.add_hint(qvar, per_queue[qkey])
    for bkey, bs in m.breaks.items():
        for b, c in zip(bs, agg.break_counts.get(bkey, [0] * len(bs)), strict=True):
            model.add_hint(b, c)
    p = ctx.problem
    for skey, svar in m.staffed.items():
        model.add_hint(svar, agg.staffed.get(skey, 0))
    for r, var in m.short.items():
        req = p.requirements[r]
        units = agg.staffed.get((ctx.row_interval[r], req.queue), 0)
        model.add_hint(var, max(0, ctx.unit * req.required - units))
    for r, var in m.over.items():
        req = p.requirements[r]
        units = agg.staffed.get((ctx.row_interval[r], req.queue), 0)
        model.add_hint(var, max(0, units - ctx.unit * req.required))
    spreads: dict[int, int] = {}
    for kind, agents, hi, lo, spread in m.fair:
        values = [len(weekends[a]) if kind == "weekends" else
                  nights[a] if kind == "nights" else minutes[a] for a in agents]
        model.add_hint(hi, max(values))
        model.add_hint(lo, min(values))
        model.add_hint(spread, max(values) - min(values))
        spreads[spread.index] = max(values) - min(values)
    for whole, spread in m.hours.values():
        model.add_hint(whole, spreads[spread.index] // 60)
