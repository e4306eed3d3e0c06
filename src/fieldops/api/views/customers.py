"""Customers (ids from the CRM): CRUD, visits, logged contacts and the contact history."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from fieldops.api.auth import READERS, WRITERS, principal, roles
from fieldops.api.common import customer_json, instant, location
from fieldops.api.ext import session
from fieldops.api.schemas import (
    ContactOutSchema,
    ContactSchema,
    CustomerOutSchema,
    CustomerSchema,
    HistoryEntrySchema,
    PageArgs,
    VisitSchema,
    page_schema,
)
from fieldops.services import customers as svc
from fieldops.services.crud import page
from fieldops.services.resources import CUSTOMERS, customers_query
from fieldops.services.resources import customer_visits as visits_of
from fieldops.store.models import CustomerContact

blp = Blueprint("customers", __name__, url_prefix="/api/v1/customers",
                description="Customers (ids from the CRM) and their visit history.")


@blp.route("", methods=["GET"])
@roles(*READERS)
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(CustomerOutSchema, "CustomerPage"))
def list_customers(args: dict[str, Any]) -> dict[str, Any]:
    """List customers; ``from``/``to`` filter on creation time."""
    with session() as s:
        return page(s, customers_query(args.get("from_"), args.get("to")), args, customer_json)


@blp.route("", methods=["POST"])
@roles(*WRITERS)
@blp.arguments(CustomerSchema)
@blp.response(201, CustomerOutSchema)
def create_customer(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Create a customer."""
    with session() as s:
        out = customer_json(CUSTOMERS.create(s, body))
    return out, 201, location("customers", out["id"])


@blp.route("/<string:customer_id>", methods=["GET"])
@roles(*READERS)
@blp.response(200, CustomerOutSchema)
def get_customer(customer_id: str) -> dict[str, Any]:
    """One customer."""
    with session() as s:
        return customer_json(CUSTOMERS.get(s, customer_id))


@blp.route("/<string:customer_id>", methods=["PUT"])
@roles(*WRITERS)
@blp.arguments(CustomerSchema)
@blp.response(200, CustomerOutSchema)
def replace_customer(body: dict[str, Any], customer_id: str) -> dict[str, Any]:
    """Replace a customer's details."""
    with session() as s:
        return customer_json(CUSTOMERS.replace(s, customer_id, body))


@blp.route("/<string:customer_id>/visits", methods=["GET"])
@roles(*READERS)
@blp.response(200, VisitSchema(many=True))
def customer_visits(customer_id: str) -> list[dict[str, Any]]:
    """The customer's completed visits, newest first."""
    with session() as s:
        return [{"request_id": r.id, "job_type": r.job_type,
                 "technician_id": r.assigned_technician_id, "done_at": instant(at)}
                for r, at in visits_of(s, customer_id)]


def _contact_json(c: CustomerContact) -> dict[str, Any]:
    return {"id": c.id, "customer_id": c.customer_id, "channel": c.channel,
            "at": instant(c.at), "summary": c.summary, "request_id": c.request_id,
            "actor": c.actor, "created_at": instant(c.created_at)}


@blp.route("/<string:customer_id>/contacts", methods=["POST"])
@roles(*WRITERS)
@blp.arguments(ContactSchema)
@blp.response(201, ContactOutSchema)
def log_contact(body: dict[str, Any], customer_id: str) -> tuple[dict[str, Any], int]:
    """Log a contact with the customer (a call, an e-mail, ...); technicians see the
    latest ones on their calendar events for this customer."""
    with session() as s:
        row = svc.log_contact(s, customer_id, channel=body["channel"],
                              summary=body["summary"], at=body.get("at"),
                              request_id=body.get("request_id"), actor=principal().label)
        return _contact_json(row), 201


@blp.route("/<string:customer_id>/contacts", methods=["GET"])
@roles(*READERS)
@blp.response(200, ContactOutSchema(many=True))
def list_contacts(customer_id: str) -> list[dict[str, Any]]:
    """The customer's logged contacts, newest first."""
    with session() as s:
        return [_contact_json(c) for c in svc.contacts(s, customer_id)]


@blp.route("/<string:customer_id>/history", methods=["GET"])
@roles(*READERS)
@blp.response(200, HistoryEntrySchema(many=True))
def customer_history(customer_id: str) -> list[dict[str, Any]]:
    """Visits, ratings and logged contacts in one list, newest first."""
    with session() as s:
        return [{**e, "at": instant(e["at"])} for e in svc.history(s, customer_id)]
