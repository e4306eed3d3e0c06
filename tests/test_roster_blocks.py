"""roster/blocks.py: the first roster of a long horizon, built
per agent in blocks of whole weeks that carry the roster before them (issue 20)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ortools.sat.python import cp_model

import fieldops.domain.roster as domain
from fieldops.domain.roster import Contract, RosterProblem, RosterStatus
from fieldops.solver.roster import blocks, heuristic
from fieldops.solver.roster.context import RosterContext, ShiftSlot
from fieldops.solver.roster.deadline import Deadline
from fieldops.solver.roster.future import most_after
from fieldops.solver.roster.plan import construction_model, from_shifts, to_roster
from fieldops.validators.roster import validate_roster
from roster_fixtures import agent, need, problem, template

WEEKS = 16  # 112 days: over blocks.LONG_HORIZON_DAYS


@pytest.fixture(autouse=True)
def _long_horizons(monkeypatch: pytest.MonkeyPatch) -> None:
    # the product caps a roster at six weeks; the solver itself does not
    monkeypatch.setattr(domain, "MAX_HORIZON_DAYS", 7 * 27)
    # sixteen weeks stand for a year here (a test of a year's blocks would be slow)
    monkeypatch.setattr(blocks, "LONG_HORIZON_DAYS", 7 * WEEKS - 1)


def test_horizons_over_26_weeks_go_by_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()
    monkeypatch.setattr(domain, "MAX_HORIZON_DAYS", 7 * 27)
    assert blocks.is_long(RosterContext(problem(days=7 * 27)))
    assert not blocks.is_long(RosterContext(problem(days=7 * 26)))


def _contract(**kw: object) -> Contract:
    rules: dict[str, object] = dict(
        max_consecutive_days=5, min_consecutive_days=2, min_consecutive_days_off=2,
        max_weekends=WEEKS // 2, max_shifts_per_template={"L": 30},
        # 74-75 shifts of 8 h in 112 days: nearly every day the runs allow (5 of 7)
        min_work_total=timedelta(hours=8 * 74), max_work_total=timedelta(hours=8 * 75))
    rules.update(kw)
    return Contract("c", **rules)  # type: ignore[arg-type]


def _year_like(days: int = 7 * WEEKS) -> RosterProblem:
    """Two agents, early and late shifts (no early after a late), demand piled on
    the last and first days of every four-week block and on weekends, so that
    blocks solved on their own would run over the block edges and spend the
    year's weekends and totals early."""
    templates = (template("E", 6, 8), template("L", 14, 8, forbidden_successors=("E",)))
    edges = {d for k in range(28, days, 28) for d in range(k - 4, k + 4)}
    reqs = tuple(need(d, h, required=3 if d in edges or d % 7 >= 5 else 1)
                 for d in range(days) for h in (7, 15))
    return problem(days=days, agents=(agent("a"), agent("b", days_off=frozenset(
        problem().start + timedelta(days=d) for d in (40, 41, 42, 90)))),
        templates=templates, requirements=reqs, contracts=(_contract(),))


def _roster(p: RosterProblem) -> tuple[heuristic.Hint, list[str]]:
    ctx = RosterContext(p)
    hint = heuristic.greedy_hint(ctx, Deadline.after(60.0))
    m = construction_model(ctx)
    roster = to_roster(m, from_shifts(m, hint.shifts), RosterStatus.FEASIBLE, 0.0, {})
    return hint, [f"{v.code}: {v.message}" for v in validate_roster(p, roster)]


def test_a_long_horizon_goes_by_blocks_and_short_ones_do_not() -> None:
    assert blocks.is_long(RosterContext(_year_like()))
    assert not blocks.is_long(RosterContext(_year_like(days=7 * WEEKS - 7)))
    assert blocks.week_spans(RosterContext(_year_like())) == [
        (0, 28), (28, 56), (56, 84), (84, 112)]


def test_the_blocks_concatenate_into_a_valid_year(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int]] = []
    real = blocks.block_model

    def spy(ctx: RosterContext, a: int, span: tuple[int, int], *args: object, **kw: object
            ) -> blocks._Block:
        calls.append(span)
        return real(ctx, a, span, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(blocks, "block_model", spy)
    hint, problems = _roster(_year_like())
    assert hint.complete and hint.infeasible == []
    assert problems == []  # every hard rule, across every block edge, with the totals
    assert (0, 28) in calls and (84, 112) in calls  # it did go block by block
    assert {a for a, _d, _t in hint.shifts} == {0, 1}


def _slots(ctx: RosterContext, days: dict[int, str]) -> dict[int, ShiftSlot]:
    by_id = {tpl.id: t for t, tpl in enumerate(ctx.problem.templates)}
    return {d: ctx.slots[(d, by_id[tid])] for d, tid in days.items()}


def _most_work(ctx: RosterContext, span: tuple[int, int], chosen: dict[int, ShiftSlot],
               **kw: object) -> dict[int, str] | None:
    """The block's shifts when it works as much as its model lets it (None: no roster)."""
    block = blocks.block_model(ctx, 0, span, chosen, **kw)  # type: ignore[arg-type]
    block.model.maximize(sum(block.x.values()))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    if solver.solve(block.model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return {s.d: s.template.id for s in block.slots if solver.boolean_value(block.x[(s.d, s.t)])}


def test_a_block_continues_the_runs_and_successions_it_inherits() -> None:
    ctx = RosterContext(_year_like())
    # five days worked up to the edge: the block must start with a day off
    five = _slots(ctx, {d: "E" for d in range(23, 28)})
    assert 28 not in (_most_work(ctx, (28, 56), five) or {28: "?"})
    # a late shift the day before: no early shift on the block's first day
    late = _slots(ctx, {26: "L", 27: "L"})
    assert (_most_work(ctx, (28, 56), late) or {}).get(28) != "E"
    # a run of one day at the edge (after days off): the block must extend it
    single = _slots(ctx, {27: "E"})
    assert 28 in (_most_work(ctx, (28, 56), single) or {})
    # one day off at the edge after work: the block may not work its first day
    rest = _slots(ctx, {d: "E" for d in range(22, 26)} | {26: "E"})
    assert 28 not in (_most_work(ctx, (28, 56), rest) or {28: "?"})


def test_a_block_adds_its_totals_to_those_before_it() -> None:
    ctx = RosterContext(_year_like())
    days = {d: "L" for w in range(4) for d in range(7 * w, 7 * w + 5)}  # 20 lates
    got = _most_work(ctx, (28, 56), _slots(ctx, days), pro_rata=False)
    assert got is not None
    assert sum(1 for t in got.values() if t == "L") <= 10  # 30 in the year
    # the year's eight weekends all worked before the block: none left for it
    weekends = _slots(ctx, {d: "E" for w in range(8) for d in (7 * w + 5, 7 * w + 6)})
    got = _most_work(ctx, (56, 84), weekends, pro_rata=False)
    assert got is not None and len(got) >= 10
    assert not any(d % 7 >= 5 for d in got)
    # the last block owes the rest of the minimum and no more than the maximum
    ahead = {d: "E" for d in range(84) if d % 7 < 5}  # 60 shifts
    last = _most_work(ctx, (84, 112), _slots(ctx, ahead))
    assert last is not None and 60 + len(last) == 75


def test_a_block_leaves_the_days_after_it_enough_to_reach_the_minimum() -> None:
    ctx = RosterContext(_year_like())
    # the first block would rather work only its edges; the year's minimum needs
    # almost every day the runs allow, so it may not fall behind
    block = blocks.block_model(ctx, 0, (0, 28), {}, pro_rata=False,
                               after=most_after(ctx, 0, [28])[28])
    block.model.minimize(sum(block.x.values()))
    solver = cp_model.CpSolver()
    assert solver.solve(block.model) == cp_model.OPTIMAL
    # 74 shifts in 16 weeks, at most 20 in each of the 12 weeks after: >= 14 here
    assert solver.objective_value >= 14
    without = blocks.block_model(ctx, 0, (0, 28), {}, pro_rata=False)
    without.model.minimize(sum(without.x.values()))
    assert solver.solve(without.model) == cp_model.OPTIMAL and solver.objective_value == 0


def test_a_block_keeps_its_share_of_the_minimum_until_the_margins_are_dropped() -> None:
    ctx = RosterContext(_year_like())

    def fewest(**kw: object) -> float:
        block = blocks.block_model(ctx, 0, (0, 28), {}, **kw)  # type: ignore[arg-type]
        block.model.minimize(sum(block.x.values()))
        solver = cp_model.CpSolver()
        assert solver.solve(block.model) == cp_model.OPTIMAL
        return solver.objective_value

    # a quarter of the workable days: 74 / 4 = 18.5 shifts, less a slack of three
    assert fewest(pro_rata=True, pace=0.25) == 16
    assert fewest(pro_rata=False, pace=0.25) == 0


def test_a_block_weighs_a_day_against_the_agents_worst_day_of_the_year() -> None:
    # at most three shifts of 8 h: the year's third-best day sets the threshold,
    # so a block takes a day better than it even when every gain is negative
    p = problem(days=6, templates=(template("E", 6, 8),),
                contracts=(Contract("c", max_work_total=timedelta(hours=24)),))
    gains = {(0, 0): -5, (1, 0): -1, (2, 0): -3, (3, 0): -2, (4, 0): -9, (5, 0): -4}
    assert heuristic._threshold(RosterContext(p), 0, gains) == -3
    free = problem(days=6, templates=(template("E", 6, 8),))
    assert heuristic._threshold(RosterContext(free), 0, gains) == 0  # no maximum
