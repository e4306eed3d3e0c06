"""``fieldops solve``, ``validate`` and ``demo`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldops.cli import main
from fieldops.schemas import dump_json, problem_to_json

from line_world import LineWorld


@pytest.fixture
def problem_file(tmp_path: Path) -> Path:
    w = LineWorld()
    techs = [w.technician("A", 0), w.technician("B", 40)]
    jobs = [w.job(f"J{i}", i * 9 % 50, duration=30) for i in range(6)]
    path = tmp_path / "problem.json"
    dump_json(problem_to_json(w.problem(techs, jobs)), path)
    return path


def test_solve_then_validate(problem_file: Path, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    plan_file = tmp_path / "plan.json"
    assert main(["solve", str(problem_file), "-o", str(plan_file), "--time-limit", "1"]) == 0
    plan = json.loads(plan_file.read_text())
    assert plan["kpis"]["jobs_assigned"] == 6
    assert main(["validate", str(problem_file), str(plan_file)]) == 0
    assert "valid: 6 jobs" in capsys.readouterr().out


def test_the_time_limit_bounds_the_whole_command(
        problem_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The solver gets the limit less what reading came before it and less the output
    margin; a command started long ago still gets the minimum solve."""
    import time

    from fieldops.cli import dispatch as cli_dispatch
    from fieldops.domain.plan import DispatchPlan
    from fieldops.solver.dispatch import SolveParams
    from fieldops.solver.dispatch.deadline import MIN_SOLVE_SECONDS, output_margin

    given: list[SolveParams] = []
    real = cli_dispatch.solve_dispatch

    def spy(problem: object, params: SolveParams, **kw: object) -> DispatchPlan:
        given.append(params)
        return real(problem, params, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(cli_dispatch, "solve_dispatch", spy)
    plan_file = tmp_path / "plan.json"
    assert main(["solve", str(problem_file), "-o", str(plan_file), "--time-limit", "5"]) == 0
    assert given[-1].time_limit <= 5 - output_margin(6)
    args = cli_dispatch.argparse.Namespace(
        problem=problem_file, output=plan_file, time_limit=5.0, seed=0, workers=1,
        started=time.monotonic() - 60)  # the process started a minute ago
    assert cli_dispatch.cmd_solve(args) == 0
    assert given[-1].time_limit == MIN_SOLVE_SECONDS
    assert json.loads(plan_file.read_text())["kpis"]["jobs_assigned"] == 6


def test_solve_from_the_shell_writes_a_valid_plan_and_exits_with_its_code(
        problem_file: Path, tmp_path: Path) -> None:
    """As a user runs it: a fresh process, timed from its start, ended without the
    interpreter's teardown once the plan is written (``main`` with argv None)."""
    import subprocess
    import sys

    from fieldops.schemas import load_plan, load_problem
    from fieldops.validators.dispatch import assert_valid

    plan_file = tmp_path / "plan.json"
    done = subprocess.run([sys.executable, "-m", "fieldops.cli", "solve", str(problem_file),
                           "-o", str(plan_file), "--time-limit", "3"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "(validated)" in done.stderr
    plan = load_plan(plan_file)
    assert plan.kpis.jobs_assigned == 6
    assert_valid(load_problem(problem_file), plan)


def test_every_command_is_registered_by_the_group_the_table_names() -> None:
    import argparse

    from fieldops.cli import COMMANDS, build_parser

    full = build_parser()
    actions = [a for a in full._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(actions[0].choices) == set(COMMANDS)
    for command in COMMANDS:
        alone = build_parser(command)
        sub = [a for a in alone._actions if isinstance(a, argparse._SubParsersAction)]
        assert command in sub[0].choices


def test_process_started_is_before_now() -> None:
    import time

    from fieldops.cli.live import process_started

    assert process_started() <= time.monotonic()


def test_validate_catches_a_tampered_plan(problem_file: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    plan_file = tmp_path / "plan.json"
    main(["solve", str(problem_file), "-o", str(plan_file), "--time-limit", "1"])
    plan = json.loads(plan_file.read_text())
    # Hand a route to the other technician's shift without changing anything else:
    # the homes are 40 km apart, so its start and end are now in the wrong place.
    route = next(r for r in plan["routes"] if len(r["steps"]) > 3)
    route["shift_id"] = "S-B" if route["shift_id"] == "S-A" else "S-A"
    plan["routes"] = [route]
    plan_file.write_text(json.dumps(plan))
    capsys.readouterr()
    assert main(["validate", str(problem_file), str(plan_file)]) == 1
    out = capsys.readouterr().out
    assert "wrong_location" in out
    assert main(["validate", str(problem_file), str(plan_file), "--json"]) == 1
    violations = json.loads(capsys.readouterr().out)
    assert {"code", "message", "shift_id", "request_id"} <= violations[0].keys()
    assert "wrong_location" in {v["code"] for v in violations}


def test_bad_problem_is_reported_with_its_field(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"timezone": "Mars/Olympus", "horizon": {
        "start": "2026-03-02T00:00:00+01:00", "end": "2026-03-03T00:00:00+01:00"}}))
    assert main(["solve", str(bad), "-o", str(tmp_path / "p.json")]) == 2
    assert "timezone" in capsys.readouterr().err
    assert not (tmp_path / "p.json").exists()


def test_demo_writes_plan_report_and_calendars(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--output-dir", str(out), "--time-limit", "2"]) == 0
    plan = json.loads((out / "plan.json").read_text())
    problem = json.loads((out / "problem.json").read_text())
    assert plan["kpis"]["jobs_total"] == len(problem["requests"]) >= 200
    assert (out / "report.html").read_text().lstrip().lower().startswith("<!doctype html")
    used = {r["technician_id"] for r in plan["routes"] if len(r["steps"]) > 2}
    calendars = {p.stem for p in (out / "calendars").glob("*.ics")}
    assert used <= calendars


def test_workforce_demo_runs_the_chain_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "wf"
    assert main(["demo", "--workforce", "--output-dir", str(out)]) == 0
    history = (out / "history.csv").read_text().splitlines()
    forecast = (out / "forecast.csv").read_text().splitlines()
    staffing = (out / "staffing.csv").read_text().splitlines()
    # A year of 15-minute history, a week of forecast, one staffing row per
    # forecast row: the chain passed its data all the way through.
    assert len(history) > 4 * 30_000
    assert len(forecast) > 1 and len(staffing) == len(forecast)
    assert list(out.glob("*.png")), "each step writes its chart"
