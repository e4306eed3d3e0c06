"""What the dispatcher's board needs besides the live-day operations: which day to
open, and whose key may open a browser session."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldops.services.errors import Forbidden
from fieldops.store.keys import find_api_key
from fieldops.store.models import ApiKey, PlanRow

#: Roles that may open the board (technicians see their own calendar feed instead).
BOARD_ROLES = ("admin", "dispatcher", "manager")


def latest_published_day(s: Session) -> date | None:
    """The local date of the most recently published plan (``None`` before any)."""
    row = s.execute(
        select(PlanRow.horizon_start, PlanRow.timezone)
        .where(PlanRow.published_at.is_not(None))
        .order_by(PlanRow.published_at.desc()).limit(1)).first()
    if row is None:
        return None
    start, timezone = row
    return start.astimezone(ZoneInfo(timezone)).date()


def day_timezone(s: Session, day: dict[str, Any] | None) -> str:
    """The business time zone of a day view (its published plan's), ``""`` unknown."""
    plan_id = (day or {}).get("published_plan_id")
    if not plan_id:
        return ""
    return s.scalar(select(PlanRow.timezone).where(PlanRow.id == plan_id)) or ""


def board_key(s: Session, secret: str) -> ApiKey:
    """The live key a dispatcher signs in to the board with; :class:`Forbidden`
    (naming ``key``) when it is unknown, revoked or of a role the board is not for."""
    row = find_api_key(s, secret.strip()) if secret.strip() else None
    if row is None:
        raise Forbidden("unknown or revoked API key", field="key")
    if row.role not in BOARD_ROLES:
        raise Forbidden(f"a {row.role} key cannot open the board "
                        f"(allowed: {', '.join(BOARD_ROLES)})", field="key")
    return row
