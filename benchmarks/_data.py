"""Where the benchmark instance files are.

``$FIELDOPS_BENCHMARK_DATA`` if set (the suites' ``--data-dir`` sets it), else
``$FIELDOPS_SHARED/benchmarks`` (the older variable), else
``<repo>/../shared/benchmarks``. Below it: ``vrptw/`` (Solomon,
Gehring–Homberger, reference values) and ``shift-scheduling/`` (Curtois–Qu).

The test suite never needs this directory: the few small instances its loader
tests read ship in ``tests/data/benchmarks/`` with the same layout.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

ENV = "FIELDOPS_BENCHMARK_DATA"


def data_dir() -> Path:
    """The benchmark data directory (see the module docstring for the order)."""
    env = os.environ.get(ENV)
    if env:
        return Path(env)
    shared = os.environ.get("FIELDOPS_SHARED")
    if shared:
        return Path(shared) / "benchmarks"
    return Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"


def add_data_dir_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", type=Path, default=None,
        help=f"benchmark instance files (default: ${ENV}, else ../shared/benchmarks)",
    )


def use_data_dir(path: Path | None) -> None:
    """Make ``--data-dir`` the data directory of this process and of the runs it spawns."""
    if path is not None:
        os.environ[ENV] = str(Path(path).resolve())
