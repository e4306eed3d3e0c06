"""solver/slots/offer.py: slot offers against a day's published plan.

The day is the live-day fixture (tests/live_fixtures.py): A serves km 10, 20, 30
from 08:10, B km 40 and 60; shifts 08:00–17:00, driving 1 km takes a minute. The
relocation tests use the full morning of tests/test_live_relocate.py.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from fieldops.domain import ContractTier, ObjectiveWeights, ServiceRequest, Skill, TimeWindow
from fieldops.solver.dispatch.solve import evaluate_routes
from fieldops.solver.live.insert import may_take
from fieldops.solver.slots import (
    Booked,
    SlotOffer,
    SlotParams,
    book_slot,
    day_slots,
    offer_slots,
    remove_job,
)
from fieldops.validators.dispatch import assert_valid
from fieldops.validators.promises import assert_promises_kept
from test_live_relocate import GAS, ChainDay, FullDay

from line_world import LineWorld, shift, t
from live_fixtures import ROUTES, Day, starts

PARIS = ZoneInfo("Europe/Paris")
DAY = date(2026, 3, 2)


def _slots() -> list[TimeWindow]:
    return day_slots(DAY, PARIS, timedelta(hours=2))


def test_every_slot_of_the_shift_hours_is_offered_cheapest_first() -> None:
    d = Day()
    offers = offer_slots(d.problem, d.published, d.request("N", "E"), _slots())
    hours = sorted(o.slot.start.astimezone(PARIS).hour for o in offers)
    assert hours == [8, 10, 12, 14, 16]
    costs = [o.added_cost for o in offers]
    assert costs == sorted(costs)
    for o in offers:
        assert o.slot.start <= o.earliest_arrival <= o.latest_arrival <= o.slot.end
        assert o.added_travel >= timedelta(0)


def test_each_offer_books_where_and_at_the_cost_it_said() -> None:
    d = Day()
    new = d.request("N", "E")
    for o in offer_slots(d.problem, d.published, new, _slots()):
        booked = book_slot(d.problem, d.published, new, o.slot)
        assert booked is not None, o.id
        assert_valid(booked.insertion.problem, booked.insertion.plan)
        assert_promises_kept(booked.insertion.plan, {"N": o.slot})
        assert (booked.shift_id, booked.start) == (o.shift_id, o.earliest_arrival)
        objective = booked.insertion.plan.objective - d.published.objective
        assert abs(objective - (o.added_cost - o.disruption)) < 0.5
        assert tuple(sorted(booked.insertion.moved)) == o.moved


def test_the_latest_arrival_is_itself_bookable() -> None:
    d = Day()
    new = d.request("N", "E")
    for o in offer_slots(d.problem, d.published, new, _slots()):
        pinned = dataclasses.replace(new, id="P", windows=(
            TimeWindow(o.latest_arrival, o.latest_arrival),))
        assert book_slot(d.problem, d.published, pinned, o.slot) is not None, o.id


def test_nobody_qualified_means_no_offer() -> None:
    d = Day()
    new = d.request("N", "E", required_skills=(Skill("gas", 1),))
    assert offer_slots(d.problem, d.published, new, _slots()) == []
    assert not any(may_take(d.problem, s, new) for s in d.problem.shifts)


def test_the_requests_window_and_the_lead_time_limit_the_offers() -> None:
    d = Day()
    morning = d.request("N", "E", windows=(TimeWindow(t(0), t(240)),))
    offers = offer_slots(d.problem, d.published, morning, _slots(),
                         SlotParams(not_before=t(60)))
    assert sorted(o.slot.start.astimezone(PARIS).hour for o in offers) == [10]
    assert all(o.earliest_arrival <= t(240) for o in offers)


def test_booking_offered_slots_until_none_is_left_never_overbooks() -> None:
    d = Day()
    problem, plan = d.problem, d.published
    promises: dict[str, TimeWindow] = {}
    handed: set[str] = set()
    for k in range(40):
        new = dataclasses.replace(d.request(f"N{k}", "E" if k % 2 else "F", duration=60))
        offers = offer_slots(problem, plan, new, _slots())
        if not offers:
            break
        handed |= set(offers[-1].relocated)
        booked = book_slot(problem, plan, new, offers[-1].slot)  # the dearest, for variety
        assert booked is not None
        problem, plan = booked.insertion.problem, booked.insertion.plan
        promises[new.id] = booked.slot
        assert_valid(problem, plan)
        assert_promises_kept(plan, promises)
    else:
        raise AssertionError("the day never filled up")
    assert 4 <= len(promises) < 40
    kept = starts(plan)
    # Nobody published was taken out, nor handed to another technician but by an
    # offer that said so (a relocation lists the jobs it moves).
    published = starts(d.published)
    assert published.keys() <= kept.keys()
    assert all(kept[rid][0] == tech or rid in handed for rid, (tech, _) in published.items())


def _baselined(problem, plan):  # type: ignore[no-untyped-def]
    """``problem`` as a live day sees it: each job's published technician and start
    as its baseline."""
    where = starts(plan)
    return dataclasses.replace(problem, requests=tuple(
        dataclasses.replace(r, baseline_technician=where[r.id][0],
                            baseline_start=where[r.id][1]) for r in problem.requests))


def test_a_day_with_baselines_prices_the_disruption_once() -> None:
    # A live day's jobs carry their published technician and start as baselines:
    # the objective prices pushing them itself, so the offer must not add it again.
    d = Day()
    problem = _baselined(d.problem, d.published)
    new = d.request("N", "G", duration=120)
    offers = offer_slots(problem, d.published, new, _slots())
    pushing = [o for o in offers if o.disruption > 0]
    assert pushing, "the fixture must push someone beyond the tolerance"
    for o in offers:
        booked = book_slot(problem, d.published, new, o.slot)
        assert booked is not None, o.id
        objective = booked.insertion.plan.objective - d.published.objective
        assert abs(objective - o.added_cost) < 0.5, o.id


def _full_day_slots() -> list[TimeWindow]:
    return day_slots(DAY, PARIS, timedelta(hours=4))  # 08:00-12:00 is one slot


def test_a_full_route_is_offered_by_relocating_a_job_and_books_as_offered() -> None:
    # The relocation repair: the new gas job fits only if A3 moves to B; the offer
    # says so, the booking does it, at the offered cost (no baselines here: the
    # reassignment is disruption, outside the plan's objective).
    d = FullDay()
    new = d.request()
    assert offer_slots(d.problem, d.plan, new, _full_day_slots(),
                       SlotParams(relocate=None)) == []
    offers = offer_slots(d.problem, d.plan, new, _full_day_slots())
    assert [o.relocated for o in offers] == [("A3",)]
    o = offers[0]
    assert o.disruption >= d.problem.weights.reassigned
    booked = _booked_by_relocation(d.problem, d.plan, new, o)
    assert starts(booked.insertion.plan)["A3"][0] == "B"
    objective = booked.insertion.plan.objective - d.plan.objective
    assert abs(objective - (o.added_cost - o.disruption)) < 0.5
    assert tuple(sorted(booked.insertion.moved)) == o.moved


def _booked_by_relocation(problem, plan, new, o):  # type: ignore[no-untyped-def]
    """Book offer ``o`` of ``new``: by relocation, valid, promise kept, where it said."""
    booked = book_slot(problem, plan, new, o.slot)
    assert booked is not None
    assert booked.insertion.mode == "relocate"
    assert_valid(booked.insertion.problem, booked.insertion.plan)
    assert_promises_kept(booked.insertion.plan, {new.id: o.slot})
    assert (booked.shift_id, booked.start) == (o.shift_id, o.earliest_arrival)
    return booked


def test_an_ejection_chain_is_offered_and_books_as_offered() -> None:
    # Only a chain makes room (tests/test_live_relocate.py): a job of A goes to B,
    # which hands a job to C; the offer says so and the booking does it, at its cost.
    d = ChainDay()
    new = d.request()
    offers = offer_slots(d.problem, d.plan, new, _full_day_slots())
    assert len(offers) == 1 and len(offers[0].relocated) == 2
    o = offers[0]
    assert o.disruption >= 2 * d.problem.weights.reassigned
    booked = _booked_by_relocation(d.problem, d.plan, new, o)
    after = starts(booked.insertion.plan)
    assert sorted(after[rid][0] for rid in o.relocated) == ["B", "C"]
    objective = booked.insertion.plan.objective - d.plan.objective
    assert abs(objective - (o.added_cost - o.disruption)) < 0.5
    assert tuple(sorted(booked.insertion.moved)) == o.moved


def test_a_relocation_on_a_day_with_baselines_books_at_its_added_cost() -> None:
    # A live day's jobs carry baselines: the objective itself charges moving A3 to
    # B, so the booked objective delta is the whole added cost.
    d = FullDay()
    problem = _baselined(d.problem, d.plan)
    new = d.request()
    offers = offer_slots(problem, d.plan, new, _full_day_slots())
    assert [o.relocated for o in offers] == [("A3",)]
    booked = book_slot(problem, d.plan, new, offers[0].slot)
    assert booked is not None
    assert_valid(booked.insertion.problem, booked.insertion.plan)
    objective = booked.insertion.plan.objective - d.plan.objective
    assert objective >= problem.weights.reassigned
    assert abs(objective - offers[0].added_cost) < 0.5


@pytest.mark.parametrize("weights", [
    ObjectiveWeights(),  # the default: a breach is a fixed number of hours of driving
    # contract-first: a breach is a share of the travel bound (docs/dispatch.md)
    ObjectiveWeights(sla_breach=0.75, sla_breach_flat=0.0, sla_lateness_per_hour=3600.0),
], ids=["default", "contract-first"])
def test_an_sla_breach_is_offered_at_what_the_whole_days_objective_charges(
        weights: ObjectiveWeights) -> None:
    # A gold request due before the day starts breaches in every slot. With
    # sla_breach the breach is sla_breach x weight x the travel bound; offers and
    # bookings see only the candidate routes (one here), whose bound is smaller than
    # the day's: they used to price the breach below what the objective charges.
    d = Day()
    gold = ContractTier("gold", response_time=timedelta(hours=1), lateness_weight=4)
    problem = dataclasses.replace(d.problem, contract_tiers=(gold,), weights=weights)
    published = evaluate_routes(problem, ROUTES)
    new = d.request("N", "E", contract_tier="gold", created_at=t(-180))
    params = SlotParams(candidates=1)
    offers = offer_slots(problem, published, new, _slots(), params)
    assert offers
    for o in offers:
        booked = book_slot(problem, published, new, o.slot, params)
        assert booked is not None, o.id
        assert_valid(booked.insertion.problem, booked.insertion.plan)
        plan = booked.insertion.plan
        whole = evaluate_routes(booked.insertion.problem,
                                {r.shift_id: list(r.request_ids) for r in plan.routes})
        assert whole.penalties["sla"] > 0
        assert plan.penalties["sla"] == pytest.approx(whole.penalties["sla"], rel=1e-6)
        objective = plan.objective - published.objective
        assert objective == pytest.approx(o.added_cost - o.disruption, abs=0.5)


class GapDay:
    """A morning (08:00-12:00, no overtime) after a cancellation: A served X (km 5,
    08:05-09:05) then A1 (km 10, window 08:00-10:00) at 09:10; X was cancelled and
    nobody moved, so A1 still starts at 09:10 though it could start at 08:10. B
    (km 40, without A's skill ``gas``: it can take neither A1 nor the new job)
    serves B1 (km 45), which ``started`` pins as under way. A new gas job at A1's
    address needs 110 minutes from 10:00: it fits after A1 only if A1 starts
    earlier than published (09:10 + 60 + 110 + the drive home ends 12:10)."""

    def __init__(self, started: bool = False) -> None:
        w = LineWorld()
        techs = [w.technician("A", 0, skills=[GAS]), w.technician("B", 40)]
        b1 = w.job("B1", 45, 60, **({"pinned_start": t(5), "pinned_technician": "B"}
                                    if started else {}))
        jobs = [w.job("X", 5, 60), w.job("A1", 10, 60, windows=(TimeWindow(t(0), t(120)),),
                                         required_skills=(GAS,)), b1]
        self.place = jobs[1].location
        problem = w.problem(techs, jobs, shifts=[shift("A", 0, 240), shift("B", 0, 240)])
        plan = evaluate_routes(problem, {"S-A": ["X", "A1"], "S-B": ["B1"]})
        self.problem, self.plan = remove_job(problem, plan, "X")
        assert_valid(self.problem, self.plan)
        assert starts(self.plan)["A1"] == ("A", t(70))

    def request(self) -> ServiceRequest:
        return ServiceRequest(id="N", location=self.place, duration=timedelta(minutes=110),
                              required_skills=(GAS,))


def test_on_a_future_day_a_published_job_may_start_earlier_inside_its_window() -> None:
    # Nothing of the day has started: A1 moves up from 09:10 to 08:10 (its window
    # is 08:00-10:00), which is the only way the 10:00 slot has room; the booking
    # lands where and at the cost the offer said, A1 still inside its window.
    d = GapDay()
    new = d.request()
    offers = [o for o in offer_slots(d.problem, d.plan, new, _slots())
              if o.slot.start == t(120)]
    assert len(offers) == 1
    o = offers[0]
    assert (o.shift_id, o.earliest_arrival, o.moved) == ("S-A", t(120), ("A1",))
    assert o.disruption > 0  # A1 re-timed by an hour, beyond the tolerance
    booked = book_slot(d.problem, d.plan, new, o.slot)
    assert booked is not None
    assert_valid(booked.insertion.problem, booked.insertion.plan)
    assert_promises_kept(booked.insertion.plan, {"N": o.slot})
    assert (booked.shift_id, booked.start) == (o.shift_id, o.earliest_arrival)
    assert starts(booked.insertion.plan)["A1"] == ("A", t(10))
    objective = booked.insertion.plan.objective - d.plan.objective
    assert abs(objective - (o.added_cost - o.disruption)) < 0.5
    assert tuple(sorted(booked.insertion.moved)) == o.moved


def test_on_the_live_day_no_published_job_starts_earlier() -> None:
    # The same day once work has started (B1 under way, pinned; the service says
    # so from the live state): every job keeps its start or later, so the 10:00
    # slot has no room.
    params = SlotParams(future=False)
    for d in (GapDay(started=True), GapDay()):
        new = d.request()
        offered = [o.slot.start for o in offer_slots(d.problem, d.plan, new, _slots(), params)]
        assert offered == [t(0)]  # before A1 only
        assert book_slot(d.problem, d.plan, new, TimeWindow(t(120), t(240)), params) is None


def _push_or_drive(future: bool) -> tuple[SlotOffer, Booked]:
    """A (km 0) serves A1 (km 10, two hours) from 08:10; B (km 30) has nothing. A new
    half-hour job at A1's address in the 08:00 slot either goes before A1 on A,
    pushing A1 by 30 minutes (the tolerance: no disruption cost, no travel), or to B
    (40 minutes of driving, nobody moves). Returns the offer and the booking."""
    w = LineWorld()
    techs = [w.technician("A", 0), w.technician("B", 30)]
    a1 = w.job("A1", 10, 120)
    problem = w.problem(techs, [a1], shifts=[shift("A", 0, 240), shift("B", 0, 240)])
    plan = evaluate_routes(problem, {"S-A": ["A1"]})
    new = ServiceRequest(id="N", location=a1.location, duration=timedelta(minutes=30))
    params = SlotParams(future=future)
    offers = [o for o in offer_slots(problem, plan, new, _slots(), params)
              if o.slot.start == t(0)]
    assert len(offers) == 1
    booked = book_slot(problem, plan, new, offers[0].slot, params)
    assert booked is not None
    assert_valid(booked.insertion.problem, booked.insertion.plan)
    assert (booked.shift_id, booked.start) == (offers[0].shift_id, offers[0].earliest_arrival)
    assert tuple(sorted(booked.insertion.moved)) == offers[0].moved
    return offers[0], booked


def test_on_a_future_day_the_cheapest_place_wins_even_when_it_pushes_a_job() -> None:
    # Nothing has started: A1 moving inside its window is priced (here nothing:
    # within the tolerance), not ranked behind a quiet but dear place.
    offer, booked = _push_or_drive(future=True)
    assert (offer.shift_id, offer.moved, offer.added_cost) == ("S-A", ("A1",), 0.0)
    assert starts(booked.insertion.plan)["A1"] == ("A", t(40))


def test_on_the_live_day_a_place_that_moves_nobody_still_comes_first() -> None:
    offer, booked = _push_or_drive(future=False)
    assert (offer.shift_id, offer.moved) == ("S-B", ())
    assert offer.added_cost > 0
    assert starts(booked.insertion.plan)["A1"] == ("A", t(10))
