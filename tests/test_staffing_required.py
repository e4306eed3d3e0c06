"""staffing/required.py: the fewest agents meeting a target (Erlang C and A,
occupancy, ASA) and the email deadline profile."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest

from fieldops.domain.workforce import (
    ServiceLevelBasis,
    StaffingTarget,
)
from fieldops.solver.staffing import (
    deadline_profile,
    erlang_a,
    erlang_c,
    required_agents,
)

AHT = 180.0


def test_required_agents_small_case_by_hand() -> None:
    # a = 2 Erlangs at AHT 180 s, target 80 % in 20 s.
    # n = 3: C = 4/9, SL = 1 - (4/9) e^{-20/180} = 0.602  -> too low.
    # n = 4: B(4) = 2 B(3) / (4 + 2 B(3)) with B(3) = 4/19 -> (8/19) / (84/19) = 2/21;
    #        C = B / (1 - (a/n)(1 - B)) = (2/21) / (1 - (1/2)(19/21)) = 4/23;
    #        SL = 1 - (4/23) e^{-2*20/180} = 0.8607 -> meets 80 %.
    n, m = required_agents(2 / AHT, AHT, StaffingTarget(service_level=0.8))
    assert n == 4
    assert m.p_wait == pytest.approx(4 / 23, rel=1e-12)
    assert m.sl_offered == pytest.approx(1 - 4 / 23 * math.exp(-40 / 180), rel=1e-12)


def test_required_agents_asa_target() -> None:
    # ASA = C AHT / (n - a): n = 3 -> 80 s; n = 4 -> (4/23) 180 / 2 = 15.65 s <= 30 s.
    target = StaffingTarget(service_level=None, asa=timedelta(seconds=30))
    assert required_agents(2 / AHT, AHT, target)[0] == 4


def test_required_agents_max_occupancy() -> None:
    # 20 Erlangs at most 80 % busy needs 25 agents even though 80/20 needs fewer.
    loose = StaffingTarget(service_level=0.5)
    capped = StaffingTarget(service_level=0.5, max_occupancy=0.8)
    assert required_agents(20 / AHT, AHT, loose)[0] < 25
    assert required_agents(20 / AHT, AHT, capped)[0] == 25


@pytest.mark.parametrize("load", [0.3, 4.0, 37.5, 480.0, 3000.0])
@pytest.mark.parametrize("patience", [None, 90.0])
def test_required_agents_is_the_smallest_meeting_the_target(load: float,
                                                            patience: float | None) -> None:
    target = StaffingTarget(service_level=0.8, max_abandon=0.05 if patience else None)
    lam = load / AHT
    n, m = required_agents(lam, AHT, target, patience)
    assert m.sl_offered >= 0.8
    below = (erlang_c(n - 1, lam, AHT) if patience is None
             else erlang_a(n - 1, lam, AHT, patience))
    assert below.sl_offered < 0.8 or (patience is not None and below.p_abandon > 0.05)


def test_required_agents_erlang_a_service_level_bases_differ() -> None:
    # Over answered contacts the service level is higher than over offered ones
    # (abandoned contacts do not count against it), so fewer agents are needed.
    lam, patience = 30 / AHT, 60.0
    on_offered = required_agents(lam, AHT, StaffingTarget(0.8), patience)[0]
    on_answered = required_agents(
        lam, AHT, StaffingTarget(0.8, basis=ServiceLevelBasis.ANSWERED), patience)[0]
    assert on_answered <= on_offered
    m = erlang_a(on_offered, lam, AHT, patience)
    assert m.sl_answered >= m.sl_offered_excl_short_abandons >= m.sl_offered


def test_zero_volume_needs_no_one() -> None:
    n, m = required_agents(0.0, AHT, StaffingTarget())
    assert n == 0 and m.sl_offered == 1.0


def test_deadline_profile_levels_a_burst_by_hand() -> None:
    # 40 emails of 90 s arrive in interval 0 (counted at its end): 3600 s of work.
    # Deadline 1 h = 4 intervals of 900 s: due at the end of interval 4, so the
    # smallest level rate is 3600 / (4 * 900) = 1 agent in intervals 1..4.
    p = deadline_profile([40, 0, 0, 0, 0, 0], [90.0] * 6, 900.0, 3600.0)
    np.testing.assert_allclose(p.agents, [0, 1, 1, 1, 1, 0], atol=1e-12)
    # Contacts waiting at each interval end: 40, then 30, 20, 10, 0.
    np.testing.assert_allclose(p.backlog, [40, 30, 20, 10, 0, 0], atol=1e-9)
    assert p.late.sum() == 0
    # Half the deadline doubles the rate and halves the time.
    q = deadline_profile([40, 0, 0, 0], [90.0] * 4, 900.0, 1800.0)
    np.testing.assert_allclose(q.agents, [0, 2, 2, 0], atol=1e-12)


def test_deadline_profile_steady_flow_and_occupancy() -> None:
    # 10 items of 90 s per 900 s interval = exactly one agent's work; at 80 % occupancy 1.25.
    p = deadline_profile([10] * 8, [90.0] * 8, 900.0, 7200.0, max_occupancy=0.8)
    assert p.late.sum() == 0
    assert p.agents[1:].max() <= 1.25 + 1e-9
    # Never more work done than has arrived, and everything due is done.
    assert p.agents.sum() * 900 * 0.8 <= 10 * 8 * 90 + 1e-6


