"""Field days of several shapes, so that no solver is tuned on one generator's metro.

Each shape starts from :func:`fieldops.data.sample.generate_field_day` (its skills,
priorities, contract tiers, windows, lunch and pins) and moves the day elsewhere:

``metro``
    The generator's day as it is: a round metro area (Lyon), geodesic travel.
``river``
    An elongated metro (45 km × 12 km) split along its length by a river with
    three bridges. Crossing goes through the bridge that is shortest for the pair
    and is asymmetric: the morning queue on the bridges delays north-to-south
    crossings more than south-to-north ones. Travel is a supplied matrix.
``rural``
    A rural region of 60 km radius: long drives at country-road speed and few jobs
    per technician.
``downtown``
    A dense 5 km × 5 km city centre: slow traffic, and parking (finding a space,
    walking to the door) added to every visit.
``hubs``
    The metro day, but every technician starts and ends at one of two hubs (the
    nearer to home) instead of at home: a multi-depot day.

Every shape is a pure function of (jobs, technicians, seed): the same arguments give
the same day.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from fieldops.data.sample import generate_field_day
from fieldops.domain import DispatchProblem, Location
from fieldops.domain.problem import TravelMatrix, TravelProvider, TravelSettings

# The generator's Lyon bounds (south, west, north, east): points are moved from there.
_SOURCE_BOUNDS = (45.66, 4.72, 45.85, 5.02)
_KM_PER_DEG_LAT = 111.2
_CENTRE = (45.76, 4.85)  # every shape is drawn around this point

# river: an elongated metro split along its length.
RIVER_LENGTH_KM = 45.0
RIVER_WIDTH_KM = 12.0
RIVER_BRIDGES_KM = (8.0, 22.0, 37.0)  # where the crossings are, along the length
RIVER_SOUTHBOUND_DELAY = timedelta(minutes=8)  # the morning queue into the centre
RIVER_NORTHBOUND_DELAY = timedelta(minutes=2)
URBAN_DETOUR = 1.3
URBAN_SPEED_KMH = 30.0

# rural: a 60 km radius region, country roads.
RURAL_RADIUS_KM = 60.0
RURAL_DETOUR = 1.25
RURAL_SPEED_KMH = 55.0
RURAL_JOBS_PER_TECHNICIAN = 3.5

# downtown: a dense centre, slow traffic, parking at every visit.
DOWNTOWN_SIDE_KM = 5.0
DOWNTOWN_DETOUR = 1.4
DOWNTOWN_SPEED_KMH = 15.0
DOWNTOWN_PARKING = timedelta(minutes=10)

# hubs: two depots, north-west and south-east of the centre.
HUB_OFFSET_KM = 6.0

# metro, river, downtown, hubs: the generator's full day (issue 3's ratios).
METRO_JOBS_PER_TECHNICIAN = 7.0


def _unit(lat: float, lon: float) -> tuple[float, float]:
    """A generator point as (x, y) in the unit square of its bounds."""
    south, west, north, east = _SOURCE_BOUNDS
    return (lon - west) / (east - west), (lat - south) / (north - south)


def _latlon(x_km: float, y_km: float) -> tuple[float, float]:
    """Kilometres east / north of ``_CENTRE`` as (lat, lon)."""
    lat = _CENTRE[0] + y_km / _KM_PER_DEG_LAT
    lon = _CENTRE[1] + x_km / (_KM_PER_DEG_LAT * math.cos(math.radians(_CENTRE[0])))
    return round(lat, 5), round(lon, 5)


def _moved(problem: DispatchProblem, where: Callable[[Location], Location]) -> DispatchProblem:
    """``problem`` with every job and home location replaced by ``where(location)``."""
    techs = tuple(dataclasses.replace(t, home=where(t.home)) for t in problem.technicians)
    requests = tuple(dataclasses.replace(r, location=where(r.location))
                     for r in problem.requests)
    return dataclasses.replace(problem, technicians=techs, requests=requests)


def _relocate(to_km: Callable[[float, float], tuple[float, float]]
              ) -> Callable[[Location], Location]:
    def where(loc: Location) -> Location:
        lat, lon = _latlon(*to_km(*_unit(loc.lat, loc.lon)))
        return Location(lat, lon, address=loc.address)
    return where


# ---------------------------------------------------------------- shapes
def metro(n_jobs: int, n_techs: int, seed: int) -> DispatchProblem:
    return generate_field_day(n_jobs, n_techs, seed=seed)


def rural(n_jobs: int, n_techs: int, seed: int) -> DispatchProblem:
    def to_km(x: float, y: float) -> tuple[float, float]:
        # The square onto the disc (elliptical grid mapping): neighbourhoods stay together.
        u, v = 2 * x - 1, 2 * y - 1
        return (RURAL_RADIUS_KM * u * math.sqrt(1 - v * v / 2),
                RURAL_RADIUS_KM * v * math.sqrt(1 - u * u / 2))
    day = _moved(generate_field_day(n_jobs, n_techs, seed=seed), _relocate(to_km))
    return dataclasses.replace(day, name=f"rural-{n_jobs}j-{n_techs}t-s{seed}", travel=(
        TravelSettings(detour_factor=RURAL_DETOUR, speed_kmh=RURAL_SPEED_KMH)))


def downtown(n_jobs: int, n_techs: int, seed: int) -> DispatchProblem:
    def to_km(x: float, y: float) -> tuple[float, float]:
        return (x - 0.5) * DOWNTOWN_SIDE_KM, (y - 0.5) * DOWNTOWN_SIDE_KM
    day = _moved(generate_field_day(n_jobs, n_techs, seed=seed), _relocate(to_km))
    requests = tuple(dataclasses.replace(r, duration=r.duration + DOWNTOWN_PARKING)
                     for r in day.requests)
    return dataclasses.replace(
        day, requests=requests, name=f"downtown-{n_jobs}j-{n_techs}t-s{seed}",
        travel=TravelSettings(detour_factor=DOWNTOWN_DETOUR, speed_kmh=DOWNTOWN_SPEED_KMH))


def hubs(n_jobs: int, n_techs: int, seed: int) -> DispatchProblem:
    day = generate_field_day(n_jobs, n_techs, seed=seed)
    depots = [Location(*_latlon(-HUB_OFFSET_KM, HUB_OFFSET_KM), address="Hub north-west"),
              Location(*_latlon(HUB_OFFSET_KM, -HUB_OFFSET_KM), address="Hub south-east")]

    def nearer(home: Location) -> Location:
        return min(depots, key=lambda d: (d.lat - home.lat) ** 2 + (d.lon - home.lon) ** 2)
    homes = day.technician_by_id
    shifts = tuple(dataclasses.replace(
        s, start_location=nearer(homes[s.technician_id].home),
        end_location=nearer(homes[s.technician_id].home)) for s in day.shifts)
    return dataclasses.replace(day, shifts=shifts, name=f"hubs-{n_jobs}j-{n_techs}t-s{seed}")


def river(n_jobs: int, n_techs: int, seed: int) -> DispatchProblem:
    day = generate_field_day(n_jobs, n_techs, seed=seed)
    places: dict[tuple[float, float], int] = {}
    points: list[tuple[float, float]] = []  # km: along the river, across it

    def where(loc: Location) -> Location:
        x, y = _unit(loc.lat, loc.lon)
        km = (x * RIVER_LENGTH_KM, y * RIVER_WIDTH_KM)
        lat, lon = _latlon(km[0] - RIVER_LENGTH_KM / 2, km[1] - RIVER_WIDTH_KM / 2)
        if (lat, lon) not in places:
            places[(lat, lon)] = len(points)
            points.append(km)
        return Location(lat, lon, address=loc.address, matrix_index=places[(lat, lon)])
    moved = _moved(day, where)
    durations, distances = river_matrix(np.array(points))
    travel = TravelSettings(provider=TravelProvider.MATRIX, matrix=TravelMatrix(
        tuple(map(tuple, durations.tolist())), tuple(map(tuple, distances.tolist()))))
    return dataclasses.replace(moved, travel=travel,
                               name=f"river-{n_jobs}j-{n_techs}t-s{seed}")


def river_matrix(points_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seconds and metres between points (km along, km across) of the river day.

    On one bank: straight line × detour. Across: through the bridge with the
    shortest way for the pair, plus the crossing's queue in that direction.
    """
    x, y = points_km[:, 0], points_km[:, 1]
    north = y >= RIVER_WIDTH_KM / 2
    direct = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    via = np.full_like(direct, np.inf)
    for bridge in RIVER_BRIDGES_KM:
        to_bridge = np.hypot(x - bridge, y - RIVER_WIDTH_KM / 2)
        via = np.minimum(via, to_bridge[:, None] + to_bridge[None, :])
    crossing = north[:, None] != north[None, :]
    km = np.where(crossing, via, direct) * URBAN_DETOUR
    seconds = km / URBAN_SPEED_KMH * 3600
    southbound = north[:, None] & ~north[None, :]
    delay = np.where(southbound, RIVER_SOUTHBOUND_DELAY.total_seconds(),
                     RIVER_NORTHBOUND_DELAY.total_seconds())
    seconds = np.where(crossing, seconds + delay, seconds)
    np.fill_diagonal(seconds, 0.0)
    return np.round(seconds, 1), np.round(km * 1000, 1)


@dataclass(frozen=True)
class Shape:
    """A kind of day: how to build it, and how many jobs a technician does there."""

    build: Callable[[int, int, int], DispatchProblem]
    jobs_per_technician: float


SHAPES: dict[str, Shape] = {
    "metro": Shape(metro, METRO_JOBS_PER_TECHNICIAN),
    "river": Shape(river, METRO_JOBS_PER_TECHNICIAN),
    "rural": Shape(rural, RURAL_JOBS_PER_TECHNICIAN),
    "downtown": Shape(downtown, METRO_JOBS_PER_TECHNICIAN),
    "hubs": Shape(hubs, METRO_JOBS_PER_TECHNICIAN),
}


def technicians_for(shape: str, n_jobs: int) -> int:
    return max(1, round(n_jobs / SHAPES[shape].jobs_per_technician))


def build_day(shape: str, n_jobs: int, n_techs: int, seed: int) -> DispatchProblem:
    """The ``shape`` day of ``n_jobs`` jobs and ``n_techs`` technicians, seed ``seed``."""
    return SHAPES[shape].build(n_jobs, n_techs, seed)
