"""Roster coverage chart (PNG) and the per-agent table (CSV)."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from matplotlib import image

from fieldops.domain.roster import (
    Agent,
    Contract,
    QueueSkill,
    Roster,
    RosterAssignment,
    RosterProblem,
    RosterStatus,
    ShiftTemplate,
)
from fieldops.reports.roster_chart import (
    coverage_chart_png,
    roster_table,
    write_coverage_chart,
    write_roster_table,
)

BERLIN = ZoneInfo("Europe/Berlin")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=BERLIN)


def problem() -> RosterProblem:
    templates = (ShiftTemplate("early", time(7), timedelta(hours=8, minutes=30),
                               break_length=timedelta(minutes=30)),
                 ShiftTemplate("night", time(22), timedelta(hours=9)))
    agents = (Agent("ann", "c", (QueueSkill("voice/en"),), name="Ann",
                    days_off=frozenset({date(2026, 12, 8)})),
              Agent("bob", "c", (QueueSkill("chat/en"),)))
    return RosterProblem(start=date(2026, 12, 5), days=4, queues=("voice/en", "chat/en"),
                         templates=templates, contracts=(Contract("c"),), agents=agents,
                         requirements=(), timezone="Europe/Berlin", name="test")


def roster() -> Roster:
    starts = pd.date_range("2026-12-05T07:00:00+01:00", periods=8, freq="15min")
    coverage = pd.concat([
        pd.DataFrame({"interval_start": starts, "queue": "voice/en",
                      "required": [2, 2, 3, 3, 1, 1, 0, 0], "staffed": [1, 2, 2, 3, 1, 2, 0, 0]}),
        pd.DataFrame({"interval_start": starts, "queue": "chat/en",
                      "required": 1, "staffed": 1}),
    ], ignore_index=True)
    coverage["short"] = (coverage["required"] - coverage["staffed"]).clip(lower=0)
    coverage["over"] = (coverage["staffed"] - coverage["required"]).clip(lower=0)
    shifts = (RosterAssignment("ann", date(2026, 12, 5), "early", at(5, 7), at(5, 15, 30)),
              RosterAssignment("ann", date(2026, 12, 6), "night", at(6, 22), at(7, 7)),
              RosterAssignment("bob", date(2026, 12, 7), "early", at(7, 7), at(7, 15, 30)))
    return Roster(RosterStatus.FEASIBLE, shifts, coverage, {}, 0, 0.0)


def test_chart_is_a_png_with_a_panel_per_queue(tmp_path: Path) -> None:
    png = coverage_chart_png(roster(), problem())
    pixels = image.imread(io.BytesIO(png), format="png")
    height, width = pixels.shape[:2]
    assert width == 1200 and height == 540  # 12 in wide, 1 + 2.2 in per queue, 100 dpi
    predicted = pd.DataFrame({"interval_start": roster().coverage["interval_start"][:2],
                              "queue": "voice/en", "meets_target": [False, True]})
    path = write_coverage_chart(roster(), problem(), tmp_path / "c.png", predicted, days=None)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.read_bytes() != png  # the below-target marks are drawn
    empty = Roster(RosterStatus.FEASIBLE, (), roster().coverage.iloc[:0], {}, 0, 0.0)
    assert coverage_chart_png(empty, problem())[:4] == b"\x89PNG"


def test_table_has_one_row_per_agent_and_a_column_per_day(tmp_path: Path) -> None:
    table = roster_table(roster(), problem()).set_index("agent_id")
    assert list(table.columns[-4:]) == ["2026-12-05", "2026-12-06", "2026-12-07", "2026-12-08"]
    ann = table.loc["ann"]
    assert ann["2026-12-05"] == "early 07:00-15:30"
    assert ann["2026-12-06"] == "night 22:00-07:00"  # a night shift belongs to its start day
    assert ann["2026-12-07"] == "" and ann["2026-12-08"] == "off"
    assert ann["shifts"] == 2 and ann["paid_hours"] == 17.0 and ann["nights"] == 1
    assert ann["weekends"] == 1  # Saturday and Sunday of the same weekend
    assert table.loc["bob", "weekends"] == 0  # Monday 7 December
    path = write_roster_table(roster(), problem(), tmp_path / "roster.csv")
    back = pd.read_csv(path, keep_default_na=False)
    assert back["agent_id"].tolist() == ["ann", "bob"]
