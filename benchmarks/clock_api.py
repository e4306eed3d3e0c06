"""Does an API solve hold its clock, from ``POST /plans`` to the plan stored?

Run ``python -m benchmarks.clock_api --jobs 1000 --runs 2 --time-limit 60``. Starts
``fieldops serve`` (gunicorn, as in production, solving in its own pool) on a fresh
SQLite file, stores the generated day of ``--jobs`` jobs
(:func:`fieldops.data.sample.generate_field_day`, the technicians of
``benchmarks.clock``) through the API, then ``--runs`` times: ``POST /plans`` with
``params.time_limit``, and ``GET /plans/{id}`` every ``POLL_SECONDS`` until it is
``done``. Timed from the moment the POST is sent to the first GET that sees the
plan stored (at most ``POLL_SECONDS`` late), and from the server's own
``created_at`` to ``finished_at``. Each plan is checked by
:func:`fieldops.validators.dispatch.validate_plan` against the problem it was solved
from (``GET /plans/{id}/problem``). ``--src`` runs the server from other ``src``
folders in turn (a base and a head, alternating run by run; one server each).
Writes ``benchmarks/results/clock_api.json``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
from rich.console import Console
from rich.table import Table

from benchmarks import _harness as h
from benchmarks.api_load import Server, start_server
from benchmarks.clock import TECHNICIANS

POLL_SECONDS = 0.1
REQUEST_TIMEOUT_S = 60.0
SOLVE_TIMEOUT_S = 600.0
CREATED = 201


def _store_day(server: Server, n_jobs: int, seed: int) -> dict[str, Any]:
    """The generated day stored through the API; its problem JSON."""
    from fieldops.data.sample import generate_field_day
    from fieldops.schemas import problem_to_json

    data = problem_to_json(generate_field_day(n_jobs, TECHNICIANS[n_jobs], seed=seed))
    http = _session(server)
    api = f"{server.url}/api/v1"
    for tier in data.get("contract_tiers", []):
        _ok(http.post(f"{api}/contract-tiers", json=tier, timeout=REQUEST_TIMEOUT_S))
    for tech in data["technicians"]:
        _ok(http.post(f"{api}/technicians", json=tech, timeout=REQUEST_TIMEOUT_S))
    for shift in data["shifts"]:
        _ok(http.post(f"{api}/shifts", json=shift, timeout=REQUEST_TIMEOUT_S))
    _ok(http.post(f"{api}/requests/import", json=data["requests"], timeout=REQUEST_TIMEOUT_S))
    return data


def _session(server: Server) -> requests.Session:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {server.key}"
    return http


def _ok(resp: requests.Response) -> Any:
    if resp.status_code >= 300:
        raise RuntimeError(f"{resp.request.method} {resp.url}: {resp.status_code} {resp.text}")
    return resp.json() if resp.content else None


def timed_solve(server: Server, day: dict[str, Any], time_limit: float) -> dict[str, Any]:
    """One ``POST /plans`` polled until stored: seconds, the server's own, the check."""
    http = _session(server)
    api = f"{server.url}/api/v1"
    load = os.getloadavg()[0]
    start = time.monotonic()
    plan = _ok(http.post(f"{api}/plans", timeout=REQUEST_TIMEOUT_S, json={
        "timezone": day["timezone"], "horizon": day["horizon"],
        "params": {"time_limit": time_limit}}))
    accepted = time.monotonic() - start
    while plan["status"] in ("queued", "solving"):
        if time.monotonic() - start > SOLVE_TIMEOUT_S:
            raise RuntimeError("the plan did not finish in time")
        time.sleep(POLL_SECONDS)
        plan = _ok(http.get(f"{api}/plans/{plan['id']}", timeout=REQUEST_TIMEOUT_S))
    stored = time.monotonic() - start
    row: dict[str, Any] = {
        "time_limit": time_limit, "load_average": load, "load_after": os.getloadavg()[0],
        "status": plan["status"], "error": plan.get("error"), "accepted_s": accepted,
        "stored_s": stored, "over_limit_s": stored - time_limit,
        "server_s": (datetime.fromisoformat(plan["finished_at"])
                     - datetime.fromisoformat(plan["created_at"])).total_seconds()
        if plan.get("finished_at") else None}
    if plan["status"] == "done":
        row.update(_check(http, api, plan))
    return row


def _check(http: requests.Session, api: str, plan_json: dict[str, Any]) -> dict[str, Any]:
    from fieldops.schemas import plan_from_json, problem_from_json
    from fieldops.validators.dispatch import validate_plan

    problem = problem_from_json(_ok(http.get(f"{api}/plans/{plan_json['id']}/problem",
                                             timeout=REQUEST_TIMEOUT_S)))
    plan = plan_from_json(plan_json["result"])
    violations = validate_plan(problem, plan)
    return {"validated": not violations, "n_violations": len(violations),
            "assigned": plan.kpis.jobs_assigned, "jobs": len(problem.requests),
            "solve_time_s": plan.solve_time.total_seconds(),
            "solver_time_limit": plan.solver.get("time_limit"), "solver": plan.solver}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--jobs", type=int, default=1000, choices=sorted(TECHNICIANS))
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--day-seed", type=int, default=1)
    parser.add_argument("--src", nargs="+", default=None,
                        help="src folders to run the server from, alternating run by run")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    console = Console(width=max(Console().width, 130))
    machine = h.machine_info()
    console.print(f"[bold]clock_api[/]: POST /plans, time_limit {args.time_limit:g}, "
                  f"{args.jobs} jobs — load {machine['load_average']}")
    rows: list[dict[str, Any]] = []
    sources: list[str | None] = list(args.src) if args.src else [None]
    with tempfile.TemporaryDirectory(prefix="fieldops-clock-api-") as tmp:
        servers, days = _start(sources, Path(tmp), args.jobs, args.day_seed)
        try:
            for run in range(args.runs):
                for src, server in zip(sources, servers, strict=True):
                    row = {"run": run, "src": src, "jobs": args.jobs,
                           **timed_solve(server, days[src], args.time_limit)}
                    rows.append(row)
                    console.print(f"  run {run} {src or ''}: stored at {row['stored_s']:.1f} s "
                                  f"(server {row['server_s'] or float('nan'):.1f} s), "
                                  f"{row['status']}, load {row['load_average']:.1f}→"
                                  f"{row['load_after']:.1f}")
        finally:
            for server in servers:
                server.stop()
    console.print(_table(rows, args.time_limit))
    payload = {"suite": "clock_api", "machine": machine,
               "parameters": {k: (str(v) if isinstance(v, Path) else v)
                              for k, v in vars(args).items()},
               "runs": rows}
    target = h.write_results("clock_api", payload, args.output)
    console.print(f"results written to {target}")
    return payload


def _start(sources: list[str | None], folder: Path, n_jobs: int, seed: int,
           ) -> tuple[list[Server], dict[str | None, dict[str, Any]]]:
    """One server per source, each on its own database holding the day."""
    servers: list[Server] = []
    days: dict[str | None, dict[str, Any]] = {}
    saved = os.environ.get("PYTHONPATH")
    try:
        for k, src in enumerate(sources):
            if src is not None:
                os.environ["PYTHONPATH"] = src
            url = f"sqlite:///{folder / f'clock-{k}.db'}"
            servers.append(start_server(url, 1, 4, folder / f"serve-{k}.log"))
            days[src] = _store_day(servers[-1], n_jobs, seed)
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved
    return servers, days


def _table(rows: list[dict[str, Any]], time_limit: float) -> Table:
    table = Table(title=f"POST /plans, time_limit {time_limit:g}: seconds to the plan stored")
    for col in ("run", "src", "stored s", "over limit s", "server s", "solver limit s",
                "solve s", "assigned", "validated", "load"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(str(r["run"]), r["src"] or "", f"{r['stored_s']:.1f}",
                      f"{r['over_limit_s']:+.1f}", f"{r['server_s'] or float('nan'):.1f}",
                      f"{r.get('solver_time_limit') or float('nan'):.1f}",
                      f"{r.get('solve_time_s') or float('nan'):.1f}",
                      f"{r.get('assigned', 0)}/{r['jobs']}",
                      "yes" if r.get("validated") else "NO",
                      f"{r['load_average']:.1f}→{r['load_after']:.1f}")
    return table


if __name__ == "__main__":
    main()
