"""Hypothesis: random event streams on small days never yield a live plan that
double-books a technician or moves frozen work.

The small day is solved, published and executed as planned up to a random
``as_of`` (some technicians report, some do not; jobs under way may run over);
then random technicians fall out for a while, random jobs are cancelled and new
ones arrive. The plan carried over, an emergency inserted into it and (on some
draws) a full re-plan must each pass the dispatch validator against the
re-planning problem and the live validator against the day.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldops.domain import Priority
from fieldops.domain.live import (
    Cancellation,
    Delay,
    JobStatus,
    LiveDay,
    LiveEvent,
    NewRequest,
    StatusReport,
    Unavailability,
)
from fieldops.solver.dispatch import SolveParams
from fieldops.solver.live import current_plan, insert_job, replan, replan_problem
from fieldops.validators.dispatch import assert_valid
from fieldops.validators.live import assert_live_valid, validate_live

from line_world import t
from live_fixtures import Day

DAY = Day()


@st.composite
def live_days(draw: st.DrawFn) -> LiveDay:
    as_of = draw(st.integers(min_value=0, max_value=300))
    now = t(as_of)
    events: list[LiveEvent] = []
    for route in DAY.published.routes:
        reports = draw(st.booleans())
        for step in route.jobs:
            rid = step.request_id
            assert rid is not None
            if not reports or step.start > now:
                continue
            events.append(StatusReport(rid, JobStatus.ON_SITE, step.start))
            if step.end <= now and draw(st.booleans()):
                events.append(StatusReport(rid, JobStatus.DONE, step.end))
            elif step.end > now or draw(st.booleans()):
                over = draw(st.integers(min_value=0, max_value=90))
                events.append(Delay(rid, max(step.end, now) + timedelta(minutes=over), now))
                break  # the technician is still there
    for tech in ("A", "B"):
        if draw(st.integers(min_value=0, max_value=3)) == 0:
            start = draw(st.integers(min_value=as_of, max_value=as_of + 200))
            length = draw(st.one_of(st.none(), st.integers(min_value=10, max_value=240)))
            events.append(Unavailability(tech, t(start), t(start + length) if length else None,
                                         "ill", now))
    for rid in sorted(DAY.problem.request_by_id):
        if draw(st.integers(min_value=0, max_value=7)) == 0:
            events.append(Cancellation(rid, now))
    if draw(st.booleans()):
        events.append(NewRequest(DAY.request("N1", draw(st.sampled_from("EFG"))), now))
    return DAY.live(as_of, events)


def _check(day: LiveDay, problem, plan) -> None:  # type: ignore[no-untyped-def]
    assert_valid(problem, plan)
    assert_live_valid(day, plan)
    codes = {v.code for v in validate_live(day, plan)}
    assert not codes & {"double_booked", "frozen_moved"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(day=live_days(), resolve=st.integers(min_value=0, max_value=4))
def test_no_live_plan_double_books_or_moves_frozen_work(day: LiveDay, resolve: int) -> None:
    built = replan_problem(day)
    plan = current_plan(built)
    _check(day, built.problem, plan)
    emergency = DAY.request("EM", "E", priority=Priority.CRITICAL)
    inserted = insert_job(built.problem, plan, emergency)
    _check(day.with_events(NewRequest(emergency, day.as_of)), inserted.problem, inserted.plan)
    if resolve == 0:  # a full re-plan on one draw in five (it solves)
        result = replan(day, solve_params=SolveParams(time_limit=0.5))
        _check(day, result.problem, result.plan)
