"""Parameters of a dispatch solve."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from fieldops.domain.errors import FieldError


class FirstSolution(enum.StrEnum):
    """How the first plan is built before local search improves it."""

    AUTOMATIC = "automatic"
    PATH_CHEAPEST_ARC = "path_cheapest_arc"
    PARALLEL_CHEAPEST_INSERTION = "parallel_cheapest_insertion"
    LOCAL_CHEAPEST_INSERTION = "local_cheapest_insertion"
    SAVINGS = "savings"
    CHRISTOFIDES = "christofides"


class Metaheuristic(enum.StrEnum):
    GUIDED_LOCAL_SEARCH = "guided_local_search"
    SIMULATED_ANNEALING = "simulated_annealing"
    TABU_SEARCH = "tabu_search"
    GREEDY_DESCENT = "greedy_descent"


@dataclass(frozen=True, slots=True)
class SolveParams:
    """How long and how to search. Objective weights live on the problem.

    Attributes
    ----------
    time_limit
        Wall-clock seconds; when it is hit the best plan found so far is returned.
    seed
        Random seed, for reproducible runs.
    workers
        Threads/processes the solver may use (1 or more).
    first_solution
        Construction heuristic.
    metaheuristic
        Improvement strategy after the first solution.
    """

    time_limit: float = 10.0
    seed: int = 0
    workers: int = 1
    first_solution: FirstSolution = FirstSolution.AUTOMATIC
    metaheuristic: Metaheuristic = Metaheuristic.GUIDED_LOCAL_SEARCH

    def __post_init__(self) -> None:
        if isinstance(self.time_limit, bool) or not isinstance(self.time_limit, int | float):
            raise FieldError("time_limit", "must be a number of seconds")
        if not 0 < self.time_limit <= 86_400:
            raise FieldError("time_limit", "must be between 0 and 86400 seconds")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise FieldError("seed", "must be a non-negative integer")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or not (
            1 <= self.workers <= 64
        ):
            raise FieldError("workers", "must be an integer from 1 to 64")
        try:
            object.__setattr__(self, "first_solution", FirstSolution(self.first_solution))
        except ValueError:
            raise FieldError(
                "first_solution", f"must be one of {', '.join(f.value for f in FirstSolution)}"
            ) from None
        try:
            object.__setattr__(self, "metaheuristic", Metaheuristic(self.metaheuristic))
        except ValueError:
            raise FieldError(
                "metaheuristic", f"must be one of {', '.join(m.value for m in Metaheuristic)}"
            ) from None


@dataclass(frozen=True, slots=True)
class Progress:
    """Reported to the progress callback each time a better plan is found."""

    objective: float
    elapsed: float
    solutions: int
    assigned: int
