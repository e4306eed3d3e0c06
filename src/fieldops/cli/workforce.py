"""Contact-center subcommands: ``workforce-sample``, ``forecast``, ``staff``, ``intraday``.

Each prints a ``rich`` table and writes a PNG chart (``fieldops.reports.workforce_chart``)
next to its output file.
"""

from __future__ import annotations

import argparse
import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from rich.table import Table

from fieldops.cli.common import (
    add_what_if_options,
    parse_seconds,
    queue_specs,
    staffing_target,
    what_if,
    wide_console,
)
from fieldops.domain.errors import FieldError
from fieldops.domain.spreadsheet import escape_frame
from fieldops.domain.workforce import (
    FORECAST_METHODS,
    ContactVolumes,
    Forecast,
    ForecastSettings,
    QueueSpec,
    ServiceLevelBasis,
    SimulationResult,
    SpecialDay,
    StaffingPlan,
    StaffingTarget,
)
from fieldops.reports.workforce_chart import forecast_chart, staffing_chart
from fieldops.schemas.staffing import write_staffing


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
    console = wide_console()
    console.print(forecast_table(result))
    console.print(f"forecast written to {out}, chart {chart} "
                  f"(fitted in {result.fit_seconds:.1f} s)")
    return 0


def run_staffing(demand_path: Path, args: argparse.Namespace, out: Path,
                 timezone: str) -> tuple[StaffingPlan, SimulationResult | None]:
    from fieldops.solver.forecast import read_volumes
    from fieldops.solver.staffing import staff
    from fieldops.solver.staffing.simulation import simulate

    target = staffing_target(args)  # options first: a typo fails before a big file is read
    scenario = what_if(args)
    demand = scenario.volumes(read_volumes(demand_path, field="forecast"))
    plan = staff(demand, target, queue_specs(args, demand.queues))
    write_plan(plan, out, timezone)
    chart = staffing_chart(plan, out.with_suffix(".png"), timezone)
    console = wide_console()
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
        escape_frame(frame.round(5)).to_csv(sim_path, index=False)
        console.print(simulation_table(sim))
        console.print(f"simulation of the first day written to {sim_path}")
    if args.pooled:
        _pooled(demand, target, queue_specs(args, demand.queues), args, out, timezone)
    return plan, sim


def _pooled(demand: ContactVolumes, target: StaffingTarget, specs: dict[str, QueueSpec],
            args: argparse.Namespace, out: Path, timezone: str) -> Path:
    """``--pooled``: staffing by skill-based routing simulation for the first day."""
    from fieldops.solver.staffing.routing import pooled_staffing

    day = round(timedelta(days=1) / demand.interval)
    frame = pooled_staffing(demand, target, specs, replications=args.replications,
                            seed=args.seed, max_intervals=day)
    path = out.with_name(out.stem + "_pooled.csv")
    written = frame.assign(interval_start=frame["interval_start"].map(
        lambda t: pd.Timestamp(t).tz_convert(timezone).isoformat()))
    escape_frame(written).to_csv(path, index=False)
    console = wide_console()
    console.print(f"pooled staffing (every agent with every voice/chat skill, simulated): "
                  f"{int(frame['pooled_agents'].sum()):,} agent-intervals instead of "
                  f"{int(frame['per_queue_agents'].sum()):,} with per-queue Erlang "
                  f"(first day); written to {path}")
    return path


def write_plan(plan: StaffingPlan, path: Path, timezone: str) -> None:
    write_staffing(plan, path, timezone)

def cmd_staff(args: argparse.Namespace) -> int:
    run_staffing(Path(args.forecast), args, Path(args.output), args.timezone)
    return 0


def cmd_intraday(args: argparse.Namespace) -> int:
    """``fieldops intraday``: re-forecast, staff and compare; writes CSV or JSON."""
    from fieldops.domain.workforce import IntradaySettings
    from fieldops.schemas import (
        parse_instant,
        read_json_file,
        roster_from_json,
        roster_problem_from_json,
    )
    from fieldops.solver.forecast import read_volumes
    from fieldops.solver.forecast.intraday import reforecast
    from fieldops.solver.staffing.predict import intraday_staffing

    target = staffing_target(args)  # options first: a typo fails before files are read
    scenario = what_if(args)
    settings = IntradaySettings(half_life=parse_seconds(args.half_life, "half_life"),
                                prior_contacts=args.prior_contacts)
    now = parse_instant(args.now, "now")
    day_ahead = read_volumes(args.forecast, field="forecast")
    actuals = read_volumes(args.actuals, interval=day_ahead.interval, field="actuals")
    roster = roster_from_json(read_json_file(args.roster)) if args.roster else None
    problem = (roster_problem_from_json(read_json_file(args.problem))
               if args.problem else None)
    result = reforecast(day_ahead, actuals, now, settings)
    frame = intraday_staffing(scenario.volumes(result.volumes), result.day_ahead, target,
                              queue_specs(args, result.volumes.queues), roster, problem)
    out = Path(args.output)
    written = frame.copy()
    written["interval_start"] = written["interval_start"].map(
        lambda t: pd.Timestamp(t).tz_convert(args.timezone).isoformat())
    if out.suffix == ".json":
        out.write_text(written.to_json(orient="records", indent=1), encoding="utf-8")
    else:
        escape_frame(written.round(4)).to_csv(out, index=False)
    console = wide_console()
    console.print(intraday_table(result.ratios, frame, roster is not None))
    console.print(f"rest of the day from {now.isoformat()} written to {out}")
    return 0


def _agents(value: float) -> str:
    """Agent-intervals of capacity: quarters of an agent where learners work."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.2f}"


def intraday_table(ratios: pd.DataFrame, frame: pd.DataFrame, with_roster: bool) -> Table:
    """Per queue: how today ran, the rest-of-day contacts, and staff needed vs rostered."""
    table = Table(title="Intraday: rest of the day re-forecast from today's actuals")
    cols = ["queue", "seen", "volume ×", "AHT ×", "day-ahead", "re-forecast", "required"]
    cols += ["rostered", "short", "below target"] if with_roster else []
    for col in cols:
        table.add_column(col, justify="left" if col == "queue" else "right")
    for r in ratios.itertuples(index=False):
        part = frame[frame["queue"] == r.queue]
        row = [str(r.queue), f"{r.observed_intervals}", f"{r.volume_ratio:.3f}",
               f"{r.aht_ratio:.3f}", f"{part['day_ahead'].sum():,.0f}",
               f"{part['offered'].sum():,.0f}", f"{int(part['required'].sum()):,}"]
        if with_roster:
            row += [_agents(part["rostered"].sum()), _agents(part["short"].sum()),
                    str(int((~part["meets_target"].astype(bool)).sum()))]
        table.add_row(*row)
    return table


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
    console = wide_console()
    console.print(table)
    console.print(f"written to {args.output}")
    return 0


def _staff_arguments(p: argparse.ArgumentParser) -> None:
    _target_arguments(p)
    p.add_argument("--simulate", action="store_true",
                   help="also simulate the first day (simpy) and report SL/ASA/abandonment")
    p.add_argument("--pooled", action="store_true",
                   help="also staff the first day by skill-based routing simulation, every "
                   "agent with every voice/chat skill (writes <output>_pooled.csv)")
    p.add_argument("--replications", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timezone", default="Europe/Berlin", help="time zone of the output")


def _target_arguments(p: argparse.ArgumentParser) -> None:
    """The target, queue and what-if options of ``staff`` and ``intraday``."""
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
    add_what_if_options(p)


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

    p = subparsers.add_parser(
        "intraday", help="re-forecast the rest of today from today's actuals; required "
        "staff vs the roster", description="Rescale the day-ahead forecast by today's "
        "actuals so far (docs/workforce.md, Intraday), staff the rest of the day and "
        "compare it with a roster's heads.")
    p.add_argument("forecast", help="the day-ahead forecast CSV / JSON (today at least)")
    p.add_argument("actuals", help="today's contacts so far, CSV / JSON (same columns)")
    p.add_argument("--now", required=True, help="instant with offset, e.g. "
                   "2026-12-07T12:00:00+01:00")
    p.add_argument("-o", "--output", required=True, help="intraday CSV (or .json)")
    p.add_argument("--roster", help="roster JSON (fieldops roster -o) to compare with")
    p.add_argument("--problem", help="the roster's problem JSON: its agents' proficiency, so "
                                     "a learner counts at its capacity (without it every "
                                     "rostered agent counts as one)")
    p.add_argument("--half-life", default="3h", help="weight halves with this age (3h)")
    p.add_argument("--prior-contacts", type=float, default=20.0,
                   help="pseudo-count shrinking the ratio toward 1 (default 20)")
    p.add_argument("--timezone", default="Europe/Berlin", help="time zone of the output")
    _target_arguments(p)
    p.set_defaults(func=cmd_intraday)

