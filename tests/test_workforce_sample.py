"""data/workforce_sample.py: the sample contact history."""

from __future__ import annotations

import pandas as pd

from fieldops.data.workforce_sample import SAMPLE_QUEUES, sample_history

TZ = "Europe/Berlin"


def test_sample_is_deterministic_and_shaped() -> None:
    a = sample_history(days=28)
    b = sample_history(days=28)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert not sample_history(days=28, seed=8).frame["offered"].equals(a.frame["offered"])
    assert a.queues == sorted(SAMPLE_QUEUES)
    # 2025-01-06 is a Monday; 28 days at 96 quarter-hours, no DST change in January.
    assert (a.frame.groupby("queue").size() == 28 * 96).all()
    voice = a.frame[a.frame["queue"] == "voice/en"]
    local = voice["interval_start"].dt.tz_convert(TZ)
    by_dow = voice.groupby(local.dt.dayofweek)["offered"].sum()
    assert by_dow[0] > by_dow[5] > by_dow[6]  # Monday busiest, Sunday quietest
    by_hour = voice.groupby(local.dt.hour)["offered"].sum()
    assert by_hour.idxmax() in (10, 11) and by_hour[3] < by_hour[10] / 20
