"""The dispatcher's board: ``/board/{date}``, a page over the live-day API.

The page is rendered here with the day's state embedded (``GET /api/v1/days/{date}``'s
answer, so it draws without a second round trip); its script (``board.js``, no build
step) then polls that endpoint with ``If-None-Match`` and calls the live-day API for
every action, with the browser session of :mod:`fieldops.api.browser_session`.
docs/board.md describes the page.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from fieldops import __version__
from fieldops.api import browser_session
from fieldops.api.auth import WRITERS
from fieldops.api.errors import Problem
from fieldops.api.ext import session
from fieldops.api.security import CSP
from fieldops.services import board as board_service
from fieldops.services import live
from fieldops.services.errors import Forbidden, NotFound

ASSETS = Path(__file__).resolve().parent.parent / "board"
#: The vendored Leaflet (static/leaflet/README.md says where it came from).
LEAFLET_VERSION = "1.9.4"
#: Seconds between two polls of ``GET /days/{date}`` (``BOARD_POLL_SECONDS``).
DEFAULT_POLL_SECONDS = 5.0
#: Where a sign-in may send the browser back to: only this app's board pages.
_NEXT_PREFIX = "/board/"
#: The page loads only its own files; map tiles only from the configured server.
BOARD_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; "
             "img-src 'self' data:{tiles}; connect-src 'self'; base-uri 'none'; "
             "form-action 'self'; frame-ancestors 'none'")
LOGIN_CSP = ("default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'self'; "
             "frame-ancestors 'none'")

blp = Blueprint("board", __name__, url_prefix="/board", static_folder=ASSETS / "static",
                static_url_path="/static", template_folder=ASSETS / "templates")


def tile_origin(url: str | None) -> str:
    """The CSP source of a tile URL template (``{s}`` subdomains as a wildcard)."""
    if not url:
        return ""
    parts = urlsplit(url)
    host = parts.netloc.replace("{s}.", "*.")
    return f" {parts.scheme}://{host}"


def _page(html: str, status: int, csp: str) -> Response:
    resp = Response(html, status=status, content_type="text/html; charset=utf-8")
    resp.headers[CSP] = csp
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "same-origin"
    return resp


def _same_origin() -> None:
    """A form post from another site's page is refused (login CSRF)."""
    origin = request.headers.get("Origin")
    if origin is not None and origin.rstrip("/") != request.host_url.rstrip("/"):
        raise Problem(403, "cross-site form posts are refused", field="Origin", kind="csrf")


def _next_url(raw: str | None) -> str:
    if raw and raw.startswith(_NEXT_PREFIX) and "//" not in raw and "\\" not in raw:
        return raw
    return url_for("board.home")


def _login_page(error: str | None, status: int, nxt: str) -> Response:
    html = render_template("board/login.html", error=error, next=nxt, version=__version__)
    return _page(html, status, LOGIN_CSP)


def _current() -> browser_session.BoardSession | None:
    cookie = request.cookies.get(browser_session.COOKIE)
    if not cookie:
        return None
    with session() as s:
        found = browser_session.verify(s, cookie)
        if found is not None:
            s.expunge(found.key)
        return found


@blp.route("/login", methods=["GET"])
def login_form() -> Response:
    return _login_page(None, 200, _next_url(request.args.get("next")))


@blp.route("/login", methods=["POST"])
def login() -> Response | Any:
    """Exchange an API key (form field ``key``) for a session cookie."""
    _same_origin()
    nxt = _next_url(request.form.get("next"))
    try:
        with session() as s:
            cookie = browser_session.issue(board_service.board_key(s, request.form.get("key", "")))
    except Forbidden as exc:
        return _login_page(exc.detail, 403, nxt)
    resp = redirect(nxt, code=303)
    resp.set_cookie(browser_session.COOKIE, cookie, max_age=browser_session.SESSION_SECONDS,
                    path="/", secure=request.is_secure, httponly=True, samesite="Strict")
    return resp


@blp.route("/logout", methods=["POST"])
def logout() -> Any:
    _same_origin()
    found = _current()
    if found is not None and not browser_session.csrf_ok(found, request.form.get("csrf")):
        raise Problem(403, "sign out from the board's own page", field="csrf", kind="csrf")
    resp = redirect(url_for("board.login_form"), code=303)
    resp.delete_cookie(browser_session.COOKIE, path="/", httponly=True, samesite="Strict")
    return resp


@blp.route("", methods=["GET"])
def home() -> Any:
    """The day of the latest published plan (today, in UTC, before any)."""
    with session() as s:
        day = board_service.latest_published_day(s) or datetime.now(UTC).date()
    return redirect(url_for("board.day_page", day=day.isoformat()), code=302)


def _parse_day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Problem(404, f"{raw!r} is not a date (YYYY-MM-DD)", field="date",
                      kind="not-found") from None


@blp.route("/<string:day>", methods=["GET"])
def day_page(day: str) -> Response | Any:
    """The board of one day; without a session, the sign-in page first."""
    when = _parse_day(day)
    found = _current()
    if found is None:
        return redirect(url_for("board.login_form", next=request.path), code=303)
    with session() as s:
        try:
            state: dict[str, Any] | None = live.day_view(s, when, datetime.now(UTC))
        except NotFound:
            state = None  # nothing published yet: the page says so and keeps polling
        timezone = board_service.day_timezone(s, state)
    tiles = current_app.config.get("TILE_URL") or ""
    html = render_template(
        "board/board.html", day=when.isoformat(), state=state, csrf=found.csrf_token,
        role=found.key.role, timezone=timezone, can_write=found.key.role in WRITERS,
        tile_url=tiles, tile_attribution=current_app.config.get("TILE_ATTRIBUTION") or "",
        poll_ms=int(1000 * float(current_app.config.get("BOARD_POLL_SECONDS")
                                 or DEFAULT_POLL_SECONDS)),
        version=__version__, leaflet_version=LEAFLET_VERSION)
    return _page(html, 200, BOARD_CSP.format(tiles=tile_origin(tiles)))
