"""Booked appointments: every promised window is kept by the plan.

A booking promises the customer a window (the slot). Independently of how the
plan was made, :func:`validate_promises` checks that every booked request of the
plan's days is in the plan (not dropped) and starts its service inside its
promised window (closed interval, 1 s tolerance as :mod:`.dispatch`); together
with :func:`fieldops.validators.dispatch.assert_valid` (the plan is feasible) this
is "an offered slot, once booked, is honoured". Over-booking shows up here: a job
that did not fit is either left out (``promise-dropped``) or outside its window
(``promise-broken``).

Violation codes: ``promise-dropped``, ``promise-broken``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from fieldops.domain.plan import DispatchPlan
from fieldops.domain.timewindow import TimeWindow
from fieldops.validators.dispatch import Violation

TOLERANCE = timedelta(seconds=1)

__all__ = ["assert_promises_kept", "validate_promises"]


def validate_promises(plan: DispatchPlan, promises: Mapping[str, TimeWindow]
                      ) -> list[Violation]:
    """Every promise of ``promises`` (request id → window) that ``plan`` breaks."""
    starts = {s.request_id: (r.shift_id, s.start) for r in plan.routes for s in r.jobs}
    out = []
    for rid, window in sorted(promises.items()):
        if rid not in starts:
            out.append(Violation("promise-dropped", f"booked for {window.start.isoformat()}"
                                 f"–{window.end.isoformat()} but not in the plan",
                                 request_id=rid))
            continue
        shift_id, start = starts[rid]
        if not window.start - TOLERANCE <= start <= window.end + TOLERANCE:
            out.append(Violation("promise-broken", f"starts {start.isoformat()}, promised "
                                 f"{window.start.isoformat()}–{window.end.isoformat()}",
                                 shift_id=shift_id, request_id=rid))
    return out


def assert_promises_kept(plan: DispatchPlan, promises: Mapping[str, TimeWindow]) -> None:
    """Raise ``AssertionError`` listing every broken promise (no-op if none)."""
    broken = validate_promises(plan, promises)
    if broken:
        lines = "\n".join(f"  {v}" for v in broken)
        raise AssertionError(f"plan breaks {len(broken)} promise(s):\n{lines}")
