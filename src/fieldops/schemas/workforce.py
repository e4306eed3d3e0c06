"""Workforce settings: forecast options, staffing targets and queue specs.

Durations are ISO 8601 (``PT20S``) or a number of seconds. ``null`` switches an
optional target off (``"service_level": null`` with an ASA target instead).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from fieldops.domain.errors import FieldError
from fieldops.domain.workforce import (
    Channel,
    ForecastSettings,
    IntradaySettings,
    QueueSpec,
    ServiceLevelBasis,
    SpecialDay,
    StaffingTarget,
    WhatIf,
)
from fieldops.schemas._base import Date as DateField
from fieldops.schemas._base import (
    DomainSchema,
    Duration,
    EnumText,
    Int,
    List,
    Nested,
    Num,
    Text,
    load,
)
from fieldops.schemas.scalars import parse_duration


class Seconds(Duration):
    """An ISO 8601 duration, or a number of seconds."""

    @staticmethod
    def parse(value: object, field: str = "") -> timedelta:
        if isinstance(value, bool):
            raise FieldError(field, "must be an ISO 8601 duration like 'PT20S'")
        if isinstance(value, int | float) and math.isfinite(value):
            return timedelta(seconds=float(value))
        return parse_duration(value, field)


class SpecialDaySchema(DomainSchema):
    day = DateField(required=True)
    name = Text()
    factor = Num(allow_none=True)

    model = SpecialDay


class ForecastSettingsSchema(DomainSchema):
    horizon_days = Int()
    timezone = Text()
    country = Text(allow_none=True, metadata={"description": "null: no public holidays"})
    subdivision = Text(allow_none=True)
    special_days = List(Nested(SpecialDaySchema))
    backtest_weeks = Int()
    profile_weeks = Int()
    methods = List(Text())
    max_missing_fraction = Num()
    keep_null = frozenset({"country", "subdivision"})

    def make(self, data: dict[str, Any]) -> ForecastSettings:
        for key in ("special_days", "methods"):
            if key in data:
                data[key] = tuple(data[key])
        return ForecastSettings(**data)


class StaffingTargetSchema(DomainSchema):
    service_level = Num(allow_none=True)
    answer_time = Seconds()
    asa = Seconds(allow_none=True)
    max_occupancy = Num()
    max_abandon = Num(allow_none=True)
    shrinkage = Num()
    basis = EnumText(ServiceLevelBasis)
    keep_null = frozenset({"service_level"})

    model = StaffingTarget


class QueueSpecSchema(DomainSchema):
    """One queue's settings; the id is the key it is given under."""

    channel = EnumText(Channel)
    concurrency = Int()
    patience = Seconds(allow_none=True)
    response_deadline = Seconds(allow_none=True)


class IntradaySettingsSchema(DomainSchema):
    """How the intraday re-forecast weighs today's actuals (docs/workforce.md)."""

    half_life = Seconds()
    prior_contacts = Num()
    min_ratio = Num()
    max_ratio = Num()

    model = IntradaySettings


class WhatIfSchema(DomainSchema):
    """A scenario: ``volume_factor``, ``aht_factor`` (1 = as forecast), ``shrinkage``."""

    volume_factor = Num()
    aht_factor = Num()
    shrinkage = Num(allow_none=True)

    model = WhatIf


_SETTINGS = ForecastSettingsSchema()
_TARGET = StaffingTargetSchema()
_QUEUE = QueueSpecSchema()
_WHAT_IF = WhatIfSchema()
_INTRADAY = IntradaySettingsSchema()


def forecast_settings_from_json(
    data: Mapping[str, object] | None, path: str = "settings"
) -> ForecastSettings:
    """Strict JSON → :class:`ForecastSettings`; special days as ``{"day", "name", "factor"}``."""
    return load(_SETTINGS, {} if data is None else data, path)


def staffing_target_from_json(
    data: Mapping[str, object] | None, path: str = "target"
) -> StaffingTarget:
    """Strict JSON → :class:`StaffingTarget`; durations as ISO 8601 or seconds."""
    return load(_TARGET, {} if data is None else data, path)


def intraday_settings_from_json(data: Mapping[str, object] | None,
                                path: str = "settings") -> IntradaySettings:
    """Strict JSON → :class:`IntradaySettings`; ``half_life`` ISO 8601 or seconds."""
    return load(_INTRADAY, {} if data is None else data, path)


def what_if_from_json(data: Mapping[str, object] | None, path: str = "what_if") -> WhatIf:
    """Strict JSON → :class:`WhatIf`; ``null`` or ``{}`` is the forecast as it is."""
    return load(_WHAT_IF, {} if data is None else data, path)


def queue_specs_from_json(
    data: Mapping[str, object] | None, path: str = "queues"
) -> dict[str, QueueSpec]:
    """Strict JSON ``{queue_id: {channel, concurrency, patience, response_deadline}}``.

    Settings left out take the defaults :meth:`QueueSpec.infer` gives the id.
    """
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise FieldError(path, "must be a JSON object {queue id: settings}")
    specs: dict[str, QueueSpec] = {}
    for queue_id, item in data.items():
        where = f"{path}.{queue_id}"
        given = load(_QUEUE, {} if item is None else item, where)
        base = QueueSpec.infer(str(queue_id))
        kwargs = {"channel": base.channel, "concurrency": base.concurrency,
                  "patience": base.patience, "response_deadline": base.response_deadline,
                  **given}
        try:
            specs[str(queue_id)] = QueueSpec(id=queue_id, **kwargs)
        except FieldError as exc:
            raise exc.within(where) from None
    return specs


__all__ = [
    "ForecastSettingsSchema",
    "IntradaySettingsSchema",
    "QueueSpecSchema",
    "StaffingTargetSchema",
    "WhatIfSchema",
    "forecast_settings_from_json",
    "intraday_settings_from_json",
    "queue_specs_from_json",
    "staffing_target_from_json",
    "what_if_from_json",
]
