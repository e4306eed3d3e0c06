"""Turn a CP-SAT solution into assignments with breaks and activities.

The model decides how many agents of each skill group serve each queue on each
shift, and how many of them take each break option, not which agent does; this
module hands those numbers out to the agents in a fixed order, so the coverage
the activities produce is exactly the coverage the model counted.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from fieldops.domain.roster import Activity, RosterAssignment
from fieldops.solver.roster.context import BreakOption, Group, RosterContext, ShiftSlot


def build_assignments(
    ctx: RosterContext,
    chosen: list[tuple[int, ShiftSlot, Group]],
    assigned: dict[tuple[int, int, Group, str], int],
    break_counts: dict[tuple[int, int, str, int], list[int]],
    blocks: dict[tuple[int, int, Group, str, int], int] | None = None,
) -> list[RosterAssignment]:
    """Assignments for the chosen (agent, slot, group) triples.

    ``assigned[d, t, g, q]`` agents of group ``g`` on shift ``(d, t)`` serve
    ``q`` around the break (their home queue); ``break_counts[d, t, q, c][k]`` of
    the agents of capacity ``c`` serving ``q`` on that shift take break option ``k``
    (``RosterContext.capacity``); ``blocks[d, t, g,
    q, b]`` of the group's agents serve ``q`` in the slot's block ``b`` (missing:
    the home queues).
    """
    by_group: dict[tuple[int, int, Group], list[int]] = defaultdict(list)
    slot_of: dict[int, ShiftSlot] = {}
    for agent, slot, group in chosen:
        by_group[(slot.d, slot.t, group)].append(agent)
        slot_of[agent * 10_000 + slot.d] = slot
    queue_of: dict[tuple[int, int], str | None] = {}  # (agent, d) → queue
    by_queue: dict[tuple[int, int, str, int], list[int]] = defaultdict(list)
    for (d, t, g), agents in sorted(by_group.items(), key=lambda kv: kv[0][:2]):
        it = iter(sorted(agents))
        for q, level in g:
            for _ in range(assigned.get((d, t, g, q), 0)):
                a = next(it)
                queue_of[(a, d)] = q
                by_queue[(d, t, q, ctx.capacity(level))].append(a)
        for a in it:  # no queue (the group serves none); counts toward nothing
            queue_of[(a, d)] = g[0][0] if g else None
    break_of: dict[tuple[int, int], BreakOption] = {}
    for (d, t, q, c), agents in by_queue.items():
        slot = ctx.slots[(d, t)]
        if not slot.breaks:
            continue
        counts = break_counts.get((d, t, q, c), [])
        it = iter(agents)
        for k, c in enumerate(counts):
            for _ in range(c):
                break_of[(next(it), d)] = slot.breaks[k]
    block_queue = _block_queues(by_group, queue_of, blocks or {})
    p = ctx.problem
    tz = p.tz
    out = []
    for agent, slot, _ in chosen:
        brk = break_of.get((agent, slot.d))
        if brk is None and slot.breaks:
            brk = slot.breaks[0]
        home = queue_of.get((agent, slot.d))
        changes = _queue_changes(ctx, slot, home, block_queue.get((agent, slot.d), []))
        acts = _activities(slot, brk, changes)
        out.append(RosterAssignment(
            agent_id=p.agents[agent].id, day=ctx.days[slot.d], template_id=slot.template.id,
            start=slot.start.astimezone(tz), end=slot.end.astimezone(tz),
            break_start=brk.start.astimezone(tz) if brk else None,
            break_end=(brk.start + slot.template.break_length).astimezone(tz) if brk else None,
            activities=tuple(Activity(a0.astimezone(tz), a1.astimezone(tz), kind, qq)
                             for a0, a1, kind, qq in acts)))
    out.sort(key=lambda r: (r.agent_id, r.start))
    return out


def _block_queues(by_group: dict[tuple[int, int, Group], list[int]],
                  queue_of: dict[tuple[int, int], str | None],
                  blocks: dict[tuple[int, int, Group, str, int], int],
                  ) -> dict[tuple[int, int], list[str | None]]:
    """(agent, d) → queue per block of the slot, handing out each block's counts.

    ``blocks`` names the queues with demand in a block (see constraints/coverage.py);
    agents left over serve one of the group's other queues, and a block with no
    entry keeps everyone on the home queue. An agent keeps its home queue while
    it has places left, so queues change only where the counts ask for it.
    """
    out: dict[tuple[int, int], list[str | None]] = {}
    wanted: dict[tuple[int, int, Group, int], dict[str, int]] = defaultdict(dict)
    n_blocks: dict[tuple[int, int, Group], int] = defaultdict(int)
    for (d, t, g, q, b), n in blocks.items():
        wanted[(d, t, g, b)][q] = n
        n_blocks[(d, t, g)] = max(n_blocks[(d, t, g)], b + 1)
    for (d, t, g), agents in by_group.items():
        for a in agents:
            out[(a, d)] = []
        for b in range(n_blocks.get((d, t, g), 0)):
            left = dict(wanted.get((d, t, g, b), {}))
            idle = [q for q, _ in g if q not in left]
            placed: dict[int, str | None] = {}
            for a in sorted(agents):
                home = queue_of.get((a, d))
                if not left or (home is not None and left.get(home, 0) > 0):
                    placed[a] = home
                    if home in left:
                        left[home] -= 1
            for a in sorted(agents):
                if a in placed:
                    continue
                free = next((q for q, n in left.items() if n > 0), None)
                if free is not None:
                    left[free] -= 1
                    placed[a] = free
                    continue
                home = queue_of.get((a, d))
                placed[a] = home if home in idle else (idle[0] if idle else home)
            for a in agents:
                out[(a, d)].append(placed[a])
    return out


def _queue_changes(ctx: RosterContext, slot: ShiftSlot, home: str | None,
                   per_block: list[str | None]) -> list[tuple[datetime, str | None]]:
    """``(from instant, queue)`` along the shift: the block's queue inside each block,
    the home queue elsewhere (around the break)."""
    changes: list[tuple[datetime, str | None]] = [(slot.start, home)]
    for (lo, hi), q in zip(slot.blocks, per_block, strict=False):
        start = ctx.instant(lo) if lo > slot.first else slot.start
        changes.append((start, q))
        changes.append((ctx.instant(hi), home))
    merged: list[tuple[datetime, str | None]] = []
    for when, q in sorted(changes, key=lambda c: c[0]):
        if merged and merged[-1][0] == when:
            merged[-1] = (when, q)
        elif not merged or merged[-1][1] != q:
            merged.append((when, q))
    kept = [c for c in merged if c[0] < slot.end]
    return [c for k, c in enumerate(kept) if k == 0 or kept[k - 1][1] != c[1]]


def _activities(slot: ShiftSlot, brk: BreakOption | None,
                changes: list[tuple[datetime, str | None]]
                ) -> list[tuple[datetime, datetime, str, str | None]]:
    """Work stretches on the queues of ``changes``, cut around the break."""
    ends = [c[0] for c in changes[1:]] + [slot.end]
    work = [(a0, a1, q) for (a0, q), a1 in zip(changes, ends, strict=True) if a0 < a1]
    if brk is None:
        return [(a0, a1, "work", q) for a0, a1, q in work]
    b0, b1 = brk.start, brk.start + slot.template.break_length
    acts: list[tuple[datetime, datetime, str, str | None]] = []
    for a0, a1, q in work:
        if a0 < b0:
            acts.append((a0, min(a1, b0), "work", q))
        if b0 < a1 and a0 < b1 and not any(k == "break" for _, _, k, _ in acts):
            acts.append((b0, b1, "break", None))
        if a1 > b1:
            acts.append((max(a0, b1), a1, "work", q))
    return acts
