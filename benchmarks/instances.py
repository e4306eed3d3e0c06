"""Loaders for the VRPTW benchmark instances (Solomon, Gehring–Homberger).

Where the files are: ``vrptw/`` under the benchmark data directory
(:func:`benchmarks._data.data_dir`: ``$FIELDOPS_BENCHMARK_DATA`` or ``--data-dir``,
default ``<repo>/../shared/benchmarks``; see its README).

Mapping a VRPTW instance onto a :class:`~fieldops.domain.DispatchProblem`
------------------------------------------------------------------------
* **Time**: one instance time unit is one minute, counted from an arbitrary
  midnight (2026-01-05T00:00Z, time zone UTC). Travel time equals the Euclidean
  distance, so an arc of length ``d`` takes ``60·d`` seconds. The solver works in
  whole seconds, so the matrix holds ``ceil(60·d)`` seconds: never shorter than the
  exact time, hence every plan feasible with the matrix is feasible with exact
  real-valued times (the price is < 1 s of slack per arc, i.e. < 1/60 of a unit).
* **Distance**: one unit is 1 000 m, and the matrix holds ``1000·d`` metres
  unrounded. Benchmark costs are never read back from the plan's metres: the
  harness recomputes each plan's distance from the raw floating-point Euclidean
  distances of the instance (:func:`route_distance`), which is what best-known
  values are quoted in.
* **Jobs**: customer ``i`` becomes request ``c<i>`` at ``matrix_index = i`` with
  one appointment window ``[ready, due]`` for the *start* of service, duration
  ``service`` minutes, load ``demand``, priority normal, no skills.
* **Vehicles**: the instance's vehicle count (25 for Solomon), each one technician
  ``v<k>`` living at the depot (``matrix_index = 0``) with van capacity
  ``capacity`` and one shift ``[depot ready, depot due]``, no lunch, no overtime.
* **Coordinates** for display are fake but valid: ``lat = 0.001·y``,
  ``lon = 0.001·x`` degrees.
"""

from __future__ import annotations

import csv
import fnmatch
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from benchmarks._data import data_dir
from fieldops.domain import (
    DispatchProblem,
    Location,
    Priority,
    ServiceRequest,
    Shift,
    Technician,
    TimeWindow,
    TravelMatrix,
    TravelSettings,
)

EPOCH = datetime(2026, 1, 5, tzinfo=UTC)
SECONDS_PER_UNIT = 60
METRES_PER_UNIT = 1000.0
DEGREES_PER_UNIT = 0.001

FloatArray = npt.NDArray[np.float64]


def vrptw_dir() -> Path:
    return data_dir() / "vrptw"


@dataclass(frozen=True)
class VrptwInstance:
    """A VRPTW instance as read from the file; node 0 is the depot."""

    name: str
    vehicles: int
    capacity: float
    coords: FloatArray  # (n+1, 2): x, y
    demand: FloatArray
    ready: FloatArray
    due: FloatArray
    service: FloatArray

    @property
    def n_customers(self) -> int:
        return len(self.coords) - 1

    @property
    def distances(self) -> FloatArray:
        """Real-valued Euclidean distances between all nodes (the benchmark metric)."""
        return _euclid(self.coords)


def _euclid(coords: FloatArray) -> FloatArray:
    diff = coords[:, None, :] - coords[None, :, :]
    return np.sqrt((diff**2).sum(axis=2))


def parse_vrptw(path: str | Path) -> VrptwInstance:
    """Read a Solomon / Gehring–Homberger text file."""
    path = Path(path)
    lines = [ln.split() for ln in path.read_text().splitlines()]
    lines = [ln for ln in lines if ln]
    name = lines[0][0]
    vehicles = capacity = None
    rows: list[list[float]] = []
    for i, tokens in enumerate(lines):
        if tokens[0].upper() == "NUMBER" and vehicles is None:
            vehicles, capacity = int(lines[i + 1][0]), float(lines[i + 1][1])
        elif len(tokens) == 7 and all(_is_number(t) for t in tokens):
            rows.append([float(t) for t in tokens])
    if vehicles is None or capacity is None or not rows:
        raise ValueError(f"{path}: not a Solomon-format VRPTW file")
    data = np.array(rows, dtype=np.float64)
    if list(data[:, 0].astype(int)) != list(range(len(data))):
        raise ValueError(f"{path}: customers are not numbered 0..n in order")
    return VrptwInstance(
        name=name.upper(),
        vehicles=vehicles,
        capacity=capacity,
        coords=data[:, 1:3].copy(),
        demand=data[:, 3].copy(),
        ready=data[:, 4].copy(),
        due=data[:, 5].copy(),
        service=data[:, 6].copy(),
    )


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _minutes(value: float) -> datetime:
    return EPOCH + timedelta(minutes=float(value))


def to_problem(inst: VrptwInstance) -> DispatchProblem:
    """The :class:`DispatchProblem` of a VRPTW instance (mapping in the module doc)."""
    dist = inst.distances
    durations = np.ceil(dist * SECONDS_PER_UNIT - 1e-9)
    metres = dist * METRES_PER_UNIT
    matrix = TravelMatrix(
        durations=tuple(map(tuple, durations.tolist())),
        distances=tuple(map(tuple, metres.tolist())),
    )

    def loc(i: int) -> Location:
        x, y = inst.coords[i]
        return Location(float(y) * DEGREES_PER_UNIT, float(x) * DEGREES_PER_UNIT, matrix_index=i)

    depot = loc(0)
    width = len(str(inst.vehicles))
    techs = tuple(
        Technician(id=f"v{k:0{width}d}", name=f"vehicle {k}", home=depot, capacity=inst.capacity)
        for k in range(1, inst.vehicles + 1)
    )
    shifts = tuple(
        Shift(
            id=f"s{t.id[1:]}",
            technician_id=t.id,
            start=_minutes(inst.ready[0]),
            end=_minutes(inst.due[0]),
        )
        for t in techs
    )
    requests = tuple(
        ServiceRequest(
            id=f"c{i}",
            location=loc(i),
            duration=timedelta(minutes=float(inst.service[i])),
            windows=(TimeWindow(_minutes(inst.ready[i]), _minutes(inst.due[i])),),
            priority=Priority.NORMAL,
            load=float(inst.demand[i]),
        )
        for i in range(1, len(inst.coords))
    )
    horizon_end = _minutes(math.ceil(inst.due[0] / 1440.0 + 1) * 1440)
    return DispatchProblem(
        horizon=TimeWindow(EPOCH, horizon_end),
        timezone="UTC",
        technicians=techs,
        shifts=shifts,
        requests=requests,
        travel=TravelSettings(provider="matrix", matrix=matrix),  # type: ignore[arg-type]
        name=inst.name,
    )


def customer_index(request_id: str) -> int:
    """Node number of a request made by :func:`to_problem` (``"c17"`` → 17)."""
    return int(request_id[1:])


def route_distance(inst: VrptwInstance, customers: list[int]) -> float:
    """Depot → customers → depot length in raw Euclidean units (0 for an empty route)."""
    if not customers:
        return 0.0
    nodes = [0, *customers, 0]
    xy = inst.coords[nodes]
    return float(np.sqrt(((xy[1:] - xy[:-1]) ** 2).sum(axis=1)).sum())


def check_routes(inst: VrptwInstance, routes: list[list[int]], eps: float = 1e-6) -> list[str]:
    """Independent VRPTW feasibility check in exact floating point (used for peers too).

    Returns a list of problems: customers missing or repeated, capacity exceeded,
    service starting after the due time, return after the depot's due time, more
    routes than vehicles.
    """
    issues: list[str] = []
    seen: dict[int, int] = {}
    if sum(1 for r in routes if r) > inst.vehicles:
        issues.append(f"{sum(1 for r in routes if r)} routes > {inst.vehicles} vehicles")
    dist = inst.distances
    for k, route in enumerate(routes):
        if not route:
            continue
        load = sum(float(inst.demand[c]) for c in route)
        if load > inst.capacity + eps:
            issues.append(f"route {k}: load {load:g} > capacity {inst.capacity:g}")
        t, prev = float(inst.ready[0]), 0
        for c in route:
            seen[c] = seen.get(c, 0) + 1
            t = max(t + dist[prev, c], float(inst.ready[c]))
            if t > inst.due[c] + eps:
                issues.append(f"route {k}: customer {c} starts at {t:.3f} > due {inst.due[c]:g}")
            t += float(inst.service[c])
            prev = c
        t += dist[prev, 0]
        if t > inst.due[0] + eps:
            issues.append(f"route {k}: back at {t:.3f} > depot due {inst.due[0]:g}")
    for c in range(1, inst.n_customers + 1):
        if seen.get(c, 0) != 1:
            issues.append(f"customer {c} served {seen.get(c, 0)} times")
    return issues


# ---------------------------------------------------------------- instance sets
def solomon_files() -> dict[str, Path]:
    folder = vrptw_dir() / "solomon"
    return {p.stem.upper(): p for p in sorted(folder.glob("*.txt"))}


def homberger_files(size: int = 1000) -> dict[str, Path]:
    folder = vrptw_dir() / "homberger" / f"homberger_{size}"
    return {p.stem.upper(): p for p in sorted(folder.glob("*.txt"))}


def select(names: dict[str, Path], patterns: list[str] | None) -> dict[str, Path]:
    """Instances whose name matches any of ``patterns`` (case-insensitive globs)."""
    if not patterns:
        return dict(names)
    chosen = {
        n: p
        for n, p in names.items()
        if any(fnmatch.fnmatchcase(n.upper(), pat.upper()) for pat in patterns)
    }
    if not chosen:
        raise SystemExit(f"no instance matches {patterns}")
    return chosen


@cache
def solomon_reference() -> dict[str, float]:
    """Distance-only reference values for Solomon (``solomon_distance_reference.csv``)."""
    path = vrptw_dir() / "solomon_distance_reference.csv"
    with path.open() as fh:
        return {
            row["instance"].upper(): float(row["reference_distance"]) for row in csv.DictReader(fh)
        }


# The exact literature's distance-only optima of Solomon instances, each arc's length
# truncated to one decimal (as tabulated on M. Solomon's benchmark pages; the C, R1
# and RC classes). Truncating an arc never lengthens it and never makes a window
# harder to meet, so such an optimum is a lower bound on the floating-point optimum.
SOLOMON_OPTIMA = Path(__file__).with_name("solomon_optima.csv")


@cache
def solomon_truncated_optima() -> dict[str, float]:
    """Proven optima under one-decimal truncation (:data:`SOLOMON_OPTIMA`), by name."""
    with SOLOMON_OPTIMA.open() as fh:
        return {row["instance"].upper(): float(row["truncated_optimum"])
                for row in csv.DictReader(fh)}


def solomon_reference_checked(name: str) -> tuple[float, str]:
    """The Solomon reference for ``name`` and where it came from, checked against the
    proven lower bound.

    A listed reference below the instance's truncated optimum cannot be the length
    of a plan feasible in floating point (R109's 1 101.37 against 1 146.9; RC103's
    1 249.86 against 1 258.0): the bound replaces it. A gap against a lower bound
    overstates the true gap, never understates it.
    """
    listed = solomon_reference()[name.upper()]
    bound = solomon_truncated_optima().get(name.upper())
    if bound is not None and listed < bound:
        return bound, (f"solomon_optima.csv lower bound (the listed {listed:g} "
                       "is below the proven truncated optimum)")
    return listed, "solomon_distance_reference.csv"


@cache
def _bks() -> dict[str, dict[str, object]]:
    data: dict[str, dict[str, object]] = json.loads((vrptw_dir() / "bks.json").read_text())
    return {k.upper(): v for k, v in data.items()}


def read_solution(path: str | Path) -> list[list[int]]:
    """Routes of a ``.sol`` file (``Route #k: c1 c2 ...``)."""
    routes: list[list[int]] = []
    for line in Path(path).read_text().splitlines():
        if line.startswith("Route"):
            routes.append([int(t) for t in line.split(":", 1)[1].split()])
    return routes


def homberger_reference(inst: VrptwInstance) -> tuple[float, str]:
    """The distance reference of a Gehring–Homberger instance and where it came from.

    1 000 customers: the distance-only best-known routes re-evaluated in floating
    point, or ``bks.json``'s hierarchical best known when that is shorter (it is a
    feasible plan as well: C1_10_1's hierarchical 42 478.95 beats the listed
    distance-only routes' 42 479.08). Other sizes: the hierarchical best known (an
    upper bound on the distance-only optimum, so gaps against it can be negative).
    """
    hierarchical = float(_bks()[inst.name]["best_known_cost"])  # type: ignore[arg-type]
    sol = vrptw_dir() / "homberger" / "distance_bks_1000" / f"{inst.name}.sol"
    if sol.exists():
        routes = read_solution(sol)
        value = sum(route_distance(inst, r) for r in routes)
        # The hierarchical best known is a feasible plan too; keep the shorter.
        if value <= hierarchical:
            return value, "distance_bks_1000 .sol (float re-eval)"
    return hierarchical, "bks.json hierarchical"


def solomon_bks_vehicles(name: str) -> int:
    return int(_bks()[name.upper()]["vehicles"])  # type: ignore[call-overload]
