"""A 10 000-job day by territory over Celery workers: one worker against two.

Run ``python -m benchmarks.distributed --broker redis://127.0.0.1:6379/9`` (defaults:
the ``fd10000`` metro day, 10 000 jobs / 1 200 technicians, day seed 1; 20
territories of about 500 jobs, 30 s each; a 60 s boundary phase). For each
``--worker-counts`` entry it starts that many ``celery -A fieldops.worker.celery_app
worker -c 1`` processes on a queue of its own, then solves the day in a fresh
coordinating process with
:func:`fieldops.solver.dispatch.distributed.solve_distributed` over
:class:`fieldops.worker.distributed.CeleryRunner`, and checks the plan with
:func:`fieldops.validators.dispatch.validate_plan`. Every run does the same work
(the same territories, each solved for the same time, the same boundary time) and
``--time-limit`` is set high enough not to cut it, so the wall times compare.

Reports per worker count: wall time from the solve's start to a validated plan
(and its phases), jobs by priority, SLA breaches, travel, the coordinator's peak
memory and each worker process's (the largest ``ru_maxrss`` its tasks reported);
the speed-up is the one-worker wall time over each other's. Writes
``benchmarks/results/distributed.json``.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks import _harness as h

PRIORITIES = ("critical", "high", "normal", "low")
ROOT = Path(__file__).resolve().parents[1]


def start_workers(n: int, broker: str, queue: str, logs: Path) -> list[subprocess.Popen[bytes]]:
    """``n`` Celery worker processes (``-c 1`` each) consuming ``queue``; waits for
    every one to say it is ready."""
    env = {**os.environ, "FIELDOPS_BROKER_URL": broker, "FIELDOPS_CELERY_QUEUE": queue}
    procs = []
    for k in range(n):
        log = (logs / f"worker{k}.log").open("wb")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "fieldops.worker.celery_app", "worker",
             "-Q", queue, "-c", "1", "--hostname", f"w{k}@{queue}", "--without-gossip",
             "--without-mingle", "--loglevel", "info"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT))
    deadline = time.monotonic() + 120
    for k, proc in enumerate(procs):
        while b"ready." not in (logs / f"worker{k}.log").read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_workers(procs)
                raise RuntimeError(f"worker {k} did not start; see {logs}/worker{k}.log")
            time.sleep(0.2)
    return procs


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def forget_queue(broker: str, queue: str) -> None:
    import redis

    r = redis.Redis.from_url(broker)
    r.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


def coordinate(args: dict[str, Any], queue: str) -> dict[str, Any]:
    """Build the day, solve it over the queue's workers, validate (a fresh process)."""
    from benchmarks.day_shapes import build_day
    from fieldops.solver.dispatch import SolveParams
    from fieldops.solver.dispatch.distributed import solve_distributed
    from fieldops.validators.dispatch import validate_plan
    from fieldops.worker.celery_app import make_celery
    from fieldops.worker.distributed import CeleryRunner, local_solvers

    began = time.monotonic()
    problem = build_day("metro", args["jobs"], args["technicians"], args["day_seed"])  # fd10000
    out: dict[str, Any] = {"generate_s": round(time.monotonic() - began, 1)}
    params = SolveParams(time_limit=args["time_limit"], seed=args["seed"], distribute={  # type: ignore[arg-type]
        "enabled": True, "territory_jobs": args["territory_jobs"], "workers": args["workers"],
        "territory_seconds": args["territory_seconds"],
        "boundary_share": args["boundary_total"] / args["time_limit"],
        "boundary_seconds": args["boundary_seconds"]})
    runner = CeleryRunner(make_celery(args["broker"], queue), queue)
    began = time.monotonic()
    plan = solve_distributed(problem, params, local_solvers(), runner=runner)
    out["solve_s"] = round(time.monotonic() - began, 1)
    violations = validate_plan(problem, plan)
    out["wall_s"] = round(time.monotonic() - began, 1)
    out["validate_s"] = round(out["wall_s"] - out["solve_s"], 1)
    out["validated"] = not violations
    out["violations"] = [str(v) for v in violations[:5]]
    kpis = plan.kpis
    totals = Counter(str(r.priority) for r in problem.requests)
    out["assigned"] = kpis.jobs_assigned
    out["jobs"] = kpis.jobs_total
    out["assigned_by_priority"] = {str(p): n for p, n in kpis.assigned_by_priority.items()}
    out["jobs_by_priority"] = dict(totals)
    out["sla_breached"] = kpis.sla_breached
    out["travel_h"] = kpis.travel_time.total_seconds() / 3600
    out["objective"] = plan.objective
    out["routes_used"] = kpis.routes_used
    info: Any = plan.solver["distributed"]
    out["phases"] = info["phases"]
    out["territories"] = info["territories"]
    out["boundary_tasks"], out["boundary_improved"] = (info["boundary_tasks"],
                                                        info["boundary_improved"])
    out["local_fallbacks"], out["errors"] = info["local_fallbacks"], info["errors"]
    peaks: dict[str, float] = {}
    for t in info["territories"]:
        peaks[t["worker"]] = max(peaks.get(t["worker"], 0.0), t["peak_rss_mib"])
    out["worker_peak_mib"] = peaks
    out["coordinator_peak_mib"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def _table(runs: list[dict[str, Any]]) -> Table:
    table = Table(title="10 000 jobs by territory over Celery workers")
    cols = ("workers", "wall s (valid plan)", "territories s", "boundary s", "plan+validate s",
            "speed-up", "assigned", *PRIORITIES, "SLA breached", "travel h", "boundary tasks",
            "coordinator MiB", "worker MiB (max)", "validated")
    for col in cols:
        table.add_column(col, justify="right")
    base = next((r for r in runs if r.get("n_workers") == 1 and "wall_s" in r), None)
    for r in runs:
        if "error" in r:
            table.add_row(str(r["n_workers"]), r["error"][:60], *[""] * (len(cols) - 2))
            continue
        ph = r["phases"]
        speed = f"{base['wall_s'] / r['wall_s']:.2f}" if base is not None else "–"
        byp, tot = r["assigned_by_priority"], r["jobs_by_priority"]
        table.add_row(
            str(r["n_workers"]), f"{r['wall_s']:.0f}", f"{ph['territories']:.0f}",
            f"{ph['boundary']:.0f}", f"{ph['plan'] + r['validate_s']:.0f}", speed,
            f"{r['assigned']}/{r['jobs']}",
            *[f"{byp.get(p, 0)}/{tot.get(p, 0)}" for p in PRIORITIES],
            str(r["sla_breached"]), f"{r['travel_h']:.1f}", str(r["boundary_tasks"]),
            f"{r['coordinator_peak_mib']:.0f}",
            f"{max(r['worker_peak_mib'].values(), default=0):.0f}",
            "yes" if r["validated"] else "NO")
    return table


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--broker", default=os.environ.get("FIELDOPS_BROKER_URL",
                                                           "redis://127.0.0.1:6379/9"))
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--technicians", type=int, default=1_200)
    parser.add_argument("--day-seed", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--worker-counts", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--territory-jobs", type=int, default=500)
    parser.add_argument("--territory-seconds", type=float, default=30.0)
    parser.add_argument("--boundary-total", type=float, default=60.0,
                        help="seconds of the boundary phase (default 60)")
    parser.add_argument("--boundary-seconds", type=float, default=5.0,
                        help="time limit of each boundary task (default 5)")
    parser.add_argument("--time-limit", type=float, default=1800.0,
                        help="the solve's limit; high, so that it never cuts the fixed work")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    console = Console(width=max(Console().width, 160))
    machine = h.machine_info()
    runs: list[dict[str, Any]] = []
    logs = Path(tempfile.mkdtemp(prefix="fieldops-distributed-"))
    console.print(f"worker logs in {logs}")
    for n in args.worker_counts:
        queue = f"fieldops-bench-{uuid.uuid4().hex[:8]}"
        settings = {**vars(args), "workers": n}
        settings.pop("output")
        load_before = os.getloadavg()
        procs = start_workers(n, args.broker, queue, logs)
        try:
            run = h.run_isolated(coordinate, settings, queue)
        finally:
            stop_workers(procs)
            forget_queue(args.broker, queue)
        run.update(n_workers=n, loadavg_before=load_before, loadavg_after=os.getloadavg())
        runs.append(run)
        console.print(f"  {n} worker(s): wall {run.get('wall_s')} s, assigned "
                      f"{run.get('assigned')}, travel {run.get('travel_h', float('nan')):.1f} h, "
                      f"validated {run.get('validated')} {run.get('error', '')} "
                      f"load {load_before[0]:.1f}->{os.getloadavg()[0]:.1f}")
    console.print(_table(runs))
    payload = {"suite": "distributed", "machine": machine,
               "parameters": {k: v for k, v in vars(args).items() if k != "output"},
               "runs": runs}
    target = h.write_results("distributed", payload, args.output)
    console.print(f"results written to {target}")
    return payload


if __name__ == "__main__":
    main()
