"""Travel times from a matrix the caller uploaded with the problem."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fieldops.domain.errors import FieldError
from fieldops.domain.location import Location
from fieldops.domain.problem import TravelMatrix
from fieldops.geo.types import TravelTimes


class SuppliedMatrixProvider:
    """Pick rows and columns of a :class:`~fieldops.domain.TravelMatrix`.

    Each location names its row/column with :attr:`Location.matrix_index`. Two
    locations with the same index are the same point, so the travel between them is
    zero whatever the supplied matrix's diagonal holds.
    """

    def __init__(self, matrix: TravelMatrix) -> None:
        if not isinstance(matrix, TravelMatrix):
            raise FieldError("matrix", "must be a TravelMatrix")
        self._durations = np.array(matrix.durations, dtype=np.float64).reshape(
            matrix.size, matrix.size
        )
        self._distances = np.array(matrix.distances, dtype=np.float64).reshape(
            matrix.size, matrix.size
        )
        np.fill_diagonal(self._durations, 0.0)
        np.fill_diagonal(self._distances, 0.0)

    @property
    def size(self) -> int:
        return int(self._durations.shape[0])

    def __repr__(self) -> str:
        return f"SuppliedMatrixProvider(size={self.size})"

    def matrix(self, locations: Sequence[Location]) -> TravelTimes:
        index = np.empty(len(locations), dtype=np.intp)
        for i, loc in enumerate(locations):
            k = loc.matrix_index
            if k is None:
                raise FieldError(
                    f"locations[{i}].matrix_index",
                    "is required when travel.provider is 'matrix'",
                )
            if k >= self.size:
                raise FieldError(
                    f"locations[{i}].matrix_index",
                    f"is {k} but the supplied matrix has only {self.size} rows "
                    f"(valid indices 0..{self.size - 1})",
                )
            index[i] = k
        grid = np.ix_(index, index)
        return TravelTimes.adopt(self._durations[grid], self._distances[grid])
