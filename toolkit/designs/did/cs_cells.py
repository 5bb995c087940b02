"""Callaway & Sant'Anna group-time cells: which periods each ATT(g,t) compares, and its estimate.

:func:`cell_plan` lists the cells (cohort, period, base period) for the
``"varying"`` or ``"universal"`` base period; :func:`estimate_cells` computes
every ATT(g,t) and its influence function, by a difference of weighted means
of long differences without covariates, or by :mod:`toolkit.designs.did.drdid`
(doubly robust, inverse probability weighting or outcome regression) with them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.designs.did import drdid
from toolkit.designs.did._tidy import dot
from toolkit.designs.did.cs_sample import CSSample

__all__ = ["BASE_PERIODS", "cell_plan", "cell_masks", "estimate_cells"]

BASE_PERIODS = ("varying", "universal")


def cell_plan(sample: CSSample, base_period: str = "varying") -> pd.DataFrame:
    """One row per ATT(g,t): ``group``, ``time``, ``ti``/``bi`` (period and base-period columns), ``reference``.

    Notes
    -----
    With :math:`\\delta` anticipation periods the base period of every
    post-adoption cell (:math:`t \\ge g`) is the last period
    :math:`b < g - \\delta`.  Before adoption the ``"varying"`` base compares
    each period with the one before it (:math:`b = t-1`, first period
    skipped); the ``"universal"`` base uses the same :math:`b` for every
    period, and the cell :math:`t = b` is reported as 0 (``reference``), as R's
    ``did``.  Cohorts without such a base period are skipped.
    """
    times = sample.times
    rows = []
    for g in sample.cohorts:
        pre = np.flatnonzero(times + sample.anticipation < g)
        if pre.size == 0:
            continue
        base_post = int(pre[-1])
        first = 1 if base_period == "varying" else 0
        for ti in range(first, times.size):
            t = times[ti]
            bi = base_post if (t >= g or base_period == "universal") else ti - 1
            rows.append({"group": g, "time": t, "ti": ti, "bi": bi, "reference": ti == bi})
    return pd.DataFrame(rows, columns=["group", "time", "ti", "bi", "reference"])


def cell_masks(sample: CSSample, g: float, ti: int, bi: int) -> tuple[np.ndarray, np.ndarray]:
    """Treated and comparison units of a cell (units observed in both of its periods).

    Comparison: never treated, or (``control="not_yet"``) also units first
    treated after :math:`\\max(t, b) + \\delta` other than cohort :math:`g`.
    """
    Y, G = sample.Y, sample.G
    seen = np.isfinite(Y[:, ti]) & np.isfinite(Y[:, bi])
    treated = (G == g) & seen
    if sample.control == "never":
        comp = (G == 0) & seen
    else:
        later = sample.times[max(ti, bi)] + sample.anticipation
        comp = ((G == 0) | ((G > later) & (G != g))) & seen
    return treated, comp


def _means_cell(sample: CSSample, treated, comp, ti: int, bi: int) -> tuple[float, np.ndarray]:
    """ATT and influence function without covariates (difference of weighted mean changes).

    Notes
    -----
    With :math:`\\Delta Y_i = Y_{it} - Y_{ib}`, :math:`S_1 = \\sum_{i:G_i=g} w_i`,
    :math:`S_0 = \\sum_{i \\in C} w_i`, :math:`\\mu_1, \\mu_0` the weighted mean
    changes, :math:`ATT = \\mu_1 - \\mu_0` and
    :math:`\\psi_i = n\\,[1\\{G_i=g\\} w_i (\\Delta Y_i - \\mu_1)/S_1
    - 1\\{i\\in C\\} w_i (\\Delta Y_i - \\mu_0)/S_0]`, so that
    :math:`SE = \\sqrt{\\sum_i \\psi_i^2}/n` (the panel DRDID influence
    function with no covariates, as ``did::att_gt`` uses).
    """
    n = sample.n
    dy = sample.Y[:, ti] - sample.Y[:, bi]
    i1, i0 = np.flatnonzero(treated), np.flatnonzero(comp)  # index once, gather each array once
    w1, w0, d1, d0 = sample.w[i1], sample.w[i0], dy[i1], dy[i0]
    s1 = w1.sum()
    s0 = w0.sum()
    mu1 = dot(w1, d1) / s1
    mu0 = dot(w0, d0) / s0
    psi = np.zeros(n)
    psi[i1] = w1 * (d1 - mu1) / s1
    psi[i0] -= w0 * (d0 - mu0) / s0
    return mu1 - mu0, psi * n


def _covariate_cell(sample: CSSample, treated, comp, ti: int, bi: int, method: str) -> tuple[float, np.ndarray]:
    """ATT and influence function with covariates (taken in the base period), by ``method``."""
    sub = treated | comp
    dy = (sample.Y[:, ti] - sample.Y[:, bi])[sub]
    D = treated[sub].astype(float)
    X = sample.X[sub, bi, :]
    att, inf = drdid.ESTIMATORS[method](dy, D, X, sample.w[sub])
    psi = np.zeros(sample.n)
    psi[sub] = inf * (sample.n / sub.sum())
    return att, psi


def estimate_cells(sample: CSSample, plan: pd.DataFrame, method: str = "dr") -> tuple[np.ndarray, ...]:
    """ATT(g,t), influence functions (n x K), treated and comparison counts for every planned cell.

    A cell with no treated or no comparison units gets NaN and a zero
    influence function; a reference cell (universal base) gets 0.
    """
    K = len(plan)
    att = np.full(K, np.nan)
    infl = np.zeros((sample.n, K), order="F")  # columns contiguous: one cell's influence function
    n1 = np.zeros(K, dtype=np.int64)
    n0 = np.zeros(K, dtype=np.int64)
    g_arr = plan["group"].to_numpy(dtype=float)
    ti_arr = plan["ti"].to_numpy(dtype=np.int64)
    bi_arr = plan["bi"].to_numpy(dtype=np.int64)
    ref = plan["reference"].to_numpy(dtype=bool)
    for k in range(K):
        ti, bi = int(ti_arr[k]), int(bi_arr[k])
        treated, comp = cell_masks(sample, g_arr[k], ti, bi)
        n1[k], n0[k] = int(treated.sum()), int(comp.sum())
        if ref[k]:
            att[k] = 0.0
            continue
        if n1[k] == 0 or n0[k] == 0:
            continue
        if sample.X is None:
            att[k], infl[:, k] = _means_cell(sample, treated, comp, ti, bi)
        else:
            att[k], infl[:, k] = _covariate_cell(sample, treated, comp, ti, bi, method)
    return att, infl, n1, n0
