"""The VRPTW benchmark loaders on real Solomon and Gehring–Homberger files.

Expected values are read off the instance files by hand (see each comment), not
from the loader's own output. The files are the copies in ``tests/data/benchmarks``
(the full sets are for the benchmark suites only).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import instances as bi
from benchmarks._data import ENV

DATA = Path(__file__).resolve().parent / "data" / "benchmarks"


@pytest.fixture(autouse=True, scope="module")
def shipped_data() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV, str(DATA))
        yield


@pytest.fixture(scope="module")
def c101() -> bi.VrptwInstance:
    return bi.parse_vrptw(bi.solomon_files()["C101"])


def test_instance_files_are_found_under_the_data_directory_by_upper_case_name() -> None:
    assert bi.vrptw_dir() == DATA / "vrptw"
    assert bi.solomon_files() == {"C101": DATA / "vrptw" / "solomon" / "C101.txt"}
    # Gehring-Homberger files are lower case on disk
    assert bi.homberger_files(1000) == {
        "C1_10_1": DATA / "vrptw" / "homberger" / "homberger_1000" / "c1_10_1.txt"}


def test_solomon_c101_header_and_customers(c101: bi.VrptwInstance) -> None:
    # C101.txt: "25 200" under NUMBER/CAPACITY, customers 1..100, depot (40, 50) due 1236.
    assert (c101.vehicles, c101.capacity, c101.n_customers) == (25, 200.0, 100)
    assert tuple(c101.coords[0]) == (40.0, 50.0)
    assert c101.due[0] == 1236.0
    # customer 1: 45 68 demand 10, window 912-967, service 90
    assert tuple(c101.coords[1]) == (45.0, 68.0)
    assert (c101.demand[1], c101.ready[1], c101.due[1], c101.service[1]) == (10, 912, 967, 90)


def test_solomon_problem_mapping(c101: bi.VrptwInstance) -> None:
    problem = bi.to_problem(c101)
    assert len(problem.requests) == 100
    assert len(problem.technicians) == len(problem.shifts) == 25
    assert all(t.capacity == 200.0 for t in problem.technicians)
    shift = problem.shifts[0]
    assert shift.start == bi.EPOCH and shift.end - shift.start == timedelta(minutes=1236)
    assert shift.lunch is None and shift.max_overtime == timedelta(0)
    c1 = problem.request_by_id["c1"]
    assert c1.location.matrix_index == 1 and c1.load == 10.0
    assert c1.duration == timedelta(minutes=90)
    (window,) = c1.windows
    assert window.start == bi.EPOCH + timedelta(minutes=912)
    assert window.end == bi.EPOCH + timedelta(minutes=967)
    # customers 1 (45, 68) and 3 (42, 66): sqrt(3² + 2²) = sqrt(13) = 3.6056 units
    matrix = problem.travel.matrix
    assert matrix is not None
    assert matrix.distances[1][3] == pytest.approx(1000 * math.sqrt(13))
    # 60 s per unit, rounded up to whole seconds: 216.33 s -> 217 s
    assert matrix.durations[1][3] == 217.0
    # a distance that is a whole number of units must not be rounded up:
    # customers 1 (45, 68) and 2 (45, 70) are 2 units = 120 s apart
    assert matrix.durations[1][2] == 120.0


def test_route_distance_and_check_on_a_hand_built_route(c101: bi.VrptwInstance) -> None:
    # depot (40,50) -> 1 (45,68) -> 2 (45,70) -> depot: sqrt(349) + 2 + sqrt(425)
    expected = math.sqrt(25 + 324) + 2 + math.sqrt(25 + 400)
    assert bi.route_distance(c101, [1, 2]) == pytest.approx(expected)
    # customer 2's window (825-870) closes before customer 1's opens (912): 1 then 2 is late
    issues = bi.check_routes(c101, [[1, 2]])
    assert any("customer 2 starts" in i for i in issues)
    assert any("customer 3 served 0 times" in i for i in issues)


def test_reference_solution_of_homberger_passes_the_check() -> None:
    inst = bi.parse_vrptw(bi.homberger_files(1000)["C1_10_1"])
    # c1_10_1.txt: "250 200", 1000 customers; customer 1 (387, 297), customer 2 (5, 297)
    assert (inst.vehicles, inst.capacity, inst.n_customers) == (250, 200.0, 1000)
    assert inst.distances[1, 2] == 382.0
    sol = bi.vrptw_dir() / "homberger" / "distance_bks_1000" / "C1_10_1.sol"
    routes = bi.read_solution(sol)
    assert bi.check_routes(inst, routes) == []
    value, _source = bi.homberger_reference(inst)
    # the .sol file's DIMACS cost line truncates each arc: float value is a bit larger
    assert 42444.8 <= value <= 42479.1


def test_solomon_reference_values() -> None:
    ref = bi.solomon_reference()
    assert len(ref) == 56
    # README: RC101 is 1623.58 in the reference table (bks.json's 1643.41 is stale)
    assert ref["RC101"] == pytest.approx(1623.58)


def test_a_listed_solomon_reference_below_the_proven_optimum_is_raised_to_it() -> None:
    # R109's listed 1 101.37 and RC103's 1 249.86 lie below their proven optima
    # under one-decimal truncation (1 146.9 and 1 258.0), a lower bound in floating
    # point; every other listed value is at or above its bound, or has none.
    assert bi.solomon_reference_checked("R109")[0] == pytest.approx(1146.9)
    assert bi.solomon_reference_checked("rc103")[0] == pytest.approx(1258.0)
    assert "below the proven truncated optimum" in bi.solomon_reference_checked("R109")[1]
    assert bi.solomon_reference_checked("C101") == (
        pytest.approx(828.94), "solomon_distance_reference.csv")
    raised = sorted(name for name in bi.solomon_reference()
                    if bi.solomon_reference_checked(name)[1] != "solomon_distance_reference.csv")
    assert raised == ["R109", "RC103"]


def test_select_by_glob() -> None:
    names = {n: Path(f"{n}.txt") for n in
             [f"C10{i}" for i in range(1, 10)] + ["C201", "R101", "R201", "RC101"]}
    chosen = bi.select(names, ["c1*", "R201"])
    assert set(chosen) == {f"C10{i}" for i in range(1, 10)} | {"R201"}
    with pytest.raises(SystemExit):
        bi.select(names, ["nothing*"])


def test_peer_model_of_a_vrptw_never_shortens_travel(c101: bi.VrptwInstance) -> None:
    from benchmarks.peers import VRPTW_SCALE, flat_from_vrptw

    model = flat_from_vrptw(c101)
    assert model.n_jobs == 100 and model.n_vehicles == 25 and model.all_required
    assert (model.durations >= c101.distances * VRPTW_SCALE - 1e-6).all()
    # customer 1: window 912-967 and service 90 in thousandths of a unit
    assert model.job_windows[0] == [(912_000, 967_000)] and model.job_service[0] == 90_000


def test_peer_model_of_a_field_day_keeps_pins_exclusions_and_breaks() -> None:
    from benchmarks.peers import flat_from_problem
    from fieldops.data.sample import generate_field_day

    day = generate_field_day(120, 15, seed=5)
    model = flat_from_problem(day)
    shift_of = {s.technician_id: v for v, s in enumerate(day.shifts)}
    checked = 0
    for j, req in enumerate(day.requests):
        allowed = model.job_allowed[j]
        if req.pinned_technician is not None:
            assert allowed == {shift_of[req.pinned_technician]}
            checked += 1
        for tech_id in req.excluded_technicians:
            assert allowed is not None and shift_of[tech_id] not in allowed
            checked += 1
        if req.pinned_start is not None:
            (window,) = model.job_windows[j]
            assert window[0] == window[1]  # promised to the second
    assert checked >= 2
    # times count from the horizon start, local midnight
    assert day.horizon.start.astimezone(day.tz).hour == 0
    # lunch: 30 min starting between 11:30 and 13:00
    assert set(model.vehicle_break) == {(41_400, 46_800, 1_800)}
    # shift 08:00 to the hard end, 17:00 + 1 h overtime
    assert set(model.vehicle_window) == {(8 * 3600, 18 * 3600)}


def test_data_directory_from_flag_variable_or_beside_the_checkout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    from benchmarks import _data
    from benchmarks._harness import common_arguments

    repo = Path(__file__).resolve().parents[1]
    monkeypatch.delenv(ENV)
    monkeypatch.delenv("FIELDOPS_SHARED", raising=False)
    assert _data.data_dir() == repo.parent / "shared" / "benchmarks"
    monkeypatch.setenv("FIELDOPS_SHARED", str(tmp_path / "old"))
    assert _data.data_dir() == tmp_path / "old" / "benchmarks"
    monkeypatch.setenv(ENV, str(tmp_path / "env"))
    assert _data.data_dir() == tmp_path / "env"
    args = common_arguments("x", 1.0).parse_args(["--data-dir", str(tmp_path / "flag")])
    _data.use_data_dir(args.data_dir)  # monkeypatch restores the variable afterwards
    assert _data.data_dir() == tmp_path / "flag"
    assert bi.vrptw_dir() == tmp_path / "flag" / "vrptw"
