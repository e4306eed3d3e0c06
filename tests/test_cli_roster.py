"""``fieldops roster`` end to end: forecast → ``fieldops staff`` → roster, validated."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from fieldops.cli import main
from fieldops.domain.roster import (
    Agent,
    Contract,
    QueueSkill,
    RosterProblem,
    ShiftTemplate,
)
from fieldops.schemas import (
    read_staffing,
    requirements_from_staffing,
    roster_from_json,
    roster_problem_from_json,
    roster_problem_to_json,
)
from fieldops.validators.roster import validate_roster

BERLIN = ZoneInfo("Europe/Berlin")
START = date(2026, 12, 7)  # a Monday
DAYS = 2


def agents_problem() -> RosterProblem:
    """Eight agents, two 8.5 h shift patterns, voice and chat, no requirements yet."""
    templates = tuple(
        ShiftTemplate(tid, start, timedelta(hours=8, minutes=30),
                      break_length=timedelta(minutes=30), break_earliest=timedelta(hours=3),
                      break_latest=timedelta(hours=5))
        for tid, start in (("early", time(7)), ("late", time(11))))
    agents = tuple(
        Agent(f"a{i}", "full",
              (QueueSkill("voice/en", 3 + i % 3),) + ((QueueSkill("chat/en"),) if i % 2 else ()),
              name=f"Agent {i}")
        for i in range(8))
    return RosterProblem(start=START, days=DAYS, queues=("voice/en", "chat/en"),
                         templates=templates,
                         contracts=(Contract("full", max_work_per_week=timedelta(hours=40),
                                             min_rest=timedelta(hours=11)),),
                         agents=agents, requirements=(), timezone="Europe/Berlin",
                         name="cli test")


def write_inputs(tmp: Path) -> tuple[Path, Path, Path]:
    """agents.json, and a forecast for 08:00–18:00 on both days."""
    agents = tmp / "agents.json"
    agents.write_text(json.dumps(roster_problem_to_json(agents_problem(), requirements=False)))
    rows = []
    for d in range(DAYS):
        day = START + timedelta(days=d)
        for k in range(8 * 4, 18 * 4):
            t = datetime.combine(day, time(0), tzinfo=BERLIN) + timedelta(minutes=15 * k)
            peak = 2.0 if 10 * 4 <= k < 14 * 4 else 1.0
            rows.append((t.isoformat(), "voice/en", 2.0 * peak, 180.0))
            rows.append((t.isoformat(), "chat/en", 1.0, 300.0))
    forecast = tmp / "forecast.csv"
    pd.DataFrame(rows, columns=["interval_start", "queue", "offered", "aht_seconds"]).to_csv(
        forecast, index=False)
    return agents, forecast, tmp / "staffing.csv"


def test_staff_then_roster_then_validate(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    agents, forecast, staffing = write_inputs(tmp_path)
    assert main(["staff", str(forecast), "-o", str(staffing), "--service-level", "80/20",
                 "--shrinkage", "0.3", "--timezone", "Europe/Berlin"]) == 0
    capsys.readouterr()
    out_json = tmp_path / "roster.json"
    code = main(["roster", str(staffing), str(agents), "-o", str(out_json),
                 "--chart", str(tmp_path / "coverage.png"), "--table",
                 str(tmp_path / "roster.csv"), "--time-limit", "2", "--workers", "1",
                 "--volumes", str(forecast), "--target", "80/20", "--shrinkage", "0.3",
                 "--simulate-routing", "--replications", "2"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "roster validated" in out and "coverage:" in out and "Predicted service level" in out
    assert "Simulated under skill-based routing" in out

    # The file is a roster the independent validator accepts, on a problem rebuilt
    # from the same inputs: requirements = ⌈scheduled⌉ of `fieldops staff`.
    problem = agents_problem()
    staff_rows = read_staffing(staffing)
    reqs = requirements_from_staffing(staff_rows, within=problem.horizon)
    assert [r.required for r in reqs] == [math.ceil(v - 1e-6) for v in staff_rows["scheduled"]]
    problem = RosterProblem(**{**{f: getattr(problem, f) for f in (
        "start", "days", "queues", "templates", "contracts", "agents", "timezone", "interval",
        "weights", "name")}, "requirements": reqs})
    document = json.loads(out_json.read_text())
    roster = roster_from_json(document)
    assert roster.assignments
    assert validate_roster(problem, roster) == []
    assert document["timezone"] == "Europe/Berlin"
    assert {a["agent_id"] for a in document["agents"]} == {a.id for a in problem.agents}

    # The prediction: one row per forecast interval and queue, and wherever the roster
    # staffs what the staffing asked for, the target is met (by construction).
    predicted = pd.DataFrame(document["predicted"]["intervals"])
    assert len(predicted) == 2 * DAYS * 40
    covered = predicted[predicted["staffed"] >= predicted["required"]]
    assert len(covered) and covered["meets_target"].all()
    coverage = pd.DataFrame(document["coverage"])
    merged = predicted.merge(coverage, on=["interval_start", "queue"], suffixes=("", "_cov"))
    assert len(merged) == len(predicted)
    assert (merged["staffed"] == merged["staffed_cov"]).all()  # same heads as the roster says
    assert document["predicted"]["below_target"] == int((~predicted["meets_target"]).sum())
    simulated = pd.DataFrame(document["simulated"]["intervals"])
    assert set(simulated["queue"]) == {"voice/en", "chat/en"}
    assert simulated["service_level"].between(0, 1).all()
    assert {s["queue"] for s in document["simulated"]["summary"]} == {"voice/en", "chat/en"}

    assert (tmp_path / "coverage.png").read_bytes()[:4] == b"\x89PNG"
    table = pd.read_csv(tmp_path / "roster.csv", keep_default_na=False)
    assert table["agent_id"].tolist() == [a.id for a in problem.agents]
    assert table["shifts"].sum() == len(roster.assignments)


def test_full_problem_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, forecast, staffing = write_inputs(tmp_path)
    assert main(["staff", str(forecast), "-o", str(staffing), "--shrinkage", "0.3"]) == 0
    base = agents_problem()
    problem = RosterProblem(**{**{f: getattr(base, f) for f in (
        "start", "days", "queues", "templates", "contracts", "agents", "timezone", "interval",
        "weights", "name")}, "requirements": requirements_from_staffing(
            read_staffing(staffing), within=base.horizon)})
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(roster_problem_to_json(problem)))
    assert roster_problem_from_json(json.loads(path.read_text())) == problem
    out_json = tmp_path / "roster.json"
    assert main(["roster", "--problem", str(path), "-o", str(out_json), "--time-limit", "2",
                 "--workers", "1"]) == 0
    assert validate_roster(problem, roster_from_json(json.loads(out_json.read_text()))) == []
    assert "predicted" not in json.loads(out_json.read_text())


def test_input_errors_exit_2_naming_the_field(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    agents, _, staffing = write_inputs(tmp_path)
    pd.DataFrame({"interval_start": ["2026-12-07T08:00:00+01:00"], "queue": ["email/en"],
                  "scheduled": [2.0]}).to_csv(staffing, index=False)
    out = tmp_path / "roster.json"
    assert main(["roster", str(staffing), str(agents), "-o", str(out)]) == 2
    assert "staffing[0].queue" in capsys.readouterr().err
    pd.DataFrame({"interval_start": ["2027-01-04T08:00:00+01:00"], "queue": ["voice/en"],
                  "scheduled": [2.0]}).to_csv(staffing, index=False)
    assert main(["roster", str(staffing), str(agents), "-o", str(out)]) == 2
    assert "no rows between 2026-12-07" in capsys.readouterr().err
    bad = json.loads(agents.read_text())
    bad["agents"][2]["skills"][0]["proficiency"] = 7
    agents.write_text(json.dumps(bad))
    assert main(["roster", str(staffing), str(agents), "-o", str(out)]) == 2
    assert "agents[2].skills[0].proficiency" in capsys.readouterr().err
    assert main(["roster", "-o", str(out)]) == 2
    assert main(["roster", "--problem", str(agents), "-o", str(out), "--workers", "0"]) == 2
    assert "params.workers" in capsys.readouterr().err
    assert not out.exists()  # nothing half written


def test_roster_sample_writes_the_sample_center(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from fieldops.data.roster_sample import realistic_center

    assert main(["roster-sample", str(tmp_path), "--agents", "12", "--weeks", "1",
                 "--seed", "3"]) == 0
    assert "fieldops roster" in capsys.readouterr().out
    expected = realistic_center(seed=3, agents=12, weeks=1)
    base = roster_problem_from_json(json.loads((tmp_path / "agents.json").read_text()))
    reqs = requirements_from_staffing(read_staffing(tmp_path / "staffing.csv"),
                                      within=base.horizon, queues=base.queues)
    assert base.agents == expected.agents and base.templates == expected.templates
    assert reqs == expected.requirements  # weights (the VIP line) included


DOCS = Path(__file__).resolve().parents[1] / "docs" / "workforce.md"


def _doc_block(name: str, language: str) -> str:
    import re

    match = re.search(rf"<!-- example: {name}.*?-->\s*```{language}\n(.*?)```",
                      DOCS.read_text(encoding="utf-8"), re.S)
    assert match, f"docs/workforce.md lost its {name} block"
    return match.group(1)


def test_docs_agents_json_and_chain_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = _doc_block("roster-agents", "json")
    data = json.loads(text)
    problem = roster_problem_from_json(data)
    # The table's promises: every template, contract and agent key is used once.
    assert {k for t in data["templates"] for k in t} == {
        "id", "name", "start", "length", "break_length", "break_earliest", "break_latest",
        "break_paid", "days", "queues", "forbidden_successors"}
    assert {k for a in data["agents"] for k in a} == {
        "id", "name", "contract", "email", "skills", "preferences", "unavailable",
        "templates", "days_off"}
    assert roster_problem_from_json(roster_problem_to_json(problem, requirements=False)) \
        == problem
    (tmp_path / "agents.json").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "docs_example"}
    exec(compile(_doc_block("roster-chain", "python"), str(DOCS), "exec"), namespace)
    solved, roster = namespace["problem"], namespace["roster"]
    assert isinstance(solved, RosterProblem)
    assert validate_roster(solved, roster) == []  # type: ignore[arg-type]
    predicted = namespace["predicted"]
    assert isinstance(predicted, pd.DataFrame) and len(predicted) == 2 * 2 * 40


@pytest.mark.slow
def test_roster_demo_writes_a_valid_roster(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from fieldops.cli import main

    # 10 s, not 3: on a shared 2-core machine the heuristic's third of 3 s was often
    # too short to finish (no roster at all, before the queue blocks too).
    assert main(["demo", "--roster", "--output-dir", str(tmp_path), "--time-limit", "10"]) == 0
    assert "roster validated" in capsys.readouterr().out
    base = roster_problem_from_json(json.loads((tmp_path / "agents.json").read_text()))
    problem = roster_problem_from_json(
        json.loads((tmp_path / "agents.json").read_text()),
        requirements=requirements_from_staffing(read_staffing(tmp_path / "staffing.csv"),
                                                within=base.horizon))
    roster = roster_from_json(json.loads((tmp_path / "roster.json").read_text()))
    assert roster.assignments and validate_roster(problem, roster) == []
    assert (tmp_path / "coverage.png").read_bytes()[:4] == b"\x89PNG"
    assert len(pd.read_csv(tmp_path / "roster.csv")) == len(problem.agents)
