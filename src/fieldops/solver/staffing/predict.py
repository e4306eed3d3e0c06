"""Predicted service level of a roster: what the staffed heads achieve per interval.

A roster puts *scheduled* heads on each queue. A head counts with its agent's
``capacity`` on the queue (:data:`~fieldops.domain.roster.PROFICIENCY_CAPACITY`:
a learner at proficiency 1 takes twice the handle time, so counts half), as the
routing simulation serves it; shrinkage (absence, coaching, unplanned breaks)
takes its share, so ``productive = capacity × (1 − shrinkage)`` agents actually
take contacts. Each interval is then evaluated with the same
Erlang C / Erlang A functions the staffing uses (``erlang_c`` / ``erlang_a``,
chat as ``concurrency`` slots per agent), and checked against every part of the
:class:`~fieldops.domain.workforce.StaffingTarget` by the staffing's own test,
so "meets target" here means exactly what "required" means in ``staff()``.

Erlang models whole agents: the productive heads are rounded **down** (0.7 of
an agent answers no call on its own). With ``staffed ≥ ⌈agents / (1 −
shrinkage)⌉`` the floor is still at least ``agents``, so a roster covering the
staffing's ``scheduled`` column with agents of full capacity (proficiency 3 or
more) always predicts a met target; learners may leave the same heads short.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from fieldops.domain.errors import FieldError
from fieldops.domain.roster import Roster, RosterProblem
from fieldops.domain.workforce import (
    ContactVolumes,
    QueueSpec,
    StaffingPlan,
    StaffingTarget,
    WhatIf,
)
from fieldops.solver.staffing.erlang import erlang_a, erlang_c
from fieldops.solver.staffing.plan import staff
from fieldops.solver.staffing.required import _meets

PREDICT_COLUMNS = (
    "interval_start", "queue", "offered", "required", "staffed", "capacity", "productive",
    "service_level", "asa_seconds", "occupancy", "abandon_rate", "meets_target",
)
_TOL = 1e-6
MIN_AHT_SECONDS = 1e-9  # a zero handle time would divide by zero in Erlang


def _work_stretches(roster: Roster, problem: RosterProblem | None) -> pd.DataFrame:
    """One row per stretch of work: ``start``, ``end`` (UTC), ``queue`` and the
    agent's ``capacity`` on it (1 without ``problem``, which holds the skills).

    Taken from the assignments' activities. An assignment without activities is
    read as work from start to end minus its break, on the agent's only queue
    (which needs ``problem``; with several queues the roster must say which).
    """
    rows: list[tuple[datetime, datetime, str, float]] = []
    agents = problem.agent_by_id if problem is not None else {}

    def capacity(agent_id: str, queue: str) -> float:
        agent = agents.get(agent_id)
        return agent.capacity(queue) if agent is not None else 1.0

    for i, a in enumerate(roster.assignments):
        if a.activities:
            rows.extend((x.start, x.end, x.queue, capacity(a.agent_id, x.queue))
                        for x in a.activities if x.kind == "work" and x.queue is not None)
            continue
        agent = agents.get(a.agent_id)
        if agent is None or len(agent.queues) != 1:
            raise FieldError(f"roster.assignments[{i}].activities",
                             "are needed to tell which queue the agent works")
        (queue,) = agent.queues
        c = agent.capacity(queue)
        if a.break_start is not None and a.break_end is not None:
            rows.extend([(a.start, a.break_start, queue, c), (a.break_end, a.end, queue, c)])
        else:
            rows.append((a.start, a.end, queue, c))
    frame = pd.DataFrame(rows, columns=["start", "end", "queue", "capacity"])
    for col in ("start", "end"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def staffed_heads(
    roster: Roster,
    starts: pd.Series,
    queues: pd.Series,
    interval: timedelta,
    problem: RosterProblem | None = None,
    *,
    capacity: bool = False,
) -> np.ndarray:
    """Heads working on ``queues[i]`` for the whole interval starting ``starts[i]``.

    An agent counts in an interval only when a work stretch on that queue covers
    it entirely, as the roster's coverage counts (a break or a shift edge inside
    the interval takes the agent out of it). With ``capacity`` each head counts
    its agent's capacity on the queue (``problem`` gives the skills).
    """
    stretches = _work_stretches(roster, problem)
    starts = pd.to_datetime(starts, utc=True).reset_index(drop=True)
    queues = queues.astype(str).reset_index(drop=True)
    out = np.zeros(len(starts), dtype=float)
    if not len(stretches) or not len(starts):
        return out
    step = int(interval.total_seconds())
    anchor = (pd.Timestamp(problem.horizon[0]).tz_convert("UTC") if problem is not None
              else starts.min())
    secs = ((starts - anchor).dt.total_seconds()).to_numpy()
    if np.any(np.mod(secs, step)):
        raise FieldError("demand.interval_start",
                         f"is not on the roster's {interval} interval grid")
    index = (secs // step).astype(np.int64)
    for queue, rows in stretches.groupby("queue"):
        s = (rows["start"] - anchor).dt.total_seconds().to_numpy()
        e = (rows["end"] - anchor).dt.total_seconds().to_numpy()
        first = np.ceil(s / step).astype(np.int64)  # first whole interval in the stretch
        last = np.floor(e / step).astype(np.int64)  # exclusive
        keep = last > first
        first, last = first[keep], last[keep]
        weight = (rows["capacity"].to_numpy(dtype=float)[keep] if capacity
                  else np.ones(len(first)))
        if not len(first):
            continue
        lo = int(min(first.min(), index.min()))
        hi = int(max(last.max(), index.max() + 1))
        diff = np.zeros(hi - lo + 1, dtype=float)
        np.add.at(diff, first - lo, weight)
        np.add.at(diff, last - lo, -weight)
        heads = np.cumsum(diff)
        mask = (queues == str(queue)).to_numpy()
        out[mask] = heads[index[mask] - lo]
    return out


def _interval_kpis(frame: pd.DataFrame, plan: StaffingPlan, agents: np.ndarray,
                   target: StaffingTarget) -> tuple[np.ndarray, ...]:
    """Service level, ASA, occupancy, abandonment and target met per row of ``frame``
    when ``agents`` productive heads answer it."""
    seconds = plan.interval.total_seconds()
    answer = target.answer_time.total_seconds()
    n = len(frame)
    sl, asa, occ, ab = (np.full(n, math.nan) for _ in range(4))
    meets = np.zeros(n, dtype=bool)
    for i, row in enumerate(frame.itertuples(index=False)):
        spec = plan.queues[str(row.queue)]
        if spec.deferred:
            needed = int(row.agents)
            meets[i] = agents[i] >= needed
            occ[i] = (float(row.occupancy) * needed / agents[i]) if agents[i] else (
                math.nan if needed else 0.0)
            continue
        if row.offered <= 0:
            sl[i], asa[i], occ[i], ab[i], meets[i] = 1.0, 0.0, 0.0, 0.0, True
            continue
        rate = float(row.offered) / seconds
        slots = int(agents[i]) * spec.concurrency
        aht = max(float(row.aht_seconds), MIN_AHT_SECONDS)
        m = (erlang_c(slots, rate, aht, answer) if spec.patience is None
             else erlang_a(slots, rate, aht, spec.patience.total_seconds(), answer))
        sl[i] = m.service_level(target.basis)
        asa[i], occ[i], ab[i] = m.asa, m.occupancy, m.p_abandon
        meets[i] = _meets(m, target, check_asa=True)
    return sl, asa, occ, ab, meets


def predict_service_level(
    roster: Roster,
    demand: ContactVolumes,
    target: StaffingTarget | None = None,
    queues: Mapping[str, QueueSpec] | None = None,
    *,
    problem: RosterProblem | None = None,
) -> pd.DataFrame:
    """Predicted KPIs of ``roster`` against ``demand``, one row per interval and queue.

    Parameters
    ----------
    roster
        The roster; its heads per interval and queue are counted from the
        assignments' work activities (:func:`staffed_heads`).
    demand
        Offered contacts and handle times per interval and queue (a forecast).
    target, queues
        As for :func:`fieldops.solver.staffing.staff`: the goal and shrinkage,
        and each queue's model (Erlang C, Erlang A with ``patience``, chat
        ``concurrency``, deadline for email / back office).
    problem
        When given, only the demand inside the roster's horizon is predicted.

    Returns
    -------
    pandas.DataFrame
        Columns ``interval_start`` (UTC), ``queue``, ``offered``, ``required``
        (heads the staffing asks for: ⌈scheduled⌉), ``staffed`` (heads the roster
        puts there), ``capacity`` (those heads weighted by their agents'
        capacity on the queue; needs ``problem``, else equal to ``staffed``),
        ``productive`` (capacity × (1 − shrinkage)), ``service_level``
        (on the target's basis), ``asa_seconds``, ``occupancy``, ``abandon_rate``
        and ``meets_target`` (bool). Service level, ASA and abandonment are NaN
        for deferred queues (email, back office), which meet the target when the
        productive heads reach the deadline profile's agents; an unstable Erlang C
        interval has service level 0 and an infinite ASA.
    """
    target = target or StaffingTarget()
    plan = staff(demand, target, queues)
    frame = plan.frame
    if problem is not None:
        low, high = (pd.Timestamp(t).tz_convert("UTC") for t in problem.horizon)
        frame = frame[(frame["interval_start"] >= low) & (frame["interval_start"] < high)]
    frame = frame.reset_index(drop=True)
    staffed = staffed_heads(roster, frame["interval_start"], frame["queue"], plan.interval,
                            problem)
    capacity = staffed_heads(roster, frame["interval_start"], frame["queue"], plan.interval,
                             problem, capacity=True)
    productive = capacity * (1 - target.shrinkage)
    agents = np.floor(productive + _TOL).astype(int)
    sl, asa, occ, ab, meets = _interval_kpis(frame, plan, agents, target)
    return pd.DataFrame({
        "interval_start": frame["interval_start"],
        "queue": frame["queue"].astype(str),
        "offered": frame["offered"].astype(float),
        "required": np.ceil(frame["scheduled"].to_numpy(dtype=float) - _TOL).astype(int),
        "staffed": staffed,
        "capacity": capacity,
        "productive": productive,
        "service_level": sl,
        "asa_seconds": asa,
        "occupancy": occ,
        "abandon_rate": ab,
        "meets_target": meets,
    }, columns=list(PREDICT_COLUMNS))


def predicted_summary(predicted: pd.DataFrame) -> pd.DataFrame:
    """Per queue: intervals, intervals below target, contact-weighted SL and abandonment."""
    rows = []
    for queue, part in predicted.groupby("queue", sort=True):
        busy = part[part["offered"] > 0]
        w = busy["offered"].to_numpy(dtype=float)

        def weighted(col: str, busy: pd.DataFrame = busy, w: np.ndarray = w) -> float:
            values = busy[col].to_numpy(dtype=float)
            ok = np.isfinite(values)
            return float(np.average(values[ok], weights=w[ok])) if ok.any() and w[ok].sum() \
                else math.nan

        rows.append({"queue": str(queue), "intervals": len(part),
                     "below_target": int((~part["meets_target"]).sum()),
                     "service_level": weighted("service_level"),
                     "abandon_rate": weighted("abandon_rate"),
                     "contacts": float(busy["offered"].sum())})
    return pd.DataFrame(rows, columns=["queue", "intervals", "below_target", "service_level",
                                       "abandon_rate", "contacts"])


def predicted_to_records(predicted: pd.DataFrame,
                         timezone: str | None = None) -> list[dict[str, object]]:
    """JSON-ready rows: instants ISO 8601 in ``timezone`` (default UTC), NaN/inf as None."""
    records: list[dict[str, object]] = []
    for row in predicted.itertuples(index=False):
        rec: dict[str, object] = {}
        for col, value in zip(PREDICT_COLUMNS, row, strict=True):
            if col == "interval_start":
                stamp = pd.Timestamp(value)
                rec[col] = (stamp.tz_convert(timezone) if timezone else stamp).isoformat()
            elif isinstance(value, bool | np.bool_):
                rec[col] = bool(value)
            elif isinstance(value, int | np.integer):
                rec[col] = int(value)
            elif isinstance(value, float | np.floating):
                rec[col] = round(float(value), 6) if math.isfinite(float(value)) else None
            else:
                rec[col] = value
        records.append(rec)
    return records


#: Columns of :func:`intraday_staffing`.
INTRADAY_COLUMNS = (
    "interval_start", "queue", "day_ahead", "offered", "aht_seconds", "required",
    "rostered", "short", "service_level", "meets_target",
)


def intraday_staffing(
    rest_of_day: ContactVolumes,
    day_ahead: ContactVolumes,
    target: StaffingTarget | None = None,
    queues: Mapping[str, QueueSpec] | None = None,
    roster: Roster | None = None,
    problem: RosterProblem | None = None,
) -> pd.DataFrame:
    """Required staff for the re-forecast rest of the day, against a roster.

    Parameters
    ----------
    rest_of_day, day_ahead
        The re-forecast and the day-ahead forecast of the same intervals
        (:class:`~fieldops.solver.forecast.intraday.IntradayForecast`).
    target, queues
        As for :func:`fieldops.solver.staffing.staff`.
    roster, problem
        The published roster (and its problem) whose staff is compared; without
        one, ``rostered``, ``short``, ``service_level`` and ``meets_target`` are
        empty.

    Returns
    -------
    pandas.DataFrame
        :data:`INTRADAY_COLUMNS`: contacts ``day_ahead`` and re-forecast
        ``offered``, ``required`` heads (⌈scheduled⌉ of ``staff()``), the roster's
        ``rostered`` capacity on the queue (heads weighted by proficiency, as the
        roster's coverage counts them: a learner is half an agent) and ``short`` =
        max(0, required − rostered), the predicted ``service_level`` with that
        staff and ``meets_target``.
    """
    target = target or StaffingTarget()
    keys = ["interval_start", "queue"]
    if roster is not None:
        pred = predict_service_level(roster, rest_of_day, target, queues, problem=problem)
        # capacity, as the roster's own coverage counts it: two learners (0.5 each)
        # fill one required place
        frame = pred.drop(columns="staffed").rename(columns={"capacity": "rostered"})
        frame["short"] = np.maximum(frame["required"] - frame["rostered"], 0.0)
    else:
        plan = staff(rest_of_day, target, queues).frame
        frame = plan[[*keys, "offered"]].copy()
        frame["required"] = np.ceil(plan["scheduled"].to_numpy(dtype=float) - _TOL).astype(int)
        for col in ("rostered", "short", "service_level"):
            frame[col] = math.nan
        frame["meets_target"] = None
    frame = frame.merge(rest_of_day.frame[[*keys, "aht_seconds"]], on=keys, how="left")
    frame = frame.merge(day_ahead.frame[[*keys, "offered"]].rename(
        columns={"offered": "day_ahead"}), on=keys, how="left")
    return frame[list(INTRADAY_COLUMNS)].reset_index(drop=True)


def prediction_to_json(predicted: pd.DataFrame, target: StaffingTarget,
                       timezone: str | None = None,
                       what_if: WhatIf | None = None) -> dict[str, object]:
    """The roster JSON's ``predicted`` member (CLI ``--volumes``, ``POST /rosters``).

    ``{"target", "what_if", "summary" (per queue), "below_target" (count),
    "intervals" (:func:`predicted_to_records`)}``.
    """
    summary = predicted_summary(predicted)
    return {
        "target": {"service_level": target.service_level,
                   "answer_time_seconds": target.answer_time.total_seconds(),
                   "shrinkage": target.shrinkage, "basis": target.basis.value},
        "what_if": (what_if or WhatIf()).to_json(),
        "summary": json.loads(summary.to_json(orient="records")),
        "below_target": int((~predicted["meets_target"]).sum()),
        "intervals": predicted_to_records(predicted, timezone),
    }


__all__ = [
    "INTRADAY_COLUMNS",
    "PREDICT_COLUMNS",
    "intraday_staffing",
    "predict_service_level",
    "predicted_summary",
    "predicted_to_records",
    "prediction_to_json",
    "staffed_heads",
]
