"""Required staff per interval and queue for a demand (history or forecast)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from fieldops.domain.errors import FieldError
from fieldops.domain.workforce import (
    PLAN_COLUMNS,
    ContactVolumes,
    QueueSpec,
    StaffingPlan,
    StaffingTarget,
)
from fieldops.solver.staffing.required import deadline_profile, required_agents

#: deadline-profile agents within this of an integer are not rounded up past it
CEIL_TOLERANCE = 1e-9
#: handle times are raised to this (seconds) when nothing is offered, so Erlang never divides by 0
MIN_AHT_SECONDS = 1e-9


def resolve_queues(
    demand_queues: list[str], queues: Mapping[str, QueueSpec] | None
) -> dict[str, QueueSpec]:
    """Spec per demand queue: the given one, else :meth:`QueueSpec.infer`."""
    given = dict(queues or {})
    for key, spec in given.items():
        if key not in demand_queues:
            raise FieldError(f"queues.{key}", f"unknown queue: the demand has "
                             f"{', '.join(demand_queues) or 'no queues'}")
        if not isinstance(spec, QueueSpec):
            raise FieldError(f"queues.{key}", "must be a QueueSpec")
    return {q: given.get(q) or QueueSpec.infer(q) for q in demand_queues}


def _deadline_columns(out: pd.DataFrame, spec: QueueSpec, offered: Sequence[float],
                      aht: Sequence[float], seconds: float, target: StaffingTarget) -> None:
    """Email and back office: agents from the deadline profile, no waiting figures."""
    assert spec.response_deadline is not None  # QueueSpec guarantees it
    profile = deadline_profile(offered, aht, seconds,
                               spec.response_deadline.total_seconds(),
                               target.max_occupancy)
    agents = np.ceil(profile.agents - CEIL_TOLERANCE).astype(int)
    out["model"] = "deadline"
    out["agents"] = agents
    out["occupancy"] = np.divide(profile.agents * target.max_occupancy, agents,
                                 out=np.zeros(len(agents)), where=agents > 0)
    for col in ("service_level", "asa_seconds", "p_wait", "abandon_rate"):
        out[col] = math.nan
    out["backlog"] = profile.backlog


def _erlang_columns(out: pd.DataFrame, queue: str, spec: QueueSpec, offered: np.ndarray,
                    aht: np.ndarray, seconds: float, target: StaffingTarget) -> None:
    """Voice and chat: the fewest agents meeting the target per interval (Erlang C / A)."""
    patience = spec.patience.total_seconds() if spec.patience else None
    k = spec.concurrency
    rows_out = []
    starts = out["interval_start"]
    for i, (vol, h) in enumerate(zip(offered, aht, strict=True)):
        if vol > 0 and h <= 0:
            raise FieldError(
                f"demand[{queue} {pd.Timestamp(starts.iloc[i]).isoformat()}].aht_seconds",
                "must be > 0 when contacts are offered")
        slots, m = required_agents(vol / seconds, max(h, MIN_AHT_SECONDS), target, patience)
        agents_needed = math.ceil(slots / k)
        if agents_needed * k != slots:
            # Spare chat slots of the last agent improve the interval: report them.
            slots = agents_needed * k
            from fieldops.solver.staffing.erlang import erlang_a, erlang_c

            t = target.answer_time.total_seconds()
            m = (erlang_c(slots, vol / seconds, h, t) if patience is None
                 else erlang_a(slots, vol / seconds, h, patience, t))
        rows_out.append((agents_needed, m.service_level(target.basis), m.asa,
                         m.p_wait, m.occupancy, m.p_abandon))
    arr = np.array(rows_out, dtype=float).reshape(-1, 6)
    out["model"] = "erlang_c" if patience is None else "erlang_a"
    out["agents"] = arr[:, 0].astype(int)
    out["service_level"] = arr[:, 1]
    out["asa_seconds"] = arr[:, 2]
    out["p_wait"] = arr[:, 3]
    out["occupancy"] = arr[:, 4]
    out["abandon_rate"] = arr[:, 5]
    out["backlog"] = 0.0


def staff(
    demand: ContactVolumes,
    target: StaffingTarget | None = None,
    queues: Mapping[str, QueueSpec] | None = None,
) -> StaffingPlan:
    """Required agents per interval and queue (docs/workforce.md, "Staffing output").

    Voice and chat use Erlang C, or Erlang A when the queue has a patience; chat
    counts ``concurrency`` contact slots per agent. Email and back office use
    :func:`deadline_profile`. ``scheduled`` = agents / (1 - shrinkage).
    """
    target = target or StaffingTarget()
    if not isinstance(demand, ContactVolumes):
        raise FieldError("demand", "must be ContactVolumes (a history or a forecast)")
    specs = resolve_queues(demand.queues, queues)
    seconds = demand.interval.total_seconds()
    parts = []
    for queue, rows in demand.frame.groupby("queue", sort=True):
        spec = specs[str(queue)]
        rows = rows.sort_values("interval_start")
        offered = rows["offered"].to_numpy(dtype=float)
        aht = rows["aht_seconds"].to_numpy(dtype=float)
        out = pd.DataFrame({
            "interval_start": rows["interval_start"].to_numpy(),
            "queue": str(queue),
            "channel": spec.channel.value,
            "offered": offered,
            "aht_seconds": aht,
            "load_erlangs": offered * aht / seconds,
        })
        if spec.deferred:
            _deadline_columns(out, spec, offered, aht, seconds, target)
        else:
            _erlang_columns(out, str(queue), spec, offered, aht, seconds, target)
        out["scheduled"] = out["agents"] / (1 - target.shrinkage)
        parts.append(out)
    frame = (pd.concat(parts, ignore_index=True) if parts
             else pd.DataFrame({c: [] for c in PLAN_COLUMNS}))
    frame = frame[list(PLAN_COLUMNS)]
    return StaffingPlan(frame=frame, target=target, queues=specs, interval=demand.interval)
