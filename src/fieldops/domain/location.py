"""Geographic positions."""

from __future__ import annotations

from dataclasses import dataclass

from fieldops.domain._checks import optional, require_int, require_number, require_type
from fieldops.domain.errors import FieldError


@dataclass(frozen=True, slots=True)
class Location:
    """A point on the earth in WGS 84 degrees, with the address text it came from.

    ``matrix_index`` is only used with a caller-supplied travel matrix: it is the
    row/column of this location in that matrix.
    """

    lat: float
    lon: float
    address: str | None = None
    matrix_index: int | None = None

    def __post_init__(self) -> None:
        lat = require_number("lat", self.lat)
        lon = require_number("lon", self.lon)
        if not -90.0 <= lat <= 90.0:
            raise FieldError("lat", f"must be between -90 and 90, got {lat:g}")
        if not -180.0 <= lon <= 180.0:
            raise FieldError("lon", f"must be between -180 and 180, got {lon:g}")
        object.__setattr__(self, "lat", lat)
        object.__setattr__(self, "lon", lon)
        optional(require_type, "address", self.address, kind=str, what="a string")
        optional(require_int, "matrix_index", self.matrix_index, minimum=0)
