"""What changed between a published plan and a new one, per technician."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from fieldops.domain.plan import DispatchPlan

DEFAULT_TOLERANCE = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class Retimed:
    """A job that stays with its technician but starts at another time."""

    request_id: str
    old: datetime
    new: datetime

    @property
    def shift(self) -> timedelta:
        return self.new - self.old


@dataclass(frozen=True, slots=True)
class TechnicianDiff:
    """One technician's changes: jobs added (with their new start), removed, re-timed."""

    technician_id: str
    added: tuple[tuple[str, datetime], ...] = ()
    removed: tuple[str, ...] = ()
    retimed: tuple[Retimed, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.retimed)


@dataclass(frozen=True, slots=True)
class PlanDiff:
    """Every technician whose work changed, and the counts a dispatcher reads."""

    technicians: tuple[TechnicianDiff, ...]
    tolerance: timedelta

    @property
    def notify(self) -> tuple[str, ...]:
        """The technicians who must be told (their work changed)."""
        return tuple(t.technician_id for t in self.technicians if t.changed)

    @property
    def reassigned(self) -> int:
        """Jobs removed from one technician and added to another."""
        removed = {rid for t in self.technicians for rid in t.removed}
        return sum(1 for t in self.technicians for rid, _ in t.added if rid in removed)

    @property
    def retimed(self) -> int:
        return sum(len(t.retimed) for t in self.technicians)

    @property
    def empty(self) -> bool:
        return not self.technicians

    def for_technician(self, technician_id: str) -> TechnicianDiff | None:
        return next((t for t in self.technicians if t.technician_id == technician_id), None)

    def summary(self) -> str:
        """One line per technician told, e.g. ``T03: +J0050 08:30, -J0012, J0020 10:00→11:15``."""
        lines = []
        for t in self.technicians:
            parts = [f"+{rid} {at:%H:%M}" for rid, at in t.added]
            parts += [f"-{rid}" for rid in t.removed]
            parts += [f"{r.request_id} {r.old:%H:%M}→{r.new:%H:%M}" for r in t.retimed]
            lines.append(f"{t.technician_id}: {', '.join(parts)}")
        return "\n".join(lines) if lines else "no change"


def _jobs(plan: DispatchPlan, ignore: Collection[str]) -> dict[str, tuple[str, datetime]]:
    out: dict[str, tuple[str, datetime]] = {}
    for route in plan.routes:
        for step in route.jobs:
            assert step.request_id is not None
            if step.request_id not in ignore:
                out[step.request_id] = (route.technician_id, step.start)
    return out


def plan_diff(published: DispatchPlan, new: DispatchPlan,
              tolerance: timedelta = DEFAULT_TOLERANCE, ignore: Collection[str] = ()
              ) -> PlanDiff:
    """Per technician: jobs added, removed and re-timed by more than ``tolerance``.

    ``ignore``: requests left out of the comparison (work done or under way, which
    a re-plan no longer holds). A job moved to another technician is removed from
    one and added to the other; a job dropped is removed.
    """
    old, now = _jobs(published, ignore), _jobs(new, ignore)
    # One pass over the jobs, grouped by technician (a scan of every job per
    # technician cost 0.2 s per diff at 1 000 jobs and 120 technicians).
    added: dict[str, list[tuple[str, datetime]]] = {}
    removed: dict[str, list[str]] = {}
    retimed: dict[str, list[Retimed]] = {}
    for rid, (tech, at) in now.items():
        if old.get(rid, ("",))[0] != tech:
            added.setdefault(tech, []).append((rid, at))
    for rid, (tech, at) in old.items():
        moved_to = now.get(rid)
        if moved_to is None or moved_to[0] != tech:
            removed.setdefault(tech, []).append(rid)
        elif abs(moved_to[1] - at) > tolerance:
            retimed.setdefault(tech, []).append(Retimed(rid, at, moved_to[1]))
    out = []
    for tech in sorted({t for t, _ in old.values()} | {t for t, _ in now.values()}):
        diff = TechnicianDiff(tech, tuple(sorted(added.get(tech, ()), key=lambda x: x[1])),
                              tuple(sorted(removed.get(tech, ()))),
                              tuple(sorted(retimed.get(tech, ()), key=lambda r: r.old)))
        if diff.changed:
            out.append(diff)
    return PlanDiff(tuple(out), tolerance)
