"""engines/hgs.py: the PyVRP mapping, what it refuses, the routes it returns."""

from __future__ import annotations

from fieldops.solver.dispatch.engines import hgs

from line_world import check_flat_routes, tiny_flat


def test_hgs_refuses_what_it_cannot_express() -> None:
    assert hgs.why_not(tiny_flat()) is None
    assert hgs.why_not(tiny_flat(breaks=True)) == "lunch breaks"


def test_hgs_routes_respect_windows_and_allowed_vehicles() -> None:
    flat = tiny_flat()
    result = hgs.solve(flat, 0.5, seed=3, all_required=True)
    assert result.feasible
    check_flat_routes(flat, result.routes)
