"""constraints/__init__.py: the registry of the dispatch constraint modules.

Each family's own tests (its rule on a tiny route, and small solves on the line
world of ``tests/line_world.py``) are in ``tests/test_dispatch_constraint_<name>.py``.
"""

from __future__ import annotations


def test_every_constraint_module_owns_its_rule_and_has_its_own_test() -> None:
    # Each module encodes its rule (apply), prices or checks a timed route, is
    # registered, and has tests/test_dispatch_constraint_<name>.py.
    import importlib
    import pkgutil
    from pathlib import Path

    from fieldops.solver.dispatch import constraints

    registered = set(constraints.ROUTE_PENALTIES) | set(constraints.HARD_CHECKS)
    names = [m.name for m in pkgutil.iter_modules(constraints.__path__)]
    assert len(names) >= 10
    for name in names:
        module = importlib.import_module(f"{constraints.__name__}.{name}")
        assert name == module.NAME
        assert module.apply in constraints.HARD + constraints.SOFT
        rules = [getattr(module, f) for f in ("penalty", "check") if hasattr(module, f)]
        assert rules, f"{name} neither prices nor checks a route"
        if name != "priority":  # priced on the jobs left out, not on a route
            assert registered.intersection(rules), f"{name}'s rule is not registered"
        test = Path(__file__).parent / f"test_dispatch_constraint_{name}.py"
        assert test.exists(), f"{name} has no test file of its own"
    assert set(constraints.PLAN_KEYS.values()) <= set(names)
