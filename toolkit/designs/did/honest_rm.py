r"""Relative-magnitudes sensitivity analysis (Rambachan & Roth 2023, restriction :math:`\Delta^{RM}(\bar M)`).

"The post-adoption violation of parallel trends is no larger than
:math:`\bar M` times the largest one seen before adoption."  For each
:math:`\bar M` this gives the robust confidence set that the R package
``HonestDiD`` reports by default for this restriction (method "C-LF": Andrews,
Roth & Pakes's hybrid of the least-favourable and conditional tests,
:mod:`toolkit.designs.did._arp`), and the breakdown value :math:`\bar M^*`.

Written from the paper; the R package (and its Python ports, which bring
cvxpy or a GPU framework with them) was used only for published outputs to
check against.  Unlike R, the interval ends are not read off a grid of 1,000
points but found by bisection to about 1e-7 of the interval's scale, and the
least-favourable critical value comes from 10,000 seeded draws (R: 1,000), so
it varies less with the seed.  On the README's Medicaid example the ends, read
off R's grid, print as R's to every digit shown (tests/designs/did/test_honest_rm.py).

Notes
-----
With :math:`\delta` the difference in trends on event times
:math:`-T-1,\dots,-2` (pre), the reference :math:`-1` (:math:`\delta_{-1}=0`)
and :math:`0,\dots,\bar T-1` (post), and first differences
:math:`\Delta_t = \delta_{t+1}-\delta_t`,

.. math:: \Delta^{RM}(\bar M) = \{\delta : |\Delta_t| \le \bar M \max_{s\,\mathrm{pre}} |\Delta_s|
          \text{ for every post-adoption } t\}
          = \bigcup_{s,\ \pm} \Delta^{RM}_{s,\pm}(\bar M),

a union of polyhedral cones, one for each pre-adoption difference :math:`s`
that attains the maximum and each sign of it:
:math:`\Delta^{RM}_{s,+} = \{\pm\Delta_r \le \Delta_s \ (r\ \mathrm{pre}),\
\pm\Delta_t \le \bar M\Delta_s\ (t\ \mathrm{post})\}` (and :math:`-\Delta_s` for the
minus sign), written :math:`A_{s,\pm}\delta \le 0`.  With
:math:`\beta = \delta + (0, \tau_{post})` and the target :math:`\theta = l'\tau_{post}`,
:math:`\tau_{post} = l\theta/l'l + N\xi` (:math:`N` a basis of :math:`l^\perp`), so
:math:`\theta` is in the identified set for the piece iff some :math:`\xi` has
:math:`E[A\hat\beta] - A_{post}l\,\theta/l'l - A_{post}N\xi \le 0`: moment
inequalities with a nuisance parameter, tested by ARP's hybrid test at level
:math:`\alpha` (:math:`\kappa = \alpha/10`).  As in HonestDiD, only the rows that
involve post-adoption coefficients enter the test when there are two or more
post-adoption periods.  The confidence set is the union over pieces of the
values not rejected; reported as its least and largest values.  The breakdown
value is the smallest :math:`\bar M` whose set contains 0 (found by bisection).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import linalg

from toolkit.designs.did._arp import MomentTest

__all__ = ["rm_constraints", "rm_interval", "rm_contains", "rm_breakdown"]


def rm_constraints(n_pre: int, n_post: int, mbar: float, s: int, positive: bool) -> tuple[np.ndarray, np.ndarray]:
    """A (rows x (n_pre + n_post), over beta without the reference) with A delta <= 0 for piece (s, sign).

    ``s`` indexes the pre-adoption first differences 0..n_pre-1 (the last one ends at the
    reference period).  Also returns a boolean mask of the rows that involve post-adoption
    coefficients.
    """
    n = n_pre + n_post + 1
    D = np.zeros((n - 1, n))
    for r in range(n - 1):
        D[r, r], D[r, r + 1] = -1.0, 1.0
    vmax = D[s] if positive else -D[s]
    rows = []
    for r in range(n - 1):
        bound = vmax if r < n_pre else mbar * vmax
        for sign in (1.0, -1.0):
            row = sign * D[r] - bound
            if np.abs(row).max() > 1e-12:
                rows.append(row)
    A = np.delete(np.array(rows), n_pre, axis=1)
    post = np.abs(A[:, n_pre:]).max(axis=1) > 0
    return A, post


def _pieces(beta, sigma, n_pre, l_vec, mbar, alpha, sims, seed, use_vertices):
    n_post = l_vec.size
    l_vec = np.asarray(l_vec, dtype=float)
    tau0 = l_vec / (l_vec @ l_vec)
    N = linalg.null_space(l_vec[None, :]) if n_post > 1 else np.zeros((1, 0))
    for s in range(n_pre):
        for positive in (True, False):
            A, post = rm_constraints(n_pre, n_post, mbar, s, positive)
            rows = post if n_post > 1 else np.ones(len(A), dtype=bool)
            A = A[rows]
            Ap = A[:, n_pre:]
            yield MomentTest(A @ beta, Ap @ tau0, Ap @ N, A @ sigma @ A.T, alpha=alpha, kappa=alpha / 10,
                             sims=sims, seed=seed, use_vertices=use_vertices)


def _piece_interval(test: MomentTest, scale: float, grid: int = 60) -> tuple[float, float] | None:
    """Least and largest theta the piece's test accepts (grid inside the first-stage interval, then bisection)."""
    box = test.lf_interval()
    if box is None:
        return None
    open_lo, open_hi = not np.isfinite(box[0]), not np.isfinite(box[1])
    # an unbounded first-stage interval (no first stage, or moments the nuisance can always satisfy): search a
    # wide window, and an end accepted there stands for an unbounded set
    lo, hi = (-40 * scale if open_lo else box[0]), (40 * scale if open_hi else box[1])
    pts = np.linspace(lo, hi, grid)
    acc = np.array([not test.rejects(t) for t in pts])
    if not acc.any():
        return None
    i, j = int(np.argmax(acc)), int(len(acc) - 1 - np.argmax(acc[::-1]))
    tol = 1e-7 * scale

    def edge(inside, outside):
        while abs(outside - inside) > tol:
            mid = 0.5 * (inside + outside)
            if test.rejects(mid):
                outside = mid
            else:
                inside = mid
        return inside

    left = edge(pts[i], pts[i - 1]) if i > 0 else (-math.inf if open_lo else pts[0])
    right = edge(pts[j], pts[j + 1]) if j < len(pts) - 1 else (math.inf if open_hi else pts[-1])
    return float(left), float(right)


def rm_interval(beta, sigma, n_pre, l_vec, mbar, *, alpha=0.05, sims=10000, seed=0,
                use_vertices=True) -> tuple[float, float]:
    """Robust confidence set for l'tau_post under Delta^RM(mbar), as (least, largest) value; NaN if empty."""
    beta, sigma = np.asarray(beta, dtype=float), np.asarray(sigma, dtype=float)
    l_vec = np.asarray(l_vec, dtype=float)
    scale = float(np.sqrt(l_vec @ sigma[n_pre:, n_pre:] @ l_vec))
    ends = [_piece_interval(t, scale) for t in _pieces(beta, sigma, n_pre, l_vec, mbar, alpha, sims, seed,
                                                       use_vertices)]
    ends = [e for e in ends if e is not None]
    if not ends:
        return math.nan, math.nan
    return min(e[0] for e in ends), max(e[1] for e in ends)


def rm_contains(beta, sigma, n_pre, l_vec, mbar, theta, *, alpha=0.05, sims=10000, seed=0) -> bool:
    """Whether ``theta`` is in the robust confidence set under Delta^RM(mbar)."""
    return any(not t.rejects(theta) for t in _pieces(np.asarray(beta, dtype=float), np.asarray(sigma, dtype=float),
                                                     n_pre, np.asarray(l_vec, dtype=float), mbar, alpha, sims,
                                                     seed, True))


def rm_breakdown(beta, sigma, n_pre, l_vec, *, alpha=0.05, sims=10000, seed=0, rtol=1e-4) -> float:
    """Smallest Mbar whose robust set contains 0 (0.0 if Mbar = 0 already does; inf if none up to 1e3)."""
    def has0(mbar):
        return rm_contains(beta, sigma, n_pre, l_vec, mbar, 0.0, alpha=alpha, sims=sims, seed=seed)

    if has0(0.0):
        return 0.0
    lo, hi = 0.0, 1.0
    while not has0(hi):
        lo, hi = hi, 2 * hi
        if hi > 1e3:
            return math.inf
    while hi - lo > rtol * hi:
        mid = 0.5 * (lo + hi)
        if has0(mid):
            hi = mid
        else:
            lo = mid
    return hi
