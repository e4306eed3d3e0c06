"""Technicians, shifts, contract tiers, skills and customers: plain CRUD."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint
from sqlalchemy import and_, select

from fieldops.api.auth import READERS, WRITERS, principal, roles
from fieldops.api.common import (
    customer_json,
    get_or_404,
    instant,
    page,
    shift_json,
    technician_json,
    tier_json,
)
from fieldops.api.errors import Problem
from fieldops.api.ext import session
from fieldops.api.schemas import (
    CustomerOutSchema,
    CustomerSchema,
    PageArgs,
    ShiftListArgs,
    ShiftSchema,
    SkillCatalogueSchema,
    TechnicianSchema,
    TierSchema,
    VisitSchema,
    page_schema,
)
from fieldops.domain.errors import FieldError
from fieldops.schemas import shift_from_json, technician_from_json, tier_from_json
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


def _same_id(body: dict[str, Any], key: str, value: str) -> None:
    if body.get(key) != value:
        raise FieldError(key, f"must equal the id in the URL ({value!r})")


# ---------------------------------------------------------------- technicians
technicians = Blueprint("technicians", __name__, url_prefix="/api/v1/technicians",
                        description="Field technicians, their skills and home bases.")


@technicians.route("", methods=["GET"])
@roles(*READERS, "technician")
@technicians.arguments(PageArgs, location="query")
@technicians.response(200, page_schema(TechnicianSchema, "TechnicianPage"))
def list_technicians(args: dict[str, Any]) -> dict[str, Any]:
    """List technicians (a technician key sees only itself)."""
    q = select(TechnicianRow).order_by(TechnicianRow.id)
    who = principal()
    if who.role == "technician":
        q = q.where(TechnicianRow.id == who.technician_id)
    with session() as s:
        return page(s, q, args, technician_json)


@technicians.route("", methods=["POST"])
@roles(*WRITERS)
@technicians.arguments(TechnicianSchema)
@technicians.response(201, TechnicianSchema)
def create_technician(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Create a technician."""
    tech = technician_from_json(body, "")
    with session() as s:
        if s.get(TechnicianRow, tech.id) is not None:
            raise Problem(409, f"technician {tech.id!r} already exists", field="id",
                          kind="conflict")
        ensure_skills(s, (sk.name for sk in tech.skills))
        row = technician_to_row(tech)
        s.add(row)
        s.flush()
        out = technician_json(row)
    return out, 201, {"Location": f"/api/v1/technicians/{tech.id}"}


@technicians.route("/<string:tech_id>", methods=["GET"])
@roles(*READERS, "technician")
@technicians.response(200, TechnicianSchema)
def get_technician(tech_id: str) -> dict[str, Any]:
    """One technician."""
    who = principal()
    if who.role == "technician" and who.technician_id != tech_id:
        raise Problem(403, "a technician key may only read its own technician", kind="forbidden")
    with session() as s:
        return technician_json(get_or_404(s, TechnicianRow, tech_id, "technician"))


@technicians.route("/<string:tech_id>", methods=["PUT"])
@roles(*WRITERS)
@technicians.arguments(TechnicianSchema)
@technicians.response(200, TechnicianSchema)
def replace_technician(body: dict[str, Any], tech_id: str) -> dict[str, Any]:
    """Replace a technician."""
    _same_id(body, "id", tech_id)
    tech = technician_from_json(body, "")
    with session() as s:
        row = get_or_404(s, TechnicianRow, tech_id, "technician")
        ensure_skills(s, (sk.name for sk in tech.skills))
        row.skills.clear()
        s.flush()
        technician_to_row(tech, row)
        s.flush()
        return technician_json(row)


@technicians.route("/<string:tech_id>", methods=["DELETE"])
@roles(*WRITERS)
@technicians.response(204)
def delete_technician(tech_id: str) -> Response:
    """Delete a technician with its shifts (409 while requests refer to it)."""
    with session() as s:
        row = get_or_404(s, TechnicianRow, tech_id, "technician")
        used = s.scalar(select(RequestRow.id).where(RequestRow.pinned_technician == tech_id))
        if used is not None:
            raise Problem(409, f"request {used!r} is pinned to this technician",
                          kind="conflict")
        s.delete(row)
    return Response(status=204)


# ---------------------------------------------------------------- shifts
shifts = Blueprint("shifts", __name__, url_prefix="/api/v1/shifts",
                   description="Working periods of technicians.")


def _check_shift(s: Any, sh: Any, exclude: str | None = None) -> None:
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


@shifts.route("", methods=["GET"])
@roles(*READERS, "technician")
@shifts.arguments(ShiftListArgs, location="query")
@shifts.response(200, page_schema(ShiftSchema, "ShiftPage"))
def list_shifts(args: dict[str, Any]) -> dict[str, Any]:
    """List shifts; ``from``/``to`` keep shifts overlapping that interval."""
    q = select(ShiftRow).order_by(ShiftRow.start, ShiftRow.id)
    who = principal()
    tech = who.technician_id if who.role == "technician" else args.get("technician_id")
    if tech is not None:
        q = q.where(ShiftRow.technician_id == tech)
    if args.get("from_") is not None:
        q = q.where(ShiftRow.end > args["from_"])
    if args.get("to") is not None:
        q = q.where(ShiftRow.start < args["to"])
    with session() as s:
        return page(s, q, args, shift_json)


@shifts.route("", methods=["POST"])
@roles(*WRITERS)
@shifts.arguments(ShiftSchema)
@shifts.response(201, ShiftSchema)
def create_shift(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Create a shift."""
    sh = shift_from_json(body, "")
    with session() as s:
        if s.get(ShiftRow, sh.id) is not None:
            raise Problem(409, f"shift {sh.id!r} already exists", field="id", kind="conflict")
        _check_shift(s, sh)
        row = shift_to_row(sh)
        s.add(row)
        s.flush()
        return shift_json(row), 201, {"Location": f"/api/v1/shifts/{sh.id}"}


@shifts.route("/<string:shift_id>", methods=["GET"])
@roles(*READERS, "technician")
@shifts.response(200, ShiftSchema)
def get_shift(shift_id: str) -> dict[str, Any]:
    """One shift."""
    with session() as s:
        row = get_or_404(s, ShiftRow, shift_id, "shift")
        who = principal()
        if who.role == "technician" and row.technician_id != who.technician_id:
            raise Problem(403, "not your shift", kind="forbidden")
        return shift_json(row)


@shifts.route("/<string:shift_id>", methods=["PUT"])
@roles(*WRITERS)
@shifts.arguments(ShiftSchema)
@shifts.response(200, ShiftSchema)
def replace_shift(body: dict[str, Any], shift_id: str) -> dict[str, Any]:
    """Replace a shift."""
    _same_id(body, "id", shift_id)
    sh = shift_from_json(body, "")
    with session() as s:
        row = get_or_404(s, ShiftRow, shift_id, "shift")
        _check_shift(s, sh, exclude=shift_id)
        shift_to_row(sh, row)
        s.flush()
        return shift_json(row)


@shifts.route("/<string:shift_id>", methods=["DELETE"])
@roles(*WRITERS)
@shifts.response(204)
def delete_shift(shift_id: str) -> Response:
    """Delete a shift."""
    with session() as s:
        s.delete(get_or_404(s, ShiftRow, shift_id, "shift"))
    return Response(status=204)


# ---------------------------------------------------------------- contract tiers
tiers = Blueprint("contract_tiers", __name__, url_prefix="/api/v1/contract-tiers",
                  description="Customer contract levels and their SLA response times.")


@tiers.route("", methods=["GET"])
@roles(*READERS)
@tiers.arguments(PageArgs, location="query")
@tiers.response(200, page_schema(TierSchema, "TierPage"))
def list_tiers(args: dict[str, Any]) -> dict[str, Any]:
    """List contract tiers."""
    with session() as s:
        return page(s, select(ContractTierRow).order_by(ContractTierRow.name), args, tier_json)


@tiers.route("", methods=["POST"])
@roles(*WRITERS)
@tiers.arguments(TierSchema)
@tiers.response(201, TierSchema)
def create_tier(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Create a contract tier."""
    tier = tier_from_json(body, "")
    with session() as s:
        if s.get(ContractTierRow, tier.name) is not None:
            raise Problem(409, f"tier {tier.name!r} already exists", field="name",
                          kind="conflict")
        row = tier_to_row(tier)
        s.add(row)
        s.flush()
        return tier_json(row), 201, {"Location": f"/api/v1/contract-tiers/{tier.name}"}


@tiers.route("/<string:name>", methods=["GET"])
@roles(*READERS)
@tiers.response(200, TierSchema)
def get_tier(name: str) -> dict[str, Any]:
    """One contract tier."""
    with session() as s:
        return tier_json(get_or_404(s, ContractTierRow, name, "contract tier"))


@tiers.route("/<string:name>", methods=["PUT"])
@roles(*WRITERS)
@tiers.arguments(TierSchema)
@tiers.response(200, TierSchema)
def replace_tier(body: dict[str, Any], name: str) -> dict[str, Any]:
    """Replace a contract tier."""
    _same_id(body, "name", name)
    tier = tier_from_json(body, "")
    with session() as s:
        row = get_or_404(s, ContractTierRow, name, "contract tier")
        tier_to_row(tier, row)
        s.flush()
        return tier_json(row)


@tiers.route("/<string:name>", methods=["DELETE"])
@roles(*WRITERS)
@tiers.response(204)
def delete_tier(name: str) -> Response:
    """Delete a contract tier (409 while requests use it)."""
    with session() as s:
        row = get_or_404(s, ContractTierRow, name, "contract tier")
        if s.scalar(select(RequestRow.id).where(RequestRow.contract_tier == name)):
            raise Problem(409, f"requests still use tier {name!r}", kind="conflict")
        s.delete(row)
    return Response(status=204)


# ---------------------------------------------------------------- skills
skills = Blueprint("skills", __name__, url_prefix="/api/v1/skills",
                   description="The skill catalogue (names used by technicians and requests).")


@skills.route("", methods=["GET"])
@roles(*READERS)
@skills.arguments(PageArgs, location="query")
@skills.response(200, page_schema(SkillCatalogueSchema, "SkillPage"))
def list_skills(args: dict[str, Any]) -> dict[str, Any]:
    """List known skills."""
    with session() as s:
        return page(s, select(SkillRow).order_by(SkillRow.name), args,
                    lambda r: {"name": r.name, "description": r.description})


@skills.route("", methods=["POST"])
@roles(*WRITERS)
@skills.arguments(SkillCatalogueSchema)
@skills.response(201, SkillCatalogueSchema)
def create_skill(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Add a skill to the catalogue (or update its description)."""
    with session() as s:
        row = s.get(SkillRow, body["name"]) or SkillRow(name=body["name"])
        row.description = body.get("description")
        s.add(row)
        return {"name": row.name, "description": row.description}, 201


# ---------------------------------------------------------------- customers
customers = Blueprint("customers", __name__, url_prefix="/api/v1/customers",
                      description="Customers (ids from the CRM) and their visit history.")


@customers.route("", methods=["GET"])
@roles(*READERS)
@customers.arguments(PageArgs, location="query")
@customers.response(200, page_schema(CustomerOutSchema, "CustomerPage"))
def list_customers(args: dict[str, Any]) -> dict[str, Any]:
    """List customers; ``from``/``to`` filter on creation time."""
    q = select(CustomerRow).order_by(CustomerRow.id)
    if args.get("from_") is not None:
        q = q.where(CustomerRow.created_at >= args["from_"])
    if args.get("to") is not None:
        q = q.where(CustomerRow.created_at < args["to"])
    with session() as s:
        return page(s, q, args, customer_json)


@customers.route("", methods=["POST"])
@roles(*WRITERS)
@customers.arguments(CustomerSchema)
@customers.response(201, CustomerOutSchema)
def create_customer(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Create a customer."""
    with session() as s:
        if s.get(CustomerRow, body["id"]) is not None:
            raise Problem(409, f"customer {body['id']!r} already exists", field="id",
                          kind="conflict")
        row = CustomerRow(**body)
        s.add(row)
        s.flush()
        return customer_json(row), 201, {"Location": f"/api/v1/customers/{row.id}"}


@customers.route("/<string:customer_id>", methods=["GET"])
@roles(*READERS)
@customers.response(200, CustomerOutSchema)
def get_customer(customer_id: str) -> dict[str, Any]:
    """One customer."""
    with session() as s:
        return customer_json(get_or_404(s, CustomerRow, customer_id, "customer"))


@customers.route("/<string:customer_id>", methods=["PUT"])
@roles(*WRITERS)
@customers.arguments(CustomerSchema)
@customers.response(200, CustomerOutSchema)
def replace_customer(body: dict[str, Any], customer_id: str) -> dict[str, Any]:
    """Replace a customer's details."""
    _same_id(body, "id", customer_id)
    with session() as s:
        row = get_or_404(s, CustomerRow, customer_id, "customer")
        for key in ("name", "phone", "email", "address"):
            setattr(row, key, body.get(key))
        return customer_json(row)


@customers.route("/<string:customer_id>/visits", methods=["GET"])
@roles(*READERS)
@customers.response(200, VisitSchema(many=True))
def customer_visits(customer_id: str) -> list[dict[str, Any]]:
    """The customer's completed visits, newest first."""
    with session() as s:
        get_or_404(s, CustomerRow, customer_id, "customer")
        rows = s.execute(
            select(RequestRow, StatusEvent.at)
            .join(StatusEvent, and_(StatusEvent.request_id == RequestRow.id,
                                    StatusEvent.status == "done"))
            .where(RequestRow.customer_id == customer_id, RequestRow.status == "done")
            .order_by(StatusEvent.at.desc())
        ).all()
        return [{"request_id": r.id, "job_type": r.job_type,
                 "technician_id": r.assigned_technician_id, "done_at": instant(at)}
                for r, at in rows]
