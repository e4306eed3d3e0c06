"""Loading a generated field day from JSON: ``load_problem`` wall and CPU time.

Run ``python -m benchmarks.load_day --jobs 2000 --techs 240 --runs 5``. The day is
:func:`fieldops.data.sample.generate_field_day` (the fd2000 day of
``benchmarks.field_days`` by default), written to JSON once; each run then reads
the file with ``load_problem`` (JSON parse, schema load, domain checks). The
first load is a warm-up (imports, compiled schemas). Works on commits before
``fieldops.schemas`` existed too (it falls back to ``fieldops.domain.codec``), so
the same command measures a pair. Prints the medians; nothing is written.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any


def _codec() -> Any:
    for name in ("fieldops.schemas", "fieldops.domain.codec"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImportError("neither fieldops.schemas nor fieldops.domain.codec")


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--techs", type=int, default=240)
    parser.add_argument("--day-seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    from fieldops.data.sample import generate_field_day

    codec = _codec()
    day = generate_field_day(args.jobs, args.techs, seed=args.day_seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "day.json"
        path.write_text(json.dumps(codec.problem_to_json(day)), encoding="utf-8")
        codec.load_problem(path)
        wall, cpu = [], []
        for _ in range(args.runs):
            gc.collect()
            t0, c0 = time.perf_counter(), time.process_time()
            codec.load_problem(path)
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    out = {"wall_ms": 1000 * statistics.median(wall), "cpu_ms": 1000 * statistics.median(cpu)}
    print(f"{codec.__name__}: {args.jobs} jobs, median of {args.runs}: "
          f"{out['wall_ms']:.1f} ms wall, {out['cpu_ms']:.1f} ms CPU")
    return out


if __name__ == "__main__":
    main()
