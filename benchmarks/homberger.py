"""Gehring–Homberger VRPTW suite (default: the 60 instances with 1 000 customers).

Run ``python -m benchmarks.homberger --time-limit 60 --instances 'C1_10_1' 'R1_10_1'
--peers vroom,pyvrp``; ``--size 200`` / ``--size 400`` pick the smaller sets. The
reference is the distance-only best known re-evaluated in floating point (1 000
customers) or the hierarchical best known otherwise (see
:func:`benchmarks.instances.homberger_reference`). Writes
``benchmarks/results/homberger.json`` (``homberger_<size>.json`` for other sizes).
"""

from __future__ import annotations

import sys

from benchmarks import _vrptw
from benchmarks import instances as bi


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    size = 1000
    if "--size" in args:
        at = args.index("--size")
        size = int(args[at + 1])
        del args[at : at + 2]
    suite = "homberger" if size == 1000 else f"homberger_{size}"
    _vrptw.main(
        suite,
        __doc__.splitlines()[0],
        lambda: bi.homberger_files(size),
        bi.homberger_reference,
        60.0,
        args,
    )


if __name__ == "__main__":
    main()
