"""Customers' preferred technicians, inherited (softly) by their new requests.

Kept apart from :mod:`fieldops.services.customers` so that creating requests
(:mod:`fieldops.services.requests`) needs nothing but the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldops.domain import ServiceRequest
from fieldops.store.models import CustomerRow, TechnicianRow


def inherit_preferred(s: Session, reqs: Sequence[ServiceRequest],
                      explicit: set[str]) -> list[ServiceRequest]:
    """``reqs`` with their customer's preferred technicians, except the requests whose
    ids are in ``explicit`` (they named their own, possibly none).

    Soft: a preference costs in the objective, it never forbids anyone; a technician
    the request excludes (or that is deleted since) is left out.
    """
    customers = {r.customer_id for r in reqs if r.customer_id and r.id not in explicit}
    if not customers:
        return list(reqs)
    prefs = {c.id: list(c.preferred_technicians or []) for c in s.scalars(
        select(CustomerRow).where(CustomerRow.id.in_(customers)))}
    known = set(s.scalars(select(TechnicianRow.id).where(
        TechnicianRow.id.in_({t for ts in prefs.values() for t in ts}))))
    out = []
    for r in reqs:
        wanted = prefs.get(r.customer_id or "", []) if r.id not in explicit else []
        keep = tuple(t for t in wanted if t in known and t not in r.excluded_technicians)
        out.append(replace(r, preferred_technicians=keep) if keep else r)
    return out
