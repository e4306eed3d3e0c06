"""Choosing a provider from the problem's settings, and the one entry point."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from fieldops.domain.errors import FieldError
from fieldops.domain.location import Location
from fieldops.domain.problem import TravelProvider, TravelSettings
from fieldops.geo.geodesic import GeodesicProvider
from fieldops.geo.osrm import OsrmProvider
from fieldops.geo.supplied import SuppliedMatrixProvider
from fieldops.geo.types import MatrixProvider, TravelTimes, UnreachableError

_LOCATION_FIELD = re.compile(r"^locations\[(\d+)\]")


def provider_for(settings: TravelSettings) -> MatrixProvider:
    """The provider that :class:`~fieldops.domain.TravelSettings` asks for."""
    if not isinstance(settings, TravelSettings):
        raise FieldError("travel", "must be a TravelSettings")
    if settings.provider is TravelProvider.GEODESIC:
        return GeodesicProvider(settings.detour_factor, settings.speed_kmh)
    if settings.provider is TravelProvider.MATRIX:
        assert settings.matrix is not None  # TravelSettings guarantees it
        return SuppliedMatrixProvider(settings.matrix)
    assert settings.osrm_url is not None  # TravelSettings guarantees it
    return OsrmProvider(settings.osrm_url, settings.osrm_profile)


def unique_locations(locations: Sequence[Location]) -> tuple[list[Location], np.ndarray]:
    """Distinct locations and, for each input, the index of its distinct copy.

    Two locations are the same when latitude, longitude and ``matrix_index`` are all
    equal; the address text does not matter (a depot may be spelt two ways). The
    first occurrence is kept, so ``unique[inverse[i]]`` has the coordinates of
    ``locations[i]``.
    """
    seen: dict[tuple[float, float, int | None], int] = {}
    unique: list[Location] = []
    inverse = np.empty(len(locations), dtype=np.intp)
    for i, loc in enumerate(locations):
        if not isinstance(loc, Location):
            raise FieldError(f"locations[{i}]", "must be a Location")
        key = (loc.lat, loc.lon, loc.matrix_index)
        k = seen.get(key)
        if k is None:
            k = seen[key] = len(unique)
            unique.append(loc)
        inverse[i] = k
    return unique, inverse


def matrix_with_dedup(provider: MatrixProvider, locations: Sequence[Location]) -> TravelTimes:
    """Ask ``provider`` once per distinct location and expand back to ``locations``.

    Errors that name a location (:class:`UnreachableError`, a :class:`FieldError` on
    ``locations[k]``) are rewritten to the caller's indices.
    """
    unique, inverse = unique_locations(locations)
    # first[k]: the caller's index of the first location equal to unique[k].
    first = np.unique(inverse, return_index=True)[1]
    try:
        times = provider.matrix(unique)
    except UnreachableError as exc:
        src, dst = int(first[exc.source]), int(first[exc.destination])
        raise UnreachableError(src, dst, locations[src], locations[dst]) from exc
    except FieldError as exc:
        m = _LOCATION_FIELD.match(exc.field)
        if m is None or int(m.group(1)) >= len(unique):
            raise
        field = f"locations[{int(first[int(m.group(1))])}]{exc.field[m.end():]}"
        raise FieldError(field, exc.message) from exc
    if times.size != len(unique):
        raise RuntimeError(
            f"{provider!r} returned a {times.size}×{times.size} matrix "
            f"for {len(unique)} locations"
        )
    if len(unique) == len(locations):
        return times
    grid = np.ix_(inverse, inverse)
    return TravelTimes.adopt(times.durations[grid], times.distances[grid])


def build_matrix(settings: TravelSettings, locations: Sequence[Location]) -> TravelTimes:
    """Travel durations (s) and distances (m) between ``locations``, as ``settings`` say.

    Row/column ``i`` of both arrays is ``locations[i]``; identical locations are sent
    to the provider once. Raises :class:`~fieldops.domain.FieldError` for bad input
    (e.g. a missing ``matrix_index``), :class:`~fieldops.geo.UnreachableError` when a
    routing engine finds no road between two locations and
    :class:`~fieldops.geo.TravelError` when the routing engine fails.
    """
    provider = provider_for(settings)
    try:
        return matrix_with_dedup(provider, locations)
    finally:
        if isinstance(provider, OsrmProvider):
            provider.close()
