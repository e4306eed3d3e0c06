"""The workforce command line end to end on a short sample, and the docs example."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from fieldops.cli import main

DOCS = Path(__file__).resolve().parents[1] / "docs" / "workforce.md"


def test_sample_forecast_staff_simulate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = tmp_path / "history.csv"
    forecast_csv = tmp_path / "forecast.csv"
    staffing_csv = tmp_path / "staffing.csv"
    assert main(["workforce-sample", "-o", str(history), "--days", "42"]) == 0
    # 42 days from Monday 2025-01-06 (no DST change before March 30): 42 * 96 per queue.
    assert len(pd.read_csv(history)) == 42 * 96 * 4
    assert main(["forecast", str(history), "-o", str(forecast_csv), "--horizon-days", "7",
                 "--backtest-weeks", "2"]) == 0
    out = capsys.readouterr().out
    assert "back-test WAPE" in out and "voice/en" in out
    fc = pd.read_csv(forecast_csv)
    assert len(fc) == 7 * 96 * 4 and set(fc["method"]) <= {"seasonal_profile", "holt_winters"}
    assert (tmp_path / "forecast.png").stat().st_size > 10_000
    assert main(["staff", str(forecast_csv), "--service-level", "80/20", "-o",
                 str(staffing_csv), "--patience", "120", "--chat-concurrency", "2",
                 "--shrinkage", "0.25", "--simulate", "--replications", "2"]) == 0
    out = capsys.readouterr().out
    assert "Staffing" in out and "Simulation" in out
    plan = pd.read_csv(staffing_csv)
    assert len(plan) == 7 * 96 * 4
    voice = plan[plan["queue"] == "voice/en"]
    busy = voice[voice["offered"] > 1]
    assert (busy["service_level"] >= 0.8 - 1e-9).all()
    assert (plan["scheduled"] - plan["agents"] / 0.75).abs().max() < 1e-6
    assert set(plan[plan["queue"] == "email/en"]["model"]) == {"deadline"}
    assert (tmp_path / "staffing.png").stat().st_size > 10_000
    sim = pd.read_csv(tmp_path / "staffing_simulation.csv")
    assert set(sim["queue"]) == {"voice/en", "voice/de", "chat/en"} and len(sim) == 3 * 96


def test_bad_input_exits_2_naming_row_and_field(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "history.csv"
    bad.write_text("interval_start,queue,offered,aht_seconds\n"
                   "2026-03-02T08:00:00+01:00,voice/en,3,300\n"
                   "2026-03-02T08:15:00+01:00,voice/en,-4,300\n")
    assert main(["forecast", str(bad), "-o", str(tmp_path / "f.csv")]) == 2
    assert "history[1].offered: must be at least 0" in capsys.readouterr().err
    assert main(["staff", str(bad), "-o", str(tmp_path / "s.csv"),
                 "--service-level", "eighty"]) == 2
    assert "service_level" in capsys.readouterr().err


def test_docs_example_runs() -> None:
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(r"<!-- example: workforce-chain.*?-->\s*```python\n(.*?)```", text, re.S)
    assert match, "docs/workforce.md lost its example block"
    exec(compile(match.group(1), str(DOCS), "exec"), {"__name__": "docs_example"})


def test_staff_what_if_factors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    demand = tmp_path / "demand.csv"
    demand.write_text("interval_start,queue,offered,aht_seconds\n"
                      "2026-03-02T08:00:00+01:00,voice/en,50,180\n")
    plans = {}
    for name, extra in (("base", []), ("busy", ["--volume-factor", "1.5",
                                                "--aht-factor", "1.2"])):
        out = tmp_path / f"{name}.csv"
        assert main(["staff", str(demand), "-o", str(out), "--shrinkage", "0", *extra]) == 0
        plans[name] = pd.read_csv(out).iloc[0]
    assert plans["busy"]["offered"] == pytest.approx(75)
    assert plans["busy"]["aht_seconds"] == pytest.approx(216)
    assert plans["busy"]["agents"] > plans["base"]["agents"]
    capsys.readouterr()
    assert main(["staff", str(demand), "-o", str(tmp_path / "x.csv"),
                 "--volume-factor", "0"]) == 2
    assert "volume_factor" in capsys.readouterr().err


@pytest.mark.parametrize("learners", [0, 1])
def test_intraday_rest_of_day_against_a_roster(tmp_path: Path, learners: int,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Forecast 10 calls a quarter hour, a morning at 15: more staff than rostered.
    A learner (proficiency 1) counts half an agent, as in the roster's coverage."""
    import json

    from fieldops.schemas import roster_from_json, roster_problem_from_json
    from fieldops.validators.roster import assert_roster_valid

    start = pd.Timestamp("2026-12-07T08:00:00+01:00")

    def write(path: Path, calls: float, quarters: int) -> Path:
        rows = [((start + pd.Timedelta(minutes=15 * k)).isoformat(), "voice", calls, 180.0)
                for k in range(quarters)]
        pd.DataFrame(rows, columns=["interval_start", "queue", "offered", "aht_seconds"]
                     ).to_csv(path, index=False)
        return path

    forecast = write(tmp_path / "forecast.csv", 10, 48)
    actuals = write(tmp_path / "actuals.csv", 15, 16)
    problem = {
        "horizon": {"start": "2026-12-07", "days": 1, "timezone": "Europe/Berlin",
                    "interval": "PT1H"},
        "queues": ["voice"],
        "templates": [{"id": "day", "start": "08:00", "length": "PT12H"}],
        "contracts": [{"id": "full"}],
        "agents": [{"id": f"a{i}", "contract": "full",
                    "skills": [{"queue": "voice", "proficiency": 1 if i < learners else 3}]}
                   for i in range(3)],
        "requirements": [{"start": (start + pd.Timedelta(hours=h)).isoformat(),
                          "queue": "voice", "required": 3} for h in range(12)],
    }
    (tmp_path / "problem.json").write_text(json.dumps(problem))
    roster_path = tmp_path / "roster.json"
    assert main(["roster", "--problem", str(tmp_path / "problem.json"), "-o", str(roster_path),
                 "--time-limit", "5", "--workers", "1"]) == 0
    assert_roster_valid(roster_problem_from_json(problem),
                        roster_from_json(json.loads(roster_path.read_text())))
    out = tmp_path / "intraday.csv"
    assert main(["intraday", str(forecast), str(actuals), "--now", "2026-12-07T12:00:00+01:00",
                 "-o", str(out), "--roster", str(roster_path), "--shrinkage", "0",
                 "--problem", str(tmp_path / "problem.json")]) == 0
    printed = capsys.readouterr().out
    assert "Intraday" in printed and "voice" in printed
    frame = pd.read_csv(out)
    assert len(frame) == 32  # 12:00-20:00
    assert (frame["day_ahead"] == 10).all() and (frame["offered"] > 13).all()
    staff = 3 - 0.5 * learners  # three agents on the 08-20 template, no break
    assert (frame["rostered"] == staff).all()
    assert (frame["short"] == (frame["required"] - staff).clip(lower=0)).all()
    if not learners:
        assert (frame["meets_target"] == (frame["required"] <= 3)).all()


def test_staff_pooled_writes_the_simulated_staffing(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    demand = tmp_path / "demand.csv"
    demand.write_text("interval_start,queue,offered,aht_seconds\n"
                      "2026-03-02T08:00:00+01:00,voice/en,25,180\n"
                      "2026-03-02T08:00:00+01:00,voice/de,25,180\n")
    out = tmp_path / "staffing.csv"
    assert main(["staff", str(demand), "-o", str(out), "--pooled", "--replications", "3"]) == 0
    assert "pooled staffing" in capsys.readouterr().out
    pooled = pd.read_csv(tmp_path / "staffing_pooled.csv")
    assert len(pooled) == 1
    row = pooled.iloc[0]
    assert row["per_queue_agents"] == pd.read_csv(out)["agents"].sum()
    assert row["pooled_agents"] < row["per_queue_agents"]
