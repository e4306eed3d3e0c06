"""Field-day results over several seeds: fieldops against VROOM, and each phase's share.

Run ``python -m benchmarks.field_days_summary benchmarks/results/field_days_shapes350.json``
on what ``benchmarks.field_days`` wrote. Per day (shape and size) it pairs the
fieldops run of each seed with the VROOM run of the same seed and prints, as
medians over the seeds: the difference in jobs at each priority, in SLA-late jobs
(all tiers, and gold), and the travel ratio; then, for the fieldops runs, the
objective of the search's model after each phase (construction, the engine's
plan re-timed and repaired, ruin and recreate's best) as a share of the
construction's, and which candidate the plan came from.
Markdown, to paste into ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

PRIORITIES = ("critical", "high", "normal", "low")


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def pairs(runs: list[dict[str, Any]]) -> dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]:
    """Per day: (fieldops run, VROOM run) of each seed that both finished."""
    out: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for run in runs:
        if run.get("solver") != "fieldops" or "error" in run:
            continue
        peer = next((r for r in runs if r.get("solver") == "vroom" and "error" not in r
                     and r["instance"] == run["instance"]
                     and r.get("day_seed") == run.get("day_seed")), None)
        if peer is not None:
            out.setdefault(run["instance"], []).append((run, peer))
    return out


def versus_table(runs: list[dict[str, Any]]) -> list[str]:
    lines = ["| day | seeds | jobs c/h/n/l vs VROOM | SLA late (fieldops / VROOM) | gold late "
             "| travel h (fieldops / VROOM) | travel ratio | all valid |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for day, both in pairs(runs).items():
        diffs = ["{:+g}".format(_median([float(f["assigned_by_priority"][p]
                                               - v["assigned_by_priority"][p])
                                         for f, v in both])) for p in PRIORITIES]
        late_f = _median([float(f.get("sla_late", {}).get("all", 0)) for f, _ in both])
        late_v = _median([float(v.get("sla_late", {}).get("all", 0)) for _, v in both])
        gold_f = _median([float(f.get("sla_late", {}).get("gold", 0)) for f, _ in both])
        gold_v = _median([float(v.get("sla_late", {}).get("gold", 0)) for _, v in both])
        travel_f = _median([f["travel_h"] for f, _ in both])
        travel_v = _median([v["travel_h"] for _, v in both])
        ratio = _median([f["travel_h"] / v["travel_h"] for f, v in both if v["travel_h"]])
        valid = all(f.get("validated") for f, _ in both)
        lines.append(f"| {day} | {len(both)} | {'/'.join(diffs)} | {late_f:g} / {late_v:g} | "
                     f"{gold_f:g} / {gold_v:g} | {travel_f:.1f} / {travel_v:.1f} | "
                     f"×{ratio:.3f} | {'yes' if valid else 'NO'} |")
    return lines


def phases_table(runs: list[dict[str, Any]]) -> list[str]:
    lines = ["| day | seed | construction | engine re-timed | ruin and recreate "
             "| plan returned by |", "| --- | --- | --- | --- | --- | --- |"]
    for run in runs:
        if run.get("solver") != "fieldops" or "error" in run:
            continue
        info = run.get("solver_info") or {}
        base = info.get("construction_objective")
        if not base:
            continue
        engines = run.get("engines") or {}
        engine = next(iter(engines.values()), {}) if engines else {}
        rr = info.get("ruin_recreate") or {}

        def share(value: float | None, base: float = base) -> str:
            return "–" if value is None else f"{value / base:.3f}"
        lines.append(
            f"| {run['instance']} | {run.get('day_seed')} | 1 | "
            f"{share(engine.get('objective_internal'))}"
            f"{' (failed)' if engine.get('error') else ''} | "
            f"{share(rr.get('best_objective'))} | {run.get('engine')} |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("results", type=Path, nargs="+")
    args = parser.parse_args(argv)
    runs: list[dict[str, Any]] = []
    for path in args.results:
        runs += json.loads(path.read_text())["runs"]
    print("\n".join(versus_table(runs)))
    print()
    print("\n".join(phases_table(runs)))


if __name__ == "__main__":
    main()
