"""The field-day shapes of the benchmarks (``benchmarks/day_shapes.py``): each is
reproducible, has the geometry it claims, and a solved day passes the validator."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import day_shapes as ds
from benchmarks.field_days import SIZES
from fieldops.domain.problem import TravelProvider
from fieldops.solver.dispatch import SolveParams, solve_dispatch
from fieldops.validators.dispatch import assert_valid

JOBS, TECHS, SEED = 40, 6, 3


def _km_from_centre(lat: float, lon: float) -> float:
    dy = (lat - ds._CENTRE[0]) * ds._KM_PER_DEG_LAT
    dx = (lon - ds._CENTRE[1]) * ds._KM_PER_DEG_LAT * math.cos(math.radians(ds._CENTRE[0]))
    return math.hypot(dx, dy)


@pytest.mark.parametrize("shape", sorted(ds.SHAPES))
def test_every_shape_is_the_same_day_for_the_same_seed_and_solves_validly(shape: str) -> None:
    day = ds.build_day(shape, JOBS, TECHS, SEED)
    assert day == ds.build_day(shape, JOBS, TECHS, SEED)
    assert day != ds.build_day(shape, JOBS, TECHS, SEED + 1)
    assert len(day.requests) == JOBS and len(day.technicians) == TECHS
    plan = solve_dispatch(day, SolveParams(time_limit=1))
    assert_valid(day, plan)
    assert plan.kpis.jobs_assigned > 0


def test_rural_day_spreads_over_its_radius_and_downtown_stays_in_its_square() -> None:
    rural = ds.build_day("rural", JOBS, TECHS, SEED)
    far = max(_km_from_centre(r.location.lat, r.location.lon) for r in rural.requests)
    assert 20 < far <= ds.RURAL_RADIUS_KM + 0.1
    downtown = ds.build_day("downtown", JOBS, TECHS, SEED)
    half_diagonal = ds.DOWNTOWN_SIDE_KM / math.sqrt(2)
    assert all(_km_from_centre(r.location.lat, r.location.lon) <= half_diagonal + 0.1
               for r in downtown.requests)


def test_downtown_adds_parking_to_every_visit() -> None:
    metro = ds.build_day("metro", JOBS, TECHS, SEED)
    downtown = ds.build_day("downtown", JOBS, TECHS, SEED)
    for a, b in zip(metro.requests, downtown.requests, strict=True):
        assert b.duration - a.duration == ds.DOWNTOWN_PARKING


def test_hubs_day_starts_and_ends_every_shift_at_one_of_two_hubs() -> None:
    day = ds.build_day("hubs", JOBS, TECHS, SEED)
    starts = {(s.start_location.lat, s.start_location.lon) for s in day.shifts
              if s.start_location is not None}
    assert len(starts) == 2
    assert all(s.start_location == s.end_location for s in day.shifts)


def test_river_crossings_go_by_a_bridge_and_cost_more_southbound() -> None:
    # Two points facing each other across the river midway between two bridges.
    x = (ds.RIVER_BRIDGES_KM[0] + ds.RIVER_BRIDGES_KM[1]) / 2
    south, north = ds.RIVER_WIDTH_KM / 2 - 1, ds.RIVER_WIDTH_KM / 2 + 1
    seconds, metres = ds.river_matrix(np.array([[x, south], [x, north], [x + 1, north]]))
    to_bridge = math.hypot(x - ds.RIVER_BRIDGES_KM[0], 1)
    assert metres[0, 1] == pytest.approx(2 * to_bridge * ds.URBAN_DETOUR * 1000, abs=0.1)
    delay = (ds.RIVER_SOUTHBOUND_DELAY - ds.RIVER_NORTHBOUND_DELAY).total_seconds()
    assert seconds[1, 0] - seconds[0, 1] == pytest.approx(delay, abs=0.1)
    # On one bank: the straight line.
    assert metres[1, 2] == pytest.approx(ds.URBAN_DETOUR * 1000, abs=0.1)
    day = ds.build_day("river", JOBS, TECHS, SEED)
    assert day.travel.provider is TravelProvider.MATRIX


def test_the_benchmark_has_every_shape_at_350_1000_and_2000_jobs() -> None:
    # Issue 21's goal names these three sizes for every shape.
    for shape in ds.SHAPES:
        sizes = {n for n, _, s in SIZES.values() if s == shape}
        assert {350, 1000, 2000} <= sizes
