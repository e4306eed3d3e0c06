"""Road travel times from an OSRM-compatible ``table`` service.

The request is ``GET {base_url}/table/v1/{profile}/{lon,lat;lon,lat;...}`` with
``annotations=duration,distance``. OSRM refuses a table whose
``sources × destinations`` exceeds ``--max-table-size``² (default 100), so larger
location sets are cut into blocks of at most ``max_table_size`` sources ×
``max_table_size`` destinations, each one request that carries only the coordinates of
its two blocks (which also keeps URLs short).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import requests

from fieldops.domain.errors import FieldError
from fieldops.domain.location import Location
from fieldops.geo.types import FloatMatrix, TravelError, TravelTimes, UnreachableError

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_TABLE_SIZE = 100  # osrm-routed's own default for --max-table-size


class OsrmError(TravelError):
    """The OSRM server could not be reached or answered with an error."""


class OsrmProvider:
    """Client for the OSRM ``table`` API (and servers that mimic it).

    Parameters
    ----------
    base_url
        Server root, e.g. ``http://localhost:5000``; a trailing ``/`` is ignored.
    profile
        Routing profile in the URL (``driving``, ``car``, ...). osrm-routed serves
        whichever profile it was built with under any name; other servers care.
    timeout
        Seconds to wait for each HTTP request (connect and read).
    max_table_size
        The server's ``--max-table-size``: at most this many sources and this many
        destinations go into one request.
    session
        A :class:`requests.Session` to reuse (connection pooling, auth headers,
        proxies); by default the provider makes its own.
    """

    def __init__(
        self,
        base_url: str,
        profile: str = "driving",
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        max_table_size: int = DEFAULT_MAX_TABLE_SIZE,
        session: requests.Session | None = None,
    ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise FieldError("osrm_url", "must be an http:// or https:// URL")
        if not isinstance(profile, str) or not profile or "/" in profile:
            raise FieldError("osrm_profile", "must be a non-empty name without '/'")
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
            raise FieldError("timeout", "must be a number of seconds > 0")
        if isinstance(max_table_size, bool) or not isinstance(max_table_size, int) \
                or max_table_size < 1:
            raise FieldError("max_table_size", "must be an integer >= 1")
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self.timeout = float(timeout)
        self.max_table_size = max_table_size
        self.session = session if session is not None else requests.Session()

    def __repr__(self) -> str:
        return f"OsrmProvider({self.base_url!r}, profile={self.profile!r})"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> OsrmProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def matrix(self, locations: Sequence[Location]) -> TravelTimes:
        n = len(locations)
        durations = np.zeros((n, n))
        distances = np.zeros((n, n))
        if n <= 1:
            return TravelTimes(durations, distances)
        size = self.max_table_size
        if n <= size:
            blocks = [(0, n, 0, n)]
        else:
            starts = range(0, n, size)
            blocks = [(a, min(a + size, n), b, min(b + size, n)) for a in starts for b in starts]
        for s0, s1, d0, d1 in blocks:
            self._fill_block(locations, s0, s1, d0, d1, durations, distances)
        np.fill_diagonal(durations, 0.0)
        np.fill_diagonal(distances, 0.0)
        return TravelTimes(durations, distances)

    def _fill_block(
        self, locations: Sequence[Location], s0: int, s1: int, d0: int, d1: int,
        durations: FloatMatrix, distances: FloatMatrix,
    ) -> None:
        n = len(locations)
        if (s0, s1, d0, d1) == (0, n, 0, n):
            coords = list(range(n))
            query = ""
        elif (s0, s1) == (d0, d1):
            coords = list(range(s0, s1))
            query = ""
        else:
            coords = [*range(s0, s1), *range(d0, d1)]
            n_src = s1 - s0
            query = (
                "&sources=" + ";".join(str(i) for i in range(n_src))
                + "&destinations=" + ";".join(str(n_src + j) for j in range(d1 - d0))
            )
        # OSRM wants lon,lat (GeoJSON order). 6 decimals is ~0.1 m, finer than snapping.
        path = ";".join(f"{locations[i].lon:.6f},{locations[i].lat:.6f}" for i in coords)
        # Built by hand, not via requests' params=: OSRM expects literal ';' and ','.
        url = (
            f"{self.base_url}/table/v1/{self.profile}/{path}"
            f"?annotations=duration,distance{query}"
        )
        body = self._get(url)
        shape = (s1 - s0, d1 - d0)
        for key, out in (("durations", durations), ("distances", distances)):
            table = self._table(body, key, shape)
            nulls = np.argwhere(np.isnan(table))
            if nulls.size:
                i, j = (int(v) for v in nulls[0])
                raise UnreachableError(s0 + i, d0 + j, locations[s0 + i], locations[d0 + j])
            out[s0:s1, d0:d1] = table

    def _get(self, url: str) -> dict[str, Any]:
        where = f"OSRM table request to {self.base_url}"
        try:
            response = self.session.get(url, timeout=self.timeout)
        except requests.Timeout as exc:
            raise OsrmError(f"{where} timed out after {self.timeout:g} s") from exc
        except requests.RequestException as exc:
            raise OsrmError(f"{where} failed: {exc}") from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        code = body.get("code") if isinstance(body, dict) else None
        if response.status_code != 200 or code != "Ok":
            message = body.get("message") if isinstance(body, dict) else None
            detail = f"code {code!r}" if code else "no OSRM code"
            if message:
                detail += f": {message}"
            elif body is None:
                detail += f": {response.text[:200]!r}"
            raise OsrmError(f"{where} failed with HTTP {response.status_code}, {detail}")
        return body  # code == "Ok" above implies a dict

    @staticmethod
    def _table(body: dict[str, Any], key: str, shape: tuple[int, int]) -> FloatMatrix:
        rows = body.get(key)
        if rows is None:
            raise OsrmError(f"OSRM answer has no {key!r} (does the server support annotations?)")
        try:
            # None (unreachable) becomes NaN so that it can be found after the check.
            table = np.array(
                [[math.nan if v is None else float(v) for v in row] for row in rows],
                dtype=np.float64,
            )
        except (TypeError, ValueError) as exc:
            raise OsrmError(f"OSRM answer has a malformed {key!r} table: {exc}") from exc
        if table.shape != shape:
            raise OsrmError(f"OSRM answer's {key!r} is {table.shape}, expected {shape}")
        if (table < 0).any() or np.isinf(table).any():
            raise OsrmError(f"OSRM answer's {key!r} holds negative or infinite values")
        return table
