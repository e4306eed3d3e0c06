"""Fixtures for the API tests.

Every database test runs on SQLite and, when ``FIELDOPS_TEST_DATABASE_URL`` is set,
on PostgreSQL too. Each xdist worker gets its own SQLite file and its own
PostgreSQL schema (dropped at the end), and tables are emptied between tests, so
runs sharing the CI database never see each other.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from fieldops.api import create_app
from fieldops.store.db import Database
from fieldops.store.keys import create_api_key
from fieldops.store.models import Base

PG_URL = os.environ.get("FIELDOPS_TEST_DATABASE_URL")
BROKER_URL = os.environ.get("FIELDOPS_TEST_BROKER_URL")

BACKENDS = ["sqlite"] + (
    [pytest.param("postgresql", marks=pytest.mark.postgres)] if PG_URL else []
)


def pg_schema_url(schema: str) -> str:
    """The test PostgreSQL URL with ``search_path`` set to ``schema``."""
    assert PG_URL
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"


def create_pg_schema(prefix: str) -> tuple[str, str]:
    """A new empty schema; fails loudly when the configured server is unreachable."""
    assert PG_URL
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = create_engine(PG_URL)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        pytest.fail(f"FIELDOPS_TEST_DATABASE_URL={PG_URL} is set but unusable: {exc}")
    finally:
        engine.dispose()
    return schema, pg_schema_url(schema)


def drop_pg_schema(schema: str) -> None:
    assert PG_URL
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="session")
def _session_databases(tmp_path_factory: pytest.TempPathFactory,
                       worker_id: str) -> Iterator[dict[str, str]]:
    urls = {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / f'api-{worker_id}.db'}"}
    schema = None
    if PG_URL:
        schema, urls["postgresql"] = create_pg_schema(f"fo_test_{worker_id}")
    for url in urls.values():
        db = Database(url)
        db.upgrade()
        db.dispose()
    yield urls
    if schema:
        drop_pg_schema(schema)


def _empty(url: str) -> None:
    db = Database(url)
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    db.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, _session_databases: dict[str, str]) -> str:
    url = _session_databases[request.param]
    _empty(url)
    return url


@dataclass
class Api:
    """A test client that knows one key per role."""

    app: Flask
    client: FlaskClient
    keys: dict[str, str] = field(default_factory=dict)

    def headers(self, role: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.keys[role]}"} if role else {}
        h.update(extra or {})
        return h

    def call(self, method: str, path: str, role: str | None = "admin", **kw: Any) -> Any:
        headers = self.headers(role, kw.pop("headers", None))
        return self.client.open(path, method=method, headers=headers, **kw)

    def get(self, path: str, role: str | None = "admin", **kw: Any) -> Any:
        return self.call("GET", path, role, **kw)

    def post(self, path: str, role: str | None = "admin", **kw: Any) -> Any:
        return self.call("POST", path, role, **kw)

    def put(self, path: str, role: str | None = "admin", **kw: Any) -> Any:
        return self.call("PUT", path, role, **kw)

    def delete(self, path: str, role: str | None = "admin", **kw: Any) -> Any:
        return self.call("DELETE", path, role, **kw)

    def add_key(self, name: str, role: str, technician_id: str | None = None) -> None:
        with self.app.extensions["fieldops"].db.session() as s:
            _, self.keys[name] = create_api_key(s, role, technician_id)

    def count(self, table: str) -> int:
        with self.app.extensions["fieldops"].db.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def make_app(url: str, **config: Any) -> Flask:
    return create_app({"DATABASE_URL": url, "WORKER_MODE": "thread", "TESTING": True,
                       **config})


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {}


_shared_apps: dict[str, Flask] = {}


@pytest.fixture(scope="session")
def _app_cache() -> Iterator[dict[str, Flask]]:
    """One app per database for tests with the default configuration (app set-up
    costs ~0.4 s, mostly route registration)."""
    yield _shared_apps
    for app in _shared_apps.values():
        app.extensions["fieldops"].backend.shutdown(wait=True)
        app.extensions["fieldops"].db.dispose()
    _shared_apps.clear()


def _drain(app: Flask, timeout: float = 30.0) -> None:
    """Stop every unfinished solve so the next test starts from a quiet database."""
    import time

    from sqlalchemy import update

    from fieldops.store.models import PlanRow, RosterRow

    db = app.extensions["fieldops"].db
    with db.session() as s:
        for table in (PlanRow, RosterRow):
            s.execute(update(table).where(table.status.in_(("queued", "solving")))
                      .values(cancel_requested=True))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.session() as s:
            busy = s.scalar(text(
                "SELECT (SELECT count(*) FROM plans WHERE status = 'solving')"
                " + (SELECT count(*) FROM rosters WHERE status = 'solving')"))
        if not busy:
            return
        time.sleep(0.1)
    raise AssertionError("a solve did not stop within 30 s of cancellation")


@pytest.fixture
def api(db_url: str, app_config: dict[str, Any],
        _app_cache: dict[str, Flask]) -> Iterator[Api]:
    own = bool(app_config)
    if own:
        app = make_app(db_url, **app_config)
    else:
        if db_url not in _app_cache:
            _app_cache[db_url] = make_app(db_url)
        app = _app_cache[db_url]
    client = Api(app, app.test_client())
    for role in ("admin", "dispatcher", "manager"):
        client.add_key(role, role)
    yield client
    _drain(app)
    if own:
        st = app.extensions["fieldops"]
        st.backend.shutdown(wait=True)
        st.db.dispose()


# ---------------------------------------------------------------- sample data
DAY = "2026-03-02"
TZ = "Europe/Berlin"


def technician(tid: str = "t1", lat: float = 52.52, lon: float = 13.40,
               skills: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"id": tid, "name": f"Tech {tid}", "home": {"lat": lat, "lon": lon},
            "skills": skills or []}


def shift(sid: str = "s1", tid: str = "t1", start: str = "08:00",
          end: str = "17:00") -> dict[str, Any]:
    return {"id": sid, "technician_id": tid, "start": f"{DAY}T{start}:00+01:00",
            "end": f"{DAY}T{end}:00+01:00"}


def service_request(rid: str = "r1", lat: float = 52.53, lon: float = 13.41,
                    **extra: Any) -> dict[str, Any]:
    body = {"id": rid, "location": {"lat": lat, "lon": lon}, "duration": "PT30M",
            "windows": [{"start": f"{DAY}T08:00:00+01:00", "end": f"{DAY}T16:00:00+01:00"}]}
    body.update(extra)
    return body


def plan_body(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "timezone": TZ,
        "horizon": {"start": f"{DAY}T00:00:00+01:00", "end": "2026-03-03T00:00:00+01:00"},
        "params": {"time_limit": 1},
    }
    body.update(extra)
    return body


def assert_problem(resp: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with ``status`` (naming ``field`` if given)."""
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    if field is not None:
        assert body.get("field") == field, body
    return body  # type: ignore[no-any-return]


def seed_day(api: Api, n_requests: int = 4, n_techs: int = 1) -> None:
    """Technicians with one shift each and ``n_requests`` new requests near Berlin."""
    for i in range(1, n_techs + 1):
        assert api.post("/api/v1/technicians", json=technician(f"t{i}")).status_code == 201
        assert api.post("/api/v1/shifts", json=shift(f"s{i}", f"t{i}")).status_code == 201
    for i in range(1, n_requests + 1):
        body = service_request(f"r{i}", lat=52.50 + i / 200, lon=13.38 + i / 300)
        assert api.post("/api/v1/requests", json=body).status_code == 201


def wait_plan(api: Api, location: str, timeout: float = 30.0,
              until: tuple[str, ...] = ("done", "failed", "cancelled")) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + timeout
    while True:
        body = api.get(location).get_json()
        if body["status"] in until:
            if body.get("result") is not None:
                _assert_valid_result(api, location, body["result"])
            return body  # type: ignore[no-any-return]
        if time.monotonic() > deadline:
            raise AssertionError(f"plan still {body['status']} after {timeout} s: {body}")
        time.sleep(0.1)


def _assert_valid_result(api: Api, location: str, result: dict[str, Any]) -> None:
    """Every plan the API hands out is re-checked by the independent validator,
    against the problem snapshot the server solved."""
    from fieldops.schemas import plan_from_json, problem_from_json
    from fieldops.validators.dispatch import assert_valid

    resp = api.get(f"{location}/problem")
    assert resp.status_code == 200, resp.get_json()
    assert_valid(problem_from_json(resp.get_json()), plan_from_json(result))


@pytest.fixture
def tmp_instance(tmp_path: Path) -> Path:
    return tmp_path
