"""Ridge-augmented synthetic control (Ben-Michael, Feller & Rothstein 2021, JASA 116:1789).

When the synthetic control cannot reproduce the treated unit's pre-scheme path (it
lies outside the donors' range), the remaining imbalance biases the estimate.  The
augmented estimator corrects it with a ridge regression of post-period outcomes on
pre-period outcomes among the donors.  Written here from the paper's equations
(the ``augsynth`` R package was not consulted for code); inference by a
leave-one-donor-out jackknife.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.cautions import Caution
from toolkit.designs._simplex import simplex_weights
from toolkit.designs.result import DesignResult
from toolkit.designs.sdid import _matrix
from toolkit.errors import DesignError

__all__ = ["AugSynthResult", "fit", "augmented_weights"]


@dataclass(frozen=True, repr=False)
class AugSynthResult(DesignResult):
    """Result of :func:`fit`.

    Extra attributes
    ----------------
    weights : DataFrame ``unit``, ``sc_weight`` (ŵ ≥ 0) and ``weight`` (augmented γ, may be negative).
    gaps : DataFrame ``time``, ``post``, ``treated``, ``synthetic`` (γ'Y₀), ``sc_synthetic``, ``gap``.
    cv : DataFrame ``lambda``, ``cv_mse``, ``cv_se`` (empty when λ was given).
    jackknife : array of leave-one-donor-out estimates.
    """

    weights: pd.DataFrame | None = field(default=None, compare=False)
    gaps: pd.DataFrame | None = field(default=None, compare=False)
    cv: pd.DataFrame | None = field(default=None, compare=False)
    jackknife: np.ndarray | None = field(default=None, compare=False)


def augmented_weights(X1: np.ndarray, X0: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """(γ, ŵ): ridge-augmented and synthetic-control weights from pre-period outcomes.

    Parameters
    ----------
    X1 : (T0,) treated unit's pre-period outcomes.
    X0 : (J, T0) donors' pre-period outcomes.
    lam : float  ridge penalty λ > 0.

    Notes
    -----
    ŵ = argmin_{w ∈ simplex} ‖X₁ − X₀'w‖²; with X̃₀ = X₀ − X̄₀ (donors centred),
    γ = ŵ + X̃₀(X̃₀'X̃₀ + λI)⁻¹(X₁ − X₀'ŵ)  (BFR 2021, eq. 6 with the ridge outcome model),
    so Σγ = 1 and γ → ŵ as λ → ∞.
    """
    w = simplex_weights(X1, X0.T)
    Xc = X0 - X0.mean(axis=0)
    delta = X1 - X0.T @ w
    adj = Xc @ np.linalg.solve(Xc.T @ Xc + lam * np.eye(Xc.shape[1]), delta)
    return w + adj, w


def _cv(Y1: np.ndarray, Y0: np.ndarray, t0: int, grid: np.ndarray, holdout: int) -> pd.DataFrame:
    """Out-of-time error of each λ: for each of the last ``holdout`` pre periods s, fit on periods < s, predict s."""
    errs = np.full((grid.size, holdout), np.nan)
    for k, s in enumerate(range(t0 - holdout, t0)):
        for g, lam in enumerate(grid):
            gamma, _ = augmented_weights(Y1[:s], Y0[:, :s], lam)
            errs[g, k] = (Y1[s] - gamma @ Y0[:, s]) ** 2
    return pd.DataFrame({"lambda": grid, "cv_mse": errs.mean(axis=1),
                         "cv_se": errs.std(axis=1, ddof=1) / math.sqrt(holdout) if holdout > 1 else 0.0})


def _conformal(Y1: np.ndarray, Y0: np.ndarray, post: np.ndarray, lam: float, est: float, scale: float,
               level: float) -> tuple[float, float, float, list[str]]:
    T, T1 = post.size, int(post.sum())
    shifts = np.array([np.roll(post, -j) for j in range(T)])  # row j: positions counted after a cyclic shift

    def pval(tau0: float) -> float:
        y = Y1 - tau0 * post
        gamma, _ = augmented_weights(y, Y0, lam)
        u = y - gamma @ Y0
        stat = np.abs(shifts.astype(float) @ u) / math.sqrt(T1)
        return float(np.mean(stat >= stat[0] - 1e-12))

    scale = scale if scale > 0 else max(abs(est), 1.0)
    grid = est + 8 * scale * np.linspace(-1, 1, 241)
    keep = np.array([pval(t) > 1 - level for t in grid])
    notes = []
    if not keep.any():
        return pval(0.0), float("nan"), float("nan"), ["No effect size is consistent with the data at this level "
                                                        "under the conformal test; no interval given."]
    if keep[0] or keep[-1]:
        notes.append(Caution("The conformal interval reaches the edge of the searched range; it may be wider.",
                             code="augsynth.conformal_edge"))
    return pval(0.0), float(grid[keep].min()), float(grid[keep].max()), notes


def fit(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    treated_unit: Any,
    treatment_start: Any,
    *,
    lambda_: float | None = None,
    holdout: int | None = None,
    jackknife: bool = True,
    inference: str = "jackknife",
    level: float = 0.95,
    outcome_label: str | None = None,
) -> AugSynthResult:
    """Ridge-augmented synthetic control for one treated unit, with a jackknife standard error.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period.
    outcome, unit, time : str
    treated_unit
        The unit with the scheme.
    treatment_start
        First treated period.
    lambda_ : float, optional
        Ridge penalty.  Default: chosen by out-of-time cross-validation (below).
    holdout : int, optional
        Pre periods held out one at a time for the cross-validation (default
        max(2, T0 // 4), at most T0 − 3).
    jackknife : bool
        Compute the leave-one-donor-out jackknife estimates (and, with
        ``inference="jackknife"``, the standard error and interval from them).
    inference : {"jackknife", "conformal"}
        Interval and p-value from the jackknife SE (normal), or by conformal
        inference (Chernozhukov, Wüthrich & Zhu 2021, as BFR 2021 §5): no SE.
    level : float
    outcome_label : str, optional

    Returns
    -------
    AugSynthResult
        ``estimate`` = mean post-period gap Y₁ₜ − γ'Y₀ₜ.

    Notes
    -----
    Weights: :func:`augmented_weights` on all pre-period outcomes.  λ: for each of a
    grid of 25 values λ_max·10^{−6…1} (λ_max the largest eigenvalue of X̃₀'X̃₀), the
    squared error of predicting each held-out pre period s from the periods before it;
    the largest λ whose mean error is within one standard error of the smallest is
    taken (the "one-standard-error rule", as BFR recommend).  Jackknife:
    SE² = (J − 1)/J · Σ_j (τ̂₍₋ⱼ₎ − τ̄)² over fits leaving each donor out, λ fixed;
    interval τ̂ ± z·SE (normal).  Conformal: for a constant post-period effect τ₀,
    subtract it from the treated unit's post outcomes, refit γ on all periods with
    the same λ, take residuals u_t = Y₁ₜ − τ₀·post_t − γ'Y₀ₜ and S(u) = |Σ_post u_t|/√T₁;
    p(τ₀) = share of the T cyclic shifts of u (moving-block permutations) whose S is
    at least the observed one.  p-value = p(0); interval = {τ₀ : p(τ₀) > 1 − level}
    on a grid of 241 points around τ̂ (half-width 8 × the SD of the pre-period gaps).
    """
    if inference not in ("jackknife", "conformal"):
        raise DesignError("inference must be 'jackknife' or 'conformal'")
    if isinstance(treated_unit, (list, tuple, set)):
        raise DesignError("the augmented synthetic control takes one treated unit; use method='sdid' for several")
    wide, post, controls, warnings = _matrix(data, outcome, unit, time, [treated_unit], treatment_start)
    t0, J = int((~post).sum()), len(controls)
    if t0 < 4 or post.sum() < 1:
        raise DesignError(f"treatment_start {treatment_start!r} leaves {t0} pre and {int(post.sum())} post "
                          "period(s); at least 4 pre and 1 post are needed")
    if J < 3:
        raise DesignError(f"only {J} usable comparison unit(s); at least 3 are needed")
    Y = wide.to_numpy(float)
    Y0, Y1 = Y[:J], Y[J]
    cv = pd.DataFrame(columns=["lambda", "cv_mse", "cv_se"])
    if lambda_ is None:
        Xc = Y0[:, :t0] - Y0[:, :t0].mean(axis=0)
        lam_max = float(np.linalg.eigvalsh(Xc.T @ Xc).max()) or 1.0
        grid = lam_max * 10.0 ** np.linspace(-6, 1, 25)
        h = holdout if holdout is not None else max(2, t0 // 4)
        h = int(min(max(h, 1), t0 - 3))
        cv = _cv(Y1, Y0, t0, grid, h)
        best = cv["cv_mse"].idxmin()
        ok = cv["cv_mse"] <= cv.loc[best, "cv_mse"] + cv.loc[best, "cv_se"]
        lam = float(cv.loc[ok, "lambda"].max())
    else:
        if not lambda_ > 0:
            raise DesignError("lambda_ must be positive")
        lam = float(lambda_)
    gamma, w = augmented_weights(Y1[:t0], Y0[:, :t0], lam)
    synthetic = gamma @ Y0
    gap = Y1 - synthetic
    est = float(gap[post].mean())
    se = lo = hi = p = float("nan")
    jk = None
    if jackknife:
        vals = []
        for j in range(J):
            keep = np.arange(J) != j
            g_j, _ = augmented_weights(Y1[:t0], Y0[keep][:, :t0], lam)
            vals.append(float((Y1[post] - g_j @ Y0[keep][:, post]).mean()))
        jk = np.asarray(vals)
        if inference == "jackknife":
            se = float(math.sqrt((J - 1) / J * np.sum((jk - jk.mean()) ** 2)))
            z = stats.norm.ppf(1 - (1 - level) / 2)
            lo, hi = est - z * se, est + z * se
            p = float(2 * stats.norm.sf(abs(est) / se)) if se > 0 else float("nan")
    if inference == "conformal":
        p, lo, hi, note = _conformal(Y1, Y0, post, lam, est, float(np.std(gap[~post], ddof=1)), level)
        warnings += note
    if (gamma < -1e-8).any():
        warnings.append(Caution(f"The augmented weights extrapolate beyond the comparison areas ({int((gamma < -1e-8).sum())} "
                                "negative weight(s)); the ridge correction relies on a linear outcome model.",
                                code="augsynth.extrapolation"))
    times = wide.columns.to_numpy()
    gaps = pd.DataFrame({"time": times, "post": post, "treated": Y1, "synthetic": synthetic,
                         "sc_synthetic": w @ Y0, "gap": gap})
    weights = pd.DataFrame({"unit": controls, "sc_weight": w, "weight": gamma}).sort_values(
        "weight", ascending=False, kind="stable").reset_index(drop=True)
    pre_rmspe = float(np.sqrt(np.mean(gap[~post] ** 2)))
    method = (f"Ridge-augmented synthetic control (Ben-Michael, Feller & Rothstein 2021), λ = {lam:.4g}"
              + (" chosen by out-of-time cross-validation (one-SE rule)" if lambda_ is None else " (given)")
              + ("; conformal inference (moving-block permutations, Chernozhukov et al. 2021)"
                 if inference == "conformal" else
                 f"; leave-one-donor-out jackknife SE over {J} donors" if jackknife else "; no standard error"))
    table = pd.DataFrame([{"term": "att_augmented", "estimate": est, "se": se, "ci_low": lo, "ci_high": hi,
                           "p_value": p, "n_obs": int(Y.size)}])
    return AugSynthResult(
        estimate=est, se=se, ci_low=lo, ci_high=hi, p_value=p, n_obs=int(Y.size), method=method, level=level,
        outcome=outcome_label or outcome, name="att_augmented", table=table,
        extra={"lambda": lam, "n_pre": t0, "n_post": int(post.sum()), "n_donors": J, "pre_rmspe": pre_rmspe,
               "sc_pre_rmspe": float(np.sqrt(np.mean((Y1[:t0] - w @ Y0[:, :t0]) ** 2))),
               "treated_unit": treated_unit},
        warnings=tuple(warnings), weights=weights, gaps=gaps, cv=cv, jackknife=jk,
    )
