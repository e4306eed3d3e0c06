"""The plain resources: technicians, shifts, contract tiers, skills and customers.

Each is a :class:`~fieldops.services.crud.Resource` (what differs from the others)
run by the one CRUD helper; the few use cases that are not CRUD follow.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from fieldops.domain import ContractTier, Shift, Technician
from fieldops.domain.errors import FieldError
from fieldops.schemas import shift_from_json, technician_from_json, tier_from_json
from fieldops.services import live
from fieldops.services.crud import Resource
from fieldops.store.convert import ensure_skills, shift_to_row, technician_to_row, tier_to_row
from fieldops.store.models import (
    ContractTierRow,
    CustomerRow,
    RequestRow,
    ShiftRow,
    SkillRow,
    StatusEvent,
    TechnicianRow,
)

#: Customer fields a replacement overwrites (the id stays, ``created_at`` is kept).
CUSTOMER_FIELDS = ("name", "phone", "email", "address", "preferred_technicians")


# ---------------------------------------------------------------- technicians
def _write_technician(s: Session, tech: Technician, row: TechnicianRow | None
                      ) -> TechnicianRow:
    ensure_skills(s, (sk.name for sk in tech.skills))
    if row is None:
        return technician_to_row(tech)
    row.skills.clear()
    s.flush()  # the old skill links go before the new ones are added
    return technician_to_row(tech, row)


def _technician_in_use(s: Session, tech_id: str) -> str | None:
    used = s.scalar(select(RequestRow.id).where(RequestRow.pinned_technician == tech_id))
    return None if used is None else f"request {used!r} is pinned to this technician"


TECHNICIANS = Resource(
    TechnicianRow, "technician", "technician", "id",
    decode=lambda body: technician_from_json(body, ""), write=_write_technician,
    in_use=_technician_in_use,
)


#: Request statuses whose references to a deleted technician are dropped.
OPEN_REFS = ("new", "scheduled", "dispatched")
_REF_LISTS = ("preferred_technicians", "required_technicians", "excluded_technicians")


def delete_technician(s: Session, tech_id: str, *, actor: str) -> list[str]:
    """Delete a technician and their shifts; their jobs not started are released
    (back to ``new``, a later plan places them) and open requests stop naming
    them (pins, preferred / required / excluded lists), so no later solve trips
    over a technician that is gone. Returns the released requests."""
    TECHNICIANS.get(s, tech_id)
    for req in s.scalars(select(RequestRow).where(RequestRow.status.in_(OPEN_REFS))):
        if req.pinned_technician == tech_id:
            req.pinned_technician, req.pinned_start = None, None
        for name in _REF_LISTS:
            names = getattr(req, name) or []
            if tech_id in names:
                setattr(req, name, [t for t in names if t != tech_id])
    s.flush()
    shift_ids = list(s.scalars(select(ShiftRow.id).where(ShiftRow.technician_id == tech_id)))
    released = live.release_shifts(s, shift_ids, actor, f"technician {tech_id} deleted")
    TECHNICIANS.delete(s, tech_id)
    return released


def technicians_query(only: str | None = None) -> Select[Any]:
    """Technicians by id; ``only`` keeps one technician (a technician's own view)."""
    q = select(TechnicianRow).order_by(TechnicianRow.id)
    return q if only is None else q.where(TechnicianRow.id == only)


# ---------------------------------------------------------------- shifts
def _check_shift(s: Session, sh: Shift, exclude: str | None) -> None:
    """The technician exists and has no other shift overlapping this one."""
    if s.get(TechnicianRow, sh.technician_id) is None:
        raise FieldError("technician_id", f"unknown technician {sh.technician_id!r}")
    q = select(ShiftRow).where(
        ShiftRow.technician_id == sh.technician_id, ShiftRow.start < sh.latest_end,
        ShiftRow.end > sh.start,
    )
    if exclude is not None:
        q = q.where(ShiftRow.id != exclude)
    clash = s.scalars(q).first()
    if clash is not None:
        raise FieldError("start", f"overlaps shift {clash.id!r} of the same technician")


SHIFTS = Resource(
    ShiftRow, "shift", "shift", "id",
    decode=lambda body: shift_from_json(body, ""),
    write=lambda s, sh, row: shift_to_row(sh, row), check=_check_shift,
)


def delete_shift(s: Session, shift_id: str, *, actor: str) -> list[str]:
    """Delete a shift; its jobs not started are released (back to ``new``)."""
    SHIFTS.get(s, shift_id)
    released = live.release_shifts(s, [shift_id], actor, f"shift {shift_id} deleted")
    SHIFTS.delete(s, shift_id)
    return released


def shifts_query(technician_id: str | None = None, start: datetime | None = None,
                 end: datetime | None = None) -> Select[Any]:
    """Shifts by start, of one technician and overlapping ``[start, end)`` when given."""
    q = select(ShiftRow).order_by(ShiftRow.start, ShiftRow.id)
    if technician_id is not None:
        q = q.where(ShiftRow.technician_id == technician_id)
    if start is not None:
        q = q.where(ShiftRow.end > start)
    if end is not None:
        q = q.where(ShiftRow.start < end)
    return q


# ---------------------------------------------------------------- contract tiers
def _tier_in_use(s: Session, name: str) -> str | None:
    if s.scalar(select(RequestRow.id).where(RequestRow.contract_tier == name)):
        return f"requests still use tier {name!r}"
    return None


def _write_tier(s: Session, tier: ContractTier, row: ContractTierRow | None
                ) -> ContractTierRow:
    return tier_to_row(tier, row)


TIERS = Resource(
    ContractTierRow, "contract tier", "tier", "name",
    decode=lambda body: tier_from_json(body, ""), write=_write_tier, in_use=_tier_in_use,
)


def tiers_query() -> Select[Any]:
    return select(ContractTierRow).order_by(ContractTierRow.name)


# ---------------------------------------------------------------- skills
def skills_query() -> Select[Any]:
    return select(SkillRow).order_by(SkillRow.name)


def put_skill(s: Session, name: str, description: str | None) -> SkillRow:
    """Add a skill to the catalogue, or update the description of a known one."""
    row = s.get(SkillRow, name) or SkillRow(name=name)
    row.description = description
    s.add(row)
    return row


# ---------------------------------------------------------------- customers
def _write_customer(s: Session, body: dict[str, Any], row: CustomerRow | None
                    ) -> CustomerRow:
    if row is None:
        return CustomerRow(**body)
    for key in CUSTOMER_FIELDS:
        setattr(row, key, body.get(key))
    return row


def _check_customer(s: Session, body: dict[str, Any], key: str | None) -> None:
    """Preferred technicians must exist, each named once."""
    body.setdefault("preferred_technicians", [])
    ids = body["preferred_technicians"] or []
    known = set(s.scalars(select(TechnicianRow.id).where(TechnicianRow.id.in_(set(ids)))))
    for i, tech in enumerate(ids):
        if tech not in known:
            raise FieldError(f"preferred_technicians[{i}]", f"unknown technician {tech!r}")
    if len(set(ids)) != len(ids):
        raise FieldError("preferred_technicians", "lists a technician twice")


CUSTOMERS = Resource(
    CustomerRow, "customer", "customer", "id", decode=dict, write=_write_customer,
    check=_check_customer,
)


def customers_query(start: datetime | None = None, end: datetime | None = None
                    ) -> Select[Any]:
    """Customers by id, created in ``[start, end)`` when given."""
    q = select(CustomerRow).order_by(CustomerRow.id)
    if start is not None:
        q = q.where(CustomerRow.created_at >= start)
    if end is not None:
        q = q.where(CustomerRow.created_at < end)
    return q


def customer_visits(s: Session, customer_id: str) -> list[tuple[RequestRow, datetime]]:
    """The customer's completed requests with the time each was done, newest first."""
    CUSTOMERS.get(s, customer_id)
    rows = s.execute(
        select(RequestRow, StatusEvent.at)
        .join(StatusEvent, and_(StatusEvent.request_id == RequestRow.id,
                                StatusEvent.status == "done"))
        .where(RequestRow.customer_id == customer_id, RequestRow.status == "done")
        .order_by(StatusEvent.at.desc())
    ).tuples()
    return list(rows)
