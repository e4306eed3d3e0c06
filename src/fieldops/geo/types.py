"""Types shared by every travel-time provider."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from fieldops.domain.location import Location

FloatMatrix = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class TravelTimes:
    """Travel durations and distances between ``n`` locations.

    Attributes
    ----------
    durations
        ``n × n`` float64 array of seconds; ``durations[i, j]`` is the time to drive
        from location ``i`` to location ``j``. The diagonal is zero.
    distances
        ``n × n`` float64 array of metres, indexed like ``durations``.

    Both arrays are made read-only: one matrix is often shared by the solver, the
    validator and the reports, and an in-place edit by one of them would silently
    change the others' numbers. Take a ``.copy()`` to modify.
    """

    durations: FloatMatrix
    distances: FloatMatrix

    def __post_init__(self) -> None:
        arrays: dict[str, FloatMatrix] = {}
        for name in ("durations", "distances"):
            arr = np.array(getattr(self, name), dtype=np.float64, copy=True)
            if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
                raise ValueError(f"{name} must be a square 2-D array, got shape {arr.shape}")
            arr.setflags(write=False)
            arrays[name] = arr
        if arrays["durations"].shape != arrays["distances"].shape:
            raise ValueError(
                f"durations {arrays['durations'].shape} and distances "
                f"{arrays['distances'].shape} differ in shape"
            )
        for name, arr in arrays.items():
            object.__setattr__(self, name, arr)

    @classmethod
    def adopt(cls, durations: FloatMatrix, distances: FloatMatrix) -> TravelTimes:
        """Travel times over two float64 arrays the caller has just built and hands
        over: they are made read-only in place, not copied (at 6 000 locations a
        copy is 300 MB each)."""
        times = object.__new__(cls)
        for name, arr in (("durations", durations), ("distances", distances)):
            if not (isinstance(arr, np.ndarray) and arr.dtype == np.float64
                    and arr.ndim == 2 and arr.shape[0] == arr.shape[1]):
                return cls(durations, distances)  # the checking, copying way
            arr.setflags(write=False)
            object.__setattr__(times, name, arr)
        if durations.shape != distances.shape:
            return cls(durations, distances)
        return times

    @property
    def size(self) -> int:
        """Number of locations (rows)."""
        return int(self.durations.shape[0])


@runtime_checkable
class MatrixProvider(Protocol):
    """Anything that turns locations into a :class:`TravelTimes` matrix.

    Row/column ``i`` of the result is ``locations[i]``. A provider may assume the
    locations it is given are distinct (:func:`fieldops.geo.build_matrix` removes
    duplicates first) but must still be correct if they are not.
    """

    def matrix(self, locations: Sequence[Location]) -> TravelTimes: ...


class TravelError(RuntimeError):
    """A travel matrix could not be built (server down, bad answer, ...)."""


class UnreachableError(TravelError):
    """The routing engine found no route between two locations.

    ``source`` and ``destination`` are indices into the ``locations`` sequence the
    caller passed in, so the caller can name the jobs or depots involved.
    """

    def __init__(
        self, source: int, destination: int, source_location: Location,
        destination_location: Location,
    ) -> None:
        self.source = source
        self.destination = destination
        self.source_location = source_location
        self.destination_location = destination_location
        super().__init__(
            f"no route from locations[{source}] ({describe(source_location)}) to "
            f"locations[{destination}] ({describe(destination_location)})"
        )


def describe(location: Location) -> str:
    """Short human text for a location: its address if any, and its coordinates."""
    coords = f"lat {location.lat:.6f}, lon {location.lon:.6f}"
    return f"{location.address!r}, {coords}" if location.address else coords
