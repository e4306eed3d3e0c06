"""``fieldops slots offers`` / ``slots book`` on files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldops.cli import main
from fieldops.schemas import dump_json, load_plan, load_problem, plan_to_json, problem_to_json
from fieldops.schemas.dispatch import request_to_json
from fieldops.validators.dispatch import assert_valid

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
