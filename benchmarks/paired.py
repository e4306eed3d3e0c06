"""Paired comparison of this checkout against an earlier commit, in one run.

A change that should not alter results (a restructuring) or should improve them is
measured as pairs: every instance is solved by the earlier commit and by this
checkout back to back, alternating which goes first, so that the shared machine's
load drifts over both alike. The earlier commit runs from a temporary git worktree
with this checkout's virtual environment (its ``src/`` first on ``PYTHONPATH``).

    python -m benchmarks.paired --base 3fbf99e solomon -- --time-limit 10 --workers 2 --peers ""
    python -m benchmarks.paired --base 3fbf99e field_days --instances fd100 fd350 -- --workers 2
    python -m benchmarks.paired --base 3fbf99e roster --instances 1 2 3 -- --time-limit 60

Everything after ``--`` goes to the suite's own command. The table shows each
instance's key figures for both sides; the JSON (``benchmarks/results/``) keeps
every run of both sides as the suite wrote it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks import _harness as h

REPO = Path(__file__).resolve().parents[1]
SIDES = ("base", "head")


@dataclass(frozen=True)
class Suite:
    """How to list a suite's instances and read one run's key figures."""

    instances: Callable[[], list[str]]
    figures: Callable[[dict[str, Any]], dict[str, float | str]]
    summary: Callable[[list[dict[str, Any]]], dict[str, float | None]]


def _vrptw_figures(run: dict[str, Any]) -> dict[str, float | str]:
    return {"gap %": 100 * run["gap"] if run.get("gap") is not None else math.nan,
            "valid": "yes" if run.get("validated") else "NO"}


def _gap_summary(runs: list[dict[str, Any]]) -> dict[str, float | None]:
    gaps = [r["gap"] for r in runs if r.get("gap") is not None]
    mean = h.geometric_mean_gap(gaps)
    return {"geo-mean gap %": None if mean is None else 100 * mean,
            "invalid": float(sum(1 for r in runs if not r.get("validated", True)))}


def _field_figures(run: dict[str, Any]) -> dict[str, float | str]:
    by_priority = run["assigned_by_priority"]
    return {"jobs c/h/n/l": "/".join(str(v) for v in by_priority.values()),
            "travel h": run["travel_h"], "objective": run.get("objective", math.nan),
            "valid": "yes" if run.get("validated") else "NO"}


def _field_summary(runs: list[dict[str, Any]]) -> dict[str, float | None]:
    return {"jobs": float(sum(r["assigned"] for r in runs)),
            "travel h": sum(r["travel_h"] for r in runs),
            "invalid": float(sum(1 for r in runs if not r.get("validated")))}


def _solomon_names() -> list[str]:
    from benchmarks.instances import solomon_files

    return sorted(solomon_files())


def _homberger_names() -> list[str]:
    from benchmarks.instances import homberger_files

    return sorted(homberger_files())


def _field_names() -> list[str]:
    from benchmarks.field_days import SIZES

    return list(SIZES)


SUITES: dict[str, Suite] = {
    "solomon": Suite(_solomon_names, _vrptw_figures, _gap_summary),
    "homberger": Suite(_homberger_names, _vrptw_figures, _gap_summary),
    "field_days": Suite(_field_names, _field_figures, _field_summary),
    "roster": Suite(lambda: [str(n) for n in range(1, 13)],
                    lambda run: {"objective": run.get("objective") or math.nan,
                                 "gap %": 100 * run["gap"] if "gap" in run else math.nan,
                                 "valid": "yes" if run.get("validated") else "NO"},
                    _gap_summary),
}


@contextlib.contextmanager
def base_checkout(rev: str) -> Iterator[Path]:
    """A detached worktree of ``rev`` beside this one, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="fieldops-base-", dir=REPO.parent))
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(path), rev],
                   cwd=REPO, check=True)
    try:
        yield path
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=REPO, check=False)


def run_side(checkout: Path, suite: str, instance: str, extra: list[str]) -> list[dict[str, Any]]:
    """One suite run on one instance from ``checkout``; its runs of fieldops only."""
    shared = os.environ.get("FIELDOPS_SHARED", str(REPO.parent / "shared"))
    env = {**os.environ, "PYTHONPATH": f"{checkout / 'src'}{os.pathsep}{checkout}",
           "FIELDOPS_SHARED": shared}
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([sys.executable, "-m", f"benchmarks.{suite}", "--instances", instance,
                        "--output", out.name, *extra], cwd=checkout, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        runs: list[dict[str, Any]] = json.loads(Path(out.name).read_text())["runs"]
    return [r for r in runs if r.get("solver", "fieldops") == "fieldops"]


def _cell(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:,.2f}"


def _table(suite: Suite, pairs: list[tuple[str, dict[str, list[dict[str, Any]]]]]) -> Table:
    table = Table(title="paired runs: base → head")
    table.add_column("instance")
    keys: list[str] = []
    for _, sides in pairs:
        for run in sides["base"] + sides["head"]:
            keys += [k for k in suite.figures(run) if k not in keys]
    for key in keys:
        table.add_column(key, justify="right")
    for name, sides in pairs:
        for base, head in zip(sides["base"], sides["head"], strict=True):
            fb, fh = suite.figures(base), suite.figures(head)
            table.add_row(name, *[f"{_cell(fb.get(k, ''))} → {_cell(fh.get(k, ''))}"
                                  for k in keys])
    return table


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="arguments after -- go to the suite")
    parser.add_argument("--base", required=True, help="the earlier commit (any git revision)")
    parser.add_argument("suite", choices=sorted(SUITES))
    parser.add_argument("--instances", nargs="*", default=None,
                        help="instance names (default: the whole suite)")
    parser.add_argument("--output", type=Path, default=None, help="results JSON path")
    argv = list(sys.argv[1:] if argv is None else argv)
    cut = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:cut])
    args.extra = argv[cut + 1:]
    suite = SUITES[args.suite]
    names = args.instances or suite.instances()
    console = Console()
    pairs: list[tuple[str, dict[str, list[dict[str, Any]]]]] = []
    with base_checkout(args.base) as base:
        checkouts = {"base": base, "head": REPO}
        for i, name in enumerate(names):
            order = SIDES if i % 2 == 0 else SIDES[::-1]
            sides = {side: run_side(checkouts[side], args.suite, name, args.extra)
                     for side in order}
            pairs.append((name, sides))
            console.print(f"{name}: " + "  ".join(
                f"{s} {suite.figures(r)}" for s in SIDES for r in sides[s]))
    console.print(_table(suite, pairs))
    summary = {side: suite.summary([r for _, s in pairs for r in s[side]]) for side in SIDES}
    for side in SIDES:
        console.print(f"{side}: " + ", ".join(
            f"{k} {'–' if v is None else f'{v:,.3f}'}" for k, v in summary[side].items()))
    payload = {"suite": f"paired-{args.suite}", "machine": h.machine_info(),
               "parameters": {"base": args.base, "suite": args.suite, "instances": names,
                              "extra": args.extra},
               "summary": summary,
               "runs": [{"instance": n, "side": side, **r}
                        for n, s in pairs for side in SIDES for r in s[side]]}
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    target = h.write_results(f"paired-{args.suite}-{stamp}", payload, args.output)
    console.print(f"results written to {target}")
    return payload


if __name__ == "__main__":
    main()
