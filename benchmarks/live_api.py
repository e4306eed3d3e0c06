"""The live day over the HTTP API: insertion, publish and day-view latency.

Run ``python -m benchmarks.live_api`` (``--jobs``, ``--techs``, ``--emergencies``,
``--time-limit`` for the morning solve, ``--as-of HH:MM``). The generated day
(:func:`fieldops.data.sample.generate_field_day`) is stored through the API of an
in-process app on a fresh SQLite file (``--database-url`` for another), solved
with ``POST /plans`` and published; technicians then report ``en_route`` /
``on_site`` / ``done`` for the work planned before ``as_of``. Then each emergency
(critical, gold tier, near a job of the day) is created, inserted with ``POST
/days/{date}/insertions`` and published, one after another. Timed: each insertion
and each publish (end to end through Flask, SQLAlchemy and the database), and
``GET /days/{date}`` with and without ``If-None-Match``. Every proposal is checked
by the dispatch validator and the live validator (not timed). Prints a table and
writes ``benchmarks/results/live_api-<jobs>j.json``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks._harness import machine_info, write_results
from benchmarks.live_insert import _emergency, _percentile

POLL_SECONDS = 0.5
HTTP_OK = (200, 201, 202, 204)


class Client:
    """The Flask test client with the admin key, failing loudly on any error."""

    def __init__(self, url: str) -> None:
        from fieldops.api import create_app
        from fieldops.store.keys import create_api_key

        self.app = create_app({"DATABASE_URL": url, "WORKER_MODE": "thread", "REAPER": False})
        with self.app.extensions["fieldops"].db.session() as s:
            _, key = create_api_key(s, "admin", None)
        self.client = self.app.test_client()
        self.headers = {"Authorization": f"Bearer {key}"}

    def call(self, method: str, path: str, ok: tuple[int, ...] = HTTP_OK, **kw: Any) -> Any:
        resp = self.client.open(path, method=method, headers={**self.headers,
                                                                **kw.pop("headers", {})}, **kw)
        if resp.status_code not in ok:
            raise AssertionError(f"{method} {path}: {resp.status_code} {resp.get_data()[:500]!r}")
        return resp

    def timed(self, method: str, path: str, **kw: Any) -> tuple[Any, float]:
        t0 = time.perf_counter()
        resp = self.call(method, path, **kw)
        return resp, time.perf_counter() - t0


def _store_day(api: Client, problem: Any) -> None:
    from fieldops.schemas import problem_to_json

    data = problem_to_json(problem)
    for tier in data.get("contract_tiers", []):
        api.call("POST", "/api/v1/contract-tiers", json=tier)
    for tech in data["technicians"]:
        api.call("POST", "/api/v1/technicians", json=tech)
    for sh in data["shifts"]:
        api.call("POST", "/api/v1/shifts", json=sh)
    api.call("POST", "/api/v1/requests/import", json=data["requests"])


def _morning(api: Client, problem: Any, time_limit: float) -> dict[str, Any]:
    resp = api.call("POST", "/api/v1/plans", json={
        "timezone": problem.timezone, "params": {"time_limit": time_limit},
        "horizon": {"start": problem.horizon.start.isoformat(),
                    "end": problem.horizon.end.isoformat()}})
    plan_id = resp.get_json()["id"]
    while True:
        body = api.call("GET", f"/api/v1/plans/{plan_id}").get_json()
        if body["status"] not in ("queued", "solving"):
            break
        time.sleep(POLL_SECONDS)
    assert body["status"] == "done", body["error"]
    api.call("POST", f"/api/v1/plans/{plan_id}/publish", json={"dispatch": True})
    return body  # type: ignore[no-any-return]


def _execute(api: Client, plan: Any, as_of: datetime) -> int:
    """Report what technicians did before ``as_of``; the number of status calls."""
    calls = 0
    for route in plan.routes:
        for step in route.jobs:
            if step.start > as_of:
                continue
            path = f"/api/v1/requests/{step.request_id}/status"
            moves = [("en_route", step.arrival), ("on_site", step.start)]
            if step.end <= as_of:
                moves.append(("done", step.end))
            for status, at in moves:
                api.call("POST", path, json={"status": status, "at": at.isoformat()})
                calls += 1
    return calls


def _validate(api: Client, plan_id: str, day: Any, as_of: datetime, new: Any) -> None:
    from fieldops.domain.live import NewRequest
    from fieldops.schemas import plan_from_json, problem_from_json
    from fieldops.services import live
    from fieldops.validators.dispatch import assert_valid
    from fieldops.validators.live import assert_live_valid

    plan = plan_from_json(api.call("GET", f"/api/v1/plans/{plan_id}").get_json()["result"])
    problem = problem_from_json(api.call("GET", f"/api/v1/plans/{plan_id}/problem").get_json())
    assert_valid(problem, plan)
    with api.app.extensions["fieldops"].db.session() as s:
        state = live.live_day(s, live.day_row(s, day), as_of)
    assert_live_valid(state.with_events(NewRequest(new, as_of)), plan)


def _stats(values: list[float]) -> dict[str, float]:
    return {"p50": round(statistics.median(values), 4),
            "p95": round(_percentile(values, 0.95), 4), "max": round(max(values), 4)}


def _emergencies(api: Client, problem: Any, published: Any, as_of: datetime, count: int,
                 seed: int, validate: Callable[[str, Any], None]) -> list[dict[str, Any]]:
    from fieldops.schemas import request_to_json

    rng = random.Random(seed)
    day = as_of.astimezone(problem.tz).date().isoformat()
    rows = []
    for k in range(count):
        req = _emergency(rng, problem, published, k, as_of)
        api.call("POST", "/api/v1/requests", json=request_to_json(req))
        resp, seconds = api.timed("POST", f"/api/v1/days/{day}/insertions", ok=(201, 422),
                                  json={"request_id": req.id, "as_of": as_of.isoformat()})
        body = resp.get_json()
        row: dict[str, Any] = {"request": req.id, "insert_seconds": seconds,
                               "placed": resp.status_code == 201}
        if resp.status_code == 201:
            validate(body["plan_id"], req)
            _, publish = api.timed("POST", f"/api/v1/plans/{body['plan_id']}/publish", json={})
            row.update(publish_seconds=publish, told=len(body["diff"]["notify"]),
                       moved_nobody=body["diff"]["moved_nobody"])
        rows.append(row)
    return rows


def _day_view(api: Client, day: str, as_of: datetime, repeats: int) -> dict[str, Any]:
    full, cached = [], []
    for _ in range(repeats):
        resp, seconds = api.timed("GET", f"/api/v1/days/{day}",
                                  query_string={"as_of": as_of.isoformat()})
        full.append(seconds)
        etag = resp.headers["ETag"]
        _, seconds = api.timed("GET", f"/api/v1/days/{day}", ok=(304,),
                               headers={"If-None-Match": etag},
                               query_string={"as_of": as_of.isoformat()})
        cached.append(seconds)
    return {"full": _stats(full), "not_modified": _stats(cached)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--techs", type=int, default=120)
    parser.add_argument("--emergencies", type=int, default=20)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--as-of", default="10:00")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--views", type=int, default=5, help="GET /days/{date} repeats")
    parser.add_argument("--database-url", help="default: a new SQLite file")
    args = parser.parse_args(argv)

    from fieldops.data.sample import generate_field_day
    from fieldops.schemas import plan_from_json

    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'live_api.db'}"
    api = Client(url)
    problem = generate_field_day(args.jobs, args.techs, seed=args.seed)
    _store_day(api, problem)
    morning = _morning(api, problem, args.time_limit)
    published = plan_from_json(morning["result"])
    hh, mm = (int(x) for x in args.as_of.split(":"))
    as_of = published.routes[0].steps[0].start.astimezone(problem.tz).replace(
        hour=hh, minute=mm, second=0, microsecond=0)
    calls = _execute(api, published, as_of)
    day = as_of.astimezone(problem.tz).date()
    rows = _emergencies(api, problem, published, as_of, args.emergencies, args.seed,
                        lambda plan_id, req: _validate(api, plan_id, day, as_of, req))
    views = _day_view(api, day.isoformat(), as_of, args.views)
    inserts = [r["insert_seconds"] for r in rows]
    publishes = [r["publish_seconds"] for r in rows if "publish_seconds" in r]
    summary = {
        "jobs": args.jobs, "technicians": args.techs, "emergencies": args.emergencies,
        "status_calls": calls, "placed": sum(1 for r in rows if r["placed"]),
        "moved_nobody": sum(1 for r in rows if r.get("moved_nobody")),
        "insert": _stats(inserts), "publish": _stats(publishes) if publishes else None,
        "day_view": views, "all_valid": True,
        "database": url.split(":", 1)[0],
    }
    print(f"live day over the API: {args.jobs} jobs, {args.techs} technicians, "
          f"{args.emergencies} emergencies at {args.as_of} ({summary['database']})")
    print(f"{'operation':<28} {'p50 s':>8} {'p95 s':>8} {'max s':>8}")
    for name, st in (("POST /days/{d}/insertions", summary["insert"]),
                     ("POST /plans/{id}/publish", summary["publish"]),
                     ("GET /days/{d}", views["full"]),
                     ("GET /days/{d} (304)", views["not_modified"])):
        if st:
            print(f"{name:<28} {st['p50']:>8.3f} {st['p95']:>8.3f} {st['max']:>8.3f}")
    print(f"placed {summary['placed']}/{args.emergencies}, moving nobody "
          f"{summary['moved_nobody']}; every proposal validated")
    payload = {"machine": machine_info(), "args": vars(args), "summary": summary, "runs": rows}
    path = write_results(f"live_api-{args.jobs}j", payload)
    print(f"written {path}")
    return payload


if __name__ == "__main__":
    main()
