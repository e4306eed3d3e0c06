"""The most paid minutes an agent can still work after a given day (for :mod:`.blocks`).

A year-long contract's minimum can need nearly every day the rules allow
(Curtois–Qu 22: 232–234 shifts of 364 days, at most five in a row, two days off
in a row, 26 of 52 weekends, days off besides), so a block that works too little,
or spends too many weekends, leaves a remainder no later block can make up.
:func:`most_after` computes, by dynamic programming over the days, an upper bound
of the minutes the days from ``d`` on can give for each number of weekends
already worked: one shift a day on the agent's longest option, at most
``max_consecutive_days`` in a row, worked runs and days off at least their
minimum (a run reaching the horizon's end is exempt), at most ``max_weekends``.
It ignores the template rules (forbidden successors, caps per template, rest) and
the weekly hours, so it is an upper bound (a relaxation), never too small: a
block whose totals plus this bound miss the minimum has no completion at all.
"""

from __future__ import annotations

import numpy as np

from fieldops.solver.roster.context import RosterContext, ShiftSlot

#: stands for "no way to keep the rules" in the tables (minus infinity)
NONE = -(10**9)


def most_after(ctx: RosterContext, a: int, days: list[int],
               options: list[ShiftSlot] | None = None) -> dict[int, np.ndarray]:
    """``d → bound[r, o, w]`` for each ``d`` in ``days``: the most paid minutes from
    day ``d`` to the horizon's end when the days before end with a worked run of
    ``r`` days (``r > 0``, counted up to the larger of the longest run and the
    shortest) or ``o`` days off (up to the shortest rest), and ``w`` weekends are
    already worked; ``NONE`` where the rules cannot be kept. ``options``: the agent's
    (:meth:`RosterContext.options`), when the caller has them."""
    p = ctx.problem
    c = ctx.contract(p.agents[a])
    n = p.days
    longest = np.zeros(n, dtype=np.int64)
    for s in ctx.options(a) if options is None else options:
        longest[s.d] = max(longest[s.d], s.paid_minutes)
    k = c.max_consecutive_days or n + 1
    on_min = c.min_consecutive_days or 1
    off_min = c.min_consecutive_days_off or 1
    # without a maximum, weekends are not counted (one column, never shifted)
    weekends = c.max_weekends if c.max_weekends is not None else 0
    count_weekends = c.max_weekends is not None
    cap_r = max(on_min, c.max_consecutive_days or 1)  # run lengths are counted up to here
    # f[r, o, w]: most minutes from day d on, the day before ending a worked run of
    # r days (r > 0) or a run of o days off (o capped at off_min: long enough)
    f = np.zeros((cap_r + 1, off_min + 1, weekends + 1), dtype=np.int64)
    wanted = set(days)
    out: dict[int, np.ndarray] = {}
    for d in range(n - 1, -1, -1):
        weekday = ctx.days[d].weekday() if count_weekends else -1
        f = _step(f, d, int(longest[d]), weekday, k, on_min, off_min)
        if d in wanted:
            out[d] = np.where(f < NONE // 2, NONE, f)
    if n in wanted:
        out[n] = np.zeros_like(f)
    return out


def _step(f: np.ndarray, d: int, minutes: int, weekday: int, k: int, on_min: int,
          off_min: int) -> np.ndarray:
    """The table of day ``d`` from the table of day ``d + 1`` (``f``); ``weekday`` is
    -1 when weekends are not counted."""
    cap_r, cap_o = f.shape[0] - 1, f.shape[1] - 1
    g = np.full_like(f, NONE)
    for r in range(cap_r + 1):
        for o in range(cap_o + 1):
            if (r and o) or (not r and not o and d):
                continue  # a state the days cannot be in (day 0 starts rested)
            best = np.full(f.shape[2], NONE, dtype=np.int64)
            # off today: ends a worked run (held to its minimum) or lengthens the rest
            if r == 0 or r >= on_min:
                best = np.maximum(best, f[0, min(o + 1, cap_o) if r == 0 else 1])
            # at work today: after enough rest, within the longest run
            if minutes and r < k and (r > 0 or o >= off_min or d == 0):
                nxt = f[min(r + 1, cap_r), 0]
                counts = weekday == 5 or (weekday == 6 and r == 0)  # a new weekend
                if counts:
                    shifted = np.full_like(nxt, NONE)
                    shifted[:-1] = nxt[1:]  # w weekends so far become w + 1
                    nxt = shifted
                best = np.maximum(best, np.where(nxt <= NONE // 2, NONE, nxt + minutes))
            g[r, o] = best
    return g
