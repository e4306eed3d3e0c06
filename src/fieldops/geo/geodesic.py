"""Straight-line (ellipsoidal) travel estimates: geodesic distance × detour ÷ speed.

geopy's :func:`geopy.distance.geodesic` (Karney's exact algorithm) costs tens of
microseconds per pair in Python, so a 2 000-location matrix (4 M pairs) would take
minutes. This module evaluates the Andoyer–Lambert formula on the WGS-84 ellipsoid for
all pairs at once with numpy instead. Its error against Karney's algorithm is a
relative ~1.4e-6 (f²/8, f the flattening): 4 cm over 30 km, ~15 m over 12 000 km,
far below the uncertainty of any detour factor. ``tests/test_geo.py`` checks this
against geopy on random pairs; ``docs/travel.md`` records the numbers.

The formula degrades near antipodal points (σ → π), which never occur in one
service region.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from fieldops.domain._checks import require_number
from fieldops.domain.errors import FieldError
from fieldops.domain.location import Location
from fieldops.domain.problem import DEFAULT_DETOUR_FACTOR, DEFAULT_SPEED_KMH
from fieldops.geo.types import FloatMatrix, TravelTimes

#: WGS-84 semi-major axis (metres) and flattening.
WGS84_A = 6_378_137.0
WGS84_F = 1.0 / 298.257223563


# Rows of the all-pairs matrix computed together (see geodesic_matrix).
BLOCK_ROWS = 256


def _half_angle_terms(
    lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike
) -> tuple[FloatMatrix, ...]:
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    # Reduced (parametric) latitude: Lambert's formula works on the auxiliary sphere.
    beta = np.arctan((1.0 - WGS84_F) * np.tan(lat))
    return (
        np.sin(beta / 2), np.cos(beta / 2), np.cos(beta),
        np.sin(lon / 2), np.cos(lon / 2),
    )


def _lambert(
    sb1: FloatMatrix, cb1: FloatMatrix, c1: FloatMatrix, sl1: FloatMatrix, cl1: FloatMatrix,
    sb2: FloatMatrix, cb2: FloatMatrix, c2: FloatMatrix, sl2: FloatMatrix, cl2: FloatMatrix,
) -> FloatMatrix:
    # Differences and sums of angles come from products of half-angle sines/cosines
    # (angle-addition identities) rather than from subtracting angles and taking a
    # cosine: that keeps metre-scale distances exact to float64 rounding and lets the
    # caller broadcast per-point terms into an n × n grid without n² trig calls.
    sin_q = sb2 * cb1 - cb2 * sb1  # sin((β2 − β1) / 2)
    cos_q = cb2 * cb1 + sb2 * sb1
    sin_p = sb2 * cb1 + cb2 * sb1  # sin((β2 + β1) / 2)
    cos_p = cb2 * cb1 - sb2 * sb1
    sin_dl = sl2 * cl1 - cl2 * sl1  # sin((λ2 − λ1) / 2)
    # Haversine of the central angle σ on the auxiliary sphere: h = sin²(σ/2).
    h = sin_q * sin_q + c1 * c2 * (sin_dl * sin_dl)
    h = np.clip(h, 0.0, 1.0)
    sigma = 2.0 * np.arcsin(np.sqrt(h))
    sin_sigma = 2.0 * np.sqrt(h * (1.0 - h))
    # X / cos²(σ/2) and Y / sin²(σ/2) are 0/0 for coincident (Y) or antipodal (X)
    # points; both terms tend to 0 there, so a safe denominator with a zero numerator
    # gives the right limit without warnings.
    one_minus_h = 1.0 - h
    x = (sigma - sin_sigma) * (sin_p * cos_q) ** 2 / np.where(one_minus_h > 0, one_minus_h, 1.0)
    y = (sigma + sin_sigma) * (cos_p * sin_q) ** 2 / np.where(h > 0, h, 1.0)
    result: FloatMatrix = WGS84_A * (sigma - (WGS84_F / 2.0) * (x + y))
    return result


def geodesic_distance(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> FloatMatrix:
    """Ellipsoidal (WGS-84) distance in metres between points, element-wise.

    Inputs are degrees and broadcast against each other like numpy arrays.
    """
    return _lambert(*_half_angle_terms(lat1, lon1), *_half_angle_terms(lat2, lon2))


def geodesic_matrix(lat: npt.ArrayLike, lon: npt.ArrayLike) -> FloatMatrix:
    """All-pairs WGS-84 distance in metres between points given in degrees.

    Returns an ``n × n`` float64 array with an exact zero diagonal. It is exactly
    symmetric: the formula is (swapping the points only flips the sign of terms
    that are squared, and the angle-addition products commute), so each block of
    rows is computed from the diagonal on and mirrored below it, half the work.
    """
    return _travel_matrices(lat, lon)[0]


def _travel_matrices(lat: npt.ArrayLike, lon: npt.ArrayLike, detour: float = 1.0,
                     speed_ms: float | None = None) -> list[FloatMatrix]:
    """:func:`geodesic_matrix` × ``detour`` (metres), and with ``speed_ms`` that ÷
    ``speed_ms`` (seconds), filled block by block: one pass over each n × n result
    (at 6 000 locations a pass over 300 MB costs more than the formula's work on a
    block that stays in cache)."""
    terms = _half_angle_terms(lat, lon)
    n = terms[0].size
    out = [np.empty((n, n)) for _ in range(1 if speed_ms is None else 2)]
    # A block of rows at a time: the formula's dozen temporaries are then a block's
    # size, not n² each (several gigabytes at 6 000 locations), and stay in cache.
    for first in range(0, n, BLOCK_ROWS):
        last = min(n, first + BLOCK_ROWS)
        rows = [t[first:last, None] for t in terms]
        cols = [t[None, first:] for t in terms]
        block = _lambert(*rows, *cols)
        if detour != 1.0:
            block *= detour
        blocks = [block] if speed_ms is None else [block, block / speed_ms]
        for part, matrix in zip(blocks, out, strict=True):
            matrix[first:last, first:] = part
            matrix[last:, first:last] = part[:, last - first:].T
    for matrix in out:
        np.fill_diagonal(matrix, 0.0)
    return out


class GeodesicProvider:
    """Travel by straight-line distance with a detour factor and a constant speed.

    ``distance = geodesic × detour_factor`` (metres) and
    ``duration = distance ÷ speed_kmh`` (seconds). See ``docs/travel.md`` for why
    the defaults are 1.3 and 30 km/h.
    """

    def __init__(
        self, detour_factor: float = DEFAULT_DETOUR_FACTOR, speed_kmh: float = DEFAULT_SPEED_KMH
    ) -> None:
        self.detour_factor = require_number("detour_factor", detour_factor, minimum=1.0)
        self.speed_kmh = require_number("speed_kmh", speed_kmh, positive=True)

    def __repr__(self) -> str:
        return f"GeodesicProvider(detour_factor={self.detour_factor}, speed_kmh={self.speed_kmh})"

    def matrix(self, locations: Sequence[Location]) -> TravelTimes:
        if len(locations) == 0:
            empty = np.zeros((0, 0))
            return TravelTimes(empty, empty)
        for i, loc in enumerate(locations):
            if not isinstance(loc, Location):
                raise FieldError(f"locations[{i}]", "must be a Location")
        lat = np.fromiter((loc.lat for loc in locations), np.float64, len(locations))
        lon = np.fromiter((loc.lon for loc in locations), np.float64, len(locations))
        # Both from the same blocks: each n × n array written once.
        distances, durations = _travel_matrices(lat, lon, self.detour_factor,
                                                self.speed_kmh / 3.6)
        return TravelTimes.adopt(durations, distances)
