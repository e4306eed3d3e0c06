"""staffing/erlang.py: Erlang B / C / A against values derived independently of
the implementation."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from scipy import integrate, stats

from fieldops.domain.errors import FieldError
from fieldops.solver.staffing import erlang_a, erlang_b, erlang_c


def erlang_c_exact(n: int, a: Fraction) -> Fraction:
    """Textbook Erlang C as an exact rational: (a^n/n! * n/(n-a)) / (sum_{k<n} a^k/k! + same)."""
    top = a**n / math.factorial(n) * Fraction(n) / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


def test_erlang_b_small_case_by_hand() -> None:
    # a = 2 Erlangs, 3 servers: B = (2^3/3!) / (1 + 2 + 2^2/2 + 2^3/3!) = (4/3) / (19/3) = 4/19.
    assert erlang_b(3, 2.0) == pytest.approx(4 / 19, rel=1e-12)
    # One server: B = a / (1 + a).
    assert erlang_b(1, 3.0) == pytest.approx(0.75, rel=1e-12)


def test_erlang_c_small_case_by_hand() -> None:
    # a = 2, n = 3: C = (8/6 * 3/1) / (1 + 2 + 2 + 4) = 4/9.
    # SL(20 s, AHT 180 s) = 1 - C exp(-(n - a) 20 / 180) = 1 - (4/9) e^(-1/9) = 0.60229...
    # ASA = C * AHT / (n - a) = 4/9 * 180 = 80 s; occupancy a / n = 2/3.
    m = erlang_c(3, 2 / 180, 180.0, answer_time=20.0)
    assert m.p_wait == pytest.approx(4 / 9, rel=1e-12)
    assert m.sl_offered == pytest.approx(1 - 4 / 9 * math.exp(-1 / 9), rel=1e-12)
    assert m.asa == pytest.approx(80.0, rel=1e-12)
    assert m.occupancy == pytest.approx(2 / 3, rel=1e-12)
    assert m.p_abandon == 0.0


def test_erlang_c_mm1() -> None:
    # M/M/1 at utilisation 0.5: P(wait) = 0.5, mean wait = rho/(1-rho) * AHT = AHT.
    m = erlang_c(1, 0.5 / 100, 100.0)
    assert m.p_wait == pytest.approx(0.5)
    assert m.asa == pytest.approx(100.0)


@pytest.mark.parametrize(("n", "a"), [(12, 10), (14, 10), (25, 20), (60, 50)])
def test_erlang_c_textbook_loads_match_exact_rational(n: int, a: int) -> None:
    # The classic "100 calls in 30 min at 3 min AHT = 10 Erlangs" and neighbours,
    # against the closed form evaluated exactly with fractions.
    m = erlang_c(n, a / 180, 180.0)
    assert m.p_wait == pytest.approx(float(erlang_c_exact(n, Fraction(a))), rel=1e-10)


def test_erlang_c_published_table_value() -> None:
    # Erlang C tables: 10 Erlangs on 12 agents wait with probability 0.4494; then
    # SL(20 s, AHT 180 s) = 1 - 0.4494 e^{-(12-10) 20/180} = 1 - 0.4494 * 0.80074 = 0.6402.
    m = erlang_c(12, 10 / 180, 180.0)
    assert m.p_wait == pytest.approx(0.4494, abs=5e-5)
    assert m.sl_offered == pytest.approx(0.6402, abs=1e-4)


def test_erlang_b_large_load_matches_poisson_ratio() -> None:
    # B(n, a) = P(X = n) / P(X <= n) for X ~ Poisson(a): evaluated by scipy in log space.
    for n, a in [(5100, 5000.0), (30_000, 29_800.0)]:
        expected = math.exp(stats.poisson.logpmf(n, a) - stats.poisson.logcdf(n, a))
        assert erlang_b(n, a) == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("a", [0.5, 40.0, 299.0, 1000.0, 7000.0])
def test_erlang_b_direct_form_matches_the_recursion(a: float) -> None:
    # Two independent evaluations: the textbook recursion B(k) = a B(k-1) / (k + a B(k-1))
    # (written out here) against the direct Poisson form used above 300 agents.
    from fieldops.solver.staffing.erlang import erlang_b_direct

    b, values = 1.0, [1.0]
    for k in range(1, int(2 * a) + 40):
        b = a * b / (k + a * b)
        values.append(b)
    for n in sorted({1, int(a / 2), int(a) - 1, int(a), int(a) + 1, int(a + 3 * a**0.5) + 1}):
        if n >= 1:
            assert erlang_b_direct(n, a) == pytest.approx(values[n], rel=1e-9)


def test_erlang_c_halfin_whitt_limit_for_thousands_of_erlangs() -> None:
    # n = a + beta sqrt(a): P(wait) -> 1 / (1 + beta Phi(beta) / phi(beta)) as a grows.
    # beta = 1: Phi(1) = 0.841345, phi(1) = 0.241971 -> 1 / (1 + 3.47704) = 0.223362.
    a = 10_000.0
    m = erlang_c(int(a + 100), a / 300, 300.0)
    assert m.p_wait == pytest.approx(0.223362, abs=0.01)
    assert math.isfinite(m.asa) and 0 < m.sl_offered < 1


def test_erlang_c_load_at_or_above_agents_is_unstable() -> None:
    m = erlang_c(5, 6 / 100, 100.0)
    assert m.p_wait == 1.0 and m.sl_offered == 0.0 and math.isinf(m.asa)


def test_zero_volume() -> None:
    for m in (erlang_c(0, 0.0, 100.0), erlang_a(3, 0.0, 100.0, 60.0)):
        assert m.p_wait == 0.0 and m.sl_offered == 1.0 and m.p_abandon == 0.0


# ---------------------------------------------------------------- Erlang A
def poisson_tail(n: int, mean: float) -> float:
    return float(stats.poisson.sf(n - 1, mean))  # P(X >= n)


@pytest.mark.parametrize(("n", "rho"), [(10, 8.0), (6, 8.0), (40, 35.0)])
def test_erlang_a_patience_equal_to_handle_time_is_poisson(n: int, rho: float) -> None:
    # With patience mean = AHT, every contact in the system leaves at rate mu whether
    # waiting or served, so the number in system N ~ Poisson(rho) (an M/M/inf count).
    # An arrival waits iff N >= n (PASTA): P(wait) = P(N >= n).
    # Offered wait V > t iff at least n of the N ahead are still there at t; each stays
    # with probability e^{-mu t}, so P(V > t) = P(Poisson(rho e^{-mu t}) >= n), and the
    # actual wait W = min(V, patience): P(W > t) = e^{-mu t} P(V > t).
    # Abandon rate mu E[(N - n)^+] = lambda P(ab)  ->  P(ab) = E[(N - n)^+] / rho.
    aht = patience = 100.0
    mu = 1 / aht
    lam = rho * mu
    t = 20.0
    m = erlang_a(n, lam, aht, patience, answer_time=t)
    assert m.p_wait == pytest.approx(poisson_tail(n, rho), rel=1e-9)
    excess = sum((k - n) * stats.poisson.pmf(k, rho) for k in range(n + 1, 400))
    assert m.p_abandon == pytest.approx(excess / rho, rel=1e-8)

    def p_v(s: float) -> float:
        return poisson_tail(n, rho * math.exp(-mu * s))

    # Abandoned within t: patience expires at s < min(V, t): int_0^t mu e^{-mu s} P(V > s) ds.
    ab_before, _ = integrate.quad(lambda s: mu * math.exp(-mu * s) * p_v(s), 0, t)
    p_w_gt_t = math.exp(-mu * t) * p_v(t)
    assert m.p_abandon_before == pytest.approx(ab_before, rel=1e-7)
    assert m.sl_offered == pytest.approx(1 - p_w_gt_t - ab_before, rel=1e-7)
    assert m.sl_answered == pytest.approx((1 - p_w_gt_t - ab_before) / (1 - m.p_abandon),
                                          rel=1e-7)
    # Mean wait of answered contacts: E[V e^{-mu V}] / P(answered), with
    # E[g(V)] = int g'(s) P(V > s) ds for g(s) = s e^{-mu s}.
    num, _ = integrate.quad(lambda s: p_v(s) * math.exp(-mu * s) * (1 - mu * s), 0, 5000,
                            limit=200)
    assert m.asa == pytest.approx(num / (1 - m.p_abandon), rel=1e-5)
    # Little's law: mean wait of everybody = P(ab) * patience.
    all_wait, _ = integrate.quad(lambda s: math.exp(-mu * s) * p_v(s), 0, 5000, limit=200)
    assert m.mean_wait == pytest.approx(all_wait, rel=1e-6)


def test_erlang_a_tends_to_erlang_c_for_very_patient_customers() -> None:
    c = erlang_c(12, 10 / 180, 180.0)
    a = erlang_a(12, 10 / 180, 180.0, patience=1e8)
    assert a.p_wait == pytest.approx(c.p_wait, rel=1e-4)
    assert a.sl_offered == pytest.approx(c.sl_offered, rel=1e-4)
    assert a.asa == pytest.approx(c.asa, rel=1e-3)


def test_erlang_a_overload_stays_finite_and_flow_balanced() -> None:
    # 6 Erlangs on 5 agents: at most 5 Erlangs can be served, so P(ab) >= 1 - 5/6;
    # throughput balance: lambda (1 - P(ab)) = mu * E[busy] <= n mu.
    m = erlang_a(5, 6 / 100, 100.0, 60.0)
    assert 1 - 5 / 6 <= m.p_abandon < 1
    assert m.occupancy == pytest.approx(6 * (1 - m.p_abandon) / 5)
    assert m.occupancy <= 1


def test_erlang_a_thousands_of_erlangs() -> None:
    for n, a in [(5000, 5200.0), (5100, 5000.0), (20_500, 20_000.0)]:
        m = erlang_a(n, a / 180, 180.0, 120.0)
        for value in (m.p_wait, m.sl_offered, m.p_abandon, m.asa, m.occupancy):
            assert math.isfinite(value)
        assert 0 <= m.sl_offered <= 1 and 0 <= m.p_abandon <= 1
    # Overloaded by 200 Erlangs with 2-minute patience: at least 200/5200 must abandon.
    over = erlang_a(5000, 5200 / 180, 180.0, 120.0)
    assert over.p_abandon >= 200 / 5200 - 1e-9


def test_bad_input_names_the_field() -> None:
    with pytest.raises(FieldError) as exc:
        erlang_c(3, -1.0, 100.0)
    assert exc.value.field == "arrival_rate"
    with pytest.raises(FieldError) as exc:
        erlang_a(3, 1.0, 0.0, 60.0)
    assert exc.value.field == "aht"
    with pytest.raises(FieldError) as exc:
        erlang_a(3, 1.0, 100.0, -5.0)
    assert exc.value.field == "patience"
