"""The HTTP API: ``create_app(config)`` builds the Flask app.

Configuration keys (all optional; environment variables in brackets):

=================  =============================================================
DATABASE_URL       SQLAlchemy URL [FIELDOPS_DATABASE_URL]; default a SQLite file
                   ``fieldops.sqlite3`` in [FIELDOPS_INSTANCE_DIR, else ./instance]:
                   the file every ``fieldops`` command uses (``store.db.database_url``)
BROKER_URL         Celery broker [FIELDOPS_BROKER_URL]; unset: solve in-process
CELERY_QUEUE       Celery queue name [FIELDOPS_CELERY_QUEUE] (default ``fieldops``)
WORKER_MODE        ``process`` (default) or ``thread`` for the in-process pool
                   [FIELDOPS_WORKER_MODE]
WORKER_COUNT       solves run at once by the in-process pool (default 2)
                   [FIELDOPS_WORKER_COUNT]
LEASE_SECONDS      a solving plan without a heartbeat for this long is failed (60)
                   [FIELDOPS_LEASE_SECONDS]
REAPER             run the periodic reaper of dead solves in this process (True)
                   [FIELDOPS_REAPER]
IMPORT_MAX_ROWS    rows per bulk import (10 000) [FIELDOPS_IMPORT_MAX_ROWS]
MAX_SOLVE_SECONDS  largest ``params.time_limit`` accepted (3600)
                   [FIELDOPS_MAX_SOLVE_SECONDS]
MAX_CONTENT_LENGTH request body limit in bytes (32 MiB) [FIELDOPS_MAX_CONTENT_LENGTH]
TRACK_RATE_LIMIT   requests per tracking-link token and period, counted in each
                   worker process (60) [FIELDOPS_TRACK_RATE_LIMIT]
TRACK_RATE_PERIOD  that period in seconds (60) [FIELDOPS_TRACK_RATE_PERIOD]
SLOT_GRID          appointment slot length, ISO 8601 (``PT2H``) [FIELDOPS_SLOT_GRID]
TIMEZONE           the business's time zone for slot days (default: that of the
                   latest published plan, else UTC) [FIELDOPS_TIMEZONE]
TILE_URL           the board's map tiles, a Leaflet URL template such as
                   ``https://tile.example/{z}/{x}/{y}.png`` [FIELDOPS_TILE_URL];
                   unset: routes and jobs on a plain background, no other host asked
TILE_ATTRIBUTION   the credit line the tile server asks for [FIELDOPS_TILE_ATTRIBUTION]
BOARD_POLL_SECONDS how often the board asks whether the day changed (5)
                   [FIELDOPS_BOARD_POLL_SECONDS]
=================  =============================================================

Precedence: ``config`` given to :func:`create_app` (the ``fieldops serve`` flags),
then the environment, then the defaults. docs/api.md has the table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from flask_smorest import Api

from fieldops import __version__
from fieldops.api.docs_ui import ASSETS_URL, init_docs_ui
from fieldops.api.errors import register_error_handlers
from fieldops.api.ext import State
from fieldops.api.idempotency import init_idempotency
from fieldops.api.inputs import init_input_guards
from fieldops.api.schemas import ProblemSchema
from fieldops.api.security import init_security_headers
from fieldops.domain.errors import FieldError
from fieldops.services.jobs import DEFAULT_LEASE_SECONDS
from fieldops.store.db import Database, default_url
from fieldops.worker.pool import CeleryBackend, LocalBackend, SolveBackend
from fieldops.worker.runner import start_reaper

DEFAULTS: dict[str, Any] = {
    "API_TITLE": "fieldops",
    "API_VERSION": __version__,
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": ASSETS_URL,  # served by this app (api/docs_ui.py), no CDN
    # No "validator" badge: it is an image fetched from validator.swagger.io.
    "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None},
    "API_SPEC_OPTIONS": {
        "info": {"description": "Field-service dispatch: technicians, requests, plans. "
                                "Errors are RFC 9457 problem details. See docs/api.md."},
        "components": {"securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer",
                           "description": "an API key from `fieldops keys create`"}}},
        "security": [{"bearerAuth": []}],
    },
    "WORKER_MODE": "process",
    # Pooled database connections kept open per process; `fieldops serve` sets it
    # to its threads per worker plus the background threads (reaper, solve results).
    "DB_POOL_SIZE": 5,
    # Bring the schema up to date when the app is built. `fieldops serve` migrates
    # once before forking and turns this off in its workers: a worker re-forked
    # while the database is away then boots (and answers 503) instead of failing
    # to boot, which makes gunicorn stop the whole server.
    "MIGRATE": True,
    "WORKER_COUNT": 2,
    "LEASE_SECONDS": DEFAULT_LEASE_SECONDS,
    "REAPER": True,
    "IMPORT_MAX_ROWS": 10_000,
    "MAX_SOLVE_SECONDS": 3600.0,
    "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
    # The public tracking page: requests allowed per token and period, per worker.
    "TRACK_RATE_LIMIT": 60,
    "TRACK_RATE_PERIOD": 60.0,
    "SLOT_GRID": "PT2H",
    "TIMEZONE": None,
    "TILE_URL": None,
    "TILE_ATTRIBUTION": None,
    "BOARD_POLL_SECONDS": 5.0,
}


def _flag(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def _positive(kind: type) -> Any:
    def parse(value: str) -> Any:
        number = kind(value)
        if number <= 0:
            raise ValueError("must be positive")
        return number
    return parse


def _tile_url(value: str) -> str:
    if not value.startswith(("https://", "http://")) or "{z}" not in value:
        raise ValueError("expected an http(s) URL template with {z}, {x} and {y}")
    return value


def _mode(value: str) -> str:
    if value not in ("process", "thread"):
        raise ValueError("expected process or thread")
    return value


def _grid(value: str) -> str:
    from fieldops.schemas.scalars import parse_duration
    from fieldops.solver.slots import check_grid

    try:
        check_grid(parse_duration(value))
    except FieldError as exc:
        raise ValueError(exc.message) from None
    return value


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("unknown time zone") from None
    return value


#: The settings read from ``FIELDOPS_<KEY>`` environment variables, with their parsers.
ENV_SETTINGS: dict[str, Any] = {
    "WORKER_MODE": _mode,
    "WORKER_COUNT": _positive(int),
    "LEASE_SECONDS": _positive(float),
    "REAPER": _flag,
    "IMPORT_MAX_ROWS": _positive(int),
    "MAX_SOLVE_SECONDS": _positive(float),
    "MAX_CONTENT_LENGTH": _positive(int),
    "CELERY_QUEUE": str,
    "TRACK_RATE_LIMIT": _positive(int),
    "TRACK_RATE_PERIOD": _positive(float),
    "SLOT_GRID": _grid,
    "TIMEZONE": _zone,
    "TILE_URL": _tile_url,
    "TILE_ATTRIBUTION": str,
    "BOARD_POLL_SECONDS": _positive(float),
}


def settings_from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The :data:`ENV_SETTINGS` given as ``FIELDOPS_<KEY>`` variables, parsed;
    :class:`ValueError` naming the variable when one cannot be read."""
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    for key, parse in ENV_SETTINGS.items():
        name = f"FIELDOPS_{key}"
        if name in environ:
            try:
                found[key] = parse(environ[name])
            except ValueError as exc:
                raise ValueError(f"{name}={environ[name]!r}: {exc}") from None
    return found


class ProblemApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        """Errors are handled by :func:`register_error_handlers` (problem+json)."""

    def _register_responses(self) -> None:
        # The shared error responses are documented with the media type they use.
        self.DEFAULT_RESPONSE_CONTENT_TYPE = "application/problem+json"
        try:
            super()._register_responses()
        finally:
            del self.DEFAULT_RESPONSE_CONTENT_TYPE


def _backend(app: Flask, db: Database) -> SolveBackend:
    broker = app.config.get("BROKER_URL")
    if broker:
        return CeleryBackend(broker, app.config.get("CELERY_QUEUE"))
    mode = app.config["WORKER_MODE"]
    if db.engine.url.get_backend_name() == "sqlite" and db.engine.url.database in (
        None, "", ":memory:"
    ):
        mode = "thread"  # child processes cannot see an in-memory database
    return LocalBackend(db, mode=mode, max_workers=int(app.config["WORKER_COUNT"]))


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the API app; applies the database migrations before returning."""
    app = Flask("fieldops")
    app.config.update(DEFAULTS)
    app.config["DATABASE_URL"] = os.environ.get("FIELDOPS_DATABASE_URL")
    app.config["BROKER_URL"] = os.environ.get("FIELDOPS_BROKER_URL")
    app.config.update(settings_from_env())
    app.config.update(config or {})
    if not app.config["DATABASE_URL"]:
        # The same file every `fieldops` command uses, however the app is started.
        app.config["DATABASE_URL"] = default_url()
    db = Database(app.config["DATABASE_URL"], pool_size=int(app.config["DB_POOL_SIZE"]))
    if app.config["MIGRATE"]:
        db.upgrade()
    app.extensions["fieldops"] = State(
        db=db, backend=_backend(app, db), lease_seconds=float(app.config["LEASE_SECONDS"]),
        import_max_rows=int(app.config["IMPORT_MAX_ROWS"]),
        max_solve_seconds=float(app.config["MAX_SOLVE_SECONDS"]),
    )
    api = ProblemApi(app)
    from fieldops.api.views import (
        agent_feed_tokens,
        agents,
        board,
        calendars,
        contract_tiers,
        customers,
        days,
        feed_tokens,
        keys,
        plans,
        reports,
        requests,
        rosters,
        satisfaction,
        shifts,
        skills,
        slots,
        technicians,
        tracking,
        tracking_links,
        workforce,
    )

    # The order of the OpenAPI document's paths.
    for view in (keys, technicians, shifts, contract_tiers, skills, customers, requests, slots,
                 tracking_links, plans, days, workforce, agents, rosters, agent_feed_tokens,
                 feed_tokens, calendars, reports, satisfaction, tracking):
        api.register_blueprint(view.blp)
    app.register_blueprint(board.blp)  # HTML pages: not part of the OpenAPI document
    register_error_handlers(app)
    # Before the Idempotency-Key hook reads the body: every body is checked first.
    init_input_guards(app, api.spec.to_dict())
    init_idempotency(app)
    _init_surface(app)
    if app.config["REAPER"]:
        # Dead solves end `failed` within the lease even when nobody reads them.
        app.extensions["fieldops_reaper"] = start_reaper(db, float(app.config["LEASE_SECONDS"]))
    return app


def _init_surface(app: Flask) -> None:
    """What every answer shares besides the views: security headers, the docs assets."""
    init_docs_ui(app)
    init_security_headers(app)
