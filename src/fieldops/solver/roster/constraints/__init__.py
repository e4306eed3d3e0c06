"""Constraint families of the roster model, one module each.

The convention
--------------
A constraint family owns its whole rule in one module and exports it as
``FAMILY``, a :class:`~.base.Family` of:

``name``
    the module's name. Every penalty it reports is keyed ``name`` or
    ``name_<part>`` (``coverage_under``, ``fairness_nights``), and those keys are
    the ones :attr:`Roster.penalties` carries.
``add(m) -> None``
    adds the rule to the model: a hard rule as constraints, a soft rule also as
    objective terms through ``m.add_penalty(key, expr)``. Nothing is returned:
    the model collects the objective (:meth:`RosterModel.minimize_penalties`).
``penalty(ctx, roster) -> Mapping[str, float]``
    the exact penalty of a concrete roster (:class:`Aggregates`) per key, in
    the penalty units of :class:`RosterWeights`; ``{}`` for a hard family, as a
    roster that breaks a hard rule is invalid (the validator says so).
``explanations``
    key → what one unit of the penalty is; empty for a hard family.

:data:`FAMILIES` lists them in the order they are added to the model: hard
families first, coverage before proficiency (which reads the ``assign`` terms
coverage builds). The plan's penalties (:mod:`..plan`) are the union of the
families' ``penalty``; nothing else prices a roster. The same convention fits
the dispatch families: ``add`` puts the family into the routing model (costs,
dimensions, disjunctions) and ``penalty`` prices a concrete plan.

Availability (days off, time off, template weekdays, the agent's templates) is
not a family: options it forbids get no variable (:meth:`RosterContext.options`).
"""

from __future__ import annotations

from fieldops.solver.roster.constraints import (
    contracts,
    coverage,
    fairness,
    preferences,
    proficiency,
    rest,
    sequences,
)
from fieldops.solver.roster.constraints.base import Family, Penalty

FAMILIES: list[Family] = [
    contracts.FAMILY,
    sequences.FAMILY,
    rest.FAMILY,
    coverage.FAMILY,
    preferences.FAMILY,
    fairness.FAMILY,
    proficiency.FAMILY,
]
HARD: list[Family] = [f for f in FAMILIES if f.hard]
SOFT: list[Family] = [f for f in FAMILIES if not f.hard]
#: every penalty key, in the order :attr:`Roster.penalties` lists them
PENALTY_KEYS: tuple[str, ...] = tuple(k for f in SOFT for k in f.keys)

__all__ = ["FAMILIES", "HARD", "PENALTY_KEYS", "SOFT", "Family", "Penalty"]
