"""Constraint families of the dispatch model, one module each.

Every module exposes ``apply(ctx: ModelContext) -> None`` and documents the rule it
adds. ``HARD`` rules restrict which plans exist; ``SOFT`` rules add objective
terms. The order matters only in that the time dimension (shifts) comes first.
"""

from __future__ import annotations

from collections.abc import Callable

from fieldops.solver.dispatch.constraints import (
    breaks,
    capacity,
    pins,
    preferences,
    priority,
    shifts,
    skills,
    sla,
    time_windows,
    travel,
)
from fieldops.solver.dispatch.context import ModelContext

Apply = Callable[[ModelContext], None]

HARD: list[Apply] = [
    shifts.apply,  # creates the time dimension the others use
    skills.apply,
    time_windows.apply,
    breaks.apply,
    capacity.apply,
    pins.apply,
]
SOFT: list[Apply] = [
    travel.apply,
    preferences.apply,
    priority.apply,
    sla.apply,
    shifts.apply_overtime,
]
