"""Validation of the workforce domain types and their strict JSON helpers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from fieldops.domain.errors import FieldError
from fieldops.domain.workforce import (
    Channel,
    ForecastSettings,
    HistoryRow,
    QueueSpec,
    ServiceLevelBasis,
    SpecialDay,
    StaffingTarget,
)
from fieldops.schemas.workforce import (
    forecast_settings_from_json,
    queue_specs_from_json,
    staffing_target_from_json,
)


def field_of(fn: Callable[..., object], *args: object, **kwargs: object) -> str:
    with pytest.raises(FieldError) as exc:
        fn(*args, **kwargs)
    return exc.value.field


def test_queue_spec_rules() -> None:
    assert QueueSpec.infer("chat/en").channel is Channel.CHAT
    assert QueueSpec.infer("email/de").response_deadline == timedelta(hours=4)
    assert QueueSpec.infer("billing").channel is Channel.VOICE
    assert field_of(QueueSpec, "email/en", Channel.EMAIL) == "response_deadline"
    assert field_of(QueueSpec, "chat/en", Channel.CHAT, concurrency=0) == "concurrency"
    assert field_of(QueueSpec, "voice/en", "fax") == "channel"
    assert field_of(QueueSpec, "voice/en", patience=timedelta(0)) == "patience"
    assert field_of(QueueSpec, "") == "id"


def test_history_row_rules() -> None:
    start = datetime(2026, 3, 2, 8, tzinfo=UTC)
    HistoryRow(start, "voice/en", 3, timedelta(minutes=5))
    assert field_of(HistoryRow, start, "voice/en", -1, timedelta(minutes=5)) == "offered"
    assert field_of(HistoryRow, start.replace(tzinfo=None), "voice/en", 1,
                    timedelta(minutes=5)) == "interval_start"
    assert field_of(HistoryRow, start, "voice/en", 1, timedelta(minutes=-5)) == "aht"


def test_staffing_target_rules() -> None:
    t = StaffingTarget()
    assert t.service_level == 0.8 and t.answer_time == timedelta(seconds=20)
    assert t.basis is ServiceLevelBasis.OFFERED
    assert field_of(StaffingTarget, service_level=80) == "service_level"
    assert field_of(StaffingTarget, shrinkage=1.0) == "shrinkage"
    assert field_of(StaffingTarget, max_occupancy=0) == "max_occupancy"
    assert field_of(StaffingTarget, basis="everyone") == "basis"
    assert field_of(StaffingTarget, service_level=None) == "service_level"


def test_forecast_settings_rules() -> None:
    assert field_of(ForecastSettings, timezone="Mars/Olympus") == "timezone"
    assert field_of(ForecastSettings, country="XX") == "country"
    assert field_of(ForecastSettings, horizon_days=0) == "horizon_days"
    assert field_of(ForecastSettings, methods=("arima",)) == "methods[0]"
    assert field_of(SpecialDay, "2026-12-24") == "day"


def test_json_helpers_are_strict_and_name_the_path() -> None:
    s = forecast_settings_from_json({"horizon_days": 7, "country": "AT",
                                     "special_days": [{"day": "2026-12-24", "factor": 0.4}]})
    assert s.horizon_days == 7 and s.special_days[0] == SpecialDay(date(2026, 12, 24),
                                                                   "special day", 0.4)
    assert field_of(forecast_settings_from_json, {"horizon": 7}) == "settings.horizon"
    assert field_of(forecast_settings_from_json,
                    {"special_days": [{"day": "24.12."}]}) == "settings.special_days[0].day"
    t = staffing_target_from_json({"service_level": 0.9, "answer_time": "PT15S", "asa": 30})
    assert t.answer_time == timedelta(seconds=15) and t.asa == timedelta(seconds=30)
    assert field_of(staffing_target_from_json, {"shrinkage": 2}) == "target.shrinkage"
    assert field_of(staffing_target_from_json, {"answer_time": "soon"}) == "target.answer_time"
    q = queue_specs_from_json({"chat/en": {"concurrency": 3, "patience": "PT2M"}})
    assert q["chat/en"].concurrency == 3 and q["chat/en"].patience == timedelta(minutes=2)
    assert field_of(queue_specs_from_json,
                    {"chat/en": {"concurrency": 99}}) == "queues.chat/en.concurrency"
    assert field_of(queue_specs_from_json, {"voice/en": {"skill": 1}}) == "queues.voice/en.skill"


def test_what_if_scales_volumes_and_replaces_shrinkage() -> None:
    import pandas as pd

    from fieldops.domain.workforce import ContactVolumes, StaffingTarget, WhatIf
    from fieldops.schemas.workforce import what_if_from_json

    frame = pd.DataFrame({"interval_start": pd.to_datetime(["2026-03-02T08:00Z"], utc=True),
                          "queue": ["voice/en"], "offered": [40.0], "aht_seconds": [200.0]})
    demand = ContactVolumes(frame)
    scenario = what_if_from_json({"volume_factor": 1.1, "aht_factor": 1.5, "shrinkage": 0.4})
    scaled = scenario.volumes(demand)
    assert scaled.frame["offered"].tolist() == pytest.approx([44.0])
    assert scaled.frame["aht_seconds"].tolist() == pytest.approx([300.0])
    assert demand.frame["offered"].tolist() == [40.0]  # the input is not changed
    assert scenario.target(StaffingTarget(shrinkage=0.3)).shrinkage == 0.4
    assert WhatIf().volumes(demand) is demand and WhatIf().is_identity
    for bad in ({"volume_factor": 0}, {"aht_factor": 11}, {"shrinkage": 1},
                {"volume_factor": "x"}, {"colour": 1}):
        with pytest.raises(FieldError) as err:
            what_if_from_json(bad)
        assert err.value.field.startswith("what_if")
