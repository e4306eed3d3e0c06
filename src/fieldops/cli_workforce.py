"""Contact-center subcommands: ``workforce-sample``, ``forecast`` and ``staff``.

Each prints a ``rich`` table and writes a PNG chart next to its output file.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from fieldops.domain.errors import FieldError
from fieldops.domain.workforce import (
    FORECAST_METHODS,
    Forecast,
    ForecastSettings,
    QueueSpec,
    ServiceLevelBasis,
    SimulationResult,
    SpecialDay,
    StaffingPlan,
    StaffingTarget,
)
from fieldops.schemas.workforce import queue_specs_from_json


def _console() -> Console:
    return Console(width=120)


# ---------------------------------------------------------------- argument parsing
def parse_service_level(text: str) -> tuple[float, timedelta]:
    """``80/20`` → (0.80, 20 s): percent answered within seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%?\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*", text)
    if not m:
        raise FieldError("service_level", f"{text!r} is not like 80/20 (percent/seconds)")
    pct, secs = float(m.group(1)), float(m.group(2))
    if not 0 < pct < 100:
        raise FieldError("service_level", "percent must be between 0 and 100")
    return pct / 100.0, timedelta(seconds=secs)


def parse_seconds(text: str, field: str) -> timedelta:
    """Seconds (``120``), or ISO 8601 (``PT4H``), or ``4h`` / ``30m`` / ``20s``."""
    text = text.strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smh]?)", text, flags=re.IGNORECASE)
    if m:
        unit = {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2).lower()]
        return timedelta(seconds=float(m.group(1)) * unit)
    from fieldops.schemas import parse_duration

    return parse_duration(text, field)


def parse_special_day(text: str) -> SpecialDay:
    """``2026-12-24`` or ``2026-12-24:0.5`` (factor on the normal volume)."""
    day_text, _, factor = text.partition(":")
    try:
        day = date.fromisoformat(day_text.strip())
    except ValueError:
        raise FieldError(
            "special_day", f"{text!r} is not like 2026-12-24 or 2026-12-24:0.5"
        ) from None
    try:
        return SpecialDay(day=day, name="manual", factor=float(factor) if factor else None)
    except ValueError:
        raise FieldError("special_day", f"{text!r}: the factor must be a number") from None


# ---------------------------------------------------------------- charts
def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def forecast_chart(result: Forecast, path: Path, history_days: int = 14) -> Path:
    """History of the last ``history_days`` days and the forecast, one panel per queue."""
    plt = _pyplot()
    tz = result.settings.timezone
    queues = result.volumes.queues
    fig, axes = plt.subplots(len(queues), 1, figsize=(12, 2.6 * len(queues)), sharex=True,
                             squeeze=False)
    hist = result.history.frame
    fc = result.volumes.frame
    start = fc["interval_start"].min() - pd.Timedelta(days=history_days)
    for ax, q in zip(axes[:, 0], queues, strict=True):
        h = hist[(hist["queue"] == q) & (hist["interval_start"] >= start)]
        f = fc[fc["queue"] == q]
        ax.plot(h["interval_start"].dt.tz_convert(tz), h["offered"], lw=0.7, color="0.4",
                label="history")
        method = f["method"].iloc[0] if len(f) else ""
        ax.plot(f["interval_start"].dt.tz_convert(tz), f["offered"], lw=0.9, color="tab:blue",
                label=f"forecast ({method})")
        ax.set_ylabel(f"{q}\ncontacts / interval")
        ax.legend(loc="upper left", fontsize=8)
    axes[0, 0].set_title("Contacts per interval: history and forecast")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def staffing_chart(plan: StaffingPlan, path: Path, timezone: str = "Europe/Berlin",
                   days: int = 7) -> Path:
    """Required agents per interval and queue (first ``days`` days), stacked lines."""
    plt = _pyplot()
    frame = plan.frame
    first = frame["interval_start"].min()
    fig, ax = plt.subplots(figsize=(12, 4))
    for q, rows in frame.groupby("queue", sort=True):
        rows = rows[rows["interval_start"] < first + pd.Timedelta(days=days)]
        ax.step(rows["interval_start"].dt.tz_convert(timezone), rows["agents"], where="post",
                lw=0.9, label=str(q))
    ax.set_ylabel("agents on queue (before shrinkage)")
    t = plan.target
    goal = (f"{t.service_level:.0%} in {t.answer_time.total_seconds():g} s"
            if t.service_level is not None else "")
    ax.set_title(f"Required agents per interval {goal}".strip())
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


# ---------------------------------------------------------------- tables
def _fmt(value: float, pattern: str = "{:.1%}") -> str:
    return "–" if value is None or not math.isfinite(float(value)) else pattern.format(value)


def forecast_table(result: Forecast) -> Table:
    table = Table(title=f"Forecast: {result.settings.horizon_days} days from "
                  f"{result.volumes.frame['interval_start'].min().tz_convert(result.settings.timezone):%Y-%m-%d}")
    for col in ("queue", "method", "back-test WAPE", "bias", "other methods", "missing",
                "contacts / day", "peak / interval"):
        table.add_column(col, justify="left" if col in ("queue", "method", "other methods")
                         else "right")
    fc = result.volumes.frame
    for q in result.volumes.queues:
        scores = [s for s in result.scores if s.queue == q]
        best = next(s for s in scores if s.chosen)
        others = ", ".join(f"{s.method} {_fmt(s.wape)}" for s in scores if not s.chosen)
        rows = fc[fc["queue"] == q]
        table.add_row(q, best.method, _fmt(best.wape), _fmt(best.bias, "{:+.1%}"), others,
                      str(result.missing_intervals.get(q, 0)),
                      f"{rows['offered'].sum() / result.settings.horizon_days:,.0f}",
                      f"{rows['offered'].max():,.1f}")
    return table


def staffing_table(plan: StaffingPlan) -> Table:
    t = plan.target
    hours = plan.interval.total_seconds() / 3600
    table = Table(title=f"Staffing ({t.basis.value} basis, shrinkage {t.shrinkage:.0%}): "
                  "intervals, peak agents, agent and paid hours, SL weighted by contacts, "
                  "backlog at the end")
    for col in ("queue", "model", "intervals", "contacts", "peak", "agent h", "paid h",
                "mean SL", "min SL", "abandon", "backlog"):
        table.add_column(col, justify="left" if col in ("queue", "model") else "right")
    for q, rows in plan.frame.groupby("queue", sort=True):
        busy = rows[rows["offered"] > 0]
        weights = busy["offered"]
        sl = busy["service_level"]
        mean_sl = (float(np.average(sl, weights=weights)) if len(busy) and sl.notna().all()
                   else math.nan)
        ab = busy["abandon_rate"]
        mean_ab = (float(np.average(ab, weights=weights)) if len(busy) and ab.notna().all()
                   else math.nan)
        table.add_row(
            str(q), str(rows["model"].iloc[0]), str(len(rows)), f"{rows['offered'].sum():,.0f}",
            str(int(rows["agents"].max())), f"{rows['agents'].sum() * hours:,.0f}",
            f"{rows['scheduled'].sum() * hours:,.0f}", _fmt(mean_sl),
            _fmt(float(sl.min()) if len(busy) else math.nan), _fmt(mean_ab, "{:.2%}"),
            f"{rows['backlog'].iloc[-1]:,.0f}",
        )
    return table


def simulation_table(result: SimulationResult) -> Table:
    table = Table(title=f"Simulation ({result.replications} replications, seed {result.seed}):"
                  " contact-weighted means over the simulated intervals")
    for col in ("queue", "intervals", "simulated SL", "Erlang SL", "simulated abandon",
                "Erlang abandon", "simulated ASA s"):
        table.add_column(col, justify="left" if col == "queue" else "right")
    for q, rows in result.frame.groupby("queue", sort=True):
        rows = rows[rows["offered_mean"] > 0]
        w = rows["offered_mean"]

        def avg(col: str, rows: pd.DataFrame = rows, w: pd.Series = w) -> float:
            ok = rows[col].notna()
            return float(np.average(rows[col][ok], weights=w[ok])) if ok.any() else math.nan

        table.add_row(str(q), str(len(rows)), _fmt(avg("service_level")),
                      _fmt(avg("erlang_service_level")), _fmt(avg("abandon_rate"), "{:.2%}"),
                      _fmt(avg("erlang_abandon_rate"), "{:.2%}"),
                      _fmt(avg("asa_seconds"), "{:.1f}"))
    return table


# ---------------------------------------------------------------- commands
def _settings(args: argparse.Namespace) -> ForecastSettings:
    country = None if (args.country or "").lower() in ("", "none") else args.country
    return ForecastSettings(
        horizon_days=args.horizon_days, timezone=args.timezone, country=country,
        subdivision=args.subdivision,
        special_days=tuple(parse_special_day(s) for s in args.special_day or ()),
        backtest_weeks=args.backtest_weeks,
        methods=tuple(args.methods.split(",")) if args.methods else FORECAST_METHODS,
    )


def cmd_forecast(args: argparse.Namespace) -> int:
    from fieldops.solver.forecast import forecast, read_volumes, write_volumes

    settings = _settings(args)
    history = read_volumes(args.history)
    result = forecast(history, settings)
    out = Path(args.output)
    write_volumes(result.volumes, out, timezone=settings.timezone)
    chart = forecast_chart(result, out.with_suffix(".png"))
    console = _console()
    console.print(forecast_table(result))
    console.print(f"forecast written to {out}, chart {chart} "
                  f"(fitted in {result.fit_seconds:.1f} s)")
    return 0


def _target(args: argparse.Namespace) -> StaffingTarget:
    sl, answer = (parse_service_level(args.service_level) if args.service_level
                  else (None, timedelta(seconds=20)))
    return StaffingTarget(
        service_level=sl, answer_time=answer,
        asa=parse_seconds(args.asa, "asa") if args.asa else None,
        max_occupancy=args.max_occupancy, max_abandon=args.max_abandon,
        shrinkage=args.shrinkage, basis=ServiceLevelBasis(args.basis),
    )


def _queue_specs(args: argparse.Namespace, queue_ids: list[str]) -> dict[str, QueueSpec]:
    specs: dict[str, QueueSpec] = {}
    if args.queues:
        try:
            data = json.loads(Path(args.queues).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise FieldError("queues", f"cannot read {args.queues}: {exc}") from None
        specs = queue_specs_from_json(data)
    patience = parse_seconds(args.patience, "patience") if args.patience else None
    deadline = parse_seconds(args.email_deadline, "email_deadline") if args.email_deadline else None
    for q in queue_ids:
        if q in specs:
            continue
        base = QueueSpec.infer(q)
        specs[q] = QueueSpec(
            id=q, channel=base.channel,
            concurrency=args.chat_concurrency if base.channel.value == "chat" else 1,
            patience=None if base.deferred else patience,
            response_deadline=deadline if (base.deferred and deadline) else base.response_deadline,
        )
    return specs


def run_staffing(demand_path: Path, args: argparse.Namespace, out: Path,
                 timezone: str) -> tuple[StaffingPlan, SimulationResult | None]:
    from fieldops.solver.forecast import read_volumes
    from fieldops.solver.staffing import staff
    from fieldops.solver.staffing.simulation import simulate

    target = _target(args)  # options first: a typo fails before a big file is read
    demand = read_volumes(demand_path, field="forecast")
    plan = staff(demand, target, _queue_specs(args, demand.queues))
    write_plan(plan, out, timezone)
    chart = staffing_chart(plan, out.with_suffix(".png"), timezone)
    console = _console()
    console.print(staffing_table(plan))
    console.print(f"staffing written to {out}, chart {chart}")
    sim = None
    if args.simulate:
        day = round(timedelta(days=1) / plan.interval)
        sim = simulate(plan, replications=args.replications, seed=args.seed, max_intervals=day)
        sim_path = out.with_name(out.stem + "_simulation.csv")
        frame = sim.frame.copy()
        frame["interval_start"] = frame["interval_start"].map(
            lambda t: pd.Timestamp(t).tz_convert(timezone).isoformat())
        frame.round(5).to_csv(sim_path, index=False)
        console.print(simulation_table(sim))
        console.print(f"simulation of the first day written to {sim_path}")
    return plan, sim


def write_plan(plan: StaffingPlan, path: Path, timezone: str) -> None:
    frame = plan.frame.copy()
    frame["interval_start"] = frame["interval_start"].map(
        lambda t: pd.Timestamp(t).tz_convert(timezone).isoformat())
    if path.suffix.lower() == ".json":
        from fieldops.solver.staffing import plan_to_records

        path.write_text(json.dumps(plan_to_records(plan)), encoding="utf-8")
        return
    frame.round(6).to_csv(path, index=False)


def cmd_staff(args: argparse.Namespace) -> int:
    run_staffing(Path(args.forecast), args, Path(args.output), args.timezone)
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from fieldops.data.workforce_sample import write_sample

    volumes = write_sample(args.output, days=args.days, seed=args.seed)
    frame = volumes.frame
    table = Table(title=f"Sample history: {args.days} days, 15-minute intervals, seed {args.seed}")
    for col in ("queue", "intervals", "contacts", "mean AHT s"):
        table.add_column(col, justify="left" if col == "queue" else "right")
    for q, rows in frame.groupby("queue", sort=True):
        aht = float(np.average(rows["aht_seconds"], weights=rows["offered"]))
        table.add_row(str(q), f"{len(rows):,}", f"{rows['offered'].sum():,.0f}", f"{aht:.0f}")
    console = _console()
    console.print(table)
    console.print(f"written to {args.output}")
    return 0


def _staff_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--service-level", default="80/20",
                   help="percent answered within seconds, e.g. 80/20 (default)")
    p.add_argument("--asa", help="maximum ASA (seconds, or 30s / PT30S)")
    p.add_argument("--max-occupancy", type=float, default=0.9,
                   help="maximum agent occupancy, fraction (default 0.9)")
    p.add_argument("--max-abandon", type=float, default=None,
                   help="maximum abandonment rate, fraction (Erlang A queues)")
    p.add_argument("--shrinkage", type=float, default=0.3,
                   help="fraction of paid time off the phones (default 0.3)")
    p.add_argument("--basis", default="offered", choices=[b.value for b in ServiceLevelBasis],
                   help="contacts the service level is counted over (docs/workforce.md)")
    p.add_argument("--patience", help="mean patience for voice and chat (seconds): Erlang A; "
                   "omitted: Erlang C")
    p.add_argument("--chat-concurrency", type=int, default=1,
                   help="chats one agent handles at once (default 1)")
    p.add_argument("--email-deadline", help="response deadline of email/backoffice "
                   "(default 4h)")
    p.add_argument("--queues", help="JSON file {queue: {channel, concurrency, patience, "
                   "response_deadline}} overriding the options above")
    p.add_argument("--simulate", action="store_true",
                   help="also simulate the first day (simpy) and report SL/ASA/abandonment")
    p.add_argument("--replications", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timezone", default="Europe/Berlin", help="time zone of the output")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this module's subcommands. Each sets ``func(args) -> int``."""
    p = subparsers.add_parser("workforce-sample",
                              help="write the deterministic sample contact history (CSV)")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--days", type=int, default=364)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=cmd_sample)

    p = subparsers.add_parser("forecast", help="forecast contacts per interval and queue")
    p.add_argument("history", help="history CSV (interval_start,queue,offered,aht_seconds) "
                   "or JSON")
    p.add_argument("-o", "--output", required=True, help="forecast CSV (or .json)")
    p.add_argument("--horizon-days", type=int, default=14)
    p.add_argument("--country", default="DE", help="holidays country code, or 'none'")
    p.add_argument("--subdivision", default=None, help="holidays subdivision, e.g. BY")
    p.add_argument("--timezone", default="Europe/Berlin", help="IANA zone of the local day")
    p.add_argument("--special-day", action="append",
                   help="YYYY-MM-DD[:factor], repeatable (factor: share of normal volume)")
    p.add_argument("--backtest-weeks", type=int, default=4)
    p.add_argument("--methods", help=f"comma list of {', '.join(FORECAST_METHODS)}")
    p.set_defaults(func=cmd_forecast)

    p = subparsers.add_parser("staff", help="required agents per interval (Erlang C / A)")
    p.add_argument("forecast", help="forecast (or history) CSV / JSON")
    p.add_argument("-o", "--output", required=True, help="staffing CSV (or .json)")
    _staff_arguments(p)
    p.set_defaults(func=cmd_staff)


def run_workforce_demo(output_dir: Path) -> int:
    """Sample history → forecast → staffing → simulation, files in ``output_dir``."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    history = output_dir / "history.csv"
    forecast_csv = output_dir / "forecast.csv"
    staffing_csv = output_dir / "staffing.csv"
    parser = argparse.ArgumentParser(prog="fieldops")
    register(parser.add_subparsers())
    for argv in (
        ["workforce-sample", "-o", str(history)],
        ["forecast", str(history), "-o", str(forecast_csv), "--horizon-days", "7"],
        ["staff", str(forecast_csv), "-o", str(staffing_csv), "--service-level", "80/20",
         "--patience", "120", "--chat-concurrency", "2", "--simulate", "--replications", "8"],
    ):
        args = parser.parse_args(argv)
        code = int(args.func(args) or 0)
        if code:
            return code
    return 0
