"""The worked example in docs/json-format.md parses, solves and validates.

The page's ```python block is run as written, on the page's ```json block saved as
``day.json``, so both stay true.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fieldops.domain import DispatchPlan, DispatchProblem, Priority
from fieldops.schemas import plan_from_json, problem_from_json
from fieldops.validators.dispatch import validate_plan

DOC = Path(__file__).resolve().parents[1] / "docs" / "json-format.md"


def block(language: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"),
                        re.DOTALL)
    assert len(blocks) == 1, f"docs/json-format.md should hold exactly one ```{language} block"
    return str(blocks[0])


def example() -> DispatchProblem:
    return problem_from_json(json.loads(block("json")))


def test_example_is_the_problem_the_text_describes() -> None:
    problem = example()
    assert len(problem.technicians) == 3
    assert len(problem.requests) == 8
    assert {r.priority for r in problem.requests} == set(Priority)
    assert sum(s.lunch is not None for s in problem.shifts) == 2
    assert "gold" in problem.tier_by_name
    # The deadlines the prose states: gold = created_at + 4 h; silver from a Sunday
    # 16:00 = Monday 17:00 local.
    deadlines = {r.id: problem.sla_deadline(r) for r in problem.requests}
    for rid, local in (("R-1001", "2026-03-02T10:40"), ("R-1006", "2026-03-02T11:15"),
                       ("R-1008", "2026-03-02T17:00")):
        deadline = deadlines[rid]
        assert deadline is not None
        assert deadline.astimezone(problem.tz).isoformat(timespec="minutes")[:16] == local
    # Who may do what, as the prose says.
    hvac2_or_gas2 = {r.id for r in problem.requests if any(
        s.level >= 2 and s.name in ("hvac", "gas") for s in r.required_skills)}
    assert hvac2_or_gas2 == {"R-1001", "R-1002", "R-1005"}
    assert [t.id for t in problem.technicians
            if t.qualifies_for(problem.request_by_id["R-1001"].required_skills)] == ["anna"]


def test_example_solves_to_a_valid_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "day.json").write_text(block("json"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(block("python"), str(DOC), "exec"), namespace)  # the page's own snippet
    problem, plan = namespace["problem"], namespace["plan"]
    assert isinstance(problem, DispatchProblem) and isinstance(plan, DispatchPlan)
    assert problem == example()
    assert validate_plan(problem, plan) == []
    routed = [s.request_id or "" for r in plan.routes for s in r.jobs]
    left_out = [u.request_id for u in plan.unassigned]
    assert sorted(routed + left_out) == sorted(r.id for r in problem.requests)
    assert plan_from_json(json.loads(json.dumps(namespace["document"]))) == plan
