"""Synthetic DiD point estimates and their placebo replications (Arkhangelsky et al. 2021, eq. 1–4, Algorithm 4).

:func:`estimate` works on an outcome matrix (comparison units first, pre periods
first); :func:`placebo_estimates` re-estimates with comparison units pseudo-treated,
all placebo panels solved together.  :func:`toolkit.designs.sdid.fit` wraps both.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from toolkit.designs.sdid_weights import _solve
from toolkit.errors import DesignError

__all__ = ["METHODS", "estimate", "placebo_estimates"]

METHODS = {"sdid": "Synthetic difference-in-differences", "sc": "Synthetic control (synthdid form)",
           "did": "Difference-in-differences"}


def _noise_level(Y0_pre: np.ndarray) -> np.ndarray:
    """σ̂ per panel: SD of the first differences of the comparison units' pre-period outcomes (B, n0, t0)."""
    d = np.diff(Y0_pre, axis=2).reshape(Y0_pre.shape[0], -1)
    return d.std(axis=1, ddof=1) if d.shape[1] > 1 else np.zeros(Y0_pre.shape[0])

def _estimate_stack(Y: np.ndarray, n0: int, t0: int, method: str, sparsify: bool) -> dict[str, np.ndarray]:
    B, N, T = Y.shape
    n1, t1 = N - n0, T - t0
    Y0_pre, Y0_post = Y[:, :n0, :t0], Y[:, :n0, t0:]
    tr = Y[:, n0:].mean(axis=1)
    sigma = _noise_level(Y0_pre)
    zeta = (n1 * t1) ** 0.25 * sigma
    md = 1e-5 * sigma
    if method == "did":
        omega, lam = np.full((B, n0), 1 / n0), np.full((B, t0), 1 / t0)
    elif method == "sc":
        omega = _solve(Y0_pre.transpose(0, 2, 1), tr[:, :t0], 1e-6 * sigma, False, sparsify, md)
        lam = np.zeros((B, t0))
    else:
        omega = _solve(Y0_pre.transpose(0, 2, 1), tr[:, :t0], zeta, True, sparsify, md)
        lam = _solve(Y0_pre, Y0_post.mean(axis=2), 1e-6 * sigma, True, sparsify, md)
    post_gap = tr[:, t0:].mean(axis=1) - np.einsum("bi,bi->b", omega, Y0_post.mean(axis=2))
    pre_gap = np.einsum("bt,bt->b", tr[:, :t0], lam) - np.einsum("bi,bit,bt->b", omega, Y0_pre, lam)
    return {"tau": post_gap - pre_gap, "omega": omega, "lam": lam, "zeta_omega": zeta, "sigma": sigma}


def estimate(Y: np.ndarray, n0: int, t0: int, *, method: str = "sdid", sparsify: bool = True) -> dict[str, Any]:
    """Point estimate on an outcome matrix (units × periods): comparison units first, pre periods first.

    Parameters
    ----------
    Y : (N, T) array
        Rows 0..n0−1 comparison units, the rest treated; columns 0..t0−1 before the scheme.
    n0, t0 : int
    method : {"sdid", "sc", "did"}
    sparsify : bool
        Apply the paper's sparsification of the weights (default, as in its Table 1).

    Returns
    -------
    dict with ``tau``, ``omega`` (n0,), ``lam`` (t0,), ``zeta_omega``, ``sigma``.

    Notes
    -----
    With N₁ = N − n0 treated units and T₁ = T − t0 post periods, σ̂ the SD of first
    differences of Y over comparison units and pre periods,

    * unit weights: (ω₀, ω) = argmin Σ_{t≤t0} (ω₀ + Σ_i ω_i Y_it − Ȳ_tr,t)² + ζ²·t0·‖ω‖²,
      ω on the simplex, ζ = (N₁T₁)^{1/4}·σ̂ (paper eq. 2–4);
    * time weights: (λ₀, λ) = argmin Σ_{i≤n0} (λ₀ + Σ_t λ_t Y_it − Ȳ_i,post)² + ζ_λ²·n0·‖λ‖²,
      ζ_λ = 10⁻⁶σ̂;
    * τ̂ = (Ȳ_tr,post − λ'Ȳ_tr,pre) − (ω'Ȳ_co,post − ω'Y_co,pre λ) (paper eq. 1).

    "sc": ω without intercept and ζ = 10⁻⁶σ̂, no time weights (λ = 0, i.e. the post-period
    gap); "did": ω and λ uniform.
    """
    if method not in METHODS:
        raise DesignError(f"method must be one of {', '.join(METHODS)}")
    out = _estimate_stack(np.asarray(Y, float)[None], n0, t0, method, sparsify)
    return {"tau": float(out["tau"][0]), "omega": out["omega"][0], "lam": out["lam"][0],
            "zeta_omega": float(out["zeta_omega"][0]), "sigma": float(out["sigma"][0])}


def placebo_estimates(Y0: np.ndarray, n1: int, t0: int, *, method: str, replications: int, seed: int,
                      sparsify: bool = True) -> np.ndarray:
    """Estimates with ``n1`` comparison units in turn treated as if they had the scheme (Algorithm 4).

    Every assignment is used when there are no more than ``replications`` of them
    (e.g. one treated unit: each comparison unit once), else ``replications`` drawn
    at random with ``seed``.  All placebo panels are solved together (vectorised).
    """
    n0 = Y0.shape[0]
    if math.comb(n0, n1) <= replications:
        draws = [list(c) for c in itertools.combinations(range(n0), n1)]
    else:
        rng = np.random.default_rng(seed)
        draws = [list(rng.choice(n0, n1, replace=False)) for _ in range(replications)]
    stack = np.stack([Y0[[i for i in range(n0) if i not in set(p)] + p] for p in draws])
    out = []
    for chunk in np.array_split(stack, max(1, len(stack) // 100)):
        out.append(_estimate_stack(chunk, n0 - n1, t0, method, sparsify)["tau"])
    return np.concatenate(out)
