"""Parameters of a dispatch solve.

:class:`SolveParams` holds how long and how to search; its nested parts hold the
tuning of each phase, with the values the benchmarks chose as defaults:

* :class:`EngineParams` — which share of the time the engines (PyVRP, VROOM) and
  ruin and recreate get, and up to which size OR-Tools polishes their plan;
* :class:`RuinParams` — ruin and recreate's sizes and temperatures (:mod:`.improve`);
* :class:`DecomposeParams` — when and how PyVRP's large runs are split into
  sub-problems (:mod:`.engines.decompose`);
* :class:`DistributeParams` — a day split by territory over task workers
  (:mod:`.distributed`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields

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


def _check_fractions(params: object, *names: str) -> None:
    """Each named field of ``params`` is a number in (0, 1]."""
    for name in names:
        value = getattr(params, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            raise FieldError(name, "must be a number greater than 0 and at most 1")


def _check_positive_ints(params: object, *names: str, least: int = 1) -> None:
    for name in names:
        value = getattr(params, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise FieldError(name, f"must be an integer of at least {least}")


@dataclass(frozen=True, slots=True)
class EngineParams:
    """How the time left after the construction is shared between the phases.

    Every share is a fraction of the time left at the moment the phase starts,
    less the margin kept back for building the plan (:mod:`.deadline`).

    Attributes
    ----------
    hgs_share
        PyVRP's share; OR-Tools polishes its plan (under the full model) in the rest.
    exact_hgs_share
        PyVRP's share on days (every job routed by the construction) whose
        objective it models in full (no SLA, preferences or paid overtime): OR-Tools
        does not run after it; re-timing and building the plan then fit in the
        extraction margin (at 0.97 every 1 000-customer run of a minute ended
        2.5-2.9 s early, with nothing searched in that time). Since 2026-12-07 on
        days of any size, not only from ``DecomposeParams.min_jobs`` jobs on.
    vroom_share
        VROOM's share. VROOM stops by itself well before its timeout on small days
        (1 s at 100 jobs, 20 s at 350), which leaves the rest to the others; on
        large days it uses its share and beats what OR-Tools makes of the time
        (measured at 1 000 jobs: VROOM at 35 s + OR-Tools 20 s was 8 % more travel
        than VROOM at 60 s).
    ruin_share
        Ruin and recreate's share of the time left after VROOM (OR-Tools polishes
        in the rest, if any; all of it past ``warm_start_max_jobs``). All of it by
        default: taken apart at 350 and 1 000 jobs, OR-Tools' polish of ruin and
        recreate's plan gained nothing in its ~14 s, where ruin and recreate was
        still improving (benchmarks/README.md, "Ruin and recreate gets the
        polish's time"). VROOM keeps its 90 %: at 2 000 jobs giving it 60 % and
        ruin and recreate the rest ended with 227 h of travel, against 219 h with
        90 % (same day, same machine).
    warm_start_max_jobs
        Most modelled jobs OR-Tools polishes. Restoring a warm start is not
        bounded by OR-Tools' time limit and grows fast with size (about 2 s at
        1 000 jobs, over 80 s at 2 000, with breaks): past this the best candidate
        is the answer, so that the time limit always holds.
    hgs_from_construction
        Whether PyVRP starts from the construction's plan (else from its own
        start). The portfolio's helpers on PyVRP's days start from their own: with
        both searches started from the same plan, the two processes ended with the
        same objective on 15 of Solomon's 39 R and RC days at 10 s, so the second
        core bought nothing there (benchmarks/README.md, "Solomon at 10 s").
    hgs_restart_share
        On days too small to split into sub-problems, PyVRP starts afresh (its own
        start, another seed) each time it has found nothing better for this share
        of its budget (1: never). A stagnant search's rest is worth more as a new
        one there (benchmarks/README.md, "Solomon at 10 s: two references below a
        proven optimum, and restarts": 0.179 % → 0.138 % over all 56).
    """

    hgs_share: float = 0.9
    exact_hgs_share: float = 0.99
    vroom_share: float = 0.9
    ruin_share: float = 1.0
    warm_start_max_jobs: int = 1400
    hgs_from_construction: bool = True
    hgs_restart_share: float = 0.3

    def __post_init__(self) -> None:
        _check_fractions(self, "hgs_share", "exact_hgs_share", "vroom_share", "ruin_share",
                         "hgs_restart_share")
        _check_positive_ints(self, "warm_start_max_jobs", least=0)


@dataclass(frozen=True, slots=True)
class RuinParams:
    """Sizes and temperatures of ruin and recreate (defaults after SISR's published ones).

    Attributes
    ----------
    mean_removed
        Average number of jobs taken out per iteration.
    max_string
        Longest string of consecutive jobs taken out of one route.
    neighbours
        Jobs kept per job in the nearness lists that pick the routes to ruin.
    start_temperature, end_temperature
        Annealing temperatures as fractions of the plan's average leg cost.
    blink
        Chance of skipping an insertion position (diversification).
    left_out_seed
        Chance that an iteration ruins around a left-out job rather than a
        routed one (when jobs are left out).
    top_priority_focus
        Chance that such an iteration picks among the left-out jobs of the
        highest priority left out, rather than among all of them (one normal
        job among twenty low ones would otherwise rarely get a turn).
    """

    mean_removed: int = 10
    max_string: int = 10
    neighbours: int = 40
    start_temperature: float = 0.3
    end_temperature: float = 0.003
    blink: float = 0.01
    left_out_seed: float = 0.3
    top_priority_focus: float = 0.5

    def __post_init__(self) -> None:
        _check_positive_ints(self, "mean_removed", "max_string", "neighbours")
        for name in ("start_temperature", "end_temperature"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise FieldError(name, "must be a positive number")
        for name in ("blink", "left_out_seed", "top_priority_focus"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                    0 <= value <= 1):
                raise FieldError(name, "must be a number from 0 to 1")


@dataclass(frozen=True, slots=True)
class DecomposeParams:
    """When PyVRP's run is split into sub-problems, and their size and time.

    Parameters
    ----------
    min_jobs
        From this many jobs on, the whole-problem search gets ``whole_share`` of
        PyVRP's time and sub-problems of nearby routes the rest.
    whole_share
        The whole-problem search's share of PyVRP's time on such days; 0 starts
        the sub-problems from the construction's plan at once.
    sub_jobs
        Clients per sub-problem (whole routes are taken, so a few more).
    sub_routes
        Routes per sub-problem at least (days of long routes need more clients
        for a sub-problem to have room to move).
    sub_seconds
        PyVRP's time on each sub-problem.

    The sub-problem defaults were chosen on six Gehring–Homberger instances (two
    C2, R1, RC1, RC2, R2), each decomposed for 42 s from the same whole-problem
    plan: 300 clients, 8 routes and 1 s improved the plan on all six more than 200
    clients, 6 routes and 0.5 s (4.1 % against 3.6 % on average), and more on
    average than 200 / 1 s and 400 / 1.5 s (``benchmarks/README.md``).

    ``whole_share`` 0 was measured against 0.3 (three paired 60 s runs of 12
    Gehring–Homberger instances, two workers: geo-mean gap 2.31 → 2.15 %,
    2.46 → 2.16 % and 1.86 → 2.02 %, the last on the least loaded machine) and is
    not the default (``benchmarks/README.md``).
    """

    sub_jobs: int = 300
    sub_routes: int = 8
    sub_seconds: float = 1.0
    min_jobs: int = 400
    whole_share: float = 0.3

    def __post_init__(self) -> None:
        _check_positive_ints(self, "sub_jobs", "sub_routes", least=2)
        _check_positive_ints(self, "min_jobs")
        if isinstance(self.sub_seconds, bool) or not isinstance(
                self.sub_seconds, int | float) or not self.sub_seconds > 0:
            raise FieldError("sub_seconds", "must be a positive number of seconds")
        share = self.whole_share
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
            raise FieldError("whole_share", "must be a number from 0 to 1")


@dataclass(frozen=True, slots=True)
class DistributeParams:
    """Territory decomposition over task workers (:mod:`.distributed`).

    Attributes
    ----------
    enabled
        Split the day by territory and solve each territory as a task (on Celery
        workers when a broker is configured, else here one after the other).
    territory_jobs
        Jobs per territory, about: the day is cut into ``ceil(jobs / territory_jobs)``.
    workers
        Task slots expected to take territories at once; with ``territory_seconds``
        unset it sizes each territory's time so that every round fits the limit.
    territory_seconds
        Each territory's time limit; 0 derives it from ``time_limit`` and ``workers``.
    boundary_share
        Share of the time limit kept for the boundary phase (jobs left out by
        their territory re-inserted across territories, routes near the borders
        re-solved together).
    boundary_routes
        Routes per boundary sub-problem.
    boundary_seconds
        Time limit of each boundary sub-problem.
    """

    enabled: bool = False
    territory_jobs: int = 500
    workers: int = 2
    territory_seconds: float = 0.0
    boundary_share: float = 0.15
    boundary_routes: int = 8
    boundary_seconds: float = 5.0

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise FieldError("enabled", "must be true or false")
        _check_positive_ints(self, "territory_jobs", "boundary_routes")
        _check_positive_ints(self, "workers")
        for name in ("territory_seconds", "boundary_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise FieldError(name, "must be a non-negative number of seconds")
        _check_fractions(self, "boundary_share")


_NESTED = {"engines": EngineParams, "ruin": RuinParams, "decompose": DecomposeParams,
           "distribute": DistributeParams}


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
    engines
        Time shares of the engines and ruin and recreate (:class:`EngineParams`).
    ruin
        Ruin and recreate's search (:class:`RuinParams`).
    decompose
        PyVRP's decomposition of large days (:class:`DecomposeParams`).
    distribute
        Territory decomposition over task workers (:class:`DistributeParams`).
    """

    time_limit: float = 10.0
    seed: int = 0
    workers: int = 1
    first_solution: FirstSolution = FirstSolution.AUTOMATIC
    metaheuristic: Metaheuristic = Metaheuristic.GUIDED_LOCAL_SEARCH
    engines: EngineParams = field(default_factory=EngineParams)
    ruin: RuinParams = field(default_factory=RuinParams)
    decompose: DecomposeParams = field(default_factory=DecomposeParams)
    distribute: DistributeParams = field(default_factory=DistributeParams)

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
        for name, kind in _NESTED.items():
            object.__setattr__(self, name, _nested(name, kind, getattr(self, name)))


def _nested(name: str, kind: type, value: object) -> object:
    """``value`` as a ``kind``: given as one, or as a mapping of its fields."""
    if isinstance(value, kind):
        return value
    if not isinstance(value, dict):
        raise FieldError(name, f"must be an object with fields of {kind.__name__}")
    known = {f.name for f in fields(kind)}
    for key in value:
        if key not in known:
            raise FieldError(f"{name}.{key}", "unknown field")
    try:
        return kind(**value)
    except FieldError as err:
        raise err.within(name) from None


@dataclass(frozen=True, slots=True)
class Progress:
    """Reported to the progress callback each time a better plan is found."""

    objective: float
    elapsed: float
    solutions: int
    assigned: int
