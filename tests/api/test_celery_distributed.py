"""A distributed plan through the API and two real Celery workers: the worker that
takes the plan coordinates it and sends its territories to the other one (the
runner each worker registers as it starts), and the stored plan is valid."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import (
    BROKER_URL,
    PG_URL,
    Api,
    assert_problem,
    make_app,
    plan_body,
    seed_day,
    wait_plan,
)
from .test_celery import Worker, _broker_reachable, _forget_queue

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not BROKER_URL, reason="FIELDOPS_TEST_BROKER_URL is not set: "
                       "no Redis broker to run real Celery workers against"),
]


@pytest.fixture
def two_workers(db_url: str, tmp_path: Path) -> Iterator[tuple[Api, list[Worker]]]:
    _broker_reachable()
    queue = f"fieldops-test-{uuid.uuid4().hex[:10]}"
    app = make_app(db_url, BROKER_URL=BROKER_URL, CELERY_QUEUE=queue)
    client = Api(app, app.test_client())
    client.add_key("admin", "admin")
    workers = [Worker(db_url, queue, tmp_path / f"worker{k}.log") for k in range(2)]
    try:
        for w in workers:
            w.wait_ready()
        yield client, workers
    finally:
        for w in workers:
            w.kill()
        _forget_queue(queue)
        app.extensions["fieldops"].db.dispose()


@pytest.mark.parametrize("db_url", ["postgresql" if PG_URL else "sqlite"], indirect=True)
def test_a_distributed_plan_is_coordinated_by_one_worker_and_solved_by_the_other(
        two_workers: tuple[Api, list[Worker]]) -> None:
    api, workers = two_workers
    seed_day(api, n_requests=12, n_techs=2)
    params = {"time_limit": 8, "distribute": {
        "enabled": True, "territory_jobs": 6, "workers": 1, "territory_seconds": 0.5,
        "boundary_share": 0.05}}
    resp = api.post("/api/v1/plans", json=plan_body(params=params))
    assert resp.status_code == 202, resp.get_json()
    plan: dict[str, Any] = wait_plan(api, resp.headers["Location"], timeout=90)
    logs = "\n".join(w.log.read_text(errors="replace") for w in workers)
    assert plan["status"] == "done", (plan, logs)
    solver = plan["result"]["solver"]
    assert solver["engine"] == "distributed" and solver["runner"] == "CeleryRunner"
    info = solver["distributed"]
    assert info["local_fallbacks"] == 0 and info["errors"] == [], (info, logs[-3000:])
    pids = {str(w.proc.pid) for w in workers}
    solved_by = {t["worker"].rsplit(":", 1)[1] for t in info["territories"]}
    assert len(info["territories"]) == 2 and solved_by <= pids
    assert plan["result"]["kpis"]["jobs_total"] == 12


def test_a_bad_distribute_parameter_names_its_field(api: Api) -> None:
    for params, field in (({"distribute": {"enabled": True, "territory_jobs": 0}},
                           "params.distribute.territory_jobs"),
                          ({"distribute": {"size": 3}}, "params.distribute.size")):
        assert_problem(api.post("/api/v1/plans", json=plan_body(params=params)), 422,
                       field=field)
