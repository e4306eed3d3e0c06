"""The one CRUD helper behind every plain resource (technicians, shifts, tiers, customers).

A :class:`Resource` says how a resource differs from the others: how its body
becomes a domain object, which references it must check, how the object is
written into its row and what keeps a row from being deleted. :func:`create`,
:func:`replace` and :func:`delete` do the rest the same way for all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from fieldops.domain.errors import FieldError
from fieldops.services.errors import Conflict, NotFound

T = TypeVar("T")
R = TypeVar("R")


def get(s: Session, model: type[T], key: Any, what: str) -> T:
    """The row of ``model`` with primary key ``key``; :class:`NotFound` names ``what``."""
    row = s.get(model, key)
    if row is None:
        raise NotFound(f"{what} {key!r} not found")
    return row


def page(s: Session, query: Select[Any], args: dict[str, Any],
         render: Callable[[Any], Any]) -> dict[str, Any]:
    """One page of ``query`` (``args``: ``page``, ``per_page``) with the total count."""
    total = s.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    per_page, number = args["per_page"], args["page"]
    rows = s.scalars(query.limit(per_page).offset((number - 1) * per_page)).all()
    return {"items": [render(r) for r in rows], "page": number, "per_page": per_page,
            "total": total}


def same_id(body: dict[str, Any], key: str, value: str) -> None:
    """A replacement body must repeat the id of the URL it is sent to."""
    if body.get(key) != value:
        raise FieldError(key, f"must equal the id in the URL ({value!r})")


def _no_check(s: Session, obj: Any, key: str | None) -> None:
    """Default reference check: nothing to check."""


def _never_used(s: Session, key: str) -> str | None:
    """Default delete guard: nothing refers to the row."""
    return None


@dataclass(frozen=True)
class Resource(Generic[R]):
    """How one plain resource is read, checked, written and guarded.

    Attributes
    ----------
    model
        The row class; its primary key is the resource's id.
    what
        The name used in "not found" messages (``"contract tier"``).
    label
        The name used in "already exists" messages (``"tier"``).
    key_field
        The body field holding the id (``"id"``, ``"name"``).
    decode
        The validated body to the object :attr:`write` stores (a domain object,
        or the body itself).
    write
        Writes the object into a row (``None``: a new row) and returns the row.
    check
        Raises :class:`FieldError` when the object refers to something unknown or
        clashes; ``key`` is the id being replaced (``None`` on create).
    in_use
        Why the row may not be deleted, or ``None``.
    """

    model: type[R]
    what: str
    label: str
    key_field: str
    decode: Callable[[dict[str, Any]], Any]
    write: Callable[[Session, Any, R | None], R]
    check: Callable[[Session, Any, str | None], None] = _no_check
    in_use: Callable[[Session, str], str | None] = _never_used

    def get(self, s: Session, key: str) -> R:
        return get(s, self.model, key, self.what)

    def create(self, s: Session, body: dict[str, Any]) -> R:
        """Add a new row from ``body``; :class:`Conflict` when the id is taken."""
        obj = self.decode(body)
        key = body[self.key_field] if isinstance(obj, dict) else getattr(obj, self.key_field)
        if s.get(self.model, key) is not None:
            raise Conflict(f"{self.label} {key!r} already exists", field=self.key_field)
        self.check(s, obj, None)
        row = self.write(s, obj, None)
        s.add(row)
        s.flush()
        return row

    def replace(self, s: Session, key: str, body: dict[str, Any]) -> R:
        """Overwrite row ``key`` with ``body`` (whose id must be ``key``)."""
        same_id(body, self.key_field, key)
        obj = self.decode(body)
        row = self.get(s, key)
        self.check(s, obj, key)
        self.write(s, obj, row)
        s.flush()
        return row

    def delete(self, s: Session, key: str) -> None:
        """Delete row ``key``; :class:`Conflict` while something still refers to it."""
        row = self.get(s, key)
        reason = self.in_use(s, key)
        if reason is not None:
            raise Conflict(reason)
        s.delete(row)
