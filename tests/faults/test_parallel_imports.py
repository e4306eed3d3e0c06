"""Parallel imports through real gunicorn: no 500, every row accounted for.

Twenty clients import at once, on SQLite and on PostgreSQL: first batches of new ids
all naming one new customer and one new skill (every import must succeed: the
customer and the skill are created once, race-free), then twenty copies of the same
200 ids (exactly one import stores them; every other answers 409 naming an id).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text

from .conftest import PgCluster, Server, request_json

pytestmark = pytest.mark.slow
CLIENTS = 20
ROWS = 10


# One server per database for the module: the tests use their own ids and customers.
@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Server]:
    tmp_path = tmp_path_factory.mktemp("imports")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'faults.sqlite3'}"
    else:
        cluster: PgCluster = request.getfixturevalue("pg_cluster")
        url = cluster.new_database()
    srv = Server(url, tmp_path, "--workers", "3", "--threads", "4")
    yield srv
    srv.stop()


def _count(url: str, sql: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


def _batch(client: int) -> list[dict[str, object]]:
    return [request_json(f"c{client}-{i}", customer_id="new-customer", customer_name="New",
                         required_skills=[{"name": "new-skill", "level": 1}])
            for i in range(ROWS)]


def test_parallel_imports_sharing_a_new_customer_and_skill_all_succeed(server: Server) -> None:
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(lambda c: server.post("/requests/import", json=_batch(c)),
                                range(CLIENTS)))
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {201: CLIENTS}, ([a.text for a in answers if a.status_code != 201],
                                        server.output()[-3000:])
    assert _count(server.db_url, "SELECT count(*) FROM service_requests "
                  "WHERE customer_id = 'new-customer'") == CLIENTS * ROWS
    assert _count(server.db_url, "SELECT count(*) FROM customers "
                  "WHERE id = 'new-customer'") == 1
    assert _count(server.db_url, "SELECT count(*) FROM skills WHERE name = 'new-skill'") == 1
    assert _count(server.db_url, "SELECT count(*) FROM request_skills "
                  "WHERE skill = 'new-skill'") == CLIENTS * ROWS


def test_parallel_imports_of_the_same_ids_store_them_once_and_answer_409(
    server: Server,
) -> None:
    rows = [request_json(f"same-{i}", customer_id=f"cust-{i % 7}") for i in range(200)]
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(lambda _: server.post("/requests/import", json=rows),
                                range(CLIENTS)))
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {201: 1, 409: CLIENTS - 1}, (
        [a.text for a in answers if a.status_code not in (201, 409)], server.output()[-3000:])
    for answer in answers:
        if answer.status_code == 409:
            problem = answer.json()
            assert answer.headers["Content-Type"].startswith("application/problem+json")
            assert problem["field"].endswith("id") and "same-" in problem["detail"], problem
    assert _count(server.db_url, "SELECT count(*) FROM service_requests "
                  "WHERE id LIKE 'same-%'") == 200
    assert _count(server.db_url, "SELECT count(*) FROM customers WHERE id LIKE 'cust-%'") == 7
