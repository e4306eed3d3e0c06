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
    # Qualified technicians per required-skills tuple: jobs share a few dozen skill
    # needs, so a day of 5 000 jobs and 600 technicians checks each need once
    # instead of three million job × technician pairs.
    qualified: dict[tuple[object, ...], list[str]] = field(default_factory=dict)


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
               shifts_of)
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


def _candidate_technicians(day: _Day, job: ServiceRequest) -> list[str] | _Fail:
    """Technicians with the skills, not excluded, among the required / pinned ones."""
    qualified = day.qualified.get(job.required_skills)
    if qualified is None:
        qualified = [t.id for t in day.problem.technicians
                     if t.qualifies_for(job.required_skills)]
        day.qualified[job.required_skills] = qualified
    if not qualified:
        needs = ", ".join(f"{s.name}≥{s.level}" for s in job.required_skills)
        return _Fail(UnassignedReason.NO_QUALIFIED_TECHNICIAN, f"needs {needs}")
    excluded = set(job.excluded_technicians)
    candidates = [t for t in qualified if t not in excluded]
    if not candidates:
        return _Fail(UnassignedReason.EXCLUDED_EVERYWHERE,
                     "every qualified technician is excluded")
    for restriction in (job.required_technicians, (job.pinned_technician,)):
        if restriction and restriction != (None,):
            keep = set(restriction)
            candidates = [t for t in candidates if t in keep]
    if not candidates:
        return _Fail(UnassignedReason.REQUIRED_TECHNICIAN_UNAVAILABLE,
                     "the required or pinned technician lacks the skills")
    return candidates


def _allowed_shifts(day: _Day, i: int, job: ServiceRequest) -> list[int] | _Fail:
    """The shifts that could serve ``job`` (request ``i``), or the first check failed."""
    candidates = _candidate_technicians(day, job)
    if isinstance(candidates, _Fail):
        return candidates
    ks = np.array([k for t in candidates for k in day.shifts_of.get(t, [])], dtype=int)
    if ks.size == 0:
        return _Fail(UnassignedReason.UNREACHABLE_IN_TIME, "no qualified technician has a shift")
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
        shifts = day.problem.shifts
        capacities = [day.problem.technician_by_id[shifts[k].technician_id].capacity
                      for k in ks]
        caps = np.array([np.inf if c is None else c for c in capacities])
        ks = ks[caps >= job.load]
        if ks.size == 0:
            return _Fail(UnassignedReason.EXCEEDS_CAPACITY,
                         f"load {job.load:g} exceeds every allowed van's capacity")
    return [int(k) for k in ks]


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
