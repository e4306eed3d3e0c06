"""Erlang B, Erlang C (M/M/n) and Erlang A (M/M/n+M), stable for thousands of Erlangs.

Notation: arrival rate ``lam`` (1/s), mean handle time ``aht`` (s, ``mu = 1/aht``),
mean patience (s, ``theta = 1/patience``), ``n`` agents, load ``a = lam / mu``.

Erlang B uses the standard recursion ``B(k) = a B(k-1) / (k + a B(k-1))``, which
only ever holds numbers in [0, 1]; above 300 agents it uses the Poisson form
``B = pmf(n; a) / cdf(n; a)`` with log-gamma and the incomplete gamma function
(:func:`erlang_b_direct`), so no factorial is ever formed.

Erlang A (Garnett, Mandelbaum & Reiman 2002; Mandelbaum & Zeltyn 2007) with
``x = n mu / theta`` and ``y = lam / theta`` uses

    A(x, y) = sum_k y^k / ((x+1)(x+2)...(x+k)) = Gamma(x+1) e^y y^-x P(x, y)

(``P`` the regularised lower incomplete gamma function, ``scipy.special.gammainc``).
With ``E`` the Erlang B probability of ``n`` servers at load ``a``:

    P(wait > 0)  = E A / (1 + (A - 1) E)
    P(V > t)     = P(wait > 0) q^x e^{y(1-q)} A(x, y q) / A(x, y),  q = e^{-theta t}
    P(abandon)   = P(wait > 0) (1 - x/y + x / (y A))
    P(abandon after t) = P(wait > 0) q^x e^{y(1-q)} ((y q - x) A(x, y q) + x) / (y A(x, y))

where ``V`` is the offered wait (time until an infinitely patient arrival
would be answered); the actual wait is ``min(V, patience)``. The last two lines
follow from the death process of the queue ahead of an arrival (rates
``n mu + j theta``); docs/workforce.md gives the derivation's outline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from fieldops.domain.errors import FieldError
from fieldops.domain.workforce import ServiceLevelBasis

_RECURSION_LIMIT = 300  # above this the direct form is faster and as accurate


@dataclass(frozen=True, slots=True)
class QueueMetrics:
    """Steady-state KPIs of one interval.

    Service levels (fractions): ``sl_offered`` = answered within the threshold /
    offered; ``sl_answered`` = answered within / answered;
    ``sl_offered_excl_short_abandons`` = answered within / (offered - abandoned
    within the threshold). Times in seconds; ``asa`` is the mean wait of answered
    contacts, ``mean_wait`` of all contacts (abandoned ones until they hang up).
    ``occupancy`` = handled load / agents.
    """

    agents: int
    load: float
    p_wait: float
    sl_offered: float
    sl_answered: float
    sl_offered_excl_short_abandons: float
    asa: float
    mean_wait: float
    p_abandon: float
    p_abandon_before: float
    occupancy: float

    def service_level(self, basis: ServiceLevelBasis | str) -> float:
        basis = ServiceLevelBasis(basis)
        if basis is ServiceLevelBasis.ANSWERED:
            return self.sl_answered
        if basis is ServiceLevelBasis.OFFERED_EXCL_SHORT_ABANDONS:
            return self.sl_offered_excl_short_abandons
        return self.sl_offered


def _check(agents: int, arrival_rate: float, aht: float) -> None:
    if isinstance(agents, bool) or not isinstance(agents, int | np.integer) or agents < 0:
        raise FieldError("agents", "must be a whole number >= 0")
    if not math.isfinite(arrival_rate) or arrival_rate < 0:
        raise FieldError("arrival_rate", "must be a finite number >= 0")
    if not math.isfinite(aht) or aht <= 0:
        raise FieldError("aht", "must be a finite number of seconds > 0")


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of ``agents`` servers offered ``load`` Erlangs (M/M/n/n)."""
    if load < 0 or not math.isfinite(load):
        raise FieldError("load", "must be a finite number >= 0")
    if agents < 0:
        raise FieldError("agents", "must be >= 0")
    if load == 0:
        return 1.0 if agents == 0 else 0.0
    if agents <= _RECURSION_LIMIT:
        b = 1.0
        for k in range(1, int(agents) + 1):
            b = load * b / (k + load * b)
        return b
    return erlang_b_direct(int(agents), load)


def erlang_b_direct(n: int, a: float) -> float:
    """Erlang B without the recursion: ``pmf(n; a) / cdf(n; a)`` of a Poisson(a) count.

    For ``n >= a`` the Poisson CDF is at least about 1/2, so the gamma form
    ``cdf = Q(n + 1, a)`` is exact to rounding. For ``n < a`` the CDF may underflow,
    so ``1 / B = sum_j n! / ((n - j)! a^j)`` is summed instead: its terms fall at
    least geometrically (ratio < n / a), a few hundred of them at thousands of Erlangs.
    """
    if a == 0:
        return 1.0 if n == 0 else 0.0
    if n >= a:
        log_pmf = n * math.log(a) - a - float(special.gammaln(n + 1))
        return math.exp(log_pmf) / float(special.gammaincc(n + 1, a))
    count = min(n, 64 + int(40 * math.sqrt(a) + 40 * a / (a - n)))
    ratios = (n - np.arange(count, dtype=float)) / a
    terms = np.cumprod(ratios)
    return 1.0 / (1.0 + float(terms.sum()))


def _empty(agents: int, load: float) -> QueueMetrics:
    return QueueMetrics(agents, load, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def erlang_c(
    agents: int, arrival_rate: float, aht: float, answer_time: float = 20.0
) -> QueueMetrics:
    """M/M/n without abandonment. Unstable (load >= agents): every contact waits forever."""
    _check(agents, arrival_rate, aht)
    load = arrival_rate * aht
    return _erlang_c(int(agents), arrival_rate, aht, answer_time,
                     erlang_b(int(agents), load) if load > 0 else 0.0)


def _erlang_c(agents: int, arrival_rate: float, aht: float, answer_time: float,
              b: float) -> QueueMetrics:
    load = arrival_rate * aht
    if load == 0:
        return _empty(agents, load)
    if agents <= load:
        return QueueMetrics(agents, load, 1.0, 0.0, 0.0, 0.0, math.inf, math.inf, 0.0, 0.0, 1.0)
    rho = load / agents
    p_wait = b / (1 - rho * (1 - b))
    sl = 1 - p_wait * math.exp(-(agents - load) * answer_time / aht)
    asa = p_wait * aht / (agents - load)
    return QueueMetrics(agents, load, p_wait, sl, sl, sl, asa, asa, 0.0, 0.0, rho)


def _log_a(x: float, u: float) -> float:
    """log A(x, u) for x > 0, u >= 0 without overflow or underflow."""
    if u == 0:
        return 0.0
    p = float(special.gammainc(x, u))
    if p > 1e-250:
        return float(special.gammaln(x + 1) + u - x * math.log(u) + math.log(p))
    # u far below x: the series converges geometrically (ratio u / (x + k) < 1).
    total, term, k = 1.0, 1.0, 0
    while term > 1e-17 * total:
        k += 1
        term *= u / (x + k)
        total += term
    return math.log(total)


def erlang_a(
    agents: int, arrival_rate: float, aht: float, patience: float, answer_time: float = 20.0
) -> QueueMetrics:
    """M/M/n+M: exponential handle times and exponential patience with mean ``patience`` s."""
    _check(agents, arrival_rate, aht)
    if not math.isfinite(patience) or patience <= 0:
        raise FieldError("patience", "must be a finite number of seconds > 0")
    load = arrival_rate * aht
    b = erlang_b(int(agents), load) if load > 0 else 0.0
    return _erlang_a(int(agents), arrival_rate, aht, patience, answer_time, b)


def _tail_factors(x: float, y: float, q: float, log_a: float) -> tuple[float, float]:
    """R = q^x e^{y(1-q)} / A(x, y) and R A(x, y q), each a ratio of finite terms.

    With the gamma form of A these are ``u^x e^-u / (Gamma(x+1) P(x, y))`` and
    ``P(x, u) / P(x, y)`` for ``u = y q``, which never overflow; when P(x, y)
    underflows (light load) the series form of A is moderate and used instead.
    """
    if q <= 0:
        return 0.0, 0.0
    u = y * q
    py = float(special.gammainc(x, y))
    if py > 1e-250:
        log_pmf = x * math.log(u) - u - float(special.gammaln(x + 1)) if u > 0 else -math.inf
        r = math.exp(log_pmf) / py if log_pmf > -745 else 0.0
        return r, float(special.gammainc(x, u)) / py
    log_r = x * math.log(q) + y * (1 - q) - log_a
    log_ra = log_r + _log_a(x, u)
    return (math.exp(min(log_r, 700.0)) if log_r > -745 else 0.0,
            math.exp(min(log_ra, 0.0)) if log_ra > -745 else 0.0)


def _erlang_a(agents: int, arrival_rate: float, aht: float, patience: float,
              answer_time: float, e: float, with_asa: bool = True) -> QueueMetrics:
    load = arrival_rate * aht
    if load == 0:
        return _empty(agents, load)
    theta = 1.0 / patience
    y = arrival_rate / theta
    t = answer_time
    q = math.exp(-theta * t)
    if agents == 0:
        # Nobody answers: everyone waits until they hang up.
        p_ab_before = 1 - q
        return QueueMetrics(0, load, 1.0, 0.0, 0.0, 0.0, math.inf, patience, 1.0,
                            p_ab_before, 0.0)
    x = agents / aht / theta
    log_a = _log_a(x, y)
    a_val = math.exp(min(log_a, 700.0))
    # P(wait > 0) = E A / (1 + (A - 1) E), rewritten to stay finite when A is huge.
    p_wait = 1.0 / (1.0 + (1.0 - e) / (e * a_val)) if e > 0 else 0.0
    p_ab = p_wait * (1 - x / y + x / (y * a_val))
    r, r_a_q = _tail_factors(x, y, q, log_a)
    p_v_gt = p_wait * r_a_q
    p_w_gt = q * p_v_gt
    p_ab_after = max(p_wait * ((y * q - x) * r_a_q + x * r) / y, 0.0)
    p_ab_before = max(p_ab - p_ab_after, 0.0)
    answered_within = max(1 - p_w_gt - p_ab_before, 0.0)
    answered = 1 - p_ab
    mean_wait = p_ab * patience  # Little: E[Q] = lam E[W], abandon rate theta E[Q] = lam P(Ab)
    if not with_asa:
        asa = math.nan
    elif answered > 0:
        asa = _asa_answered(x, y, theta, p_wait, log_a) / answered
    else:
        asa = math.inf
    sl_answered = answered_within / answered if answered > 0 else 0.0
    denom = 1 - p_ab_before
    sl_excl = answered_within / denom if denom > 0 else 0.0
    occupancy = min(load * answered / agents, 1.0)
    return QueueMetrics(agents, load, p_wait, answered_within, sl_answered, sl_excl, asa,
                        mean_wait, p_ab, p_ab_before, occupancy)


_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(96)


def _log_a_vec(x: float, u: np.ndarray) -> np.ndarray:
    """Vectorised :func:`_log_a`."""
    u = np.asarray(u, dtype=float)
    out = np.zeros_like(u)
    pos = u > 0
    p = special.gammainc(x, u[pos])
    with np.errstate(divide="ignore"):
        vals = special.gammaln(x + 1) + u[pos] - x * np.log(u[pos]) + np.log(p)
    tiny = p <= 1e-250
    if tiny.any():
        vals[tiny] = [_log_a(x, float(v)) for v in u[pos][tiny]]
    out[pos] = vals
    return out


def _asa_answered(x: float, y: float, theta: float, p_wait: float, log_a: float) -> float:
    """E[W; answered] = E[W] - E[W; abandoned], with E[W] = P(ab) / theta (Little).

    E[W; abandoned] = int_0^inf s theta e^{-theta s} P(V > s) ds; substituting
    u = y e^{-theta s} and integrating by parts gives, with P = P(x, .),

        P(wait) / (theta y P(x, y)) * (y P(x, y) - x P(x+1, y) + P(x, y) - x I),
        I = int_0^y P(x, u) / u du = sum_{k >= 0} P(x + k, y) / (x + k).

    The series ends once x + k is well past y, so it has about max(0, y - x) +
    12 sqrt(y) terms. When P(x, y) underflows (y far below x: lightly loaded, waits
    negligible) a Gauss-Legendre quadrature of the defining integral is used.
    """
    if p_wait == 0:
        return 0.0
    p_ab = p_wait * (1 - x / y + x / (y * math.exp(min(log_a, 700.0))))
    py = float(special.gammainc(x, y))
    n_terms = int(max(0.0, y - x) + 12 * math.sqrt(y) + 40)
    if py > 1e-250 and n_terms <= 2_000_000:
        k = np.arange(n_terms, dtype=float)
        series = float(np.sum(special.gammainc(x + k, y) / (x + k)))
        j = y * py - x * float(special.gammainc(x + 1, y)) + py - x * series
        abandoned_wait = p_wait * max(j, 0.0) / (theta * y * py)
        return max(p_ab / theta - abandoned_wait, 0.0)
    return _asa_quadrature(x, y, theta, p_wait, log_a)


def _asa_quadrature(x: float, y: float, theta: float, p_wait: float, log_a: float) -> float:
    """int_0^inf P(V > s) e^{-theta s}(1 - theta s) ds by Gauss-Legendre (light load only)."""
    mu_n, lam = x * theta, y * theta
    upper = 40.0 / max(mu_n - lam, 1e-3 * mu_n)
    s = 0.5 * upper * (_GL_NODES + 1.0)
    q = np.exp(-theta * s)
    log_v = x * np.log(q) + y * (1 - q) + _log_a_vec(x, y * q) - log_a
    integrand = np.exp(np.minimum(log_v, 0.0)) * q * (1 - theta * s)
    value = 0.5 * upper * float(np.dot(_GL_WEIGHTS, integrand))
    return max(p_wait * value, 0.0)
