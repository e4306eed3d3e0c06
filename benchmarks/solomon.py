"""Solomon VRPTW suite (56 instances, 100 customers): distance gap to the reference.

Run ``python -m benchmarks.solomon --time-limit 10 --peers ortools,vroom,pyvrp``.
The reference per instance is ``solomon_distance_reference.csv`` (distance-only best
known, re-evaluated in floating point), raised to the instance's proven optimum under
one-decimal truncation where it lies below that lower bound (R109, RC103; see
:func:`benchmarks.instances.solomon_reference_checked`). Writes
``benchmarks/results/solomon.json``.
"""

from __future__ import annotations

from benchmarks import _vrptw
from benchmarks import instances as bi


def _reference(inst: bi.VrptwInstance) -> tuple[float, str]:
    return bi.solomon_reference_checked(inst.name)


def main(argv: list[str] | None = None) -> None:
    _vrptw.main("solomon", __doc__.splitlines()[0], bi.solomon_files, _reference, 10.0, argv)


if __name__ == "__main__":
    main()
