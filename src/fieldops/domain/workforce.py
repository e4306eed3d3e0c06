"""Contact-center workforce types: queues, history, forecast, service-level targets, staffing.

Volumes are contacts per interval; handle times and waits are seconds in the
DataFrame columns (``*_seconds``) and ``timedelta`` in targets. Rates and
probabilities are fractions in ``[0, 1]``. See docs/workforce.md.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from fieldops.domain._checks import (
    require_aware,
    require_date,
    require_duration,
    require_enum,
    require_id,
    require_int,
    require_number,
    require_type,
)
from fieldops.domain.errors import FieldError

if TYPE_CHECKING:
    import pandas as pd

VOLUME_COLUMNS = ("interval_start", "queue", "offered", "aht_seconds")
DEFAULT_INTERVAL = timedelta(minutes=15)
FORECAST_METHODS = ("seasonal_profile", "holt_winters")
MAX_CONCURRENCY = 20  # contacts one agent may handle at once (chat)


class Channel(StrEnum):
    VOICE = "voice"
    CHAT = "chat"
    EMAIL = "email"
    BACKOFFICE = "backoffice"


class ServiceLevelBasis(StrEnum):
    """Which contacts the service level is counted over (docs/workforce.md)."""

    OFFERED = "offered"
    ANSWERED = "answered"
    OFFERED_EXCL_SHORT_ABANDONS = "offered_excl_short_abandons"


def _require_fraction(field_name: str, value: object, *, allow_one: bool = True) -> float:
    number = require_number(field_name, value, minimum=0)
    if number > 1 or (not allow_one and number >= 1):
        raise FieldError(field_name, "must be a fraction below 1" if not allow_one
                         else "must be a fraction between 0 and 1")
    return number


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """How one queue is staffed.

    ``patience`` is the mean customer patience: given, the queue is modelled with
    Erlang A (customers abandon); ``None`` means Erlang C (nobody abandons).
    ``concurrency`` is how many contacts one agent handles at once (chat).
    ``response_deadline`` applies to email and back-office work, which may wait
    up to that long; it must be at least one interval.
    """

    id: str
    channel: Channel = Channel.VOICE
    concurrency: int = 1
    patience: timedelta | None = None
    response_deadline: timedelta | None = None

    def __post_init__(self) -> None:
        require_id("id", self.id, segment=False)  # a queue: never in a URL
        object.__setattr__(self, "channel", require_enum("channel", self.channel, Channel))
        require_int("concurrency", self.concurrency, minimum=1, maximum=MAX_CONCURRENCY)
        if self.patience is not None:
            require_duration("patience", self.patience, allow_zero=False)
        if self.response_deadline is not None:
            require_duration("response_deadline", self.response_deadline, allow_zero=False)
        if self.deferred and self.response_deadline is None:
            raise FieldError("response_deadline", f"is required for {self.channel.value} queues")

    @property
    def deferred(self) -> bool:
        """Work that may wait (email, back office): staffed by deadline, not by Erlang."""
        return self.channel in (Channel.EMAIL, Channel.BACKOFFICE)

    @classmethod
    def infer(cls, queue_id: str) -> QueueSpec:
        """Default spec from the id prefix (``voice/``, ``chat/``, ``email/``, ``backoffice/``)."""
        prefix = queue_id.split("/", 1)[0].strip().lower()
        try:
            channel = Channel(prefix)
        except ValueError:
            channel = Channel.VOICE
        deadline = timedelta(hours=4) if channel in (Channel.EMAIL, Channel.BACKOFFICE) else None
        return cls(id=queue_id, channel=channel, response_deadline=deadline)


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One interval of one queue: contacts offered and their average handle time."""

    interval_start: datetime
    queue: str
    offered: float
    aht: timedelta

    def __post_init__(self) -> None:
        require_aware("interval_start", self.interval_start)
        require_id("queue", self.queue, segment=False)
        require_number("offered", self.offered, minimum=0)
        require_duration("aht", self.aht)


@dataclass(frozen=True, slots=True)
class SpecialDay:
    """A day added by hand (a sale, an outage, a local holiday).

    ``factor`` multiplies the day's normal volume; ``None`` uses the holiday
    factor learnt from the history.
    """

    day: date
    name: str = "special day"
    factor: float | None = None

    def __post_init__(self) -> None:
        require_date("day", self.day)
        require_type("name", self.name, str, "a string")
        if self.factor is not None:
            require_number("factor", self.factor, minimum=0)


@dataclass(frozen=True, slots=True)
class ForecastSettings:
    """Options of :func:`fieldops.solver.forecast.forecast` (table in docs/workforce.md)."""

    horizon_days: int = 14
    timezone: str = "Europe/Berlin"
    country: str | None = "DE"
    subdivision: str | None = None
    special_days: tuple[SpecialDay, ...] = ()
    backtest_weeks: int = 4
    profile_weeks: int = 8
    methods: tuple[str, ...] = FORECAST_METHODS
    max_missing_fraction: float = 0.2

    def __post_init__(self) -> None:
        for name, low, high in (("horizon_days", 1, 366), ("backtest_weeks", 1, 26),
                                ("profile_weeks", 1, 52)):
            require_int(name, getattr(self, name), minimum=low, maximum=high)
        if not isinstance(self.timezone, str):
            raise FieldError("timezone", "must be an IANA time zone name like 'Europe/Berlin'")
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise FieldError("timezone", f"{self.timezone!r} is not an IANA time zone") from None
        if self.country is not None:
            import holidays

            try:
                holidays.country_holidays(self.country, subdiv=self.subdivision)
            except NotImplementedError:
                raise FieldError("country", f"{self.country!r} is not a supported country "
                                 "code (ISO 3166-1 alpha-2, e.g. 'DE')") from None
            except Exception as exc:  # holidays raises its own error types for subdivisions
                raise FieldError("subdivision", str(exc)) from None
        object.__setattr__(self, "special_days", tuple(self.special_days))
        for i, day in enumerate(self.special_days):
            if not isinstance(day, SpecialDay):
                raise FieldError(f"special_days[{i}]", "must be a SpecialDay")
        object.__setattr__(self, "methods", tuple(self.methods))
        if not self.methods:
            raise FieldError("methods", "must name at least one method")
        for i, method in enumerate(self.methods):
            if method not in FORECAST_METHODS:
                raise FieldError(f"methods[{i}]", f"must be one of {', '.join(FORECAST_METHODS)}")
        _require_fraction("max_missing_fraction", self.max_missing_fraction)


@dataclass(frozen=True, slots=True)
class StaffingTarget:
    """What every interval must achieve, and how agents are counted.

    ``service_level`` of contacts answered within ``answer_time`` (counted over
    ``basis``), optionally an ASA ceiling, a maximum occupancy and a maximum
    abandonment rate. ``shrinkage`` is the fraction of paid time agents are not
    available for contacts (breaks, training, absence): scheduled = agents / (1 - shrinkage).
    """

    service_level: float | None = 0.8
    answer_time: timedelta = timedelta(seconds=20)
    asa: timedelta | None = None
    max_occupancy: float = 1.0
    max_abandon: float | None = None
    shrinkage: float = 0.0
    basis: ServiceLevelBasis = ServiceLevelBasis.OFFERED

    def __post_init__(self) -> None:
        if self.service_level is not None:
            _require_fraction("service_level", self.service_level, allow_one=False)
        require_duration("answer_time", self.answer_time)
        if self.asa is not None:
            require_duration("asa", self.asa, allow_zero=False)
        occ = require_number("max_occupancy", self.max_occupancy, positive=True)
        if occ > 1:
            raise FieldError("max_occupancy", "must be a fraction between 0 and 1")
        if self.max_abandon is not None:
            _require_fraction("max_abandon", self.max_abandon)
        _require_fraction("shrinkage", self.shrinkage, allow_one=False)
        object.__setattr__(self, "basis", require_enum("basis", self.basis, ServiceLevelBasis))
        if self.service_level is None and self.asa is None and self.max_abandon is None:
            raise FieldError("service_level", "give a service level, an ASA or a maximum "
                             "abandonment rate")


@dataclass(frozen=True, slots=True)
class IntradaySettings:
    """How much today's actuals move the rest of the day (docs/workforce.md, Intraday;
    :mod:`fieldops.solver.forecast.intraday`).

    ``half_life``: age at which an observed interval weighs half as much as the
    latest; ``prior_contacts``: pseudo-count shrinking the ratios toward 1;
    ``min_ratio`` / ``max_ratio``: bounds of both ratios.
    """

    half_life: timedelta = timedelta(hours=3)
    prior_contacts: float = 20.0
    min_ratio: float = 0.5
    max_ratio: float = 2.0

    def __post_init__(self) -> None:
        require_duration("half_life", self.half_life, allow_zero=False)
        require_number("prior_contacts", self.prior_contacts, minimum=0)
        low = require_number("min_ratio", self.min_ratio, positive=True)
        if require_number("max_ratio", self.max_ratio, positive=True) < low:
            raise FieldError("max_ratio", "must be at least min_ratio")


#: Largest what-if factor accepted (a volume or handle time ten times the forecast).
MAX_WHAT_IF_FACTOR = 10.0


@dataclass(frozen=True, slots=True)
class WhatIf:
    """A scenario on top of a forecast: "what if volume is 10 % up and calls 5 % longer".

    ``volume_factor`` multiplies every interval's offered contacts,
    ``aht_factor`` every handle time (both in ``(0, 10]``, 1 = as forecast);
    ``shrinkage``, when given, replaces the target's shrinkage. Staffing and the
    predicted service level of a roster apply it before any Erlang formula runs
    (:meth:`volumes`, :meth:`target`).
    """

    volume_factor: float = 1.0
    aht_factor: float = 1.0
    shrinkage: float | None = None

    def __post_init__(self) -> None:
        for name in ("volume_factor", "aht_factor"):
            value = require_number(name, getattr(self, name), positive=True)
            if value > MAX_WHAT_IF_FACTOR:
                raise FieldError(name, f"must be at most {MAX_WHAT_IF_FACTOR:g}")
        if self.shrinkage is not None:
            _require_fraction("shrinkage", self.shrinkage, allow_one=False)

    @property
    def is_identity(self) -> bool:
        return self.volume_factor == 1 and self.aht_factor == 1 and self.shrinkage is None

    def volumes(self, demand: ContactVolumes) -> ContactVolumes:
        """``demand`` with offered and handle times scaled (the input is not changed)."""
        if self.volume_factor == 1 and self.aht_factor == 1:
            return demand
        frame = demand.frame.copy()
        frame["offered"] = frame["offered"] * self.volume_factor
        frame["aht_seconds"] = frame["aht_seconds"] * self.aht_factor
        return ContactVolumes(frame, demand.interval)

    def target(self, target: StaffingTarget) -> StaffingTarget:
        """``target`` with the scenario's shrinkage, when it sets one."""
        if self.shrinkage is None:
            return target
        return replace(target, shrinkage=self.shrinkage)

    def to_json(self) -> dict[str, float | None]:
        return {"volume_factor": self.volume_factor, "aht_factor": self.aht_factor,
                "shrinkage": self.shrinkage}


@dataclass(frozen=True, eq=False)
class ContactVolumes:
    """Contacts per interval and queue: a validated history or a forecast.

    ``frame`` has columns ``interval_start`` (tz-aware UTC), ``queue``,
    ``offered`` and ``aht_seconds`` (plus ``method`` in a forecast), sorted by
    queue then time, with no duplicates and every instant on the interval grid.
    Build it with the readers in :mod:`fieldops.solver.forecast`, which validate.
    """

    frame: pd.DataFrame
    interval: timedelta = DEFAULT_INTERVAL

    @property
    def queues(self) -> list[str]:
        return sorted(self.frame["queue"].unique().tolist())


@dataclass(frozen=True, slots=True)
class BacktestScore:
    """Back-test of one method on one queue over the most recent weeks.

    ``wape`` = sum |forecast - actual| / sum actual; ``bias`` = sum (forecast -
    actual) / sum actual (positive: over-forecast). Both per interval.
    """

    queue: str
    method: str
    wape: float
    bias: float
    chosen: bool = False


@dataclass(frozen=True, eq=False)
class Forecast:
    volumes: ContactVolumes
    history: ContactVolumes
    scores: tuple[BacktestScore, ...]
    settings: ForecastSettings
    missing_intervals: dict[str, int] = field(default_factory=dict)
    fit_seconds: float = 0.0

    def chosen(self) -> dict[str, BacktestScore]:
        return {s.queue: s for s in self.scores if s.chosen}


#: The columns of a staffing table (:attr:`StaffingPlan.frame`), in order.
PLAN_COLUMNS = (
    "interval_start", "queue", "channel", "model", "offered", "aht_seconds", "load_erlangs",
    "agents", "scheduled", "service_level", "asa_seconds", "p_wait", "occupancy",
    "abandon_rate", "backlog",
)


@dataclass(frozen=True, eq=False)
class StaffingPlan:
    """Required agents per interval and queue (columns in docs/workforce.md)."""

    frame: pd.DataFrame
    target: StaffingTarget
    queues: dict[str, QueueSpec]
    interval: timedelta = DEFAULT_INTERVAL


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Simulated KPIs per interval and queue with 95 % confidence half-widths."""

    frame: pd.DataFrame
    replications: int
    seed: int


__all__ = [
    "FORECAST_METHODS",
    "PLAN_COLUMNS",
    "VOLUME_COLUMNS",
    "BacktestScore",
    "Channel",
    "ContactVolumes",
    "Forecast",
    "ForecastSettings",
    "HistoryRow",
    "IntradaySettings",
    "QueueSpec",
    "ServiceLevelBasis",
    "SimulationResult",
    "SpecialDay",
    "StaffingPlan",
    "StaffingTarget",
    "WhatIf",
]
