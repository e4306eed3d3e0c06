"""staffing/simulation.py: the simpy simulation agrees with Erlang A, and staffing
changes behave."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fieldops.domain.errors import FieldError
from fieldops.domain.workforce import QueueSpec, StaffingPlan, StaffingTarget
from fieldops.solver.forecast import volumes_from_frame
from fieldops.solver.staffing import erlang_a, staff
from fieldops.solver.staffing.simulation import simulate, simulate_queue

# Tolerance: the simulated mean over 30 replications must lie within two of its own
# 95 % half-widths plus 0.005 (SL, abandonment) or plus 5 % (ASA) of the steady-state
# Erlang A value. With this seed the half-widths are 0.025 (SL), 0.008 (abandonment)
# and 0.9 s (ASA); the small extra allows for the finite warm-up.
N, RHO, AHT = 10, 8.0, 100.0


def test_simulation_agrees_with_erlang_a_in_the_poisson_case() -> None:
    # Patience mean = AHT = 100 s: N in system ~ Poisson(8) (see test_erlang.py), so
    # P(ab) = E[(N - 10)^+] / 8 and P(wait) = P(N >= 10) have closed forms.
    lam = RHO / AHT
    exact_ab = sum((k - N) * stats.poisson.pmf(k, RHO) for k in range(N + 1, 200)) / RHO
    m = erlang_a(N, lam, AHT, AHT, answer_time=20.0)
    assert m.p_abandon == pytest.approx(exact_ab, rel=1e-8)
    rng = np.random.default_rng(11)
    reps = 30
    sl, ab, asa = [], [], []
    for _ in range(reps):
        t = simulate_queue([lam] * 4, [AHT] * 4, [N] * 4, 900.0, 20.0, AHT, rng, warmup=1800.0)
        arrived = t.arrived.sum()
        sl.append(t.answered_within.sum() / arrived)
        ab.append(t.abandoned.sum() / arrived)
        asa.append(t.wait_answered.sum() / t.answered.sum())
    crit = stats.t.ppf(0.975, reps - 1)
    for samples, expected in ((sl, m.sl_offered), (ab, m.p_abandon)):
        half = crit * np.std(samples, ddof=1) / math.sqrt(reps)
        assert abs(np.mean(samples) - expected) <= 2 * half + 0.005
    half = crit * np.std(asa, ddof=1) / math.sqrt(reps)
    assert abs(np.mean(asa) - m.asa) <= 2 * half + 0.05 * m.asa


def test_agents_leaving_mid_day_finish_their_contact_then_go() -> None:
    # Two intervals with 5 agents, then two with none: every contact arriving in the
    # last interval finds nobody and (patience 60 s, no one returns) abandons.
    rng = np.random.default_rng(3)
    t = simulate_queue([0.05] * 4, [120.0] * 4, [5, 5, 0, 0], 900.0, 20.0, 60.0, rng)
    assert t.arrived[3] > 20
    assert t.abandoned[3] == t.arrived[3] and t.answered[3] == 0
    assert t.answered[0] > 0


def _plan(patience: timedelta | None) -> StaffingPlan:
    starts = pd.date_range("2026-03-02T09:00:00+01:00", periods=4, freq="15min")
    frame = pd.DataFrame({"interval_start": starts, "queue": "voice/en",
                          "offered": [60.0, 90.0, 90.0, 60.0], "aht_seconds": 180.0})
    spec = QueueSpec("voice/en", patience=patience)
    return staff(volumes_from_frame(frame), StaffingTarget(0.8), {"voice/en": spec})


def test_simulate_plan_reports_kpis_with_confidence() -> None:
    plan = _plan(timedelta(seconds=120))
    result = simulate(plan, replications=10, seed=5)
    frame = result.frame
    assert len(frame) == 4 and (frame["service_level_ci"] > 0).all()
    assert frame["abandon_rate"].between(0, 1).all()
    # Averaged over the four intervals, the plan's 80/20 is met in simulation too.
    weights = frame["offered_mean"]
    simulated = float(np.average(frame["service_level"], weights=weights))
    predicted = float(np.average(frame["erlang_service_level"], weights=weights))
    assert simulated == pytest.approx(predicted, abs=0.05)


def test_simulate_rejects_one_replication_and_email() -> None:
    with pytest.raises(FieldError) as exc:
        simulate(_plan(None), replications=1)
    assert exc.value.field == "replications"
    with pytest.raises(FieldError) as exc:
        simulate(_plan(None), queues=["email/en"])
    assert exc.value.field == "queues.email/en"
