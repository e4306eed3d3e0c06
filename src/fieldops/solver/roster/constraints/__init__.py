"""Constraint families of the roster model, one module each.

``HARD`` functions add rules every roster must keep; ``SOFT`` functions return
their penalty terms as ``(family, expression)`` pairs, summed into the objective
and reported per family. Availability (days off, time off, template weekdays,
the agent's templates) is not a constraint: options it forbids get no variable
(:meth:`RosterContext.options`). Coverage runs before proficiency, which reads
the ``assign`` terms coverage builds.
"""

from __future__ import annotations

from collections.abc import Callable

from ortools.sat.python import cp_model

from fieldops.solver.roster.constraints import (
    contracts,
    coverage,
    fairness,
    preferences,
    proficiency,
    rest,
    sequences,
)
from fieldops.solver.roster.model import RosterModel

Penalty = tuple[str, cp_model.LinearExprT]

HARD: list[Callable[[RosterModel], None]] = [
    contracts.apply_hours,
    contracts.apply_counts,
    sequences.apply,
    rest.apply,
]
SOFT: list[Callable[[RosterModel], list[Penalty]]] = [
    coverage.apply,
    preferences.apply,
    fairness.apply,
    proficiency.apply,
]

FAMILIES = ("coverage_under", "coverage_over", "preferences", "fairness_weekends",
            "fairness_nights", "fairness_hours", "proficiency")
