"""What a roster constraint family is (see the package docstring for the convention)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ortools.sat.python import cp_model

from fieldops.solver.roster.aggregates import Aggregates
from fieldops.solver.roster.context import RosterContext
from fieldops.solver.roster.model import RosterModel

#: An objective term: (penalty key, CP-SAT expression).
Penalty = tuple[str, cp_model.LinearExprT]


@dataclass(frozen=True)
class Family:
    """One constraint family: its CP-SAT encoding and its exact penalty.

    Attributes
    ----------
    name
        The module's name. Every penalty key is ``name`` or ``name_<part>``.
    add
        Adds the family's rule to the model: hard rules as constraints, soft rules
        as objective terms through :meth:`RosterModel.add_penalty`.
    penalty
        The exact penalty of a concrete roster per key, in penalty units
        (:class:`RosterWeights`); empty for a hard family (the validator checks
        hard rules).
    explanations
        Penalty key → what one unit of it means; empty for a hard family.
    """

    name: str
    add: Callable[[RosterModel], None]
    penalty: Callable[[RosterContext, Aggregates], Mapping[str, float]]
    explanations: Mapping[str, str]

    @property
    def hard(self) -> bool:
        return not self.explanations

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.explanations)


def no_penalty(ctx: RosterContext, roster: Aggregates) -> dict[str, int]:
    """The penalty of a hard family: none (a roster breaking it is invalid)."""
    return {}
