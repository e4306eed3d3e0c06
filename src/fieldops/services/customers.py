"""The customer record beyond its details: logged contacts, the contact history
(visits, ratings and contacts in one timeline) and satisfaction summaries. (New
requests inheriting the customer's preferred technicians: :mod:`.preferences`.)"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldops.calendar import Contact
from fieldops.domain.errors import FieldError
from fieldops.domain.satisfaction import REPORT_DAYS, Rating, Satisfaction, summarise
from fieldops.services.resources import CUSTOMERS, customer_visits
from fieldops.store.models import (
    CustomerContact,
    PlanRow,
    RatingRow,
    TechnicianRow,
    utcnow,
)

#: The channels a logged contact can come through.
CHANNELS = ("phone", "email", "chat", "sms", "visit", "letter", "other")
#: Longest contact summary kept (characters).
MAX_SUMMARY = 2000
#: Contacts shown on a technician's calendar event, newest first.
CONTACTS_SHOWN = 3


# ---------------------------------------------------------------- contacts
def log_contact(s: Session, customer_id: str, *, channel: str, summary: str,
                at: datetime | None, request_id: str | None, actor: str) -> CustomerContact:
    """Store a contact with the customer (``at`` defaults to now)."""
    CUSTOMERS.get(s, customer_id)
    if channel not in CHANNELS:
        raise FieldError("channel", f"must be one of {', '.join(CHANNELS)}")
    text = summary.strip()
    if not text or len(text) > MAX_SUMMARY:
        raise FieldError("summary", f"must be 1 to {MAX_SUMMARY} characters")
    row = CustomerContact(customer_id=customer_id, channel=channel, summary=text,
                          at=at or utcnow(), request_id=request_id, actor=actor)
    s.add(row)
    s.flush()
    return row


def contacts(s: Session, customer_id: str) -> list[CustomerContact]:
    """The customer's logged contacts, newest first."""
    CUSTOMERS.get(s, customer_id)
    return list(s.scalars(select(CustomerContact).where(
        CustomerContact.customer_id == customer_id)
        .order_by(CustomerContact.at.desc(), CustomerContact.id.desc())))


def last_contacts(s: Session, customer_ids: Iterable[str],
                  limit: int = CONTACTS_SHOWN) -> dict[str, list[Contact]]:
    """The latest ``limit`` logged contacts of each customer, newest first."""
    wanted = sorted(set(customer_ids))
    if not wanted:
        return {}
    out: dict[str, list[Contact]] = {}
    for row in s.scalars(select(CustomerContact).where(
            CustomerContact.customer_id.in_(wanted))
            .order_by(CustomerContact.at.desc(), CustomerContact.id.desc())):
        shown = out.setdefault(row.customer_id, [])
        if len(shown) < limit:
            shown.append(Contact(row.at, row.channel, row.summary))
    return out


# ---------------------------------------------------------------- history
def history(s: Session, customer_id: str) -> list[dict[str, Any]]:
    """Visits, ratings and logged contacts of the customer in one list, newest first.

    Each entry has ``kind`` (``visit``, ``rating`` or ``contact``), ``at`` and the
    fields of its kind.
    """
    entries: list[dict[str, Any]] = [
        {"kind": "visit", "at": at, "request_id": r.id, "job_type": r.job_type,
         "technician_id": r.assigned_technician_id}
        for r, at in customer_visits(s, customer_id)]
    entries += [
        {"kind": "rating", "at": r.created_at, "request_id": r.request_id,
         "technician_id": r.technician_id, "rating": r.score, "comment": r.comment}
        for r in s.scalars(select(RatingRow).where(RatingRow.customer_id == customer_id))]
    entries += [
        {"kind": "contact", "at": c.at, "id": c.id, "channel": c.channel,
         "summary": c.summary, "request_id": c.request_id, "actor": c.actor}
        for c in contacts(s, customer_id)]
    return sorted(entries, key=lambda e: e["at"], reverse=True)


# ---------------------------------------------------------------- satisfaction
def ratings(s: Session, *, start: datetime | None = None, end: datetime | None = None,
            technician_id: str | None = None,
            technician_ids: Iterable[str] | None = None,
            request_ids: Iterable[str] | None = None) -> list[Rating]:
    """Stored ratings of visits done in ``[start, end)`` (all when not given), of one
    technician, of some technicians or of some requests when those are given."""
    q = select(RatingRow).order_by(RatingRow.visit_at, RatingRow.id)
    if start is not None:
        q = q.where(RatingRow.visit_at >= start)
    if end is not None:
        q = q.where(RatingRow.visit_at < end)
    if technician_id is not None:
        q = q.where(RatingRow.technician_id == technician_id)
    if technician_ids is not None:
        q = q.where(RatingRow.technician_id.in_(sorted(set(technician_ids))))
    if request_ids is not None:
        q = q.where(RatingRow.request_id.in_(sorted(set(request_ids))))
    return [Rating(r.request_id, r.score, r.visit_at, r.technician_id, r.customer_id,
                   r.comment) for r in s.scalars(q)]


def satisfaction(s: Session, *, timezone: str = "UTC", **filters: Any) -> Satisfaction:
    """:func:`ratings` (same filters) summarised per technician and per local day."""
    found = ratings(s, **filters)
    techs = {r.technician_id for r in found if r.technician_id}
    names = {t.id: t.name for t in s.scalars(
        select(TechnicianRow).where(TechnicianRow.id.in_(techs)))} if techs else {}
    return summarise(found, timezone, names)


def plan_satisfaction(s: Session, plan_id: str) -> Satisfaction | None:
    """The ratings the dispatch report of plan ``plan_id`` shows: its technicians'
    visits in the :data:`REPORT_DAYS` days up to its horizon's end, by its time zone's
    days (``None``: no such plan)."""
    plan = s.get(PlanRow, plan_id)
    if plan is None:
        return None
    techs = [str(t.get("id")) for t in (plan.problem or {}).get("technicians", [])
             if isinstance(t, dict)]
    return satisfaction(s, timezone=plan.timezone, technician_ids=techs,
                        start=plan.horizon_end - timedelta(days=REPORT_DAYS),
                        end=plan.horizon_end)
