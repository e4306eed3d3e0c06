"""Column generation over the agents' rosters: a lower bound and a dived roster.

Every hard rule concerns one agent (see :mod:`.heuristic`). When every soft
term but coverage is one agent's own as well (preferences and proficiency; no
fairness spread, which compares agents), a roster is one *column* per agent:
the agent's shifts, what they cost the agent, and the capacity they add to each
requirement row. This is the set-partitioning view that the nurse-rostering
literature solves by branch and price.

* The **master LP** (:class:`Master`) takes a convex combination of columns per
  agent and prices every row's shortfall and excess at the row's weights.
* **Pricing** (:class:`Pricer`): the LP's duals price each shift in the agent's own
  CP-SAT model (the heuristic's: every hard rule of that agent), which returns the
  agent's roster of least reduced cost; a negative one joins the master. Agents are
  priced side by side, one CP-SAT search per worker (CP-SAT releases the GIL).
* At convergence the LP's value bounds every roster from below; before it, the
  Lagrangian bound does (the pricing duals times the requirements, plus each
  agent's least cost less those duals on the rows it covers), when every pricing
  search was proven optimal. On Curtois–Qu 8 it is 1 297 against
  CP-SAT's 1 227 and a best known 1 308.
* The LP's solution is fractional. The **dive** (:func:`dive`) fixes the columns the
  LP uses most, generates columns for the agents still free, and repeats, until few
  agents are free or its time is up; every agent then takes the column the LP
  weighs most. The roster is complete and keeps every hard rule (each column is a
  solution of its agent's own model); the search that follows
  (:mod:`.solve`) starts from it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from fieldops.solver.roster.constraints import HARD, preferences
from fieldops.solver.roster.constraints.proficiency import EXPERT
from fieldops.solver.roster.context import RosterContext
from fieldops.solver.roster.deadline import Deadline
from fieldops.solver.roster.model import RosterModel

Slot = tuple[int, int]  # (day, template)
#: duals are real; an agent's pricing model needs integer costs: this many per unit
SCALE = 10_000
#: a column joins the master when its reduced cost is below minus this (model units)
EPSILON = 1e-6
#: one agent's pricing search: at most this many seconds (it is proven in tens of
#: milliseconds on Curtois-Qu 8's agents)
PRICE_TIME = 1.0
#: weight of the best bound's duals in the duals that price (Wentges' smoothing)
SMOOTHING = 0.5
#: columns kept from one pricing search: its last (best) rosters
MAX_PER_SEARCH = 3
#: a dive's generation stops when the LP fell by less than this share over
#: TAIL_ROUNDS rounds
TAIL = 0.002
TAIL_ROUNDS = 5
#: the dive fixes this share of the free agents per step (at least one) ...
DIVE_SHARE = 0.3
#: ... regenerating at most this many rounds after each step ...
DIVE_ROUNDS = 3
#: ... and leaves the last FREE_AT_END share of the agents to the search after it
FREE_AT_END = 0.1
#: a column the LP takes at least this much is fixed whatever the step's share
SURE = 0.99


def separable(ctx: RosterContext) -> bool:
    """Whether a roster's cost is coverage plus a sum of per-agent costs.

    False when a fairness spread is priced (it compares agents of a contract), or
    when a shift's capacity depends on more than the agent and the shift: an agent
    who may serve several queues on a template, or a shift with a break to place.
    """
    p = ctx.problem
    w = p.weights
    if w.fairness_weekends or w.fairness_nights or w.fairness_hours:
        contracts = [agent.contract for agent in p.agents]
        if len(set(contracts)) < len(contracts):
            return False
    if any(slot.breaks for slot in ctx.slots.values()):
        return False
    return all(len(ctx.group(agent, tpl)) <= 1 for agent in p.agents for tpl in p.templates)


@dataclass(frozen=True)
class Column:
    """One agent's roster: its shifts, their cost and the rows they cover."""

    agent: int
    slots: frozenset[Slot]
    cost: int  # model units: 1/ctx.unit of a penalty unit
    cover: tuple[tuple[int, int], ...]  # (requirement row, capacity units)


class Pricer:
    """Agent ``a``'s own model, priced anew from each set of duals."""

    def __init__(self, ctx: RosterContext, a: int) -> None:
        self.ctx, self.a = ctx, a
        self.m = RosterModel(ctx, agent_ids=[a])
        for family in HARD:
            family.add(self.m)
        self.slots = [((slot.d, slot.t), var) for slot, var in self.m.by_agent[a]]
        self.rows = {key: _rows(ctx, a, key) for key, _ in self.slots}
        self.shift_cost = {key: _proficiency_cost(ctx, a, key) for key, _ in self.slots}
        self.wishes = list(preferences.wishes(self.m, a))

    def column(self, slots: Iterable[Slot]) -> Column:
        """The column of working ``slots`` (which must keep the agent's rules)."""
        chosen = frozenset(slots)
        templates = self.ctx.problem.templates
        worked = {d: templates[t].id for d, t in chosen}
        cost = sum(self.shift_cost[key] for key in chosen)
        cost += self.ctx.unit * preferences.unmet(self.ctx, self.a, worked)
        cover: dict[int, int] = {}
        for key in chosen:
            for r, units in self.rows[key]:
                cover[r] = cover.get(r, 0) + units
        return Column(self.a, chosen, cost, tuple(sorted(cover.items())))

    def price(self, duals: np.ndarray, seconds: float) -> tuple[list[list[Slot]], bool]:
        """The agent's rosters of least cost less the duals of the rows they cover.

        Returns the rosters the search found on its way, best last (each may have a
        negative reduced cost: several columns for one search), and whether the
        search proved the last one the least.
        """
        unit = self.ctx.unit
        terms: list[cp_model.LinearExprT] = []
        for key, var in self.slots:
            value = self.shift_cost[key] - sum(duals[r] * units for r, units in self.rows[key])
            terms.append(round(SCALE * value) * var)
        for weight, wanted, lit in self.wishes:
            if lit is not None:
                terms.append(SCALE * unit * weight * ((1 - lit) if wanted else lit))
        self.m.model.minimize(sum(terms))
        solver = cp_model.CpSolver()
        sp = solver.parameters
        sp.num_workers = 1
        sp.max_time_in_seconds = max(0.01, seconds)
        sp.linearization_level = 2  # the LP with cuts: tens of times faster here
        found = _Rosters(self.slots)
        code = solver.solve(self.m.model, found)
        return found.rosters[-MAX_PER_SEARCH:], code == cp_model.OPTIMAL


class _Rosters(cp_model.CpSolverSolutionCallback):
    """Every roster a pricing search finds on its way to the least."""

    def __init__(self, slots: list[tuple[Slot, cp_model.IntVar]]) -> None:
        super().__init__()
        self.slots = slots
        self.rosters: list[list[Slot]] = []

    def on_solution_callback(self) -> None:
        self.rosters.append([key for key, var in self.slots if self.boolean_value(var)])


def _rows(ctx: RosterContext, a: int, key: Slot) -> list[tuple[int, int]]:
    """(row, capacity units) that agent ``a`` working ``key`` adds to."""
    slot = ctx.slots[key]
    out: list[tuple[int, int]] = []
    for q, level in ctx.group(ctx.problem.agents[a], slot.template):
        units = ctx.capacity(level)
        for i in range(slot.first, min(slot.last, ctx.n_intervals)):
            out.extend((r, units) for r in ctx.rows_at.get((i, q), ()))
    return out


def _proficiency_cost(ctx: RosterContext, a: int, key: Slot) -> int:
    weight = ctx.problem.weights.proficiency
    group = ctx.group(ctx.problem.agents[a], ctx.slots[key].template)
    if not weight or not group:
        return 0
    return ctx.unit * weight * (EXPERT - group[0][1])


@dataclass
class Lp:
    """One solve of the master LP."""

    value: float
    x: np.ndarray  # per column
    mu: np.ndarray  # per agent: the dual of its convexity row
    pi: np.ndarray  # per requirement row: the dual of its coverage row


class Master:
    """The restricted master LP over the columns found so far.

    Held in GLOP (OR-Tools' simplex) and re-solved in place: a new column or a
    changed bound starts the simplex from the last basis, where building the LP
    anew cost a quarter of a second a solve on Curtois-Qu 12.
    """

    def __init__(self, ctx: RosterContext) -> None:
        self.ctx = ctx
        self.columns: list[Column] = []
        self.known: set[tuple[int, frozenset[Slot]]] = set()
        self.vars: list[pywraplp.Variable] = []
        self.fixed: dict[int, int] = {}
        solver = pywraplp.Solver.CreateSolver("GLOP")
        if solver is None:  # pragma: no cover - GLOP ships with OR-Tools
            raise RuntimeError("OR-Tools has no GLOP")
        self.solver = solver
        p = ctx.problem
        self.required = np.array([ctx.unit * req.required for req in p.requirements], float)
        self.convexity = [solver.Constraint(1.0, 1.0) for _ in p.agents]
        self.cover = []
        infinity = solver.infinity()
        objective = solver.Objective()
        for req in p.requirements:
            units = float(ctx.unit * req.required)
            row = solver.Constraint(units, units)
            under, over = req.prices(p.weights)
            short, excess = solver.NumVar(0, infinity, ""), solver.NumVar(0, infinity, "")
            row.SetCoefficient(short, 1.0)
            row.SetCoefficient(excess, -1.0)
            objective.SetCoefficient(short, float(under))
            objective.SetCoefficient(excess, float(over))
            self.cover.append(row)
        objective.SetMinimization()

    def add(self, column: Column) -> bool:
        """Add ``column`` unless the master has it already."""
        key = (column.agent, column.slots)
        if key in self.known:
            return False
        self.known.add(key)
        var = self.solver.NumVar(0, self.solver.infinity(), "")
        if column.agent in self.fixed:
            var.SetUb(0.0)
        self.convexity[column.agent].SetCoefficient(var, 1.0)
        for r, units in column.cover:
            self.cover[r].SetCoefficient(var, float(units))
        self.solver.Objective().SetCoefficient(var, float(column.cost))
        self.columns.append(column)
        self.vars.append(var)
        return True

    def solve(self, fixed: dict[int, int]) -> Lp:
        """The LP with each agent of ``fixed`` held to its column (index)."""
        if fixed != self.fixed:
            self.fixed = dict(fixed)
            for j, (col, var) in enumerate(zip(self.columns, self.vars, strict=True)):
                held = col.agent in fixed and fixed[col.agent] != j
                var.SetUb(0.0 if held else self.solver.infinity())
        status = self.solver.Solve()
        if status != pywraplp.Solver.OPTIMAL:
            raise RuntimeError(f"master LP: status {status}")
        return Lp(self.solver.Objective().Value(),
                  np.array([v.solution_value() for v in self.vars]),
                  np.array([c.dual_value() for c in self.convexity]),
                  np.array([c.dual_value() for c in self.cover]))


@dataclass
class Generation:
    """Pricers, master and what the generation found."""

    master: Master
    pricers: list[Pricer]
    workers: int
    rounds: int = 0
    #: the best proven lower bound (model units), ``None`` until one is proven
    bound: float | None = None

    def generate(self, fixed: dict[int, int], deadline: Deadline, max_rounds: int) -> Lp:
        """Price the free agents and re-solve until no column helps, the LP tails
        off (in a dive: some agents ``fixed``), ``max_rounds`` pass or ``deadline``
        ends; returns the last LP.

        Pricing uses duals smoothed towards those of the best Lagrangian bound so
        far (Wentges' stabilisation): the LP's own duals swing from round to round
        and price columns the next LP discards. A round whose smoothed duals find
        no column prices again at the LP's own.
        """
        lp = self.master.solve(fixed)
        history = [lp.value]
        free = [a for a in range(len(self.pricers)) if a not in fixed]
        center: np.ndarray | None = None
        best = -math.inf
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for _ in range(max_rounds):
                if deadline.left() <= 0 or deadline.stopped():
                    break
                seconds = min(PRICE_TIME, deadline.left())
                duals = lp.pi if center is None else SMOOTHING * center + (1 - SMOOTHING) * lp.pi
                found = list(pool.map(partial(self._price, duals, seconds), free))
                added, least = self._add(found, free, lp, duals)
                self.rounds += 1
                if least is not None:  # every search proven: a Lagrangian bound
                    lagrangian = float(duals @ self.master.required) + least + self._fixed_cost(
                        fixed, duals)
                    if lagrangian > best:
                        best, center = lagrangian, duals
                    if not fixed:
                        self._bound(lagrangian)
                if not added:
                    if center is None or duals is lp.pi:
                        break
                    center = None  # mispriced: the LP's own duals next
                    continue
                lp = self.master.solve(fixed)
                history.append(lp.value)
                # the dive's generations stop when the LP tails off; the root's runs
                # to the end (or its deadline): its bound and columns serve the dive
                if (fixed and len(history) > TAIL_ROUNDS
                        and history[-1 - TAIL_ROUNDS] - lp.value < TAIL * abs(lp.value)):
                    break
                if not fixed and self.bound is not None and self.bound >= lp.value - 1e-6:
                    break  # the LP is proven: no column can lower it
        return lp

    def _price(self, duals: np.ndarray, seconds: float, a: int
               ) -> tuple[list[list[Slot]], bool]:
        return self.pricers[a].price(duals, seconds)

    def _fixed_cost(self, fixed: dict[int, int], duals: np.ndarray) -> float:
        """The Lagrangian's terms of the agents held to a column."""
        total = 0.0
        for j in fixed.values():
            column = self.master.columns[j]
            total += column.cost - sum(duals[r] * u for r, u in column.cover)
        return total

    def _add(self, found: list[tuple[list[list[Slot]], bool]], free: list[int], lp: Lp,
             duals: np.ndarray) -> tuple[int, float | None]:
        """Add the priced columns of negative reduced cost at the LP's duals; return
        how many, and the sum over agents of the least cost less ``duals`` of their
        coverage (``None`` unless every search was proven)."""
        added, least, proven = 0, 0.0, True
        for a, (rosters, optimal) in zip(free, found, strict=True):
            proven = proven and optimal and bool(rosters)
            lowest = math.inf
            for slots in rosters:
                column = self.pricers[a].column(slots)
                covered = [(lp.pi[r] * u, duals[r] * u) for r, u in column.cover]
                reduced = column.cost - lp.mu[a] - sum(c for c, _ in covered)
                lowest = min(lowest, column.cost - sum(c for _, c in covered))
                if reduced < -EPSILON and self.master.add(column):
                    added += 1
            # the search priced rounded costs: its least is exact to within this
            least += lowest - len(self.pricers[a].slots) / SCALE
        return added, least if proven else None

    def _bound(self, value: float) -> None:
        # every roster costs a whole number of model units
        bound = float(math.ceil(value - 1e-6 * max(1.0, abs(value))))
        if self.bound is None or bound > self.bound:
            self.bound = bound


@dataclass
class Dive:
    """The dived roster and what it took."""

    shifts: dict[tuple[int, int, int], str | None]  # (a, d, t) → queue served
    free: list[int]  # agents the dive left unfixed (they took the LP's favourite)
    bound: float | None  # proven lower bound, model units
    root: float  # the LP's value when the dive began, model units
    columns: int
    rounds: int


def dive(ctx: RosterContext, starts: list[dict[tuple[int, int, int], str | None]],
         deadline: Deadline, workers: int, root_deadline: Deadline | None = None) -> Dive:
    """Price and dive from the rosters ``starts`` (complete: every agent's shifts,
    ``(a, d, t) → queue``; each gives every agent a first column).

    The root's generation ends by ``root_deadline`` (default ``deadline``); the
    dive then fixes columns until :data:`FREE_AT_END` of the agents are free or
    ``deadline`` ends.
    """
    n_agents = len(ctx.problem.agents)
    gen = Generation(Master(ctx), [Pricer(ctx, a) for a in range(n_agents)], workers)
    for start in starts:
        for a in range(n_agents):
            gen.master.add(gen.pricers[a].column((d, t) for (b, d, t) in start if b == a))
    lp = gen.generate({}, root_deadline or deadline, max_rounds=10_000)
    root = lp.value
    fixed: dict[int, int] = {}
    keep_free = max(1, math.ceil(FREE_AT_END * n_agents))
    while n_agents - len(fixed) > keep_free and deadline.left() > 0 and not deadline.stopped():
        _fix(gen.master, lp, fixed, max(1, math.floor(DIVE_SHARE * (n_agents - len(fixed)))))
        lp = gen.generate(fixed, deadline, DIVE_ROUNDS)
    chosen = _favourites(gen.master, lp, fixed)
    shifts: dict[tuple[int, int, int], str | None] = {}
    for a, j in chosen.items():
        for d, t in gen.master.columns[j].slots:
            group = ctx.group(ctx.problem.agents[a], ctx.problem.templates[t])
            shifts[(a, d, t)] = group[0][0] if group else None
    return Dive(shifts, sorted(set(range(n_agents)) - set(fixed)), gen.bound, root,
                len(gen.master.columns), gen.rounds)


def _fix(master: Master, lp: Lp, fixed: dict[int, int], count: int) -> None:
    """Fix the ``count`` free columns the LP takes most, and any it takes wholly."""
    ranked = sorted(((x, j) for j, x in enumerate(lp.x)
                     if master.columns[j].agent not in fixed), reverse=True)
    for x, j in ranked:
        a = master.columns[j].agent
        if a in fixed:
            continue
        if count <= 0 and x < SURE:
            break
        fixed[a] = j
        count -= 1


def _favourites(master: Master, lp: Lp, fixed: dict[int, int]) -> dict[int, int]:
    """Each agent's column: its fixed one, else the one the LP takes most."""
    chosen = dict(fixed)
    weight: dict[int, float] = {}
    for j, x in enumerate(lp.x):
        a = master.columns[j].agent
        if a not in fixed and x > weight.get(a, -1.0):
            chosen[a], weight[a] = j, x
    return chosen
