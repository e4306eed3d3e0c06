"""The typed state the phases of a solve hand on (:mod:`.solve`)."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from fieldops.domain.plan import DispatchPlan
from fieldops.solver.dispatch.choice import EngineChoice
from fieldops.solver.dispatch.context import COST_SCALE
from fieldops.solver.dispatch.deadline import Deadline
from fieldops.solver.dispatch.engines.pool import EnginePool
from fieldops.solver.dispatch.extract import RawRoute
from fieldops.solver.dispatch.model import Model
from fieldops.solver.dispatch.params import Progress, SolveParams
from fieldops.solver.dispatch.report import SolveReport


@dataclass
class Candidate:
    """A complete plan under the full model: routes with exact schedules, priced."""

    name: str
    cost: int
    routes: list[RawRoute]
    assigned: int
    nodes: list[list[int]]  # job nodes per vehicle, as the construction holds them


@dataclass
class Incumbent:
    """The best plan so far (integer cost) and how many plans OR-Tools reported."""

    cost: float = math.inf
    routes: list[RawRoute] | None = None
    solutions: int = 0
    # The chosen candidate as a plan, priced exactly as returned plans are: what
    # OR-Tools' result must beat (internal costs round, and leave out the jobs
    # the diagnosis removed).
    candidate_plan: DispatchPlan | None = None
    candidate_routes: list[RawRoute] | None = None


@dataclass
class SolveState:
    """One search: its inputs, its clock, the model, the best plan and the report."""

    params: SolveParams
    deadline: Deadline  # the whole time limit
    search: Deadline  # the same, less the extraction margin
    model: Model
    report: SolveReport
    choice: EngineChoice
    progress: Callable[[Progress], None] | None = None
    stop: threading.Event | None = None
    engine_threads: int = 1
    pool: EnginePool | None = None
    incumbent: Incumbent = field(default_factory=Incumbent)
    constructed: int = 0  # improving plans found before OR-Tools' search
    start_from: list[list[int]] | None = None  # OR-Tools' warm start (model indices)

    def stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    @property
    def should_stop(self) -> Callable[[], bool] | None:
        return self.stop.is_set if self.stop is not None else None

    def tell(self, cost: float, assigned: int, solutions: int = 0) -> None:
        """Report a new best plan of integer ``cost`` to the progress callback.

        ``solutions`` is OR-Tools' count of plans when it found this one, 0 for a
        plan of the construction phases; the progress counts both kinds. Its
        objective is the plan's (:attr:`.Model.fixed_objective` added), so a live
        display and the summary show the same number.
        """
        if solutions == 0:
            self.constructed += 1
        if self.progress is not None:
            self.progress(Progress(
                objective=cost / COST_SCALE + self.model.fixed_objective,
                elapsed=self.deadline.elapsed(),
                solutions=self.constructed + solutions, assigned=assigned))
