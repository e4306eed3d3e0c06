"""``fieldops slots offers`` / ``slots book`` on files."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from fieldops.cli import main
from fieldops.domain import ServiceRequest
from fieldops.schemas import dump_json, load_plan, load_problem, plan_to_json, problem_to_json
from fieldops.schemas.dispatch import request_to_json
from fieldops.solver.dispatch.solve import evaluate_routes
from fieldops.validators.dispatch import assert_valid

from line_world import LineWorld, shift
from live_fixtures import Day


def _files(tmp_path: Path) -> list[str]:
    d = Day()
    dump_json(problem_to_json(d.problem), tmp_path / "problem.json")
    dump_json(plan_to_json(d.published), tmp_path / "plan.json")
    dump_json(request_to_json(d.request("N", "E")), tmp_path / "request.json")
    return [str(tmp_path / n) for n in ("problem.json", "plan.json", "request.json")]


def test_offers_then_book_the_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = _files(tmp_path)
    assert main(["slots", "offers", *files, "--date", "2026-03-02", "--json"]) == 0
    offers = json.loads(capsys.readouterr().out)
    assert len(offers) == 5
    out = tmp_path / "booked.json"
    assert main(["slots", "book", *files, offers[0]["slot_id"], "-o", str(out)]) == 0
    problem = load_problem(tmp_path / "booked-problem.json")
    plan = load_plan(out)
    assert_valid(problem, plan)
    assert "N" in {rid for r in plan.routes for rid in r.request_ids}


def test_a_slot_without_room_fails_and_a_bad_slot_id_is_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = _files(tmp_path)
    night = "2026-03-02T00:00:00Z/2026-03-02T02:00:00Z"
    assert main(["slots", "book", *files, night, "-o", str(tmp_path / "x.json")]) == 1
    assert main(["slots", "book", *files, "soon", "-o", str(tmp_path / "x.json")]) == 2
    assert "slot_id" in capsys.readouterr().err


def test_started_keeps_every_planned_job_at_its_start(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A (km 0) serves A1 (km 10) from 08:10; B (km 30) is free. A new job at A1's
    # address from 08:00: on a day not started it goes before A1 (pushed within the
    # tolerance, nothing to pay); with --started nobody moves, so it goes to B.
    w = LineWorld()
    a1 = w.job("A1", 10, 120)
    problem = w.problem([w.technician("A", 0), w.technician("B", 30)], [a1],
                        shifts=[shift("A", 0, 240), shift("B", 0, 240)])
    dump_json(problem_to_json(problem), tmp_path / "problem.json")
    dump_json(plan_to_json(evaluate_routes(problem, {"S-A": ["A1"]})), tmp_path / "plan.json")
    new = ServiceRequest(id="N", location=a1.location, duration=timedelta(minutes=30))
    dump_json(request_to_json(new), tmp_path / "request.json")
    files = [str(tmp_path / n) for n in ("problem.json", "plan.json", "request.json")]
    shifts = {}
    for flags in ([], ["--started"]):
        assert main(["slots", "offers", *files, "--date", "2026-03-02", "--json", *flags]) == 0
        first = [o for o in json.loads(capsys.readouterr().out)
                 if o["slot_id"].startswith("2026-03-02T07:00")]
        shifts[bool(flags)] = first[0]["shift_id"]
        out = tmp_path / f"booked{len(flags)}.json"
        assert main(["slots", "book", *files, first[0]["slot_id"], "-o", str(out),
                     *flags]) == 0
        plan = load_plan(out)
        assert next(r.shift_id for r in plan.routes if "N" in r.request_ids) == shifts[bool(flags)]
    assert shifts == {False: "S-A", True: "S-B"}
