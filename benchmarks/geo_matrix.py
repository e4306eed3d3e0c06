"""Benchmark: building the geodesic travel matrix that every dispatch solve needs.

Run ``python -m benchmarks.geo_matrix``. Builds the matrix for random locations in a
25 km × 25 km metro area with :func:`fieldops.geo.build_matrix` (default settings:
geodesic × 1.3 at 30 km/h), ``--runs`` times per size, and prints median and minimum
wall time. The baseline is measured in the same run: geopy's exact
:func:`geopy.distance.geodesic` in a Python double loop over a small subset, timed per
pair and extrapolated to n² pairs. The same subset gives the accuracy column (largest
relative difference to geopy). Results go to ``benchmarks/results/geo_matrix.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
from geopy.distance import geodesic
from rich.console import Console
from rich.table import Table

from fieldops.domain import Location, TravelSettings
from fieldops.geo import build_matrix

RESULTS = Path(__file__).resolve().parent / "results" / "geo_matrix.json"
CENTRE = (48.8566, 2.3522)  # any mid-latitude city will do; Paris
SIDE_KM = 25.0


def metro_locations(n: int, seed: int, depot_share: float = 0.0) -> list[Location]:
    """``n`` uniform random points in a SIDE_KM square around CENTRE.

    ``depot_share`` of them are copies of one depot, as in a day where many routes
    start and end at the same place.
    """
    rng = np.random.default_rng(seed)
    half_lat = SIDE_KM / 2 / 111.32
    half_lon = half_lat / np.cos(np.radians(CENTRE[0]))
    lat = CENTRE[0] + rng.uniform(-half_lat, half_lat, n)
    lon = CENTRE[1] + rng.uniform(-half_lon, half_lon, n)
    n_depot = int(n * depot_share)
    lat[:n_depot], lon[:n_depot] = CENTRE
    return [Location(float(a), float(b)) for a, b in zip(lat, lon, strict=True)]


def time_build(locations: list[Location], runs: int) -> list[float]:
    settings = TravelSettings()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        build_matrix(settings, locations)
        times.append(time.perf_counter() - start)
    return times


def geopy_baseline(locations: list[Location]) -> tuple[float, float]:
    """Seconds per pair of a geopy double loop, and our worst relative error on it."""
    pts = [(p.lat, p.lon) for p in locations]
    start = time.perf_counter()
    ref = np.array([[geodesic(a, b).meters for b in pts] for a in pts])
    elapsed = time.perf_counter() - start
    ours = build_matrix(TravelSettings(detour_factor=1.0), locations).distances
    off = ~np.eye(len(pts), dtype=bool)
    rel_err = float(np.max(np.abs(ours[off] - ref[off]) / ref[off]))
    return elapsed / len(pts) ** 2, rel_err


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-n", type=int, default=80,
                        help="locations in the geopy subset (n² pairs)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    console = Console()
    per_pair_geopy, rel_err = geopy_baseline(metro_locations(args.baseline_n, args.seed + 99))
    cases = [(n, 0.0) for n in args.sizes] + [(max(args.sizes), 0.25)]
    rows = []
    for n, depot_share in cases:
        locs = metro_locations(n, args.seed, depot_share)
        build_matrix(TravelSettings(), locs)  # warm-up: first-touch page faults, imports
        times = time_build(locs, args.runs)
        median = statistics.median(times)
        geopy_est = per_pair_geopy * n * n
        rows.append({
            "n": n,
            "depot_share": depot_share,
            "runs": args.runs,
            "median_s": median,
            "min_s": min(times),
            "geopy_extrapolated_s": geopy_est,
            "speedup_vs_geopy": geopy_est / median,
        })

    table = Table(title=f"fieldops.geo.build_matrix, geodesic, {SIDE_KM:g} km metro area")
    for col in ("n", "depot copies", f"median s ({args.runs} runs)", "min s",
                "geopy loop s (extrapolated)", "speed-up"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(
            str(r["n"]), f"{r['depot_share']:.0%}", f"{r['median_s']:.3f}", f"{r['min_s']:.3f}",
            f"{r['geopy_extrapolated_s']:.0f}", f"{r['speedup_vs_geopy']:.0f}×",
        )
    console.print(table)
    console.print(
        f"geopy baseline: {per_pair_geopy * 1e6:.1f} µs per pair, measured on "
        f"{args.baseline_n}² pairs in this run; largest relative difference of our "
        f"distances to geopy on those pairs: {rel_err:.2e}"
    )

    result = {
        "benchmark": "geo_matrix",
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "numpy": np.__version__, "cpus": os.cpu_count()},
        "area": {"centre": CENTRE, "side_km": SIDE_KM},
        "baseline": {"method": "geopy.distance.geodesic double loop, extrapolated per pair",
                     "n": args.baseline_n, "seconds_per_pair": per_pair_geopy,
                     "max_relative_difference": rel_err},
        "rows": rows,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
