"""The CP-SAT model's decision variables, shared by every constraint module.

The core decision is ``x[a, d, t]``: agent ``a`` works template ``t`` on day ``d``.
Only the options availability allows get a variable. ``work[a, d]`` is 1 when the
agent works any shift that day (at most one: the sum of the day's ``x``).
Coverage does not look at agents at all: it counts heads per (day, template,
skill group) in ``count[d, t, g]``, splits them over queues, weighs them by the
group's capacity on the queue, and the per-interval sums stay as short as the
number of templates overlapping the interval, whatever the number of agents.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from fieldops.solver.roster.context import Group, RosterContext, ShiftSlot


@dataclass
class RosterModel:
    """Variables and lookup tables of one CP-SAT roster model."""

    ctx: RosterContext
    #: the agents (indices) this model covers: all of them, or one for the heuristic
    agent_ids: list[int] | None = None
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    x: dict[tuple[int, int, int], cp_model.IntVar] = field(default_factory=dict)
    work: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    by_agent: dict[int, list[tuple[ShiftSlot, cp_model.IntVar]]] = field(
        default_factory=lambda: defaultdict(list))
    group_of: dict[tuple[int, int], Group] = field(default_factory=dict)  # (agent, template)
    count: dict[tuple[int, int, Group], cp_model.IntVar] = field(default_factory=dict)
    #: (d, t, g, q) → agents of group g on shift (d, t) serving queue q
    assign: dict[tuple[int, int, Group, str], cp_model.LinearExprT] = field(
        default_factory=dict)
    #: (d, t, g, q, b) → agents of group g on shift (d, t) serving q in block b
    #: (``ShiftSlot.blocks``: outside the break window, the queue may change per block)
    block: dict[tuple[int, int, Group, str, int], cp_model.LinearExprT] = field(
        default_factory=dict)
    #: (d, t, q, c) → agents of capacity c (units) on shift (d, t) serving q, and their
    #: split over break options
    on_queue: dict[tuple[int, int, str, int], cp_model.IntVar] = field(default_factory=dict)
    breaks: dict[tuple[int, int, str, int], list[cp_model.IntVar]] = field(
        default_factory=dict)
    #: (i, q) → capacity staffed, in units (``ctx.unit``)
    staffed: dict[tuple[int, str], cp_model.IntVar] = field(default_factory=dict)
    weekend: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    short: dict[int, cp_model.IntVar] = field(default_factory=dict)  # requirement row →
    over: dict[int, cp_model.IntVar] = field(default_factory=dict)
    #: fairness spreads: (kind, agents, max var, min var, spread var)
    fair: list[tuple[str, list[int], cp_model.IntVar, cp_model.IntVar, cp_model.IntVar]] = (
        field(default_factory=list))
    hours: dict[str, tuple[cp_model.IntVar, cp_model.IntVar]] = field(default_factory=dict)
    #: objective terms ``(penalty key, expression)`` in the order the families added them
    penalties: list[tuple[str, cp_model.LinearExprT]] = field(default_factory=list)

    def __post_init__(self) -> None:
        ctx = self.ctx
        m = self.model
        if self.agent_ids is None:
            self.agent_ids = list(range(len(ctx.problem.agents)))
        for a in self.agent_ids:
            agent = ctx.problem.agents[a]
            per_day: dict[int, list[cp_model.IntVar]] = defaultdict(list)
            for slot in ctx.options(a):
                var = m.new_bool_var(f"x_{a}_{slot.d}_{slot.t}")
                self.x[(a, slot.d, slot.t)] = var
                self.by_agent[a].append((slot, var))
                per_day[slot.d].append(var)
                self.group_of.setdefault((a, slot.t), ctx.group(agent, slot.template))
            for d in range(ctx.problem.days):
                w = m.new_bool_var(f"w_{a}_{d}")
                # one shift per local day: work = sum of that day's options (≤ 1)
                m.add(w == sum(per_day[d]))
                self.work[(a, d)] = w

    def add_penalty(self, key: str, expr: cp_model.LinearExprT, *, in_units: bool = False
                    ) -> None:
        """Add a soft family's objective term, reported under ``key``.

        The objective counts in 1/``ctx.unit`` of a penalty unit, as coverage counts
        capacity in units of an agent (``in_units``); every other term is scaled up.
        """
        unit = self.ctx.unit
        self.penalties.append((key, expr if in_units or unit == 1 else unit * expr))

    def minimize_penalties(self) -> None:
        """Minimise the sum of every term added with :meth:`add_penalty`."""
        self.model.minimize(sum(expr for _, expr in self.penalties))

    @property
    def agents(self) -> list[int]:
        assert self.agent_ids is not None
        return self.agent_ids

    def weekend_var(self, a: int, k: int) -> cp_model.IntVar:
        """1 when agent ``a`` works on weekend ``k`` (a shift starting Sat or Sun)."""
        key = (a, k)
        if key not in self.weekend:
            days = [d for d, wk in enumerate(self.ctx.weekend_of_day) if wk == k]
            var = self.model.new_bool_var(f"we_{a}_{k}")
            self.model.add_max_equality(var, [self.work[(a, d)] for d in days])
            self.weekend[key] = var
        return self.weekend[key]

    def weekends(self) -> list[int]:
        return sorted({k for k in self.ctx.weekend_of_day if k is not None})

    def paid_minutes(self, a: int, days: list[int] | None = None) -> cp_model.LinearExprT:
        wanted = None if days is None else set(days)
        return sum(slot.paid_minutes * v for slot, v in self.by_agent[a]
                   if wanted is None or slot.d in wanted)

    def nights(self, a: int) -> cp_model.LinearExprT:
        return sum(v for slot, v in self.by_agent[a] if slot.night)
