"""Which engine a day goes to, decided once per solve.

Before any matrix exists the solver already has to know whether PyVRP could take
the day: that decides how the cores are used (:func:`.solve.solve_dispatch`),
whether an engine pool is started, whether VROOM starts beside the construction
and whether ruin and recreate runs. :class:`EngineChoice` holds that answer;
the engine phase then asks :func:`.engines.hgs.why_not` once on the modelled day
(jobs the diagnosis left out no longer count).
"""

from __future__ import annotations

from dataclasses import dataclass

from fieldops.domain.problem import DispatchProblem
from fieldops.solver.dispatch.engines import hgs


@dataclass(frozen=True, slots=True)
class EngineChoice:
    """Why PyVRP could not take the day (``None``: it could; then VROOM does not run)."""

    pyvrp_reason: str | None

    @classmethod
    def of(cls, problem: DispatchProblem) -> EngineChoice:
        return cls(hgs.why_not_day(problem))

    @property
    def pyvrp(self) -> bool:
        """PyVRP may take the day (else VROOM runs, beside the construction)."""
        return self.pyvrp_reason is None


def hgs_candidate(problem: DispatchProblem) -> bool:
    """Cheap pre-check: could PyVRP take this day (no lunch, pins, several windows)?"""
    return EngineChoice.of(problem).pyvrp
