"""Slot offers and booking for today go through the live day (issue 18).

The day is a future date (the calendar tests' ``_day``) made "today" by the
service's ``as_of`` / ``now``: 10:30 local, two technicians 08:00–17:00.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fieldops.schemas import plan_from_json
from fieldops.services import slots as svc
from fieldops.store.models import LiveDayRow, RequestRow
from fieldops.validators.promises import assert_promises_kept

from .conftest import Api
from .test_calendar_api import _at
from .test_slots import BERLIN, _new, _published_day

SETTINGS = svc.SlotSettings(timezone=BERLIN["TIMEZONE"])


def _away(api: Api, day: Any, tech: str) -> None:
    """``tech`` unavailable from 10:00 to the end of the day, reported at 10:00."""
    resp = api.post(f"/api/v1/days/{day}/events", json={
        "type": "unavailable", "technician_id": tech, "start": _at(day, "10:00"),
        "end": None, "reason": "ill", "reported_at": _at(day, "10:00")})
    assert resp.status_code == 201, resp.get_json()


def _offers(api: Api, rid: str, day: Any, now: datetime) -> list[dict[str, Any]]:
    with api.app.extensions["fieldops"].db.session() as s:
        got = svc.offers(s, rid, svc.OfferQuery(first=day, days=1, as_of=now), SETTINGS)
    return list(got["offers"])


def test_today_offers_and_books_only_what_the_live_day_still_has(api: Api) -> None:
    day = _published_day(api)
    now = datetime.fromisoformat(_at(day, "10:30"))
    _away(api, day, "t1")
    _new(api, "N1")
    offers = _offers(api, "N1", day, now)
    assert offers, "t2 still has room this afternoon"
    # Nothing before now plus the lead time, on the live day's slots.
    assert all(datetime.fromisoformat(o["start"]) >= now + svc.DEFAULT_LEAD for o in offers)
    first = offers[0]
    slot = svc.TimeWindow(datetime.fromisoformat(first["start"]),
                          datetime.fromisoformat(first["end"]))
    with api.app.extensions["fieldops"].db.session() as s:
        booked = svc.book(s, "N1", slot, None, SETTINGS, svc.Actor("test"), now=now)
        assert booked.status == "booked"
    with api.app.extensions["fieldops"].db.session() as s:
        row = s.get(RequestRow, "N1")
        assert row is not None and row.assigned_technician_id == "t2"  # not the absent t1
        assert row.planned_start is not None and row.planned_start >= now
        live = s.get(LiveDayRow, day)
        assert live is not None
        in_force = plan_from_json(live.plan)
        assert_promises_kept(in_force, {"N1": slot})
        # The booking merged into the live day: every job of t2 is still there.
        kept = {rid for r in in_force.routes for rid in r.request_ids}
        assert "N1" in kept
    # Nobody is left this afternoon: today has nothing to offer.
    _away(api, day, "t2")
    _new(api, "N2", 11)
    assert _offers(api, "N2", day, now + timedelta(minutes=1)) == []


def test_no_slot_of_today_starts_before_now(api: Api) -> None:
    day = _published_day(api, jobs=1)
    _new(api, "N1")
    now = datetime.fromisoformat(_at(day, "13:10"))
    offers = _offers(api, "N1", day, now)
    assert offers
    assert min(o["start"] for o in offers) >= (now + svc.DEFAULT_LEAD).isoformat()
