"""Travel times and distances between locations (see docs/travel.md).

Everything else calls :func:`build_matrix`; the providers are public for callers that
want to reuse one (e.g. an :class:`OsrmProvider` with its own session).
"""

from fieldops.geo.build import build_matrix, matrix_with_dedup, provider_for, unique_locations
from fieldops.geo.geodesic import (
    WGS84_A,
    WGS84_F,
    GeodesicProvider,
    geodesic_distance,
    geodesic_matrix,
)
from fieldops.geo.osrm import OsrmError, OsrmProvider
from fieldops.geo.supplied import SuppliedMatrixProvider
from fieldops.geo.types import MatrixProvider, TravelError, TravelTimes, UnreachableError

__all__ = [
    "WGS84_A",
    "WGS84_F",
    "GeodesicProvider",
    "MatrixProvider",
    "OsrmError",
    "OsrmProvider",
    "SuppliedMatrixProvider",
    "TravelError",
    "TravelTimes",
    "UnreachableError",
    "build_matrix",
    "geodesic_distance",
    "geodesic_matrix",
    "matrix_with_dedup",
    "provider_for",
    "unique_locations",
]
