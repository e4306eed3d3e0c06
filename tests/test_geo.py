"""Travel-time layer: geodesic accuracy, providers, dedup and the OSRM client.

The OSRM tests run against a stub table server on 127.0.0.1 (an ephemeral port); no
test touches the outside network.
"""

from __future__ import annotations

import json
import math
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from geopy.distance import geodesic as geopy_geodesic

from fieldops.domain import FieldError, Location, TravelMatrix, TravelProvider, TravelSettings
from fieldops.geo import (
    WGS84_A,
    GeodesicProvider,
    MatrixProvider,
    OsrmError,
    OsrmProvider,
    SuppliedMatrixProvider,
    TravelError,
    TravelTimes,
    UnreachableError,
    build_matrix,
    geodesic_distance,
    geodesic_matrix,
    provider_for,
)

# Andoyer–Lambert vs Karney (geopy): the error is a relative ~1.4e-6 (f²/8); allow
# 2e-6 plus 1 mm for rounding at metre scale. docs/travel.md quotes this bound.
REL_TOL = 2e-6
ABS_TOL_M = 1e-3


def _random_pairs(
    rng: np.random.Generator, n: int, max_offset_deg: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    lat1 = rng.uniform(-70.0, 70.0, n)
    lon1 = rng.uniform(-179.0, 179.0, n)
    lat2 = np.clip(lat1 + rng.uniform(-max_offset_deg, max_offset_deg, n), -89.0, 89.0)
    lon2 = (lon1 + rng.uniform(-max_offset_deg, max_offset_deg, n) + 180.0) % 360.0 - 180.0
    return lat1, lon1, lat2, lon2


# --------------------------------------------------------------------------- geodesic


@pytest.mark.parametrize(
    ("scale", "max_offset_deg", "expect_max_km"),
    [("city", 0.25, 40.0), ("country", 8.0, 1300.0), ("continent", 30.0, 5000.0)],
)
def test_geodesic_agrees_with_geopy(scale: str, max_offset_deg: float, expect_max_km: float):
    rng = np.random.default_rng(20260302)
    lat1, lon1, lat2, lon2 = _random_pairs(rng, 300, max_offset_deg)
    ours = geodesic_distance(lat1, lon1, lat2, lon2)
    pairs = zip(lat1, lon1, lat2, lon2, strict=True)
    ref = np.array([geopy_geodesic((a, b), (c, d)).meters for a, b, c, d in pairs])
    # The sample really covers the scale it claims.
    assert ref.max() > 0.5 * expect_max_km * 1000
    np.testing.assert_allclose(ours, ref, rtol=REL_TOL, atol=ABS_TOL_M, err_msg=scale)


def test_geodesic_short_and_identical_points():
    # Metre-scale and coincident points are where naive cos-based formulas lose digits.
    lat = np.array([45.0, 45.0, 45.00001, -33.9])
    lon = np.array([7.0, 7.00001, 7.0, 151.2])
    ref = [geopy_geodesic((45.0, 7.0), (la, lo)).meters for la, lo in zip(lat, lon, strict=True)]
    ours = geodesic_distance(45.0, 7.0, lat, lon)
    assert ours[0] == 0.0
    np.testing.assert_allclose(ours, ref, rtol=REL_TOL, atol=ABS_TOL_M)


def test_geodesic_along_equator_is_the_arc_of_the_semi_major_axis():
    # Independent of geopy: on the equator the geodesic (for < 180°(1 − f)) is the
    # equator itself, a circle of radius a.
    d = geodesic_distance(0.0, 10.0, 0.0, 11.0)
    assert d == pytest.approx(WGS84_A * math.pi / 180.0, rel=1e-12)


def test_geodesic_matrix_is_symmetric_with_zero_diagonal_and_matches_pairs():
    rng = np.random.default_rng(7)
    lat = 52.5 + rng.uniform(-0.2, 0.2, 60)
    lon = 13.4 + rng.uniform(-0.3, 0.3, 60)
    m = geodesic_matrix(lat, lon)
    assert m.shape == (60, 60) and m.dtype == np.float64
    assert np.all(np.diag(m) == 0.0)
    np.testing.assert_allclose(m, m.T, rtol=1e-13, atol=0)
    assert np.all(m[~np.eye(60, dtype=bool)] > 0)
    for i, j in [(0, 1), (5, 42), (59, 3)]:
        ref = geopy_geodesic((lat[i], lon[i]), (lat[j], lon[j])).meters
        assert m[i, j] == pytest.approx(ref, rel=REL_TOL, abs=ABS_TOL_M)


@pytest.mark.parametrize("n", [1, 7, 9, 16])
def test_geodesic_matrix_in_blocks_is_each_pair_exactly(monkeypatch: pytest.MonkeyPatch, n: int):
    # The matrix is filled from the diagonal on, a block of rows at a time, and
    # mirrored below it (blocks of 4 here, so that n crosses block edges): every
    # entry must be the formula on that pair, bitwise, in either order; and the
    # provider's durations the distances divided by the speed, as computed alone.
    from fieldops.geo import geodesic

    rng = np.random.default_rng(n)
    lat = 45.7 + rng.uniform(-0.2, 0.2, n)
    lon = 4.8 + rng.uniform(-0.3, 0.3, n)
    monkeypatch.setattr(geodesic, "BLOCK_ROWS", 4)
    m = geodesic_matrix(lat, lon)
    pairs = geodesic_distance(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    np.fill_diagonal(pairs, 0.0)
    assert np.array_equal(m, pairs) and np.array_equal(m, m.T)
    times = GeodesicProvider(1.3, 30.0).matrix(
        [Location(a, b) for a, b in zip(lat, lon, strict=True)])
    assert np.array_equal(times.distances, pairs * 1.3)
    assert np.array_equal(times.durations, pairs * 1.3 / (30.0 / 3.6))


def test_geodesic_provider_applies_detour_and_speed():
    locs = [Location(48.8566, 2.3522), Location(48.8606, 2.3376), Location(48.8738, 2.2950)]
    straight = np.array(
        [[geopy_geodesic((a.lat, a.lon), (b.lat, b.lon)).meters for b in locs] for a in locs]
    )
    times = GeodesicProvider(detour_factor=1.5, speed_kmh=36.0).matrix(locs)
    # 36 km/h is exactly 10 m/s.
    np.testing.assert_allclose(times.distances, 1.5 * straight, rtol=REL_TOL, atol=ABS_TOL_M)
    np.testing.assert_allclose(times.durations, 1.5 * straight / 10.0, rtol=REL_TOL, atol=1e-4)
    # Defaults are the domain's: 1.3 detour, 30 km/h.
    default = GeodesicProvider().matrix(locs)
    np.testing.assert_allclose(default.distances, 1.3 * straight, rtol=REL_TOL, atol=ABS_TOL_M)
    np.testing.assert_allclose(
        default.durations, 1.3 * straight / (30.0 / 3.6), rtol=REL_TOL, atol=1e-4
    )


@pytest.mark.parametrize(
    ("kwargs", "field_name"),
    [({"detour_factor": 0.9}, "detour_factor"), ({"speed_kmh": 0}, "speed_kmh"),
     ({"speed_kmh": float("nan")}, "speed_kmh")],
)
def test_geodesic_provider_rejects_bad_settings(kwargs: dict[str, float], field_name: str):
    with pytest.raises(FieldError) as info:
        GeodesicProvider(**kwargs)
    assert info.value.field == field_name


def test_empty_and_single_location():
    assert build_matrix(TravelSettings(), []).durations.shape == (0, 0)
    one = build_matrix(TravelSettings(), [Location(1.0, 2.0)])
    assert one.durations.tolist() == [[0.0]] and one.distances.tolist() == [[0.0]]


def test_travel_times_are_read_only_and_validated():
    t = TravelTimes(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError):
        t.durations[0, 1] = 5.0
    with pytest.raises(ValueError, match="square"):
        TravelTimes(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="differ"):
        TravelTimes(np.zeros((2, 2)), np.zeros((3, 3)))


# --------------------------------------------------------------------------- dedup


@dataclass
class CountingProvider:
    """Wraps a provider and records what it was asked for."""

    inner: MatrixProvider
    calls: list[list[Location]] = field(default_factory=list)

    def matrix(self, locations: Sequence[Location]) -> TravelTimes:
        self.calls.append(list(locations))
        return self.inner.matrix(locations)


def test_build_matrix_dedups_identical_coordinates_and_expands_back(
    monkeypatch: pytest.MonkeyPatch,
):
    depot = Location(40.4168, -3.7038, address="Depot")
    depot_again = Location(40.4168, -3.7038, address="Depot, main gate")
    a, b = Location(40.4300, -3.7000), Location(40.4000, -3.6900)
    locations = [depot, a, depot_again, b, a, depot]
    counting = CountingProvider(GeodesicProvider())
    monkeypatch.setattr("fieldops.geo.build.provider_for", lambda settings: counting)

    got = build_matrix(TravelSettings(), locations)

    assert counting.calls == [[depot, a, b]]
    # Same answer as asking for every location, duplicates included.
    full = GeodesicProvider().matrix(locations)
    np.testing.assert_array_equal(got.durations, full.durations)
    np.testing.assert_array_equal(got.distances, full.distances)
    assert got.distances[0, 2] == 0.0 and got.distances[1, 4] == 0.0
    assert got.distances[0, 1] > 0.0


def test_dedup_keeps_locations_that_differ_in_matrix_index():
    # Same coordinates but different matrix rows are different points to a supplied
    # matrix (e.g. two entrances geocoded to one building).
    matrix = TravelMatrix(durations=((0, 60), (90, 0)), distances=((0, 500), (700, 0)))
    settings = TravelSettings(provider=TravelProvider.MATRIX, matrix=matrix)
    locs = [Location(1.0, 1.0, matrix_index=0), Location(1.0, 1.0, matrix_index=1)]
    t = build_matrix(settings, locs)
    assert t.durations.tolist() == [[0.0, 60.0], [90.0, 0.0]]


# --------------------------------------------------------------------------- supplied


def _three_by_three() -> TravelMatrix:
    return TravelMatrix(
        durations=((0, 10, 20), (11, 0, 30), (21, 31, 0)),
        distances=((0, 100, 200), (110, 0, 300), (210, 310, 0)),
    )


def test_supplied_matrix_selects_rows_and_columns_by_matrix_index():
    settings = TravelSettings(provider=TravelProvider.MATRIX, matrix=_three_by_three())
    locs = [Location(0, 0, matrix_index=2), Location(0, 1, matrix_index=0)]
    t = build_matrix(settings, locs)
    assert t.durations.tolist() == [[0.0, 21.0], [20.0, 0.0]]
    assert t.distances.tolist() == [[0.0, 210.0], [200.0, 0.0]]


def test_supplied_matrix_same_index_twice_is_zero_travel():
    m = TravelMatrix(durations=((5, 10), (11, 5)), distances=((50, 100), (110, 50)))
    t = SuppliedMatrixProvider(m).matrix(
        [Location(0, 0, matrix_index=0), Location(0, 0.1, matrix_index=0)]
    )
    assert t.durations.tolist() == [[0.0, 0.0], [0.0, 0.0]]


@pytest.mark.parametrize(("bad_index", "message"), [(None, "required"), (3, "only 3 rows")])
def test_supplied_matrix_names_the_location_with_a_bad_index(bad_index: int | None, message):
    settings = TravelSettings(provider=TravelProvider.MATRIX, matrix=_three_by_three())
    # Duplicates before the bad one: the error must use the caller's index (3), not
    # the position in the de-duplicated list (1).
    locs = [
        Location(0, 0, matrix_index=0),
        Location(0, 0, matrix_index=0),
        Location(0, 0, matrix_index=0),
        Location(5, 5, matrix_index=bad_index),
    ]
    with pytest.raises(FieldError, match=message) as info:
        build_matrix(settings, locs)
    assert info.value.field == "locations[3].matrix_index"


def test_provider_for_picks_the_configured_provider():
    assert isinstance(provider_for(TravelSettings()), GeodesicProvider)
    p = provider_for(TravelSettings(provider=TravelProvider.MATRIX, matrix=_three_by_three()))
    assert isinstance(p, SuppliedMatrixProvider)
    o = provider_for(
        TravelSettings(
            provider=TravelProvider.OSRM, osrm_url="http://127.0.0.1:1/", osrm_profile="car"
        )
    )
    assert isinstance(o, OsrmProvider)
    assert (o.base_url, o.profile) == ("http://127.0.0.1:1", "car")
    o.close()


# --------------------------------------------------------------------------- OSRM stub


def stub_duration(src: tuple[float, float], dst: tuple[float, float]) -> float:
    """The stub's made-up travel time between (lon, lat) pairs, seconds.

    Direction-dependent and lon/lat-asymmetric, so a swapped coordinate order or a
    transposed block gives different numbers.
    """
    if src == dst:
        return 0.0
    return 3600.0 * abs(dst[0] - src[0]) + 60.0 * abs(dst[1] - src[1]) + (
        5.0 if dst[1] > src[1] else 0.0
    )


@dataclass
class StubState:
    mode: str = "ok"
    max_table_size: int = 100
    unreachable_lat: float | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)


def _lon_lat(text: str) -> tuple[float, float]:
    lon, lat = text.split(",")
    return float(lon), float(lat)


class StubHandler(BaseHTTPRequestHandler):
    state: StubState  # set on the per-server subclass

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output quiet
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test): nothing to answer

    def do_GET(self) -> None:
        state = self.state
        parts = urlsplit(self.path)
        segments = parts.path.split("/")
        # /table/v1/{profile}/{coords}
        if len(segments) != 5 or segments[1:3] != ["table", "v1"]:
            self._send(400, json.dumps({"code": "InvalidUrl", "message": "bad"}).encode())
            return
        coords = [_lon_lat(c) for c in segments[4].split(";")]
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        state.requests.append({"profile": segments[3], "coords": coords, "query": query,
                               "raw": self.path})
        if state.mode == "http500":
            self._send(500, b"internal trouble", "text/plain")
            return
        if state.mode == "invalid":
            self._send(400, json.dumps(
                {"code": "InvalidQuery", "message": "Query string malformed"}).encode())
            return
        if state.mode == "nosegment":
            self._send(200, json.dumps({"code": "NoSegment", "message": "no road"}).encode())
            return
        if state.mode == "slow":
            time.sleep(1.0)
        sources = [int(i) for i in query["sources"].split(";")] if "sources" in query \
            else list(range(len(coords)))
        dests = [int(i) for i in query["destinations"].split(";")] if "destinations" in query \
            else list(range(len(coords)))
        if len(sources) * len(dests) > state.max_table_size ** 2:
            self._send(400, json.dumps(
                {"code": "TooBig", "message": "Too many table coordinates"}).encode())
            return
        durations: list[list[float | None]] = []
        for s in sources:
            row: list[float | None] = []
            for d in dests:
                cut = state.unreachable_lat is not None and s != d and state.unreachable_lat in (
                    coords[s][1], coords[d][1])
                row.append(None if cut else stub_duration(coords[s], coords[d]))
            durations.append(row)
        distances = [[None if v is None else 2.0 * v for v in row] for row in durations]
        self._send(200, json.dumps(
            {"code": "Ok", "durations": durations, "distances": distances}).encode())


@pytest.fixture(scope="module")
def stub_server() -> Iterator[tuple[str, StubState]]:
    state = StubState()
    handler = type("Handler", (StubHandler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def stub(stub_server: tuple[str, StubState]) -> tuple[str, StubState]:
    url, state = stub_server
    state.mode, state.max_table_size, state.unreachable_lat = "ok", 100, None
    state.requests.clear()
    return url, state


def _expected(locations: Sequence[Location]) -> np.ndarray:
    pts = [(round(p.lon, 6), round(p.lat, 6)) for p in locations]
    return np.array([[stub_duration(a, b) for b in pts] for a in pts])


LOCS = [
    Location(52.520008, 13.404954, address="Alexanderplatz"),
    Location(52.516275, 13.377704, address="Brandenburger Tor"),
    Location(52.507541, 13.390430),
    Location(52.530644, 13.383068),
    Location(52.499100, 13.418100),
    Location(52.525000, 13.369400),
    Location(52.510300, 13.434000),
]


def test_osrm_request_uses_lon_lat_order_and_annotations(stub: tuple[str, StubState]):
    url, state = stub
    with OsrmProvider(url + "/", profile="car") as provider:
        t = provider.matrix(LOCS[:3])
    (req,) = state.requests
    assert req["profile"] == "car"
    assert req["raw"].startswith(
        "/table/v1/car/13.404954,52.520008;13.377704,52.516275;13.390430,52.507541?"
    )
    assert req["query"]["annotations"] == "duration,distance"
    assert "sources" not in req["query"]
    expected = _expected(LOCS[:3])
    np.testing.assert_allclose(t.durations, expected)
    np.testing.assert_allclose(t.distances, 2.0 * expected)


def test_osrm_chunks_large_tables_by_sources_and_destinations(stub: tuple[str, StubState]):
    url, state = stub
    state.max_table_size = 3  # the stub answers TooBig past 3 × 3, as osrm-routed does
    t = OsrmProvider(url, max_table_size=3).matrix(LOCS)
    # 7 locations in blocks of 3, 3, 1: 3 × 3 block pairs, one request each.
    assert len(state.requests) == 9
    for req in state.requests:
        q = req["query"]
        n_src = len(q["sources"].split(";")) if "sources" in q else len(req["coords"])
        n_dst = len(q["destinations"].split(";")) if "destinations" in q else len(req["coords"])
        assert n_src <= 3 and n_dst <= 3 and len(req["coords"]) <= 6
    off_diagonal = [r for r in state.requests if "sources" in r["query"]]
    assert len(off_diagonal) == 6
    np.testing.assert_allclose(t.durations, _expected(LOCS))
    np.testing.assert_allclose(t.distances, 2.0 * _expected(LOCS))


def test_osrm_through_build_matrix_sends_each_place_once(stub: tuple[str, StubState]):
    url, state = stub
    settings = TravelSettings(provider=TravelProvider.OSRM, osrm_url=url)
    locs = [LOCS[0], LOCS[1], LOCS[0], LOCS[1]]
    t = build_matrix(settings, locs)
    (req,) = state.requests
    assert len(req["coords"]) == 2
    np.testing.assert_allclose(t.durations, _expected(locs))


@pytest.mark.parametrize(
    ("mode", "pattern"),
    [
        ("http500", r"HTTP 500.*internal trouble"),
        ("invalid", r"HTTP 400, code 'InvalidQuery': Query string malformed"),
        ("nosegment", r"HTTP 200, code 'NoSegment'"),
    ],
)
def test_osrm_error_answers_raise_osrm_error(
    stub: tuple[str, StubState], mode: str, pattern: str
):
    url, state = stub
    state.mode = mode
    with pytest.raises(OsrmError, match=pattern):
        OsrmProvider(url).matrix(LOCS[:2])


def test_osrm_unreachable_pair_names_the_locations(stub: tuple[str, StubState]):
    url, state = stub
    island = Location(52.600000, 13.500000, address="Island")
    state.unreachable_lat = 52.6
    settings = TravelSettings(provider=TravelProvider.OSRM, osrm_url=url)
    # Duplicates first, so the reported indices must be mapped back to the caller's.
    locs = [LOCS[0], LOCS[0], LOCS[1], island]
    with pytest.raises(UnreachableError) as info:
        build_matrix(settings, locs)
    err = info.value
    assert isinstance(err, TravelError)
    assert (err.source, err.destination) == (0, 3)
    assert err.destination_location == island
    assert "locations[0]" in str(err) and "locations[3]" in str(err)
    assert "'Island'" in str(err) and "'Alexanderplatz'" in str(err)


def test_osrm_timeout(stub: tuple[str, StubState]):
    url, state = stub
    state.mode = "slow"
    start = time.monotonic()
    with pytest.raises(OsrmError, match=r"timed out after 0\.2 s"):
        OsrmProvider(url, timeout=0.2).matrix(LOCS[:2])
    assert time.monotonic() - start < 0.9


def test_osrm_connection_refused():
    with socket.socket() as s:  # a port that was free a moment ago and has no listener
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(OsrmError, match="failed"):
        OsrmProvider(f"http://127.0.0.1:{port}", timeout=2).matrix(LOCS[:2])


@pytest.mark.parametrize(
    ("kwargs", "field_name"),
    [({"base_url": "localhost:5000"}, "osrm_url"),
     ({"base_url": "http://x", "profile": "a/b"}, "osrm_profile"),
     ({"base_url": "http://x", "timeout": 0}, "timeout"),
     ({"base_url": "http://x", "max_table_size": 0}, "max_table_size")],
)
def test_osrm_provider_rejects_bad_settings(kwargs: dict[str, Any], field_name: str):
    with pytest.raises(FieldError) as info:
        OsrmProvider(**kwargs)
    assert info.value.field == field_name


# --------------------------------------------------------------------------- docs


def test_docs_examples_run():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "travel.md").read_text()
    blocks = text.split("```python\n")[1:]
    assert blocks, "docs/travel.md has no python example"
    for block in blocks:
        exec(compile(block.split("```")[0], "docs/travel.md", "exec"), {})


def test_adopted_arrays_are_not_copied_and_become_read_only() -> None:
    from fieldops.geo import TravelTimes

    durations, distances = np.zeros((3, 3)), np.ones((3, 3))
    times = TravelTimes.adopt(durations, distances)
    assert times.durations is durations and times.distances is distances
    with pytest.raises(ValueError):
        durations[0, 1] = 5.0
    # Anything else goes the checking, copying way.
    copied = TravelTimes.adopt(np.zeros((3, 3), dtype=np.int64), distances)  # type: ignore[arg-type]
    assert copied.durations.dtype == np.float64
    with pytest.raises(ValueError):
        TravelTimes.adopt(np.zeros((2, 3)), np.zeros((2, 3)))
