"""The HTTP API: ``create_app(config)`` builds the Flask app.

Configuration keys (all optional; environment variables in brackets):

=================  =============================================================
DATABASE_URL       SQLAlchemy URL [FIELDOPS_DATABASE_URL]; default a SQLite file
                   ``fieldops.sqlite3`` in the instance folder
                   [FIELDOPS_INSTANCE_DIR, else Flask's default instance path]
BROKER_URL         Celery broker [FIELDOPS_BROKER_URL]; unset: solve in-process
CELERY_QUEUE       Celery queue name [FIELDOPS_CELERY_QUEUE] (default ``fieldops``)
WORKER_MODE        ``process`` (default) or ``thread`` for the in-process pool
WORKER_COUNT       solves run at once by the in-process pool (default 2)
LEASE_SECONDS      a solving plan without a heartbeat for this long is failed (60)
IMPORT_MAX_ROWS    rows per bulk import (10 000)
MAX_SOLVE_SECONDS  largest ``params.time_limit`` accepted (3600)
MAX_CONTENT_LENGTH request body limit in bytes (32 MiB)
=================  =============================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_smorest import Api

from fieldops import __version__
from fieldops.api.errors import register_error_handlers
from fieldops.api.ext import State
from fieldops.api.idempotency import init_idempotency
from fieldops.api.inputs import init_input_guards
from fieldops.api.schemas import ProblemSchema
from fieldops.services.jobs import DEFAULT_LEASE_SECONDS
from fieldops.store.db import Database
from fieldops.worker.pool import CeleryBackend, LocalBackend, SolveBackend

DEFAULTS: dict[str, Any] = {
    "API_TITLE": "fieldops",
    "API_VERSION": __version__,
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/",
    "API_SPEC_OPTIONS": {
        "info": {"description": "Field-service dispatch: technicians, requests, plans. "
                                "Errors are RFC 9457 problem details. See docs/api.md."},
        "components": {"securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer",
                           "description": "an API key from `fieldops keys create`"}}},
        "security": [{"bearerAuth": []}],
    },
    "WORKER_MODE": "process",
    "WORKER_COUNT": 2,
    "LEASE_SECONDS": DEFAULT_LEASE_SECONDS,
    "IMPORT_MAX_ROWS": 10_000,
    "MAX_SOLVE_SECONDS": 3600.0,
    "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
}


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
    instance = os.environ.get("FIELDOPS_INSTANCE_DIR")
    app = Flask("fieldops", instance_path=os.path.abspath(instance) if instance else None)
    app.config.update(DEFAULTS)
    app.config["DATABASE_URL"] = os.environ.get("FIELDOPS_DATABASE_URL")
    app.config["BROKER_URL"] = os.environ.get("FIELDOPS_BROKER_URL")
    app.config.update(config or {})
    if not app.config["DATABASE_URL"]:
        os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "fieldops.sqlite3")
        app.config["DATABASE_URL"] = f"sqlite:///{path}"
    db = Database(app.config["DATABASE_URL"])
    db.upgrade()
    app.extensions["fieldops"] = State(
        db=db, backend=_backend(app, db), lease_seconds=float(app.config["LEASE_SECONDS"]),
        import_max_rows=int(app.config["IMPORT_MAX_ROWS"]),
        max_solve_seconds=float(app.config["MAX_SOLVE_SECONDS"]),
    )
    api = ProblemApi(app)
    from fieldops.api.views import (
        agent_feed_tokens,
        calendars,
        contract_tiers,
        customers,
        feed_tokens,
        keys,
        plans,
        reports,
        requests,
        rosters,
        shifts,
        skills,
        technicians,
        workforce,
    )

    # The order of the OpenAPI document's paths.
    for view in (keys, technicians, shifts, contract_tiers, skills, customers, requests, plans,
                 workforce, rosters, agent_feed_tokens, feed_tokens, calendars, reports):
        api.register_blueprint(view.blp)
    register_error_handlers(app)
    # Before the Idempotency-Key hook reads the body: every body is checked first.
    init_input_guards(app, api.spec.to_dict())
    init_idempotency(app)
    return app
