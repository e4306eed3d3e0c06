"""How fast ruin and recreate iterates from VROOM's plan, and what it decides.

Two steps, so that base and head start from the very same plan:

* ``python -m benchmarks.ruin_speed cache --instances fd350 downtown350 fd1000
  --day-seed 1``: VROOM (in its child, one thread, ``--vroom-seconds``) solves each
  day once; its routes (model job nodes per vehicle) go to ``--cache``.
* ``python -m benchmarks.ruin_speed run --instances ... --seconds 15``: VROOM's
  routes re-timed and repaired by the construction, then
  :class:`~fieldops.solver.dispatch.improve.RuinRecreate` (search seed ``--seed``)
  for ``--seconds`` of wall time: iterations per second and the final cost. With
  ``--iterations N`` instead, the search's clock is replaced by a counter (one
  tick per look), so that it runs a fixed number of iterations whatever the
  machine's speed: the CPU seconds they took, and a hash of the routes it ends
  with (same hash on two sides: same decisions).

Every final plan is re-timed by :func:`~fieldops.solver.dispatch.solve.evaluate_routes`
and checked by :func:`fieldops.validators.dispatch.validate_plan`. Prints one
JSON line per run and appends it to ``--output``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from benchmarks.day_shapes import build_day
from benchmarks.field_days import SIZES

CACHE = Path("/tmp/ruin_speed_cache")


class _Ticks:
    """A stand-in for the ``time`` module in :mod:`.improve`: ``monotonic()``
    counts its calls, so that a run's temperature and deadline follow iterations."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        self.now += 1.0
        return self.now


def _day(name: str, day_seed: int) -> tuple[Any, Any]:
    from fieldops.solver.dispatch.model import build_model

    n_jobs, n_techs, shape = SIZES[name]
    problem = build_day(shape, n_jobs, n_techs, day_seed)
    model = build_model(problem, search_jobs=0)
    assert model.ctx is not None
    return problem, model


def cache(name: str, day_seed: int, vroom_seconds: float, where: Path) -> None:
    from fieldops.solver.dispatch.engines import vroom as vroom_engine
    from fieldops.solver.dispatch.engines.flat import flat_from_context

    _, model = _day(name, day_seed)
    engine = vroom_engine.solve(flat_from_context(model.context), vroom_seconds, threads=1)
    where.mkdir(parents=True, exist_ok=True)
    path = where / f"{name}_s{day_seed}.json"
    path.write_text(json.dumps({"routes": engine.routes, "vroom_seconds": vroom_seconds}))
    print(f"{name} s{day_seed}: {sum(len(r) for r in engine.routes)} jobs routed -> {path}")


def run(name: str, day_seed: int, where: Path, seconds: float, iterations: int | None,
        seed: int) -> dict[str, Any]:
    from fieldops.solver.dispatch import improve
    from fieldops.solver.dispatch.construct import Constructor
    from fieldops.solver.dispatch.solve import evaluate_routes
    from fieldops.validators.dispatch import validate_plan

    problem, model = _day(name, day_seed)
    vroom_routes = json.loads((where / f"{name}_s{day_seed}.json").read_text())["routes"]
    builder = Constructor(model.context)
    start = builder.build(initial=vroom_routes)
    search = improve.RuinRecreate(builder, seed=seed)
    load = os.getloadavg()[0]
    cpu = time.process_time()
    if iterations is None:
        best, stats = search.run(start, time.monotonic() + seconds)
    else:
        real = improve.time
        ticks = _Ticks()
        improve.time = ticks  # type: ignore[assignment]
        try:
            best, stats = search.run(start, float(iterations))
        finally:
            improve.time = real
    cpu = time.process_time() - cpu
    routes = {model.vehicles[v].id: [problem.requests[model.job_ids[j]].id for j in r]
              for v, r in enumerate(best) if r}
    plan = evaluate_routes(problem, routes)
    violations = validate_plan(problem, plan)
    return {
        "instance": name, "day_seed": day_seed, "search_seed": seed,
        "mode": "iterations" if iterations is not None else "seconds",
        "iterations": stats.iterations, "cpu_seconds": round(cpu, 3),
        "wall_seconds": round(stats.seconds, 3) if iterations is None else None,
        "iterations_per_cpu_second": round(stats.iterations / max(cpu, 1e-9), 1),
        "iterations_per_second": (round(stats.iterations / max(stats.seconds, 1e-9), 1)
                                  if iterations is None else None),
        "start_cost": stats.start_cost, "best_cost": stats.best_cost,
        "routes_hash": hashlib.sha256(json.dumps(best).encode()).hexdigest()[:16],
        "jobs_routed": sum(len(r) for r in best),
        "repaired_jobs": plan.solver.get("repaired_jobs"),
        "valid": not violations, "violations": len(violations),
        "load_start": load, "load_end": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("cache", "run"))
    parser.add_argument("--instances", nargs="+", default=["fd350", "downtown350", "fd1000"])
    parser.add_argument("--day-seed", type=int, nargs="+", default=[1])
    parser.add_argument("--vroom-seconds", type=float, default=30.0)
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--label", default="", help="recorded with each run (base, head)")
    parser.add_argument("--output", type=Path, default=None, help="JSON lines appended")
    args = parser.parse_args(argv)
    for name in args.instances:
        for day_seed in args.day_seed:
            if args.step == "cache":
                cache(name, day_seed, args.vroom_seconds, args.cache)
                continue
            result = run(name, day_seed, args.cache, args.seconds, args.iterations, args.seed)
            result["label"] = args.label
            line = json.dumps(result)
            print(line, flush=True)
            if args.output is not None:
                args.output.parent.mkdir(parents=True, exist_ok=True)
                with args.output.open("a") as out:
                    out.write(line + "\n")


if __name__ == "__main__":
    main()
