"""The customer's tracking page ``/track/{token}``: public, the token is the credential.

HTML for a browser, the same content as JSON with ``Accept: application/json``.
Every way a token can be wrong (unknown, revoked, expired) answers the same 404.
Requests per token are limited in each worker process (:mod:`fieldops.api.ratelimit`
says why there); past the limit the answer is 429 with ``Retry-After``.
Links are issued by staff (:mod:`~fieldops.api.views.tracking_links`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, json, request, url_for
from flask_smorest import Blueprint

from fieldops.api.errors import Problem
from fieldops.api.ext import session
from fieldops.api.ratelimit import RateLimiter, retry_after
from fieldops.api.schemas import ProblemSchema
from fieldops.api.security import CSP
from fieldops.api.tracking_page import (
    TRACK_CSP,
    message_html,
    page_html,
    page_json,
    reschedule_html,
)
from fieldops.api.views.slots import settings as slot_settings
from fieldops.domain.errors import FieldError
from fieldops.services import tracking as svc
from fieldops.services.errors import Conflict, ServiceError
from fieldops.services.slots import Actor
from fieldops.solver.slots import parse_slot_id
from fieldops.store.models import utcnow

F = TypeVar("F", bound=Callable[..., Any])
blp = Blueprint("tracking", __name__, url_prefix="/track",
                description="The customer's tracking page (token in the URL, no API key).")

#: The actor recorded for changes made through a tracking link.
CUSTOMER_ACTOR = "customer (tracking link)"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_TOKEN_PARAM = {"name": "token", "in": "path", "required": True,
                "schema": {"type": "string"},
                "description": "the tracking token (POST /api/v1/requests/{id}/tracking-link)"}
_PUBLIC: dict[str, Any] = {"security": [], "parameters": [_TOKEN_PARAM]}
#: What a refusal is, by status: a browser gets a short HTML page, a JSON client a problem.
_REFUSALS = {404: "no such link (unknown, revoked or expired: all the same)",
             409: "the visit's state forbids it (not-changeable, not-done, already-rated, "
                  "slot-taken)",
             422: "a field of the body is wrong (named)",
             429: "too many requests for this link (Retry-After)",
             501: "not available"}
_HTML = {"type": "string"}


def public(success: int, description: str) -> Callable[[F], F]:
    """Document a public operation: ``success`` as HTML or JSON, each refusal as an
    HTML page or a problem document."""

    def deco(fn: F) -> F:
        fn = blp.doc(**_PUBLIC)(fn)
        # The problem document first: the one JSON body a client can validate.
        for code, what in _REFUSALS.items():
            fn = blp.alt_response(code, schema=_HTML, description=what,
                                  content_type="text/html")(fn)
            fn = blp.alt_response(code, schema=ProblemSchema, description=what,
                                  content_type="application/problem+json")(fn)
        fn = blp.alt_response(success, schema=_HTML, description=description,
                              content_type="text/html")(fn)
        return blp.response(success, {"type": "object"}, description=description)(fn)

    return deco


def limiter() -> RateLimiter:
    """This app's per-token limiter (one per worker process)."""
    found: RateLimiter | None = current_app.extensions.get("fieldops-track-limiter")
    if found is None:
        found = RateLimiter(int(current_app.config["TRACK_RATE_LIMIT"]),
                            float(current_app.config["TRACK_RATE_PERIOD"]))
        current_app.extensions["fieldops-track-limiter"] = found
    return found


def wants_json() -> bool:
    """JSON when the client asks for it (Accept, or a JSON body), else HTML."""
    if request.mimetype == "application/json":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _html(body: str, status: int = 200) -> Response:
    resp = Response(body, status=status, content_type="text/html; charset=utf-8")
    resp.headers[CSP] = TRACK_CSP
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


def _json(body: dict[str, Any], status: int = 200) -> Response:
    resp = Response(json.dumps(body), status=status, mimetype="application/json")
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _back_to_page(token: str) -> Response:
    """303 See Other to the page: a form post is answered with a fresh GET of it."""
    resp = Response(status=303)
    resp.headers["Location"] = url_for("tracking.track_page", token=token)
    return resp


def _links(token: str, view: svc.TrackingView) -> dict[str, str]:
    links = {"self": url_for("tracking.track_page", token=token)}
    if view.can_change:
        links["reschedule"] = url_for("tracking.reschedule_page", token=token)
        links["cancel"] = url_for("tracking.cancel_page", token=token)
    if view.can_rate:
        links["rating"] = url_for("tracking.rate_visit", token=token)
    return links


def _guarded(token: str, action: Callable[[], Response]) -> Response:
    """Rate-limit, then run ``action``; a service error becomes a problem (JSON) or a
    short page (HTML) with the same status."""
    wait = limiter().hit(token)
    if wait > 0:
        text = "too many requests for this link; try again shortly"
        if wants_json():
            raise Problem(429, text, kind="rate-limited",
                          headers={"Retry-After": retry_after(wait)})
        resp = _html(message_html("Please wait a moment", text[0].upper() + text[1:] + "."),
                     429)
        resp.headers["Retry-After"] = retry_after(wait)
        return resp
    try:
        return action()
    except (ServiceError, FieldError) as exc:
        if wants_json():
            raise
        status = exc.status if isinstance(exc, ServiceError) else 422
        text = exc.detail if isinstance(exc, ServiceError) else str(exc)
        heading = "Link not found" if status == 404 else "That did not work"
        back = None if status == 404 else url_for("tracking.track_page", token=token)
        return _html(message_html(heading, text, back=back), status)


def _show(token: str, error: str | None = None, status: int = 200) -> Response:
    now = utcnow()
    with session() as s:
        row_token, row = svc.find_link(s, token, now)
        view = svc.tracking_view(s, row_token, row, now)
    links = _links(token, view)
    if wants_json():
        return _json(page_json(view, links), status)
    return _html(page_html(view, links, error), status)


@blp.route("/<string:token>", methods=["GET"])
@public(200, "the page as HTML (text/html) or JSON (Accept: application/json); see "
        "docs/customers.md")
def track_page(token: str) -> Response:
    """Status, appointment window, live ETA, technician's first name, what to prepare,
    links to reschedule and cancel, and the rating form once the visit is done."""
    return _guarded(token, lambda: _show(token))


def _form() -> dict[str, Any]:
    if request.mimetype == "application/json":
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise FieldError("body", "send a JSON object")
        return data
    return request.form.to_dict()


def _score(data: dict[str, Any]) -> object:
    raw = data.get("rating")
    if isinstance(raw, str) and request.mimetype != "application/json":  # a form field
        return int(raw) if raw.strip().isdigit() else raw
    return raw


_BODY = {"required": True, "content": {
    "application/json": {"schema": {"type": "object"}},
    "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
}}


@blp.route("/<string:token>/rating", methods=["POST"])
@blp.doc(requestBody={**_BODY, "description": '{"rating": 1-5, "comment"?: text}'})
@public(201, "the rating (JSON)")
@blp.alt_response(303, description="a form post: back to the page")
def rate_visit(token: str) -> Response:
    """The customer's 1-5 rating of the done visit, once (409 ``already-rated`` after)."""

    def action() -> Response:
        data = _form()
        comment = data.get("comment")
        if comment is not None and not isinstance(comment, str):
            raise FieldError("comment", "must be text")
        try:
            with session() as s:
                _, row = svc.find_link(s, token, utcnow())
                rating = svc.rate(s, row, _score(data), comment)
        except FieldError as exc:
            if wants_json():
                raise
            # The form again, saying what to fix (what was typed is kept by the browser).
            return _show(token, f"Your rating {exc.message}.", 422)
        if wants_json():
            return _json({"rating": rating.score, "comment": rating.comment}, 201)
        return _back_to_page(token)

    return _guarded(token, action)


def _actor() -> Actor:
    return Actor(CUSTOMER_ACTOR, None, request.url_root.rstrip("/"))


@blp.route("/<string:token>/cancel", methods=["GET"])
@public(200, "a page asking to confirm the cancellation")
def cancel_page(token: str) -> Response:
    """Asks the customer to confirm; the form posts to the same URL."""

    def action() -> Response:
        with session() as s:
            _, row = svc.find_link(s, token, utcnow())
            if row.status not in svc.CHANGEABLE:
                raise svc.not_changeable(row.status)
        return _html(message_html(
            "Cancel the appointment?", "The technician will not come. You can book a new "
            "appointment with us at any time.", back=url_for("tracking.track_page",
                                                             token=token),
            template="tracking_cancel.html.j2",
            action=url_for("tracking.cancel_visit", token=token)))

    return _guarded(token, action)


@blp.route("/<string:token>/cancel", methods=["POST"])
@public(200, "the page's JSON after the cancellation")
@blp.alt_response(303, description="a form post: back to the page")
def cancel_visit(token: str) -> Response:
    """Cancel the appointment (while it is not under way): a booked one leaves its
    day's plan, which is published again."""

    def action() -> Response:
        with session() as s:
            _, row = svc.find_link(s, token, utcnow())
            svc.customer_cancel(s, row, slot_settings(), _actor())
        return _show(token) if wants_json() else _back_to_page(token)

    return _guarded(token, action)


def _offers_answer(token: str, error: str | None = None, status: int = 200,
                   offers: list[dict[str, Any]] | None = None) -> Response:
    with session() as s:
        link, row = svc.find_link(s, token, utcnow())
        timezone = svc.tracking_view(s, link, row).timezone
        if offers is None:
            offers = svc.customer_offers(s, row, slot_settings())
    if wants_json():
        return _json({"offers": offers, "timezone": timezone}, status)
    return _html(reschedule_html(
        offers, timezone, action=url_for("tracking.reschedule_visit", token=token),
        back=url_for("tracking.track_page", token=token), error=error), status)


@blp.route("/<string:token>/reschedule", methods=["GET"])
@public(200, 'the free slots (HTML, or JSON {"offers": [{"slot_id", "date", "start", '
        '"end", "earliest_arrival", "latest_arrival"}], "timezone"})')
def reschedule_page(token: str) -> Response:
    """The times the appointment can move to, cheapest for the day's plan first."""
    return _guarded(token, lambda: _offers_answer(token))


@blp.route("/<string:token>/reschedule", methods=["POST"])
@blp.doc(requestBody={**_BODY, "description": '{"slot_id": one of the offers}'})
@public(200, "the page's JSON after the move")
@blp.alt_response(303, description="a form post: back to the page")
def reschedule_visit(token: str) -> Response:
    """Move the appointment to one of the offered slots (re-checked, then published).

    A slot taken meanwhile is 409 ``slot-taken``; the answer lists fresh offers.
    """

    def action() -> Response:
        data = _form()
        raw = data.get("slot_id")
        if not isinstance(raw, str) or not raw:
            raise FieldError("slot_id", "choose one of the offered times")
        slot = parse_slot_id(raw)
        try:
            with session() as s:
                _, row = svc.find_link(s, token, utcnow())
                svc.customer_reschedule(s, row, slot, slot_settings(), _actor())
        except Conflict as exc:
            if exc.kind != "slot-taken" or wants_json():
                raise
            return _offers_answer(token, "That time was just taken. Please choose "
                                  "another one.", 409, exc.extra.get("offers"))
        return _show(token) if wants_json() else _back_to_page(token)

    return _guarded(token, action)
