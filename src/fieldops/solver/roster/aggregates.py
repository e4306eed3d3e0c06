"""A concrete roster in index form: what every penalty is computed from.

The model decides counts, not names: how many agents of a skill group serve a
queue on a shift and how many take each break option. :class:`Aggregates` holds
exactly those numbers for one concrete roster (from CP-SAT or the heuristic, see
:mod:`.plan`), so a constraint family's ``penalty`` reads the same facts its
CP-SAT encoding decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fieldops.solver.roster.context import Group, ShiftSlot


@dataclass
class Aggregates:
    """Shifts chosen, agents per queue and break option, staffed capacity.

    Attributes
    ----------
    chosen
        ``(agent index, slot, skill group)`` of every shift worked.
    assigned
        ``(d, t, group, queue)`` → agents of the group on shift ``(d, t)`` serving
        the queue.
    break_counts
        ``(d, t, queue, capacity)`` → agents of that capacity (units, see
        ``RosterContext.unit``) serving the queue on the shift per break option.
    staffed
        ``(interval, queue)`` → capacity working the queue in the interval, in units
        (only where a requirement row exists).
    blocks
        ``(d, t, group, queue, block)`` → agents of the group on shift ``(d, t)``
        serving the queue in the slot's block (``ShiftSlot.blocks``); a missing
        entry means the block follows the home queues of ``assigned``.
    """

    chosen: list[tuple[int, ShiftSlot, Group]]
    assigned: dict[tuple[int, int, Group, str], int]
    break_counts: dict[tuple[int, int, str, int], list[int]]
    staffed: dict[tuple[int, str], int]
    blocks: dict[tuple[int, int, Group, str, int], int] = field(default_factory=dict)
