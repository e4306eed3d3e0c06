"""constraints/__init__.py: the registry of the roster constraint families.

Each family's own tests (its exact penalty through ``tests/roster_verifier.py``, and
small solves checked by the independent validator) are in
``tests/test_roster_constraint_<name>.py``.
"""

from __future__ import annotations

import importlib
import pkgutil

from fieldops.solver.roster import constraints
from fieldops.solver.roster.constraints import FAMILIES, PENALTY_KEYS


def test_every_family_module_is_registered_once_under_its_name() -> None:
    modules = [info.name for info in pkgutil.iter_modules(constraints.__path__)
               if info.name != "base"]
    for name in modules:
        module = importlib.import_module(f"{constraints.__name__}.{name}")
        assert module.FAMILY.name == name
        assert all(k == name or k.startswith(name + "_") for k in module.FAMILY.keys)
    assert sorted(f.name for f in FAMILIES) == sorted(modules)
    # proficiency reads the assign terms coverage builds
    names = [f.name for f in FAMILIES]
    assert names.index("coverage") < names.index("proficiency")
    assert len(set(PENALTY_KEYS)) == len(PENALTY_KEYS)


