"""``fieldops demo --serve``: the demo day published in its own database, the board's
address and a dispatcher key printed, then ``fieldops serve`` on that database."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fieldops.api import create_app
from fieldops.cli import board as board_cli
from fieldops.cli import main
from fieldops.data.sample import demo_day_json_on
from fieldops.services import live
from fieldops.services.plans import decode_finished, plan_and_problem
from fieldops.store.keys import find_api_key
from fieldops.validators.dispatch import assert_valid


@pytest.mark.slow
def test_demo_serve_publishes_the_day_and_prints_the_board(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    served: list[tuple[str, str, int]] = []

    def fake_serve(url: str, host: str, port: int) -> int:
        served.append((url, host, port))
        return 0

    monkeypatch.setattr(board_cli, "_serve", fake_serve)
    code = main(["demo", "--serve", "--output-dir", str(tmp_path), "--time-limit", "4",
                 "--port", "8123"])
    assert code == 0
    out = capsys.readouterr().out
    tomorrow = datetime.now(ZoneInfo("Europe/Paris")).date() + timedelta(days=1)
    assert f"board: http://127.0.0.1:8123/board/{tomorrow.isoformat()}" in out
    key = re.search(r"dispatcher key \(shown once\):\s+(fo_\S+)", out)
    assert key, out
    url = f"sqlite:///{(tmp_path / board_cli.DB_FILE).resolve()}"
    assert served == [(url, "127.0.0.1", 8123)]
    app = create_app({"DATABASE_URL": url, "WORKER_MODE": "thread", "REAPER": False})
    try:
        with app.extensions["fieldops"].db.session() as s:
            row = find_api_key(s, key.group(1))
            assert row is not None and row.role == "dispatcher"
            day: dict[str, Any] = live.day_view(s, tomorrow)
            result, problem = plan_and_problem(s, day["published_plan_id"])
        plan, problem_obj = decode_finished(result, problem)
        assert_valid(problem_obj, plan)
    finally:
        app.extensions["fieldops"].backend.shutdown(wait=True)
        app.extensions["fieldops"].db.dispose()
    stops = [st for t in day["technicians"] for st in t["stops"]]
    assert len(stops) + len(day["unassigned"]) == 250
    assert stops  # a 4-second solve on a busy machine places fewer than a long one


def test_the_demo_day_moves_keeping_local_times() -> None:
    summer = demo_day_json_on(datetime(2026, 7, 8).date())
    assert summer["horizon"] == {"start": "2026-07-08T00:00:00+02:00",
                                 "end": "2026-07-09T00:00:00+02:00"}
    assert summer["shifts"][0]["start"] == "2026-07-08T08:00:00+02:00"
    winter = demo_day_json_on(datetime(2026, 12, 8).date())
    assert winter["shifts"][0]["start"] == "2026-12-08T08:00:00+01:00"
    assert len(winter["requests"]) == 250
