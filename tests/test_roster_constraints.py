"""One test per roster constraint family, on problems small enough to solve by hand.

Every roster goes through the independent validator (``solve`` in roster_fixtures).
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, datetime, timedelta

from fieldops.domain.roster import Contract, RosterWeights, ShiftPreference, Unavailability
from fieldops.solver.roster import constraints
from fieldops.solver.roster.constraints import FAMILIES, PENALTY_KEYS
from roster_fixtures import (
    MONDAY,
    agent,
    need,
    problem,
    solve,
    template,
    worked_days,
)

EVERY_DAY = tuple(need(d, 9) for d in range(7))


def test_every_family_module_is_registered_once_under_its_name() -> None:
    modules = [info.name for info in pkgutil.iter_modules(constraints.__path__)
               if info.name != "base"]
    for name in modules:
        module = importlib.import_module(f"{constraints.__name__}.{name}")
        assert module.FAMILY.name == name
        assert all(k == name or k.startswith(name + "_") for k in module.FAMILY.keys)
    assert sorted(f.name for f in FAMILIES) == sorted(modules)
    # proficiency reads the assign terms coverage builds
    names = [f.name for f in FAMILIES]
    assert names.index("coverage") < names.index("proficiency")
    assert len(set(PENALTY_KEYS)) == len(PENALTY_KEYS)


def test_hours_weekly_maximum() -> None:
    p = problem(contracts=(Contract("c", max_work_per_week=timedelta(hours=24)),),
                requirements=EVERY_DAY)
    r = solve(p)
    assert len(r.assignments) == 3  # 3 × 8 h; every shift fills a need
    assert r.penalties["coverage_under"] == 4 * 100


def test_hours_total_minimum_forces_work_without_demand() -> None:
    p = problem(contracts=(Contract("c", min_work_total=timedelta(hours=16)),))
    r = solve(p)
    assert len(r.assignments) == 2


def test_hours_partial_week_minimum_is_pro_rata() -> None:
    friday = MONDAY + timedelta(days=4)
    # Fri–Sun is 3/7 of a week: 40 h × 3/7 = 17 h 8 min needs three 8 h shifts
    p = problem(days=3, start=friday,
                contracts=(Contract("c", min_work_per_week=timedelta(hours=40)),))
    assert len(solve(p).assignments) == 3


def test_counts_max_shifts_per_template_nights_and_weekends() -> None:
    night = template("N", 22, 8)
    p = problem(
        days=14, templates=(template("D"), night),
        contracts=(Contract("c", max_shifts=6, max_shifts_per_template={"D": 2},
                            max_nights=3, max_weekends=1),),
        requirements=tuple(need(d, 9) for d in range(14))
        + tuple(need(d, 23) for d in range(14)))
    r = solve(p)
    kinds = [s.template_id for s in r.assignments]
    assert kinds.count("D") <= 2 and kinds.count("N") <= 3
    weekend_weeks = {d // 7 for d in worked_days(r) if d % 7 >= 5}
    assert len(weekend_weeks) <= 1
    assert len(r.assignments) == 5  # D ×2 + N ×3: the caps, not max_shifts, bind


def test_sequences_max_consecutive_days() -> None:
    p = problem(contracts=(Contract("c", max_consecutive_days=2),), requirements=EVERY_DAY)
    days = worked_days(solve(p))
    assert len(days) == 5  # e.g. 0 1 _ 3 4 _ 6
    assert not any(d + 1 in days and d + 2 in days for d in days)


def test_sequences_min_consecutive_days_inner_run() -> None:
    # demand only on Wednesday; a lone inner working day is forbidden, so the
    # agent works a run of at least 3 days around it
    p = problem(contracts=(Contract("c", min_consecutive_days=3),),
                requirements=(need(2, 9),), weights=RosterWeights(
                    over=0, fairness_weekends=0, fairness_nights=0, fairness_hours=0))
    days = worked_days(solve(p))
    assert 2 in days
    runs = _runs(days, 7)
    assert all(length >= 3 for start, length in runs if start > 0 and start + length < 7)


def test_sequences_runs_touching_the_horizon_are_free() -> None:
    zero = tuple(need(d, 9, required=0) for d in range(1, 7))  # working them costs "over"
    p = problem(contracts=(Contract("c", min_consecutive_days=3),),
                requirements=(need(0, 9), *zero))
    assert worked_days(solve(p)) == [0]  # a run on the first day may continue before it


def test_sequences_min_consecutive_days_off() -> None:
    # demand Mon, Wed, Fri, one day at a time; a single inner day off is forbidden
    p = problem(contracts=(Contract("c", min_consecutive_days_off=2, max_consecutive_days=1),),
                requirements=(need(0, 9), need(2, 9), need(4, 9)))
    r = solve(p)
    off = _runs([d for d in range(7) if d not in worked_days(r)], 7)
    assert all(length >= 2 for start, length in off if start > 0 and start + length < 7)
    assert r.penalties["coverage_under"] > 0  # cannot serve all three


def test_rest_minimum_between_late_and_early() -> None:
    late, early = template("L", 15, 8), template("E", 6, 8)
    wants = (need(0, 16), need(1, 7))
    free = problem(days=2, templates=(late, early), requirements=wants)
    assert solve(free).penalties["coverage_under"] == 0
    rested = problem(days=2, templates=(late, early), requirements=wants,
                     contracts=(Contract("c", min_rest=timedelta(hours=11)),))
    assert solve(rested).penalties["coverage_under"] == 100


def test_rest_no_overlap_even_without_min_rest() -> None:
    night, early = template("N", 22, 10), template("E", 6, 8)  # night ends 08:00
    p = problem(days=2, templates=(night, early), requirements=(need(0, 23), need(1, 7)))
    r = solve(p)
    assert len(r.assignments) == 1


def test_rest_forbidden_successor() -> None:
    late = template("L", 14, 8, forbidden_successors=frozenset({"E"}))
    early = template("E", 6, 8)
    p = problem(days=2, templates=(late, early), requirements=(need(0, 15), need(1, 7)))
    assert len(solve(p).assignments) == 1


def test_availability_days_off_time_off_weekdays_and_agent_templates() -> None:
    weekdays_only = template("W", 8, 8, days=frozenset(range(5)))
    other = template("X", 9, 8)
    off_tue = Unavailability(datetime(2026, 3, 3, 12, tzinfo=UTC),
                             datetime(2026, 3, 3, 13, tzinfo=UTC))
    a = agent("a", days_off=frozenset({MONDAY}), unavailable=(off_tue,),
              templates=frozenset({"W"}))
    p = problem(agents=(a,), templates=(weekdays_only, other), requirements=EVERY_DAY)
    r = solve(p)
    assert worked_days(r) == [2, 3, 4]
    assert {s.template_id for s in r.assignments} == {"W"}


def test_coverage_under_weighs_far_above_over() -> None:
    a, b = agent("a"), agent("b")
    cheap_over = problem(days=1, agents=(a, b), requirements=(need(0, 9, required=1),),
                         contracts=(Contract("c", min_work_total=timedelta(0)),))
    r = solve(cheap_over)
    assert len(r.assignments) == 1 and r.objective == 0
    row = r.coverage.iloc[0]
    assert (row.required, row.staffed, row.short, row.over) == (1, 1, 0, 0)


def test_coverage_row_weights_override_defaults() -> None:
    # one agent, two queues needed at the same hour: the row with the higher
    # under_weight wins the agent
    a = agent("a", "x", "y")
    p = problem(days=1, agents=(a,), queues=("x", "y"),
                requirements=(need(0, 9, "x", under_weight=10), need(0, 9, "y", under_weight=50)))
    r = solve(p)
    assert r.coverage.set_index("queue").loc["y", "staffed"] == 1
    assert r.penalties["coverage_under"] == 10


def test_coverage_breaks_are_placed_where_nobody_is_needed() -> None:
    brk = template("B", 8, 8, break_length=timedelta(hours=1),
                   break_earliest=timedelta(hours=2), break_latest=timedelta(hours=5))
    needs = (*(need(0, h) for h in (10, 11, 12)), need(0, 14))  # 13:00 is free
    p = problem(days=1, templates=(brk,), requirements=needs)
    r = solve(p)
    s = r.assignments[0]
    assert s.break_start == datetime(2026, 3, 2, 13, tzinfo=UTC)
    assert r.penalties["coverage_under"] == 0
    assert [a.kind for a in s.activities] == ["work", "break", "work"]


def test_coverage_multi_skilled_agent_counts_once_per_interval() -> None:
    p = problem(days=1, agents=(agent("a", "x", "y"),), queues=("x", "y"),
                requirements=(need(0, 9, "x"), need(0, 9, "y")))
    r = solve(p)
    assert int(r.coverage["staffed"].sum()) == 1
    assert r.penalties["coverage_under"] == 100


def test_preferences_wanted_and_unwanted() -> None:
    wants_tue = ShiftPreference(MONDAY + timedelta(days=1), "D", wanted=True, weight=3)
    avoids_wed = ShiftPreference(MONDAY + timedelta(days=2), None, wanted=False, weight=7)
    a = agent("a", preferences=(wants_tue, avoids_wed))
    p = problem(agents=(a,), requirements=(need(2, 9),),
                contracts=(Contract("c", max_shifts=1),))
    r = solve(p)
    # Wednesday's need (100) beats the wish not to work it (7); Tuesday's wish goes unmet
    assert worked_days(r) == [2]
    assert r.penalties["preferences"] == 3 + 7


def test_fairness_spreads_weekends_between_agents_of_a_contract() -> None:
    weekend_needs = (need(5, 9), need(12, 9))
    weights = RosterWeights(fairness_weekends=5, fairness_nights=0, fairness_hours=0)
    p = problem(days=14, agents=(agent("a"), agent("b")), requirements=weekend_needs,
                weights=weights)
    r = solve(p)
    assert r.penalties["fairness_weekends"] == 0
    assert {s.agent_id for s in r.assignments} == {"a", "b"}


def test_fairness_hours_and_nights() -> None:
    night = template("N", 22, 8)
    weights = RosterWeights(fairness_weekends=0, fairness_nights=10, fairness_hours=1)
    p = problem(days=2, templates=(night,), agents=(agent("a"), agent("b")),
                requirements=(need(0, 23), need(1, 23)), weights=weights)
    r = solve(p)
    assert r.penalties["fairness_nights"] == 0 and r.penalties["fairness_hours"] == 0
    assert sorted(s.agent_id for s in r.assignments) == ["a", "b"]


def test_proficiency_prefers_the_expert() -> None:
    from fieldops.domain.roster import Agent, QueueSkill

    expert = Agent("e", "c", (QueueSkill("q", 5),))
    learner = Agent("l", "c", (QueueSkill("q", 1),))
    weights = RosterWeights(fairness_weekends=0, fairness_nights=0, fairness_hours=0,
                            proficiency=2)
    p = problem(days=1, agents=(learner, expert), requirements=(need(0, 9),), weights=weights)
    r = solve(p)
    assert [s.agent_id for s in r.assignments] == ["e"]
    assert r.penalties["proficiency"] == 0
    forced = problem(days=1, agents=(learner,), requirements=(need(0, 9),), weights=weights)
    assert solve(forced).penalties["proficiency"] == 2 * 4


def _runs(days: list[int], horizon: int) -> list[tuple[int, int]]:
    out, k = [], 0
    present = set(days)
    while k < horizon:
        if k in present:
            j = k
            while j in present:
                j += 1
            out.append((k, j - k))
            k = j
        else:
            k += 1
    return out


