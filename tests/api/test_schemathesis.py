"""schemathesis against the served OpenAPI document: no server errors, documented answers.

Bounded: a few examples per operation, solves capped at 1 s. Run it alone with
``make schemathesis``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import Api, make_app, seed_day

AUTH: dict[str, str] = {}


@pytest.fixture
def served_schema(tmp_path: Path) -> Iterator[Any]:
    app = make_app(f"sqlite:///{tmp_path / 'st.db'}", MAX_SOLVE_SECONDS=1.0,
                   IMPORT_MAX_ROWS=50)
    api = Api(app, app.test_client())
    api.add_key("admin", "admin")
    seed_day(api, n_requests=2)
    AUTH["Authorization"] = f"Bearer {api.keys['admin']}"
    yield schemathesis.from_wsgi("/api/v1/openapi.json", app)
    app.extensions["fieldops"].backend.shutdown(wait=True)
    app.extensions["fieldops"].db.dispose()


schema = schemathesis.from_pytest_fixture("served_schema")
# No server errors, and every answer (status, media type, body) is the documented one.
CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance)


@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: Any) -> None:
    case.call_and_validate(headers=AUTH, checks=CHECKS)
