"""PostgreSQL restarts under real gunicorn: 503 (problem+json, Retry-After) while the
database is away, never a 500, nothing half-written, and no error once it is back
(a pooled connection that died with the server is replaced, not used)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from .conftest import PgCluster, Server, request_json

pytestmark = pytest.mark.slow
IMPORT_ROWS = 10_000
POLLS = 20


@pytest.fixture
def server(pg_cluster: PgCluster, tmp_path: Path) -> Iterator[Server]:
    srv = Server(pg_cluster.new_database(), tmp_path, "--workers", "2", "--threads", "4")
    yield srv
    srv.stop()


def _assert_unavailable(answer: requests.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert int(answer.headers["Retry-After"]) > 0
    assert answer.json()["status"] == 503


def _requests_stored(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM service_requests")).scalar_one())
    finally:
        engine.dispose()


def test_polling_during_an_outage_answers_503_and_recovers(
    server: Server, pg_cluster: PgCluster,
) -> None:
    for _ in range(3):  # every worker's pool holds a connection now
        assert server.get("/requests").status_code == 200
    pg_cluster.stop()
    try:
        for _ in range(POLLS):
            _assert_unavailable(server.get("/requests"))
            _assert_unavailable(server.get("/plans/nope"))
    finally:
        pg_cluster.start()
    after = [server.get("/requests").status_code for _ in range(POLLS)]
    assert after == [200] * POLLS, server.output()[-3000:]
    assert "Traceback" not in server.output()


def test_an_import_during_a_restart_is_stored_whole_or_not_at_all(
    server: Server, pg_cluster: PgCluster,
) -> None:
    rows = [request_json(f"big-{i}") for i in range(IMPORT_ROWS)]
    answers: list[requests.Response] = []
    sender = threading.Thread(
        target=lambda: answers.append(server.post("/requests/import", json=rows)))
    sender.start()
    time.sleep(0.3)  # the body is on its way or being stored
    pg_cluster.stop()
    sender.join(timeout=120)
    pg_cluster.start()
    (answer,) = answers
    assert answer.status_code in (201, 503), answer.text
    stored = _requests_stored(server.db_url)
    if answer.status_code == 503:
        _assert_unavailable(answer)
        assert stored == 0
        # Once the database is back the same import goes through.
        answer = server.post("/requests/import", json=rows)
        assert answer.status_code == 201, answer.text
        stored = _requests_stored(server.db_url)
    assert stored == IMPORT_ROWS
