"""The customer's tracking page: latency of ``GET /track/{token}`` on a published day.

Run ``python -m benchmarks.tracking`` (``--jobs``, ``--techs``, ``--time-limit`` for
the solve, ``--views`` per format). The generated day
(:func:`fieldops.data.sample.generate_field_day`, for tomorrow so its links are
live) is stored through the API of an in-process app on a fresh SQLite file
(``--database-url`` for another), solved with ``POST /plans`` (the plan checked by
the dispatch validator, not timed) and published; one job of each of up to
``--links`` technicians gets a tracking link. Timed, end to end through Flask,
SQLAlchemy and the database: the page as JSON and as HTML, its live ETA from the
per-(day, version) state cache (``services.tracking.live_eta``: the day's state is
built once per change of the day, each view walks its own route); then, in the same
run, the same views **uncached** (the ETA rebuilt from the stored day on every view,
``services.live.tracking_eta``, as before the cache) and **cold** views (the cache
emptied before each: the first view after a change of the day). Prints a table and
writes ``benchmarks/results/tracking-<jobs>j.json``.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from benchmarks._harness import machine_info, write_results
from benchmarks.live_api import Client, _morning, _store_day
from benchmarks.live_insert import _percentile

FORMATS = {"json": "application/json", "html": "text/html"}
P95 = 0.95


def _links(api: Client, result: dict[str, Any], count: int) -> list[str]:
    """Tracking-link paths of the first job of up to ``count`` routes."""
    firsts = [next(s["request_id"] for s in r["steps"] if s.get("request_id"))
              for r in result["routes"] if any(s.get("request_id") for s in r["steps"])]
    paths = []
    for rid in firsts[:count]:
        url = api.call("POST", f"/api/v1/requests/{rid}/tracking-link",
                       json={}).get_json()["url"]
        paths.append("/" + url.split("/", 3)[3])
    return paths


def _time_views(api: Client, paths: list[str], accept: str, views: int) -> list[float]:
    seconds = []
    for path in itertools.islice(itertools.cycle(paths), views):
        t0 = time.perf_counter()
        api.call("GET", path, headers={"Accept": accept})
        seconds.append(time.perf_counter() - t0)
    return seconds


def _uncached(api: Client, paths: list[str], views: int) -> list[float]:
    """JSON views with the ETA rebuilt from the stored day each time (no cache)."""
    from fieldops.services import live
    from fieldops.services import tracking as svc

    cached = svc.live_eta
    svc.live_eta = live.tracking_eta
    try:
        return _time_views(api, paths, FORMATS["json"], views)
    finally:
        svc.live_eta = cached


def _cold(api: Client, paths: list[str], views: int) -> list[float]:
    """JSON views each right after the cache was emptied (a change of the day)."""
    from fieldops.services import tracking as svc

    seconds = []
    for path in itertools.islice(itertools.cycle(paths), views):
        svc._STATES.clear()
        seconds += _time_views(api, [path], FORMATS["json"], 1)
    return seconds


def _row(seconds: list[float]) -> dict[str, Any]:
    return {"views": len(seconds), "median_ms": statistics.median(seconds) * 1e3,
            "p95_ms": _percentile(seconds, P95) * 1e3}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--techs", type=int, default=120)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--views", type=int, default=40, help="page views per format")
    parser.add_argument("--links", type=int, default=20, help="links the views cycle over")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--database-url", help="default: a new SQLite file")
    args = parser.parse_args(argv)

    from fieldops.data.sample import generate_field_day
    from fieldops.schemas import plan_from_json, problem_from_json
    from fieldops.validators.dispatch import assert_valid

    day = date.today() + timedelta(days=1)
    problem = generate_field_day(args.jobs, args.techs, seed=args.seed, date=day)
    with tempfile.TemporaryDirectory() as tmp:
        api = Client(args.database_url or f"sqlite:///{Path(tmp) / 'tracking.db'}")
        # The views below are the measurement: no per-token limit in the way.
        api.app.config["TRACK_RATE_LIMIT"] = args.views * (len(FORMATS) + 2) + 1
        _store_day(api, problem)
        plan = _morning(api, problem, args.time_limit)
        snapshot = api.call("GET", f"/api/v1/plans/{plan['id']}/problem").get_json()
        assert_valid(problem_from_json(snapshot), plan_from_json(plan["result"]))
        paths = _links(api, plan["result"], args.links)
        rows = {name: _row(_time_views(api, paths, accept, args.views))
                for name, accept in FORMATS.items()}
        rows["json uncached"] = _row(_uncached(api, paths, args.views))
        rows["json cold"] = _row(_cold(api, paths, max(1, args.views // 4)))
        api.app.extensions["fieldops"].db.dispose()
    print(f"tracking page, {args.jobs} jobs / {args.techs} technicians, {len(paths)} links")
    print(f"{'format':<15}{'views':>7}{'median ms':>12}{'p95 ms':>10}")
    for name, row in rows.items():
        print(f"{name:<15}{row['views']:>7}{row['median_ms']:>12.1f}{row['p95_ms']:>10.1f}")
    payload = {"jobs": args.jobs, "techs": args.techs, "links": len(paths), "formats": rows,
               "machine": machine_info()}
    print(f"written {write_results(f'tracking-{args.jobs}j', payload)}")
    return payload


if __name__ == "__main__":
    main()
