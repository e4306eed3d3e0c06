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
    break_counts: dict[tuple[int, int, str], list[int]],
) -> list[RosterAssignment]:
    """Assignments for the chosen (agent, slot, group) triples.

    ``assigned[d, t, g, q]`` agents of group ``g`` on shift ``(d, t)`` serve
    ``q``; ``break_counts[d, t, q][k]`` of the agents serving ``q`` on that shift
    take break option ``k``.
    """
    by_group: dict[tuple[int, int, Group], list[int]] = defaultdict(list)
    slot_of: dict[int, ShiftSlot] = {}
    for agent, slot, group in chosen:
        by_group[(slot.d, slot.t, group)].append(agent)
        slot_of[agent * 10_000 + slot.d] = slot
    queue_of: dict[tuple[int, int], str | None] = {}  # (agent, d) → queue
    by_queue: dict[tuple[int, int, str], list[int]] = defaultdict(list)
    for (d, t, g), agents in sorted(by_group.items(), key=lambda kv: kv[0][:2]):
        it = iter(sorted(agents))
        for q, _ in g:
            for _ in range(assigned.get((d, t, g, q), 0)):
                a = next(it)
                queue_of[(a, d)] = q
                by_queue[(d, t, q)].append(a)
        for a in it:  # no queue (the group serves none); counts toward nothing
            queue_of[(a, d)] = g[0][0] if g else None
    break_of: dict[tuple[int, int], BreakOption] = {}
    for (d, t, q), agents in by_queue.items():
        slot = ctx.slots[(d, t)]
        if not slot.breaks:
            continue
        counts = break_counts.get((d, t, q), [])
        it = iter(agents)
        for k, c in enumerate(counts):
            for _ in range(c):
                break_of[(next(it), d)] = slot.breaks[k]
    p = ctx.problem
    tz = p.tz
    out = []
    for agent, slot, _ in chosen:
        brk = break_of.get((agent, slot.d))
        if brk is None and slot.breaks:
            brk = slot.breaks[0]
        acts = _activities(slot, brk, queue_of.get((agent, slot.d)))
        out.append(RosterAssignment(
            agent_id=p.agents[agent].id, day=ctx.days[slot.d], template_id=slot.template.id,
            start=slot.start.astimezone(tz), end=slot.end.astimezone(tz),
            break_start=brk.start.astimezone(tz) if brk else None,
            break_end=(brk.start + slot.template.break_length).astimezone(tz) if brk else None,
            activities=tuple(Activity(a0.astimezone(tz), a1.astimezone(tz), kind, qq)
                             for a0, a1, kind, qq in acts)))
    out.sort(key=lambda r: (r.agent_id, r.start))
    return out


def _activities(slot: ShiftSlot, brk: BreakOption | None,
                queue: str | None) -> list[tuple[datetime, datetime, str, str | None]]:
    """Work on ``queue`` around the break (one activity each side)."""
    if brk is None:
        return [(slot.start, slot.end, "work", queue)]
    b1 = brk.start + slot.template.break_length
    acts: list[tuple[datetime, datetime, str, str | None]] = []
    if slot.start < brk.start:
        acts.append((slot.start, brk.start, "work", queue))
    acts.append((brk.start, b1, "break", None))
    if b1 < slot.end:
        acts.append((b1, slot.end, "work", queue))
    return acts
