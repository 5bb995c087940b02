r"""Sensitivity of an event study to violations of parallel trends (Rambachan & Roth 2023).

"How wrong would parallel trends have to be to change the answer?"  Two
restrictions on the post-adoption difference in trends are offered, as in
the R package ``HonestDiD``:

* relative magnitudes, :math:`\Delta^{RM}(\bar M)`: no change in the
  difference in trends between consecutive post-adoption periods exceeds
  :math:`\bar M` times the largest one between consecutive pre-adoption
  periods.  Robust confidence sets by Andrews, Roth & Pakes's hybrid test
  (HonestDiD's default "C-LF"), in :mod:`toolkit.designs.did.honest_rm`.
* smoothness, :math:`\Delta^{SD}(M)`: the difference in trends may bend by at
  most :math:`M` per period (its second differences are bounded by :math:`M`;
  :math:`M = 0` allows only a linear pre-trend, extrapolated).  Armstrong &
  Kolesár's fixed-length confidence interval (FLCI), HonestDiD's default for
  this restriction (below).

Each also gives the breakdown value: the smallest :math:`\bar M` (or
:math:`M`) at which the interval includes no effect.

Written here and checked against the published outputs of the R package on
its Medicaid example (README of asheshrambachan/HonestDiD).  Of the Python
ports on PyPI, ``honestdid`` 0.1.1 brings cvxpy and torch with it;
``moderndid`` needs Python 3.12 from 0.3 on (the toolkit runs on 3.11), and its
0.2.0 ``didhonest`` took 9 minutes for the README's four relative-magnitude
intervals here, with ends up to 0.0003 from R's published ones (these
functions take seconds and match them to R's grid).  Neither fits as a
dependency.

Notes
-----
Event-study coefficients :math:`\hat\beta = (\hat\beta_{pre}, \hat\beta_{post})`
with covariance :math:`\Sigma`, the reference period (:math:`e=-1`) omitted;
:math:`\beta = \tau + \delta`, :math:`\tau_{pre} = 0`, target
:math:`\theta = l'\tau_{post}`.  Affine estimators
:math:`\hat\theta_w = w'\hat\beta_{pre} + l'\hat\beta_{post}` have standard
deviation :math:`\sigma_w = \sqrt{v'\Sigma v}`, :math:`v=(w,l)`, and, over
:math:`\Delta^{SD}(M)` (with :math:`\delta_{-1}=0`), worst-case bias

.. math:: \bar b(w) = M\,\lVert (D^{+})'(f - (f'1)\,e_{-1}) \rVert_1

when :math:`f's = 0` (bias is otherwise unbounded), where :math:`f` places
:math:`v` on the event times :math:`s` including the reference, :math:`D` is
the second-difference operator and :math:`D^+` its pseudo-inverse.  The
FLCI is :math:`\hat\theta_w \pm \sigma_w\,cv_\alpha(\bar b(w)/\sigma_w)` with
:math:`cv_\alpha(t)` the :math:`1-\alpha` quantile of :math:`|N(t,1)|`, and
:math:`w` minimising its length (a convex problem, solved numerically).
The original interval is :math:`l'\hat\beta_{post} \pm z_{1-\alpha/2}\sqrt{l'\Sigma_{post}l}`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats
from scipy.special import ndtr, ndtri

from toolkit.designs.did.honest_rm import rm_breakdown, rm_interval
from toolkit.errors import DesignError

__all__ = ["HonestResult", "honest", "flci", "max_bias_sd"]


def _cv(t: float, alpha: float) -> float:
    """1 - alpha quantile of |N(t, 1)|: the c solving Phi(c - t) - Phi(-c - t) = 1 - alpha."""
    z = float(ndtri(1 - alpha / 2))
    t = abs(t)
    if t == 0:
        return z
    return float(optimize.brentq(lambda c: ndtr(c - t) - ndtr(-c - t) - (1 - alpha), z * 0.5, t + z + 1.0,
                                 xtol=1e-14))


def _second_difference(n: int) -> np.ndarray:
    D = np.zeros((n - 2, n))
    for i in range(n - 2):
        D[i, i:i + 3] = (1.0, -2.0, 1.0)
    return D


def _bias_operator(n_pre: int, n_post: int) -> np.ndarray:
    """:math:`(D^+)'` for the event times -n_pre..n_post (reference at 0)."""
    return np.linalg.pinv(_second_difference(n_pre + n_post + 1)).T


def max_bias_sd(w: np.ndarray, l_vec: np.ndarray, M: float, _op: np.ndarray | None = None) -> float:
    """Worst-case bias of :math:`w'\\beta_{pre} + l'\\beta_{post}` over :math:`\\Delta^{SD}(M)` (module Notes).

    ``inf`` when the estimator is not unbiased for a linear trend.
    """
    n_pre, n_post = len(w), len(l_vec)
    f = np.concatenate([w, [0.0], l_vec])
    s = np.arange(-n_pre, n_post + 1, dtype=float)
    if abs(f @ s) > 1e-9 * max(1.0, np.abs(f).sum()):
        return float("inf")
    g = f.copy()
    g[n_pre] -= f.sum()
    op = _bias_operator(n_pre, n_post) if _op is None else _op
    return float(M * np.abs(op @ g).sum())


def flci(beta: np.ndarray, sigma: np.ndarray, n_pre: int, l_vec: np.ndarray, M: float,
         alpha: float = 0.05) -> tuple[float, float, np.ndarray]:
    """Optimal fixed-length confidence interval under :math:`\\Delta^{SD}(M)`; returns (low, high, w)."""
    l_vec = np.asarray(l_vec, dtype=float)
    n_post = l_vec.size
    s_pre = np.arange(-n_pre, 0, dtype=float)
    s_post = np.arange(1, n_post + 1, dtype=float)
    # w = w0 + N z spans {w : w's_pre = -l's_post}
    w0 = -(l_vec @ s_post) * s_pre / (s_pre @ s_pre)
    N = np.linalg.svd(s_pre[None, :])[2][1:].T

    z_crit = float(ndtri(1 - alpha / 2))
    op = _bias_operator(n_pre, n_post)
    # f(z) = F0 + F1 z places (w, 0, l) on the event times with the reference absorbing -sum (module Notes)
    n = n_pre + n_post + 1
    E = np.zeros((n, n_pre))
    E[:n_pre] = np.eye(n_pre)
    E[n_pre] -= 1.0
    f0 = np.concatenate([w0, [0.0], l_vec])
    f0[n_pre] -= f0.sum()
    G0, G1 = op @ f0, op @ (E @ N)  # bias vector = M * |G0 + G1 z|
    S_pp = sigma[:n_pre, :n_pre]
    S_pq = sigma[:n_pre, n_pre:]
    c_var = float(l_vec @ sigma[n_pre:, n_pre:] @ l_vec)
    Q = N.T @ S_pp @ N
    q = N.T @ (S_pp @ w0 + S_pq @ l_vec)
    k0 = float(w0 @ S_pp @ w0 + 2 * w0 @ S_pq @ l_vec) + c_var

    def var(z):
        return float(z @ Q @ z + 2 * q @ z + k0)

    z_mv = -np.linalg.solve(Q, q)  # minimum variance, unbiased for linear trends
    b_mv = M * float(np.abs(G0 + G1 @ z_mv).sum())
    k, m_aux = z_mv.size, G0.size
    scale = var(z_mv)
    warm = {}

    def frontier(B):
        """Smallest sd among estimators with worst-case bias <= B (a convex QP); returns (sd, z)."""
        if B >= b_mv:
            return math.sqrt(var(z_mv)), z_mv
        z_start = warm.get("z", z_mv)
        x0 = np.concatenate([z_start, np.abs(G0 + G1 @ z_start)])
        cons = [
            {"type": "ineq", "fun": lambda x: x[k:] - (G0 + G1 @ x[:k]),
             "jac": lambda x: np.hstack([-G1, np.eye(m_aux)])},
            {"type": "ineq", "fun": lambda x: x[k:] + (G0 + G1 @ x[:k]),
             "jac": lambda x: np.hstack([G1, np.eye(m_aux)])},
            {"type": "ineq", "fun": lambda x: np.array([B / M - x[k:].sum()]),
             "jac": lambda x: np.concatenate([np.zeros(k), -np.ones(m_aux)])[None, :]},
        ]
        res = optimize.minimize(lambda x: var(x[:k]) / scale,
                                x0, jac=lambda x: np.concatenate([2 * (Q @ x[:k] + q) / scale, np.zeros(m_aux)]),
                                constraints=cons, method="SLSQP", options={"ftol": 1e-12, "maxiter": 500})
        warm["z"] = res.x[:k]
        return math.sqrt(max(var(res.x[:k]), 0.0)), res.x[:k]

    if M == 0 or b_mv == 0:
        z_best = z_mv
        half = math.sqrt(var(z_mv)) * z_crit
    else:
        def length(B):
            sd, _ = frontier(B)
            return sd * _cv(B / sd, alpha)

        opt = optimize.minimize_scalar(length, bounds=(0.0, b_mv), method="bounded",
                                       options={"xatol": 1e-6 * b_mv})
        cands = [(length(b_mv), b_mv), (float(opt.fun), float(opt.x))]
        _, B_best = min(cands)
        sd, z_best = frontier(B_best)
        half = sd * _cv(M * float(np.abs(G0 + G1 @ z_best).sum()) / sd, alpha)
    w = w0 + N @ z_best
    est = float(w @ beta[:n_pre] + l_vec @ beta[n_pre:])
    return est - half, est + half, w


@dataclass(frozen=True)
class HonestResult:
    """Robust confidence sets by M (smoothness) or Mbar (relative magnitudes), the original interval and the
    breakdown value; ``restriction`` is "smoothness" or "relative_magnitudes"."""

    table: pd.DataFrame
    original: tuple[float, float]
    estimate: float
    breakdown: float
    method: str
    level: float
    target: str
    outcome: str = "the outcome"
    extra: dict = field(default_factory=dict, repr=False, compare=False)
    restriction: str = "smoothness"

    @property
    def sentence(self) -> str:
        """One plain sentence for the board."""
        sign = "positive" if self.estimate > 0 else "negative"
        lo, hi = self.original
        if lo <= 0 <= hi:
            return ("The interval already includes no effect when trends are assumed exactly parallel, so no "
                    "sensitivity analysis is needed to doubt the effect.")
        if not np.isfinite(self.breakdown):
            return (f"The effect on {self.outcome} stays {sign} for every departure from parallel trends "
                    "considered.")
        if self.restriction == "relative_magnitudes":
            if self.breakdown == 0:
                return (f"The effect on {self.outcome} is not robust: allowing for the uncertainty in the "
                        "pre-period trends, the robust interval includes no effect even with no post-period "
                        "trend violation.")
            return (f"The effect on {self.outcome} stays {sign} unless the post-period trend violation exceeds "
                    f"{self.breakdown:.3g}\u00d7 the largest pre-period one (the change in the difference in "
                    "trends between consecutive periods).")
        return (f"The effect on {self.outcome} stays {sign} unless the difference in trends between the groups "
                f"bends by more than {self.breakdown:.3g} (in the outcome's units) per period after the start, "
                "compared with a straight-line continuation of the trend before it.")


def _event_inputs(result, max_pre=None, max_post=None, min_pre=2):
    """beta, sigma, n_pre and post event times from an event-study or C&S dynamic result."""
    tab = result.table
    if tab is None or "event_time" not in tab:
        raise DesignError("honest() needs an event-study result (event_study(), sun_abraham() or a "
                          "staggered aggregate('dynamic')).")
    est = tab[(tab["period"] != "reference") & tab["event_time"].notna()] if "period" in tab else \
        tab[tab["event_time"].notna()]
    est = est.sort_values("event_time")
    if max_pre is not None:
        est = est[est["event_time"] >= -1 - int(max_pre)]
    if max_post is not None:
        est = est[est["event_time"] < int(max_post)]
    e = est["event_time"].to_numpy(dtype=float)
    if "vcov" in result.extra:
        V = result.extra["vcov"]
        names = list(est["term"]) if "term" in est else None
        V = V.loc[names, names].to_numpy() if names is not None and set(names) <= set(V.index) else None
    else:
        V = None
    if V is None:
        raise DesignError("honest() needs the covariance of the event-time coefficients (extra['vcov']).")
    if -1.0 in e:
        raise DesignError("honest() needs event time -1 as the reference (use base_period='universal' for a "
                          "Callaway & Sant'Anna dynamic result).")
    pre = e < 0
    if pre.sum() < min_pre:
        raise DesignError(f"honest() needs at least {min_pre} pre-adoption coefficient(s) besides the reference "
                          "period -1 (two for the smoothness restriction).")
    expected = np.concatenate([np.arange(e[pre].min(), -1), np.arange(0, e[~pre].max() + 1)])
    if not np.array_equal(e, expected):
        raise DesignError("honest() needs consecutive event times (no gaps) around the reference period -1.")
    return est["estimate"].to_numpy(dtype=float), V, int(pre.sum()), e[~pre]


def honest(result, *, method: str | None = None, mbar: Sequence[float] | None = None,
           m: Sequence[float] | None = None, target=0, level: float = 0.95, max_pre: int | None = None,
           max_post: int | None = None, beta=None, sigma=None, n_pre: int | None = None,
           seed: int = 0) -> HonestResult:
    """Rambachan & Roth (2023) robust confidence intervals under relative-magnitude or smoothness restrictions.

    Parameters
    ----------
    result : EventStudyResult or AggregateResult, optional
        An event study (reference period -1) with ``extra["vcov"]``; or None
        with ``beta``, ``sigma`` and ``n_pre`` given directly.
    method : {"relative_magnitudes", "smoothness"}, optional
        The restriction: :math:`\\Delta^{RM}(\\bar M)` (:mod:`toolkit.designs.did.honest_rm`)
        or :math:`\\Delta^{SD}(M)` (module Notes).  Default: relative
        magnitudes when ``mbar`` is given, else smoothness.
    mbar : sequence of float, optional
        Values of :math:`\\bar M` (a multiple of the largest pre-period
        change in the difference in trends); default 0, 0.5, ..., 2 (as HonestDiD).
    m : sequence of float, optional
        Values of :math:`M` (outcome units per period squared); default ten
        steps up to twice the largest absolute pre-period second difference.
    target : int or "average"
        The event time whose effect is studied (0 = on impact), or the
        average of all post-adoption effects.
    level : float
        Confidence level.
    max_pre, max_post : int, optional
        Use only the ``max_pre`` pre-adoption coefficients nearest the
        reference and the first ``max_post`` post-adoption ones (a marginal
        of the event study, which keeps the optimisation small).
    beta, sigma, n_pre
        Coefficients (pre then post), their covariance and the number of
        pre-adoption ones, when ``result`` is None.
    seed : int
        Seed of the draws for the least-favourable critical value (relative
        magnitudes only).

    Returns
    -------
    HonestResult
        ``table`` (M or Mbar, ci_low, ci_high, method, restriction), the
        original interval, the breakdown value and a plain sentence.
    """
    if method is None:
        method = "relative_magnitudes" if mbar is not None else "smoothness"
    if method not in ("smoothness", "relative_magnitudes"):
        raise DesignError("method must be 'relative_magnitudes' or 'smoothness'")
    if (method == "smoothness" and mbar is not None) or (method == "relative_magnitudes" and m is not None):
        raise DesignError("give mbar= with method='relative_magnitudes' and m= with method='smoothness'")
    if not 0 < level < 1:
        raise DesignError("level must be between 0 and 1")
    if result is not None:
        beta, sigma, n_pre, post_e = _event_inputs(result, max_pre, max_post,
                                                   min_pre=1 if method == "relative_magnitudes" else 2)
        outcome = result.outcome
    else:
        beta, sigma = np.asarray(beta, dtype=float), np.asarray(sigma, dtype=float)
        post_e = np.arange(beta.size - int(n_pre), dtype=float)
        outcome = "the outcome"
    n_post = beta.size - n_pre
    if target == "average":
        l_vec = np.full(n_post, 1.0 / n_post)
    else:
        if int(target) != target or not 0 <= target < n_post:
            raise DesignError(f"target must be 'average' or an event time from 0 to {n_post - 1}")
        l_vec = np.eye(n_post)[int(target)]
    alpha = 1 - level
    est = float(l_vec @ beta[n_pre:])
    sd = float(np.sqrt(l_vec @ sigma[n_pre:, n_pre:] @ l_vec))
    z = stats.norm.ppf(1 - alpha / 2)
    original = (est - z * sd, est + z * sd)
    tname = "the average post-adoption effect" if target == "average" else f"the effect at event time {int(target)}"
    if method == "relative_magnitudes":
        return _honest_rm(beta, sigma, n_pre, l_vec, alpha, mbar, seed, original, est, level, target, tname,
                          outcome)
    if m is None:
        d2 = np.abs(np.diff(np.concatenate([beta[:n_pre], [0.0]]), 2)) if n_pre >= 2 else np.array([0.0])
        top = 2 * float(d2.max()) if d2.size and d2.max() > 0 else 2 * sd
        m = np.linspace(0, top, 11)
    rows = []
    for M in m:
        lo, hi, _ = flci(beta, sigma, n_pre, l_vec, float(M), alpha)
        rows.append({"M": float(M), "ci_low": lo, "ci_high": hi, "method": "FLCI", "restriction": "smoothness"})
    table = pd.DataFrame(rows)
    breakdown = _breakdown(beta, sigma, n_pre, l_vec, alpha, original)
    return HonestResult(table=table, original=original, estimate=est, breakdown=breakdown,
                        method=("Rambachan & Roth (2023) sensitivity analysis, smoothness restriction: fixed-length "
                                f"confidence intervals (Armstrong & Kolesar) for {tname}"),
                        level=level, target=str(target), outcome=outcome,
                        extra={"beta": beta, "sigma": sigma, "n_pre": n_pre, "l_vec": l_vec})


def _honest_rm(beta, sigma, n_pre, l_vec, alpha, mbar, seed, original, est, level, target, tname, outcome):
    mbar = (0.0, 0.5, 1.0, 1.5, 2.0) if mbar is None else mbar
    if any(float(v) < 0 for v in mbar):
        raise DesignError("mbar values must be non-negative")
    rows = []
    for v in mbar:
        lo, hi = rm_interval(beta, sigma, n_pre, l_vec, float(v), alpha=alpha, seed=seed)
        rows.append({"Mbar": float(v), "ci_low": lo, "ci_high": hi, "method": "C-LF",
                     "restriction": "relative_magnitudes"})
    a, b = original
    breakdown = math.nan if a <= 0 <= b else rm_breakdown(beta, sigma, n_pre, l_vec, alpha=alpha, seed=seed)
    return HonestResult(table=pd.DataFrame(rows), original=original, estimate=est, breakdown=breakdown,
                        method=("Rambachan & Roth (2023) sensitivity analysis, relative-magnitudes restriction: "
                                "hybrid conditional / least-favourable confidence sets (Andrews, Roth & Pakes) "
                                f"for {tname}"),
                        level=level, target=str(target), outcome=outcome, restriction="relative_magnitudes",
                        extra={"beta": beta, "sigma": sigma, "n_pre": n_pre, "l_vec": l_vec})


def _breakdown(beta, sigma, n_pre, l_vec, alpha, original) -> float:
    """Smallest M whose FLCI includes 0 (NaN when the original interval already does)."""
    lo, hi = original
    if lo <= 0 <= hi:
        return float("nan")

    def excludes(M):
        a, b, _ = flci(beta, sigma, n_pre, l_vec, M, alpha)
        return not (a <= 0 <= b)

    if not excludes(0.0):
        return 0.0
    sign = 1.0 if lo > 0 else -1.0

    def nearest(M):  # the interval's end nearer zero, signed so that it is positive while it excludes 0
        a, b, _ = flci(beta, sigma, n_pre, l_vec, M, alpha)
        return a if sign > 0 else -b

    hi_m = max(abs(lo), abs(hi), 1e-8)
    for _ in range(40):
        if nearest(hi_m) <= 0:
            break
        hi_m *= 2
    else:
        return float("inf")
    return float(optimize.brentq(nearest, 0.0, hi_m, xtol=1e-7 * hi_m))
