"""The realistic contact-center generator (fieldops.data.roster_sample)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, time, timedelta
from pathlib import Path

import pytest

from fieldops.data.roster_sample import (
    QUEUE_IDS,
    SMALL_QUEUES,
    realistic_center,
    required_hours,
    small_center,
    write_center,
)
from fieldops.domain.errors import FieldError
from fieldops.domain.roster import RosterProblem
from fieldops.schemas import roster_problem_from_json, roster_problem_to_json


@pytest.fixture(scope="module")
def center() -> RosterProblem:
    return realistic_center()


def test_same_seed_same_center_other_seed_other_center() -> None:
    a = roster_problem_to_json(small_center(seed=3))
    assert a == roster_problem_to_json(small_center(seed=3))
    assert a != roster_problem_to_json(small_center(seed=4))


def test_sizes(center: RosterProblem) -> None:
    assert len(center.agents) == 150 and center.days == 28
    assert center.start.weekday() == 0 and center.timezone == "Europe/Berlin"
    assert center.interval == timedelta(minutes=15)
    assert len(center.queues) == 8 and {q.split("/")[1][:2] for q in center.queues} == {"en", "de"}
    assert 8 <= len(center.templates) <= 12
    assert len({a.name for a in center.agents}) == 150
    small = small_center()
    assert (len(small.agents), small.days, small.queues) == (20, 7, SMALL_QUEUES)


def test_contracts_are_the_realistic_ones(center: RosterProblem) -> None:
    by_id = center.contract_by_id
    assert by_id["full-time-40"].max_work_per_week == timedelta(hours=40)
    assert {by_id[c].max_work_per_week for c in ("part-time-20", "part-time-30")} == {
        timedelta(hours=20), timedelta(hours=30)}
    for c in center.contracts:
        assert c.min_rest == timedelta(hours=11) and c.max_consecutive_days == 6
        assert c.min_consecutive_days_off == 2 and c.max_weekends == 2
    kinds = Counter(a.contract.split("-leave")[0] for a in center.agents)
    assert kinds["full-time-40"] == 90 and kinds["part-time-20"] + kinds["part-time-30"] == 60
    for a in center.agents:  # leave is credited against the minimum, pro rata
        base = by_id[a.contract.split("-leave")[0]]
        least, mine = base.min_work_total, by_id[a.contract].min_work_total
        assert least is not None and mine is not None
        assert least * (28 - len(a.days_off)) / 28 - timedelta(minutes=15) < mine <= least
        assert (a.contract == base.id) == (not a.days_off)
    night = [a for a in center.agents if a.templates and "N8" in a.templates]
    assert 0 < len(night) < 150 // 3
    assert all(a.contract.startswith("full-time-40") for a in night)
    lengths = {t.paid for t in center.templates}
    assert {timedelta(hours=h) for h in (4, 6, 8, 9)} <= lengths
    for t in center.templates:
        if t.paid > timedelta(hours=4):
            assert timedelta(minutes=30) <= t.break_length <= timedelta(minutes=60)
            assert not t.break_paid and t.break_earliest is not None


def test_every_queue_has_skilled_agents_and_time_off_is_partial(center: RosterProblem) -> None:
    skilled = Counter(q for a in center.agents for q in a.queues)
    assert set(skilled) == set(QUEUE_IDS) and min(skilled.values()) >= 10
    with_leave = sum(1 for a in center.agents if a.days_off)
    with_prefs = sum(1 for a in center.agents if a.preferences)
    assert 0 < with_leave < 75 and 0 < with_prefs < 100
    small = small_center()
    assert set(q for a in small.agents for q in a.queues) == set(SMALL_QUEUES)


def test_requirements_follow_the_clock_and_the_week(center: RosterProblem) -> None:
    tz = center.tz
    heads: Counter[tuple[date, str]] = Counter()
    rows: Counter[tuple[date, str]] = Counter()
    night_de = 0
    for r in center.requirements:
        local = r.start.astimezone(tz)
        rows[(local.date(), r.queue)] += 1
        heads[(local.date(), r.queue)] += r.required
        if r.queue == "voice/de" and local.time() < time(5):
            night_de += r.required
    dst = date(2026, 3, 29)
    assert rows[(dst, "voice/en")] == 92 and rows[(dst - timedelta(days=7), "voice/en")] == 96
    monday, sunday = date(2026, 3, 16), date(2026, 3, 22)
    for q in QUEUE_IDS:
        assert heads[(monday, q)] > heads[(sunday, q)], q
    assert heads[(sunday, "backoffice/en")] == 0
    assert night_de == 0  # voice/de is closed at night
    night_en = [r.required for r in center.requirements
                if r.queue == "voice/en" and r.start.astimezone(tz).time() == time(3)]
    assert len(night_en) == 28 and min(night_en) >= 1  # 24/7: someone at 03:00
    vip = {r.under_weight for r in center.requirements if r.queue == "voice/en-vip"}
    assert vip == {300}


def test_need_is_plausible_for_the_agents(center: RosterProblem) -> None:
    # Contracted maximum paid hours (less leave) vs required agent-hours: 1.0 by default.
    weekly = {"full-time-40": 40, "part-time-30": 30, "part-time-20": 20}
    supply = sum(weekly[a.contract.split("-leave")[0]] * 4 * (1 - len(a.days_off) / 28)
                 for a in center.agents)
    need = required_hours(center)
    assert 0.95 <= supply / need <= 1.05
    peak = max(Counter(r.start for r in center.requirements
                       for _ in range(r.required)).values())
    assert 40 <= peak <= 120  # heads at the busiest quarter hour, out of 150


def test_capacity_ratio_scales_the_need() -> None:
    # Small center: 12 full-time (40 h) and 8 part-time (4 × 30 h, 4 × 20 h) = 680 h a week
    # at most, less leave.
    small = small_center()
    weekly = {"full-time-40": 40, "part-time-30": 30, "part-time-20": 20}
    supply = sum(weekly[a.contract.split("-leave")[0]]
                 * (1 - len(a.days_off) / 7) for a in small.agents)
    assert 0.9 <= supply / required_hours(small) <= 1.1
    loose = required_hours(realistic_center(agents=20, weeks=1, capacity_ratio=1.5,
                                            queues=SMALL_QUEUES))
    assert 0.6 < loose / required_hours(small) < 0.75


def test_bad_arguments_name_the_field() -> None:
    for kwargs, name in (({"agents": 3}, "agents"), ({"weeks": 7}, "weeks"),
                         ({"start": date(2026, 3, 17)}, "start"),
                         ({"capacity_ratio": 0.1}, "capacity_ratio"),
                         ({"queues": ["voice/fr"]}, "queues[0]")):
        with pytest.raises(FieldError) as err:
            realistic_center(**kwargs)
        assert err.value.field == name


def test_hard_rules_of_the_small_center_can_all_be_kept() -> None:
    # Coverage is soft; the contracts, leave and availability must leave some roster.
    from dataclasses import replace

    from fieldops.domain.roster import RosterParams, RosterStatus
    from fieldops.solver.roster import solve_roster
    from fieldops.validators.roster import assert_roster_valid

    problem = replace(small_center(), requirements=())
    roster = solve_roster(problem, RosterParams(time_limit=30, workers=1))
    assert roster.status in (RosterStatus.OPTIMAL, RosterStatus.FEASIBLE,
                             RosterStatus.TIME_LIMIT), roster.status
    assert roster.assignments
    assert_roster_valid(problem, roster)


def test_json_export_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "center.json"
    problem = write_center(path, agents=12, weeks=1)
    again = roster_problem_from_json(json.loads(path.read_text(encoding="utf-8")))
    assert again == problem
