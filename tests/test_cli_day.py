"""``fieldops day …``: the live day on files (etas, insert, move, replan)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldops.cli import main
from fieldops.domain.live import Delay, JobStatus, StatusReport
from fieldops.schemas import (
    dump_json,
    load_plan,
    load_problem,
    plan_to_json,
    problem_to_json,
    request_to_json,
)
from fieldops.schemas.live import event_to_json
from fieldops.validators.dispatch import assert_valid

from line_world import t
from live_fixtures import Day


@pytest.fixture
def files(tmp_path: Path) -> tuple[Day, list[str]]:
    d = Day()
    dump_json(problem_to_json(d.problem), tmp_path / "problem.json")
    dump_json(plan_to_json(d.published), tmp_path / "plan.json")
    first = d.published.route_for("S-A").jobs[0]  # type: ignore[union-attr]
    events = [StatusReport("A1", JobStatus.ON_SITE, first.start),
              Delay("A1", first.end + (t(100) - t(0)), t(20))]
    (tmp_path / "events.json").write_text(json.dumps([event_to_json(e) for e in events]))
    return d, [str(tmp_path / "problem.json"), str(tmp_path / "plan.json"),
               "--events", str(tmp_path / "events.json"), "--as-of", t(30).isoformat()]


def test_etas_show_the_overrun_pushing_later_stops(files: tuple[Day, list[str]],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _, common = files
    assert main(["day", "etas", *common]) == 0
    lines = {line.split("\t")[1]: line for line in capsys.readouterr().out.splitlines()}
    assert "on_site" in lines["A1"]
    assert "+0 min" not in lines["A2"]  # pushed by the 100-minute overrun
    assert "B1" in lines and "dispatched" in lines["B2"]


def test_insert_prints_the_diff_and_writes_a_valid_plan(
        files: tuple[Day, list[str]], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    d, common = files
    request = d.request("N", "F")
    (tmp_path / "n.json").write_text(json.dumps(request_to_json(request)))
    out, prob = tmp_path / "out.json", tmp_path / "prob.json"
    assert main(["day", "insert", *common, "--request", str(tmp_path / "n.json"),
                 "-o", str(out), "--problem-out", str(prob)]) == 0
    text = capsys.readouterr().out
    assert "+N " in text and "validated" in text
    assert_valid(load_problem(prob), load_plan(out))


def test_move_refusal_and_replan(files: tuple[Day, list[str]],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    _, common = files
    assert main(["day", "move", *common, "--request-id", "A2", "--technician", "B",
                 "--start", t(450).isoformat()]) == 1  # A2's windows close at minute 400
    assert "would start after the window closes" in capsys.readouterr().err
    assert main(["day", "move", *common, "--request-id", "A3", "--technician", "B"]) == 0
    assert "notify:" in capsys.readouterr().out
    assert main(["day", "replan", *common, "--time-limit", "1"]) == 0
    assert "validated" in capsys.readouterr().out
