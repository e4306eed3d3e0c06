"""What every benchmark suite shares: isolated runs, machine info, tables, JSON."""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks._data import add_data_dir_argument

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parent.parent


def common_arguments(description: str, default_limit: float) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--time-limit",
        type=float,
        default=default_limit,
        help="seconds per run (default %(default)s)",
    )
    parser.add_argument(
        "--instances", nargs="*", default=None, help="names or globs (default: the whole suite)"
    )
    parser.add_argument(
        "--peers",
        default="",
        help="comma-separated peers to run in the same session: ortools,vroom,pyvrp",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="threads each solver may use (default 1)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-fieldops", action="store_true", help="run the peers only")
    parser.add_argument("--output", type=Path, default=None, help="results JSON path")
    add_data_dir_argument(parser)
    return parser


def peers_from(arg: str, allowed: Sequence[str]) -> list[str]:
    peers = [p.strip() for p in arg.split(",") if p.strip()]
    for p in peers:
        if p not in allowed:
            raise SystemExit(f"unknown peer {p!r}: choose from {', '.join(allowed)}")
    return peers


def _child(fn: Callable[..., dict[str, Any]], args: tuple[Any, ...]) -> dict[str, Any]:
    result = fn(*args)
    # ru_maxrss is in KiB on Linux: the peak resident memory of this run's process.
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def run_isolated(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run ``fn(*args)`` in a fresh process so its peak memory is its own."""
    # An executor's worker is not a daemon, so a run may start processes of its own
    # (fieldops' portfolio with --workers > 1); a multiprocessing.Pool's may not.
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        try:
            return pool.submit(_child, fn, args).result()
        except Exception as exc:  # a crashed run is a result too, not the end of the suite
            return {"error": f"{type(exc).__name__}: {exc}"}


def machine_info() -> dict[str, Any]:
    cpu: str = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for pkg in ("fieldops", "ortools", "pyvroom", "pyvrp", "numpy"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = None, None
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "versions": versions,
        "git_commit": commit,
        "git_dirty": dirty,
    }


def geometric_mean_gap(gaps: Sequence[float]) -> float | None:
    """exp(mean(log(1 + gap))) − 1 over the given gaps (fractions)."""
    if not gaps:
        return None
    return math.exp(sum(math.log1p(g) for g in gaps) / len(gaps)) - 1


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def write_results(suite: str, payload: dict[str, Any], path: Path | None = None) -> Path:
    target = path or RESULTS / f"{suite}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(payload, indent=1, default=str) + "\n", encoding="utf-8")
    return target


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self) -> float:
        return time.perf_counter() - self.start


def timed_solve(problem: Any, time_limit: float, workers: int, seed: int,
                out: dict[str, Any]) -> Any:
    """Run fieldops' solver; record ``elapsed`` and ``first_solution`` (seconds, wall
    and CPU) and the load average in ``out``."""
    from fieldops.solver.dispatch import Progress, SolveParams, solve_dispatch

    first: list[float] = []
    clock = Stopwatch()
    cpu = time.process_time()

    def on_progress(p: Progress) -> None:
        if not first:
            # Wall and CPU seconds (this process, every thread): on a crowded
            # machine the wall time is mostly waiting for a core, the CPU time not.
            first.extend((clock(), time.process_time() - cpu, os.getloadavg()[0]))

    plan = solve_dispatch(
        problem,
        SolveParams(time_limit=time_limit, workers=workers, seed=seed),
        progress=on_progress,
    )
    out["elapsed"] = clock()
    out["cpu_seconds"] = time.process_time() - cpu
    out["first_solution"] = first[0] if first else None
    out["first_solution_cpu"] = first[1] if first else None
    out["load_at_first_solution"] = first[2] if first else None
    out["load_at_end"] = os.getloadavg()[0]
    return plan
