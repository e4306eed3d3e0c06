"""Where fieldops' extra travel on a field day comes from, phase by phase.

Three experiments, each pricing every route set with :func:`evaluate_routes`
(fieldops' exact schedule, the default objective), so that the components (travel,
SLA, overtime, preferences, jobs left out) compare one for one:

* ``python -m benchmarks.field_gap solve --instances fd350 downtown350 --day-seed 1
  --time-limit 60``: VROOM as the benchmark's peer poses it, then one fieldops solve
  whose candidates are captured as they are priced (the construction, VROOM's
  candidate re-timed and repaired, ruin and recreate's plan) and the final plan
  (after OR-Tools' polish).
* ``python -m benchmarks.field_gap trades ...``: VROOM's plan re-timed, then ruin
  and recreate under several objectives (``TRADES``): what each term buys with travel.
* ``python -m benchmarks.field_gap posings ...``: VROOM's candidate posed several
  ways (``POSINGS``), re-timed and repaired, then ruin and recreate.
* ``python -m benchmarks.field_gap aim --instances hubs1000``: whole solves, VROOM's
  child aiming at its budget cut by the load (as shipped) or at all of it,
  alternated.

Writes ``benchmarks/results/field_gap_<experiment>.json`` (or ``--output``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.day_shapes import build_day
from benchmarks.field_days import PRIORITIES, SIZES, sla_late


def _summary(problem: Any, plan: Any) -> dict[str, Any]:
    prio = {r.id: r.priority for r in problem.requests}
    byp = Counter(str(prio[rid]) for r in plan.routes for rid in r.request_ids)
    pen = dict(plan.penalties)
    return {
        "objective": plan.objective,
        "travel_h": plan.kpis.travel_time.total_seconds() / 3600,
        "assigned": sum(byp.values()),
        "assigned_by_priority": dict(byp),
        "sla_late": sla_late(problem, plan),
        "overtime_h": pen.get("overtime", 0.0) / problem.weights.overtime_per_hour
        if problem.weights.overtime_per_hour else None,
        "penalties": pen,
        "routes_used": sum(1 for r in plan.routes if r.request_ids),
    }


def _routes_of(model: Any, problem: Any, nodes: list[list[int]]) -> dict[str, list[str]]:
    return {model.vehicles[v].id: [problem.requests[model.job_ids[j]].id for j in route]
            for v, route in enumerate(nodes) if route}


def run_day(name: str, day_seed: int, time_limit: float) -> dict[str, Any]:
    from benchmarks.peers import flat_from_problem, solve_with
    from fieldops.solver.dispatch import SolveParams, candidates, solve_dispatch
    from fieldops.solver.dispatch.construct import Constructor
    from fieldops.solver.dispatch.model import Model
    from fieldops.solver.dispatch.solve import evaluate_routes
    from fieldops.solver.dispatch.state import Candidate
    from fieldops.validators.dispatch import validate_plan

    n_jobs, n_techs, shape = SIZES[name]
    problem = build_day(shape, n_jobs, n_techs, day_seed)
    flat = flat_from_problem(problem)
    out: dict[str, Any] = {"instance": name, "day_seed": day_seed, "time_limit": time_limit,
                           "load_start": os.getloadavg()[0]}
    peer = solve_with("vroom", flat, time_limit, workers=1, seed=0)
    peer_routes = {flat.vehicle_ids[v]: [flat.job_ids[j] for j in r]
                   for v, r in enumerate(peer.routes) if r}
    out["vroom_peer"] = _summary(problem, evaluate_routes(problem, peer_routes))
    out["vroom_peer"]["elapsed"] = peer.elapsed
    out["vroom_peer"]["assigned_by_vroom"] = sum(len(r) for r in peer.routes)
    captured: dict[str, dict[str, list[str]]] = {}
    original = candidates.priced

    def capture(model: Model, builder: Constructor, name: str,
                routes_v: list[list[int]]) -> Candidate:
        cand = original(model, builder, name, routes_v)
        captured[f"{len(captured)}:{name}"] = _routes_of(model, problem, routes_v)
        return cand

    candidates.priced = capture
    started = time.monotonic()
    try:
        plan = solve_dispatch(problem, SolveParams(time_limit=time_limit, workers=1, seed=0))
    finally:
        candidates.priced = original
    out["elapsed"] = time.monotonic() - started
    out["load_end"] = os.getloadavg()[0]
    out["validated"] = not validate_plan(problem, plan)
    out["solver"] = {k: plan.solver.get(k) for k in (
        "engine", "engines", "construction_objective", "ruin_recreate", "objective_internal")}
    out["candidates"] = {k: _summary(problem, evaluate_routes(problem, r))
                         for k, r in captured.items()}
    out["final"] = _summary(problem, plan)
    return out


def solve_main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="one fieldops solve taken apart")
    parser.add_argument("--instances", nargs="+", default=["fd350", "downtown350"])
    parser.add_argument("--day-seed", type=int, nargs="+", default=[1])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--output", default="benchmarks/results/field_gap_solve.json")
    args = parser.parse_args(argv)
    runs = []
    for name in args.instances:
        for seed in args.day_seed:
            run = run_day(name, seed, args.time_limit)
            runs.append(run)
            rows = [("vroom_peer", run["vroom_peer"]), *run["candidates"].items(),
                    ("final", run["final"])]
            for label, summary in rows:
                _print(f"{name} s{seed}", label, summary)
    Path(args.output).write_text(json.dumps({"runs": runs}, indent=1, default=str))


# Objectives ruin and recreate is run under in ``--trades`` (what each term buys).
TRADES: dict[str, dict[str, Any]] = {
    "default": {},
    "overtime 0": {"overtime_per_hour": 0.0},
    "SLA 0": {"sla_lateness_per_hour": 0.0, "sla_breach_flat": 0.0},
    "travel only": {"sla_lateness_per_hour": 0.0, "sla_breach_flat": 0.0,
                    "overtime_per_hour": 0.0, "non_preferred": 0.0},
    # docs/dispatch.md: the default before issue 21's decision, still configurable
    "contract-first": {"sla_breach": 0.75, "sla_breach_flat": 0.0,
                       "sla_lateness_per_hour": 3600.0},
}


def trades(name: str, day_seed: int, vroom_seconds: float, ruin_seconds: float,
           labels: list[str] | None = None, seeds: int = 1) -> dict[str, Any]:
    """VROOM's plan (run here, ``vroom_seconds``) re-timed, then ruin and recreate for
    ``ruin_seconds`` under each objective of ``TRADES``; every result priced under
    the default objective."""
    from fieldops.solver.dispatch.construct import Constructor
    from fieldops.solver.dispatch.engines import vroom as vroom_engine
    from fieldops.solver.dispatch.engines.flat import flat_from_context
    from fieldops.solver.dispatch.model import build_model
    from fieldops.solver.dispatch.solve import evaluate_routes

    n_jobs, n_techs, shape = SIZES[name]
    problem = build_day(shape, n_jobs, n_techs, day_seed)
    model = build_model(problem, search_jobs=0)
    assert model.ctx is not None
    engine = vroom_engine.solve(flat_from_context(model.context), vroom_seconds, threads=1)
    out: dict[str, Any] = {"instance": name, "day_seed": day_seed, "load_start":
                           os.getloadavg()[0], "vroom_seconds": vroom_seconds,
                           "ruin_seconds": ruin_seconds, "results": {}}
    start_routes = Constructor(model.context).build(initial=engine.routes)
    out["results"]["vroom repaired"] = _summary(
        problem, evaluate_routes(problem, _routes_of(model, problem, start_routes)))
    for label, change in TRADES.items():
        if labels and label not in labels:
            continue
        for rr_seed in range(seeds):
            key = label if seeds == 1 else f"{label} #{rr_seed}"
            out["results"][key] = _ruined(problem, change, start_routes, ruin_seconds, rr_seed)
    out["load_end"] = os.getloadavg()[0]
    return out


def _ruined(problem: Any, change: dict[str, Any], start_routes: list[list[int]],
            ruin_seconds: float, rr_seed: int) -> dict[str, Any]:
    """``start_routes`` improved by ruin and recreate under the objective changed by
    ``change``, priced under the default one."""
    import dataclasses

    from fieldops.solver.dispatch.candidates import priced
    from fieldops.solver.dispatch.construct import Constructor
    from fieldops.solver.dispatch.improve import RuinRecreate
    from fieldops.solver.dispatch.model import build_model
    from fieldops.solver.dispatch.solve import evaluate_routes
    from fieldops.validators.dispatch import validate_plan

    posed = dataclasses.replace(problem, weights=dataclasses.replace(problem.weights, **change))
    m = build_model(posed, search_jobs=0)
    builder = Constructor(m.context)
    start = priced(m, builder, "start", builder.build(initial=start_routes, insert=False))
    search = RuinRecreate(builder, seed=rr_seed)
    best, stats = search.run(start.nodes, time.monotonic() + ruin_seconds)
    plan = evaluate_routes(problem, _routes_of(m, problem, best))
    summary = _summary(problem, plan)
    summary["iterations"] = stats.iterations
    summary["validated"] = not validate_plan(problem, plan)
    return summary


def _print(prefix: str, label: str, s: dict[str, Any]) -> None:
    byp = s["assigned_by_priority"]
    print(f"{prefix} {label:<38} obj {s['objective']:>12,.0f} "
          f"jobs {'/'.join(str(byp.get(p, 0)) for p in PRIORITIES)} "
          f"travel {s['travel_h']:6.2f} h late {s['sla_late'].get('all', 0):3d} "
          f"gold {s['sla_late'].get('gold', 0):3d} "
          f"ot {s['overtime_h'] or 0:5.1f} h "
          + ("" if "validated" not in s else f"valid {s['validated']} ") + "pen "
          + " ".join(f"{k}={v:,.0f}" for k, v in s["penalties"].items() if v), flush=True)


def _study_main(argv: list[str] | None, study: Callable[..., dict[str, Any]], *,
                description: str, choices: str, vroom_seconds: float, ruin_seconds: float,
                output: str) -> None:
    """The command line of a study run per day and seed (``trades``, ``posings``):
    ``study(name, seed, vroom_seconds, ruin_seconds, labels, rr_seeds)``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--instances", nargs="+", default=["fd350", "downtown350"])
    parser.add_argument("--day-seed", type=int, nargs="+", default=[1])
    parser.add_argument("--vroom-seconds", type=float, default=vroom_seconds)
    parser.add_argument("--ruin-seconds", type=float, default=ruin_seconds)
    parser.add_argument(f"--{choices}", dest="labels", nargs="*", default=None,
                        help=f"labels of {choices.upper()} to run")
    parser.add_argument("--rr-seeds", type=int, default=1)
    parser.add_argument("--output", default=output)
    args = parser.parse_args(argv)
    runs = []
    for name in args.instances:
        for seed in args.day_seed:
            run = study(name, seed, args.vroom_seconds, args.ruin_seconds, args.labels,
                        args.rr_seeds)
            runs.append(run)
            for label, s in run["results"].items():
                _print(f"{name} s{seed}", label, s)
    Path(args.output).write_text(json.dumps({"runs": runs}, indent=1, default=str))


def trades_main(argv: list[str] | None = None) -> None:
    _study_main(argv, trades, description="ruin and recreate under several objectives",
                choices="trades", vroom_seconds=30.0, ruin_seconds=25.0,
                output="benchmarks/results/field_gap_trades.json")


# How VROOM's candidate is posed in ``--posings`` (what each posing does to the plan).
POSINGS = ("as solved", "SLA due", "no overtime", "SLA due, no overtime")


def posed_flat(flat: Any, model: Any, posing: str) -> Any:
    """``flat`` (VROOM's view of the day) posed as ``posing`` says: every SLA deadline
    a hard latest start ("SLA due"), shifts ending at their end without overtime."""
    import dataclasses

    ctx = model.context
    if "SLA due" in posing:
        jobs = []
        for job, flat_job in zip(ctx.jobs, flat.jobs, strict=True):
            deadline = ctx.problem.sla_deadline(job)
            due = ctx.seconds(deadline) if deadline is not None else None
            jobs.append(dataclasses.replace(flat_job, due=due))
        flat = dataclasses.replace(flat, jobs=tuple(jobs))
    if "no overtime" in posing:
        flat = dataclasses.replace(flat, vehicles=tuple(
            dataclasses.replace(v, latest_end=v.soft_end) for v in flat.vehicles))
    return flat


def day_model(name: str, day_seed: int) -> tuple[Any, Any, Any]:
    """The day ``name`` of seed ``day_seed``: the problem, its model (no OR-Tools
    search model) and the model's integer view."""
    from fieldops.solver.dispatch.engines.flat import flat_from_context
    from fieldops.solver.dispatch.model import build_model

    n_jobs, n_techs, shape = SIZES[name]
    problem = build_day(shape, n_jobs, n_techs, day_seed)
    model = build_model(problem, search_jobs=0)
    return problem, model, flat_from_context(model.context)


def posings(name: str, day_seed: int, vroom_seconds: float, ruin_seconds: float,
            labels: list[str] | None = None, seeds: int = 1) -> dict[str, Any]:
    """VROOM posed each way of ``POSINGS`` (``vroom_seconds``), re-timed and repaired,
    then ruin and recreate under the default objective (``ruin_seconds``)."""
    from fieldops.solver.dispatch.construct import Constructor
    from fieldops.solver.dispatch.engines import vroom as vroom_engine

    problem, model, flat = day_model(name, day_seed)
    out: dict[str, Any] = {"instance": name, "day_seed": day_seed, "load_start":
                           os.getloadavg()[0], "vroom_seconds": vroom_seconds,
                           "ruin_seconds": ruin_seconds, "results": {}}
    for posing in POSINGS:
        if labels and posing not in labels:
            continue
        engine = vroom_engine.solve(posed_flat(flat, model, posing), vroom_seconds, threads=1)
        start = Constructor(model.context).build(initial=engine.routes)
        out["results"].update(start_and_ruins(problem, model, start, posing, ruin_seconds,
                                              seeds))
    out["load_end"] = os.getloadavg()[0]
    return out


def start_and_ruins(problem: Any, model: Any, start: list[list[int]], label: str,
                    ruin_seconds: float, seeds: int, suffix: str = ": +R&R",
                    ) -> dict[str, dict[str, Any]]:
    """``start`` priced and validated (``"<label>: repaired"``), then improved by
    ruin and recreate for ``ruin_seconds`` once per seed (``"<label><suffix> #<seed>"``)."""
    from fieldops.solver.dispatch.solve import evaluate_routes
    from fieldops.validators.dispatch import validate_plan

    plan = evaluate_routes(problem, _routes_of(model, problem, start))
    results = {f"{label}: repaired": {**_summary(problem, plan),
                                      "validated": not validate_plan(problem, plan)}}
    for rr_seed in range(seeds):
        key = f"{label}{suffix}" + ("" if seeds == 1 else f" #{rr_seed}")
        results[key] = _ruined(problem, {}, start, ruin_seconds, rr_seed)
    return results


def posings_main(argv: list[str] | None = None) -> None:
    _study_main(argv, posings, description="VROOM's candidate posed several ways",
                choices="posings", vroom_seconds=20.0, ruin_seconds=20.0,
                output="benchmarks/results/field_gap_posings.json")


def aim_run(name: str, day_seed: int, time_limit: float, full_aim: bool) -> dict[str, Any]:
    """One fieldops solve; ``full_aim``: VROOM's child aims at its whole budget
    whatever the load (``vroom.CROWDING_EXPONENT`` 0) instead of budget ÷ √(load
    per CPU)."""
    from fieldops.solver.dispatch import SolveParams, solve_dispatch
    from fieldops.solver.dispatch.engines import vroom as vroom_engine
    from fieldops.validators.dispatch import validate_plan

    n_jobs, n_techs, shape = SIZES[name]
    problem = build_day(shape, n_jobs, n_techs, day_seed)
    if full_aim:
        vroom_engine.CROWDING_EXPONENT = 0.0
    out: dict[str, Any] = {"instance": name, "day_seed": day_seed, "full_aim": full_aim,
                           "load_start": os.getloadavg()[0]}
    started = time.monotonic()
    plan = solve_dispatch(problem, SolveParams(time_limit=time_limit, workers=1, seed=0))
    out["elapsed"] = time.monotonic() - started
    out["load_end"] = os.getloadavg()[0]
    out["validated"] = not validate_plan(problem, plan)
    engines: Any = plan.solver.get("engines") or {}
    out["vroom_seconds"] = engines.get("vroom", {}).get("seconds")
    out["ruin_recreate"] = plan.solver.get("ruin_recreate")
    out["final"] = _summary(problem, plan)
    return out


def aim_main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="VROOM's aim on a loaded machine")
    parser.add_argument("--instances", nargs="+", default=["hubs1000"])
    parser.add_argument("--day-seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--output", default="benchmarks/results/field_gap_aim.json")
    args = parser.parse_args(argv)
    from benchmarks import _harness as h

    runs = []
    for name in args.instances:
        for i in range(2 * args.pairs):  # alternating: base, full, full, base, ...
            full = (i % 4) in (1, 2)
            run = h.run_isolated(aim_run, name, args.day_seed, args.time_limit, full)
            runs.append(run)
            if "final" in run:
                _print(f"{name} s{args.day_seed} load {run['load_start']:.1f} "
                       f"{run['elapsed']:.1f} s vroom {run['vroom_seconds']} s "
                       f"valid {run['validated']}", "full aim" if full else "base",
                       run["final"])
    Path(args.output).write_text(json.dumps({"runs": runs}, indent=1, default=str))


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    experiments = {"solve": solve_main, "trades": trades_main, "posings": posings_main,
                   "aim": aim_main}
    if not argv or argv[0] not in experiments:
        raise SystemExit(f"usage: python -m benchmarks.field_gap {{{','.join(experiments)}}} "
                         "[options]")
    experiments[argv[0]](argv[1:])


if __name__ == "__main__":
    main()
