"""Hypothesis: offering slots, then booking offers in a random order, never over-books.

Customers ask for offers against the same published day (the live-day fixture), then
book in a random order, some several offers each. Every booking either succeeds — and
the plan stays valid (dispatch validator) with every earlier promise kept (promise
validator) and nobody taken out — or fails only because an earlier booking took the
room: the first booking of all always succeeds (the offer was bookable). The same
on a full morning where offers move planned jobs to another technician, and on one
where they move a chain of two (an ejection chain).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldops.domain import DispatchPlan, DispatchProblem, ServiceRequest, TimeWindow
from fieldops.solver.slots import book_slot, day_slots, offer_slots
from fieldops.validators.dispatch import assert_valid
from fieldops.validators.promises import assert_promises_kept
from test_live_relocate import ChainDay, FullDay

from line_world import t
from live_fixtures import Day

DAY = Day()
SLOTS = day_slots(date(2026, 3, 2), ZoneInfo("Europe/Paris"), timedelta(hours=2))


@st.composite
def customers(draw: st.DrawFn) -> list[ServiceRequest]:
    n = draw(st.integers(min_value=2, max_value=8))
    out = []
    for k in range(n):
        place = draw(st.sampled_from(["E", "F", "G"]))
        minutes = draw(st.sampled_from([30, 45, 60, 90, 120]))
        windows: tuple[TimeWindow, ...] = ()
        if draw(st.booleans()):
            start = draw(st.integers(min_value=0, max_value=420))
            windows = (TimeWindow(t(start), t(start + draw(st.integers(60, 300)))),)
        out.append(DAY.request(f"C{k}", place, minutes, windows=windows))
    return out


def _book_in_random_order(problem: DispatchProblem, plan: DispatchPlan,
                          reqs: list[ServiceRequest], slots: Sequence[TimeWindow],
                          rng: object) -> dict[str, TimeWindow]:
    """Book every customer's offers in ``rng``'s order, one booking per customer:
    each booking is valid and keeps every promise made so far, an offer is refused
    only once an earlier booking took its room, and nobody is left out."""
    wishes = [(r, o) for r in reqs for o in offer_slots(problem, plan, r, slots)]
    rng.shuffle(wishes)  # type: ignore[attr-defined]
    day_jobs = len(problem.requests)
    promises: dict[str, TimeWindow] = {}
    for req, offer in wishes:
        if req.id in promises:
            continue
        booked = book_slot(problem, plan, req, offer.slot)
        if booked is None:
            assert promises, f"{offer.id} was offered to {req.id} on the untouched day"
            continue
        problem, plan = booked.insertion.problem, booked.insertion.plan
        promises[req.id] = offer.slot
        assert_valid(problem, plan)
        assert_promises_kept(plan, promises)
        assert not plan.unassigned
    assert sum(len(r.jobs) for r in plan.routes) == day_jobs + len(promises)
    return promises


@given(customers(), st.randoms(use_true_random=False))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_offers_booked_in_any_order_never_overbook(reqs: list[ServiceRequest],
                                                    rng: object) -> None:
    promises = _book_in_random_order(DAY.problem, DAY.published, reqs, SLOTS, rng)
    assert {dataclasses.astuple(w) for w in promises.values()} <= {
        dataclasses.astuple(s) for s in SLOTS}


FULL = FullDay()
MORNING = day_slots(date(2026, 3, 2), ZoneInfo("Europe/Paris"), timedelta(hours=1))


@st.composite
def gas_customers(draw: st.DrawFn) -> list[ServiceRequest]:
    """Customers of the full morning (tests/test_live_relocate.py): some need the
    skill only A holds, so their offers come from moving A's jobs to B."""
    out = []
    for k in range(draw(st.integers(min_value=2, max_value=5))):
        req = FULL.request(f"G{k}")
        minutes = draw(st.sampled_from([20, 30, 45, 60]))
        skills = req.required_skills if draw(st.booleans()) else ()
        out.append(dataclasses.replace(req, id=f"G{k}", duration=timedelta(minutes=minutes),
                                       required_skills=skills))
    return out


@given(gas_customers(), st.randoms(use_true_random=False))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_relocating_offers_booked_in_any_order_never_overbook(reqs: list[ServiceRequest],
                                                              rng: object) -> None:
    _book_in_random_order(FULL.problem, FULL.plan, reqs, MORNING, rng)


CHAIN = ChainDay()


@given(gas_customers(), st.randoms(use_true_random=False))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_chained_offers_booked_in_any_order_never_overbook(reqs: list[ServiceRequest],
                                                           rng: object) -> None:
    # The same customers on the day where the first gas job fits only by a chain.
    chained = [dataclasses.replace(r, location=CHAIN.new_place) for r in reqs]
    _book_in_random_order(CHAIN.problem, CHAIN.plan, chained, MORNING, rng)
