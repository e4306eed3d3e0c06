"""The customer's tracking page as HTML and as JSON (one content, two formats).

The HTML is one self-contained page: no script, no image, no font or stylesheet
fetched from anywhere; its only CSS is one ``<style>`` element allowed by its
SHA-256 in :data:`TRACK_CSP`, and its forms post back to this server only.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from fieldops.api.common import instant
from fieldops.domain.satisfaction import MAX_COMMENT, MAX_SCORE, MIN_SCORE
from fieldops.services.tracking import TrackingView

_ENV = Environment(loader=PackageLoader("fieldops.api", "templates"),
                   autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                   lstrip_blocks=True)
# Inserted as it is (Markup: autoescaping would change the bytes the CSP hash is of).
CSS = Markup(resources.files("fieldops.api").joinpath("templates/tracking.css")
             .read_text("utf-8"))
_CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode("utf-8")).digest()).decode()
#: The page's policy: its own stylesheet by hash, forms back to this server, nothing else.
TRACK_CSP = (f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; base-uri 'none'; "
             "form-action 'self'; frame-ancestors 'none'")
#: The page reloads itself this often (seconds) while the visit is ahead: the ETA is live.
REFRESH_SECONDS = 60
#: Statuses after which there is nothing left to refresh for.
FINAL = ("done", "cancelled")
FOOTER = "This page is private to you: please do not share its link."


def _day_time(at: datetime, tz: ZoneInfo) -> str:
    return f"{at.astimezone(tz):%a %-d %b, %H:%M}"


def window_text(window: tuple[datetime, datetime], timezone: str) -> str:
    """``Mon 7 Dec, 08:00–10:00`` (both dates when it spans midnight)."""
    tz = ZoneInfo(timezone)
    start, end = (t.astimezone(tz) for t in window)
    if start.date() == end.date():
        return f"{_day_time(start, tz)}–{end:%H:%M}"
    return f"{_day_time(start, tz)} – {_day_time(end, tz)}"


def eta_text(eta: datetime, window: tuple[datetime, datetime] | None, timezone: str) -> str:
    """The expected start as a time, with its day when that is not the window's."""
    tz = ZoneInfo(timezone)
    local = eta.astimezone(tz)
    if window is not None and window[0].astimezone(tz).date() == local.date():
        return f"{local:%H:%M}"
    return _day_time(eta, tz)


def page_json(view: TrackingView, links: Mapping[str, str]) -> dict[str, Any]:
    """The page's content as JSON (the same facts as the HTML, instants in UTC)."""
    rating = view.rating
    return {
        "status": view.status,
        "status_text": view.status_text,
        "timezone": view.timezone,
        "appointment": ({"start": instant(view.window[0]), "end": instant(view.window[1])}
                        if view.window else None),
        "eta": instant(view.eta),
        "technician": {"first_name": view.technician} if view.technician else None,
        "prepare": list(view.prepare),
        "can_change": view.can_change,
        "can_rate": view.can_rate,
        "rating": ({"score": rating.score, "comment": rating.comment}
                   if rating is not None else None),
        "links": dict(links),
    }


def page_html(view: TrackingView, links: Mapping[str, str], error: str | None = None) -> str:
    """The page as HTML."""
    return _ENV.get_template("tracking_page.html.j2").render(
        v=view, links=links, error=error, css=CSS, title="Your service appointment",
        footer=FOOTER, scores=range(MIN_SCORE, MAX_SCORE + 1), max_comment=MAX_COMMENT,
        window=window_text(view.window, view.timezone) if view.window else None,
        eta=eta_text(view.eta, view.window, view.timezone) if view.eta else None,
        refresh=None if view.status in FINAL or error else REFRESH_SECONDS)


def message_html(heading: str, message: str, *, back: str | None = None,
                 error: str | None = None, template: str = "tracking_message.html.j2",
                 **extra: Any) -> str:
    """A short page: the 404, a confirmation, a refused action."""
    return _ENV.get_template(template).render(
        heading=heading, message=message, back=back, error=error, css=CSS, title=heading,
        footer=FOOTER, refresh=None, **extra)


def reschedule_html(offers: list[dict[str, Any]], timezone: str, *, action: str, back: str,
                    error: str | None = None) -> str:
    """The slots the appointment can move to, one form (one button) each."""
    shown = [{"slot_id": o["slot_id"], "text": window_text(
        (datetime.fromisoformat(o["start"]), datetime.fromisoformat(o["end"])), timezone)}
        for o in offers]
    return message_html("Choose another time", "These times are free. Choosing one "
                        "moves your appointment at once.", back=back, error=error,
                        template="tracking_reschedule.html.j2", offers=shown,
                        timezone=timezone, action=action)
