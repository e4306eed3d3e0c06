"""Pre-solve diagnosis: which shifts could take each job, and why some can't go anywhere.

A job is left out before the search, with a reason, only when no plan at all could
contain it. The checks run in this order and the first failing one is reported:

===============================  =====================================================
reason                           meaning
===============================  =====================================================
no_qualified_technician          no technician holds every required skill at the level
excluded_everywhere              every qualified technician is excluded for this job
required_technician_unavailable  required / pinned technicians lack the skills
outside_all_shifts               no appointment window overlaps a shift of an allowed
                                 technician
unreachable_in_time              windows overlap, but no allowed shift can drive there,
                                 do the work and get back in time (or has no shift)
exceeds_capacity                 the job's load exceeds every allowed technician's van
pin_infeasible                   the pinned start cannot be met by the pinned technician
===============================  =====================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fieldops.domain.plan import Unassigned, UnassignedReason
from fieldops.domain.problem import DispatchProblem
from fieldops.domain.requests import ServiceRequest
from fieldops.domain.resources import Skill


@dataclass(frozen=True)
class Diagnosis:
    """``allowed[i]`` lists the shift indices that could serve ``problem.requests[i]``
    (empty for the jobs in ``unassigned``)."""

    allowed: list[list[int]]
    unassigned: list[Unassigned]


def _epoch(instant: object) -> float:
    return float(instant.timestamp())  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Fail:
    reason: UnassignedReason
    detail: str


@dataclass(frozen=True)
class _Day:
    """What every job's checks read: the shifts' spans and where they start and end."""

    problem: DispatchProblem
    travel_seconds: np.ndarray
    job_loc: np.ndarray
    shift_start_loc: np.ndarray
    shift_end_loc: np.ndarray
    shift_start: np.ndarray
    shift_end: np.ndarray
    shifts_of: dict[str, list[int]]
    capacity: np.ndarray  # each shift's van capacity (inf: none)
    # Qualified technicians per skill requirement: a day's jobs share a handful of
    # requirements, and checking every technician for every job dominated the
    # evaluation of a 1 000-job live plan (120 technicians).
    qualified: dict[tuple[Skill, ...], list[str]] = field(default_factory=dict)
    levels: dict[str, np.ndarray] = field(default_factory=dict)  # per skill name
    # The candidate shifts (or the failure) per skill requirement and technician
    # restrictions: jobs share these too, and building the array of a few hundred
    # shifts per job was most of the diagnosis of a 5 000-job day.
    shifts_for: dict[tuple[object, ...], np.ndarray | _Fail] = field(default_factory=dict)


def diagnose(
    problem: DispatchProblem,
    travel_seconds: np.ndarray,
    job_loc: np.ndarray,
    shift_start_loc: np.ndarray,
    shift_end_loc: np.ndarray,
) -> Diagnosis:
    """Work out the candidate shifts of every job.

    ``travel_seconds`` is the location matrix; ``job_loc`` / ``shift_*_loc`` give the
    row of each job / shift start / shift end location in it.
    """
    shifts = problem.shifts
    shifts_of: dict[str, list[int]] = {}
    for k, s in enumerate(shifts):
        shifts_of.setdefault(s.technician_id, []).append(k)
    day = _Day(problem, travel_seconds, job_loc, shift_start_loc, shift_end_loc,
               np.array([_epoch(s.start) for s in shifts], dtype=float),
               np.array([_epoch(s.latest_end) for s in shifts], dtype=float),
               shifts_of, _capacities(problem))
    allowed: list[list[int]] = []
    unassigned: list[Unassigned] = []
    for i, job in enumerate(problem.requests):
        found = _allowed_shifts(day, i, job)
        if isinstance(found, _Fail):
            allowed.append([])
            unassigned.append(Unassigned(job.id, job.priority, found.reason, found.detail))
        else:
            allowed.append(found)
    return Diagnosis(allowed=allowed, unassigned=unassigned)


def _capacities(problem: DispatchProblem) -> np.ndarray:
    """Each shift's van capacity (``inf`` where its technician has none)."""
    caps = [problem.technician_by_id[s.technician_id].capacity for s in problem.shifts]
    return np.array([np.inf if c is None else c for c in caps], dtype=float)


def _candidate_technicians(problem: DispatchProblem, job: ServiceRequest,
                           known: dict[tuple[Skill, ...], list[str]] | None = None,
                           levels: dict[str, np.ndarray] | None = None,
                           ) -> list[str] | _Fail:
    """Technicians with the skills, not excluded, among the required / pinned ones
    (``known``: the qualified technicians of requirements already met, ``levels``:
    every technician's level per skill name asked so far; both filled in)."""
    known = {} if known is None else known
    qualified = known.get(job.required_skills)
    if qualified is None:
        qualified = _qualified(problem, job.required_skills, {} if levels is None else levels)
        known[job.required_skills] = qualified
    if not qualified:
        needs = ", ".join(f"{s.name}≥{s.level}" for s in job.required_skills)
        return _Fail(UnassignedReason.NO_QUALIFIED_TECHNICIAN, f"needs {needs}")
    candidates = [t for t in qualified if t not in job.excluded_technicians]
    if not candidates:
        return _Fail(UnassignedReason.EXCLUDED_EVERYWHERE,
                     "every qualified technician is excluded")
    for restriction in (job.required_technicians, (job.pinned_technician,)):
        if restriction and restriction != (None,):
            candidates = [t for t in candidates if t in restriction]
    if not candidates:
        return _Fail(UnassignedReason.REQUIRED_TECHNICIAN_UNAVAILABLE,
                     "the required or pinned technician lacks the skills")
    return candidates


def _qualified(problem: DispatchProblem, required: tuple[Skill, ...],
               levels: dict[str, np.ndarray]) -> list[str]:
    """The technicians holding every skill of ``required`` at its level, in order.

    One comparison per skill over every technician's level (``levels``, by skill
    name, filled in): a 5 000-job day has nearly two hundred distinct requirements,
    and asking each of 600 technicians about each took most of a second.
    """
    technicians = problem.technicians
    ok = np.ones(len(technicians), dtype=bool)
    for skill in required:
        held = levels.get(skill.name)
        if held is None:
            held = levels[skill.name] = np.fromiter(
                (t.skill_level(skill.name) for t in technicians), dtype=float,
                count=len(technicians))
        ok &= held >= skill.level
    return [technicians[k].id for k in np.flatnonzero(ok).tolist()]


def _shifts_of_candidates(day: _Day, job: ServiceRequest) -> np.ndarray | _Fail:
    """The shifts of the technicians who may take ``job`` (shared by every job with
    the same skills and technician restrictions), or why there are none."""
    key = (job.required_skills, job.excluded_technicians, job.required_technicians,
           job.pinned_technician)
    found = day.shifts_for.get(key)
    if found is None:
        candidates = _candidate_technicians(day.problem, job, day.qualified, day.levels)
        if isinstance(candidates, _Fail):
            found = candidates
        else:
            found = np.array([k for t in candidates for k in day.shifts_of.get(t, [])],
                             dtype=np.intp)
            if found.size == 0:
                found = _Fail(UnassignedReason.UNREACHABLE_IN_TIME,
                              "no qualified technician has a shift")
        day.shifts_for[key] = found
    return found


def _allowed_shifts(day: _Day, i: int, job: ServiceRequest) -> list[int] | _Fail:
    """The shifts that could serve ``job`` (request ``i``), or the first check failed."""
    ks = _shifts_of_candidates(day, job)
    if isinstance(ks, _Fail):
        return ks
    windows = [(_epoch(w.start), _epoch(w.end)) for w in job.windows]
    if job.pinned_start is not None:
        at = _epoch(job.pinned_start)
        if windows and not any(start <= at <= end for start, end in windows):
            return _Fail(UnassignedReason.PIN_INFEASIBLE,
                         "the pinned start is outside the job's appointment windows")
        windows = [(at, at)]
    if windows and not any(
        np.any((day.shift_start[ks] <= end) & (start <= day.shift_end[ks]))
        for start, end in windows
    ):
        return _Fail(UnassignedReason.OUTSIDE_ALL_SHIFTS,
                     "no appointment window overlaps an allowed technician's shift")
    ks = ks[_reachable(day, i, ks, windows, job.duration.total_seconds())]
    if ks.size == 0:
        reason = (UnassignedReason.PIN_INFEASIBLE if job.pinned_start is not None
                  else UnassignedReason.UNREACHABLE_IN_TIME)
        return _Fail(reason, "no allowed shift can reach the job, do it and return in time")
    if job.load > 0:
        ks = ks[day.capacity[ks] >= job.load]
        if ks.size == 0:
            return _Fail(UnassignedReason.EXCEEDS_CAPACITY,
                         f"load {job.load:g} exceeds every allowed van's capacity")
    allowed: list[int] = ks.tolist()
    return allowed


def _reachable(day: _Day, i: int, ks: np.ndarray, windows: list[tuple[float, float]],
               duration: float) -> np.ndarray:
    """Which shifts ``ks`` can drive to job ``i`` in a window, do it and get back."""
    travel_in = day.travel_seconds[day.shift_start_loc[ks], day.job_loc[i]]
    travel_out = day.travel_seconds[day.job_loc[i], day.shift_end_loc[ks]]
    earliest = day.shift_start[ks] + travel_in
    feasible = np.zeros(ks.size, dtype=bool)
    for start, end in windows or [(-np.inf, np.inf)]:
        begin = np.maximum(earliest, start)
        in_window = begin <= end + 1e-6
        back_in_time = begin + duration + travel_out <= day.shift_end[ks] + 1e-6
        feasible |= in_window & back_in_time
    return feasible
