"""roster/context.py: the time grid (intervals, daylight saving, nights across
midnight, off-grid starts) and which queues a template lets an agent serve."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fieldops.domain.roster import Unavailability
from roster_fixtures import EVERY_DAY, MONDAY, agent, need, problem, solve, template, worked_days

BERLIN = ZoneInfo("Europe/Berlin")


def test_dst_day_has_23_hours_and_shifts_keep_their_real_length() -> None:
    sunday = date(2026, 3, 29)  # clocks go 02:00 → 03:00 in Berlin
    night = template("N", 22, 9)
    reqs = (need(0, 23, tz=BERLIN, start=sunday - timedelta(days=1)),
            need(0, 6, tz=BERLIN, start=sunday))
    p = problem(days=2, start=sunday - timedelta(days=1), templates=(night,),
                timezone="Europe/Berlin", requirements=reqs)
    r = solve(p)
    s = r.assignments[0]
    assert s.start == datetime(2026, 3, 28, 22, tzinfo=BERLIN)
    # 9 real hours across the change end at 08:00 summer time, not 07:00
    assert s.end.astimezone(BERLIN).time() == time(8)
    assert list(r.coverage["staffed"]) == [1, 1]


def test_night_shift_covers_the_next_mornings_intervals() -> None:
    night = template("N", 22, 8)
    p = problem(days=2, templates=(night,), requirements=(need(1, 3), need(1, 5)))
    r = solve(p)
    assert [s.day for s in r.assignments] == [MONDAY]
    assert r.penalties["coverage_under"] == 0


def test_template_queue_restriction_is_kept() -> None:
    only_y = template("Y", 8, 8, queues=frozenset({"y"}))
    p = problem(days=1, agents=(agent("a", "x", "y"),), queues=("x", "y"), templates=(only_y,),
                requirements=(need(0, 9, "x", under_weight=500), need(0, 9, "y")))
    r = solve(p)
    assert r.coverage.set_index("queue").loc["x", "staffed"] == 0
    assert r.penalties["coverage_under"] == 500


def test_time_grid_helpers_do_not_drift() -> None:
    # an off-grid template start: the first, partial interval is not counted
    p = problem(days=1, templates=(template("O", 8, 4).__class__(
        "O", time(8, 30), timedelta(hours=4)),), requirements=(need(0, 8), need(0, 9)))
    r = solve(p)
    assert list(r.coverage["staffed"]) == [0, 1]


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
