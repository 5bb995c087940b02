"""Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021, AER 111:4088).

``fit`` re-weights the comparison units (ω) so that their pre-scheme trend matches
the treated units', and the pre-scheme periods (λ) so that they resemble the
post-scheme periods, then takes the weighted difference in differences.  The same
machinery gives the synthetic-control (``method="sc"``) and plain DiD
(``method="did"``) estimates of the paper's Table 1, so the three can be compared.
Standard errors by the placebo method (the paper's Algorithm 4).

Written here from the paper's equations (the R ``synthdid`` package is GPL; its
code was not used).  The weights solve the paper's regularised least-squares
problems on the simplex by Frank–Wolfe with exact line search, with the settings
documented as the reference implementation's defaults (start from uniform weights,
100 steps, sparsify — weights at most a quarter of the largest set to zero — then
up to 10,000 steps, stopping when the objective falls by less than (10⁻⁵σ̂)²), so
that the published Proposition 99 numbers are reproduced to 10⁻⁵.  No maintained
Python package with a permissive licence offered this with placebo SEs.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.cautions import Caution
from toolkit.designs._timeseries import check_columns
from toolkit.designs.result import DesignResult
from toolkit.designs._simplex import simplex_weights
from toolkit.errors import DataError, DesignError

__all__ = ["SDIDResult", "fit", "estimate", "METHODS"]

METHODS = {"sdid": "Synthetic difference-in-differences", "sc": "Synthetic control (synthdid form)",
           "did": "Difference-in-differences"}


@dataclass(frozen=True, repr=False)
class SDIDResult(DesignResult):
    """Result of :func:`fit`.

    Extra attributes
    ----------------
    unit_weights : DataFrame (``unit``, ``weight``) ω over comparison units, largest first.
    time_weights : DataFrame (``time``, ``weight``) λ over pre-scheme periods.
    trajectory : DataFrame per period: ``time``, ``post``, ``treated`` (mean of treated
        units), ``synthetic`` (ω-weighted comparison shifted by the weighted pre-period
        gap), ``gap``.
    placebo_estimates : array of the placebo estimates behind ``se``.
    """

    unit_weights: pd.DataFrame | None = field(default=None, compare=False)
    time_weights: pd.DataFrame | None = field(default=None, compare=False)
    trajectory: pd.DataFrame | None = field(default=None, compare=False)
    placebo_estimates: np.ndarray | None = field(default=None, compare=False)


def _noise_level(Y0_pre: np.ndarray) -> np.ndarray:
    """σ̂ per panel: SD of the first differences of the comparison units' pre-period outcomes (B, n0, t0)."""
    d = np.diff(Y0_pre, axis=2).reshape(Y0_pre.shape[0], -1)
    return d.std(axis=1, ddof=1) if d.shape[1] > 1 else np.zeros(Y0_pre.shape[0])


def _frank_wolfe(A: np.ndarray, b: np.ndarray, eta: np.ndarray, x: np.ndarray, max_iter: int,
                 min_decrease: np.ndarray) -> np.ndarray:
    """Frank–Wolfe with exact line search for min_x ‖A x − b‖² + η‖x‖² over the simplex, for a stack of problems.

    ``A`` (B, n, k), ``b`` (B, n), ``eta`` and ``min_decrease`` (B,), start ``x`` (B, k).
    Each step moves towards the vertex with the smallest gradient coordinate, by the
    step that minimises the quadratic along that direction (clipped to [0, 1]); a
    problem stops after ``max_iter`` steps or when its objective divided by n falls by
    no more than ``min_decrease``² in a step.  Vectorised over the stack (placebos).
    """
    B, n, k = A.shape
    if B == 1:
        return _frank_wolfe_one(A[0], b[0], float(eta[0]), x[0], max_iter, float(min_decrease[0]))[None]
    G = np.einsum("bni,bnj->bij", A, A) + eta[:, None, None] * np.eye(k)  # ridge folded into the Gram matrix
    Ab = np.einsum("bni,bn->bi", A, b)
    bb = np.einsum("bn,bn->b", b, b)
    out = x.copy()
    x = x.copy()
    Gx = np.einsum("bij,bj->bi", G, x)
    xGx, xAb = np.einsum("bi,bi->b", x, Gx), np.einsum("bi,bi->b", x, Ab)
    val = (xGx - 2 * xAb + bb) / n
    tol = min_decrease**2
    ids = np.arange(B)  # the working arrays hold the problems still running
    for _ in range(max_iter):
        hg = Gx - Ab
        i = hg.argmin(axis=1)
        r = np.arange(ids.size)
        gd = hg[r, i] - (xGx - xAb)  # half-gradient along d = e_i − x
        denom = G[r, i, i] - 2 * Gx[r, i] + xGx  # d'Gd
        ok = denom > 0
        step = np.where(ok, np.clip(-gd / np.where(ok, denom, 1.0), 0.0, 1.0), 0.0)
        x *= (1 - step)[:, None]
        x[r, i] += step
        Gx = (1 - step)[:, None] * Gx + step[:, None] * G[r, :, i]
        xGx = np.einsum("bi,bi->b", x, Gx)
        xAb = (1 - step) * xAb + step * Ab[r, i]
        new = (xGx - 2 * xAb + bb) / n
        go_on = ok & (val - new > tol)
        val = new
        if not go_on.all():
            out[ids[~go_on]] = x[~go_on]
            ids, x, G, Gx, Ab, bb, xGx, xAb, val, tol = (a[go_on] for a in (ids, x, G, Gx, Ab, bb, xGx, xAb,
                                                                              val, tol))
            if ids.size == 0:
                return out
    out[ids] = x
    return out


def _frank_wolfe_one(A: np.ndarray, b: np.ndarray, eta: float, x: np.ndarray, max_iter: int,
                     min_decrease: float) -> np.ndarray:
    """:func:`_frank_wolfe` for a single problem (the same steps, with fewer array operations)."""
    n, k = A.shape
    G = A.T @ A + eta * np.eye(k)
    Ab = A.T @ b
    bb = float(b @ b)
    x = x.copy()
    Gx = G @ x
    xGx, xAb = float(x @ Gx), float(x @ Ab)
    val = (xGx - 2 * xAb + bb) / n
    tol = min_decrease**2
    diag = np.diag(G).tolist()
    for _ in range(max_iter):
        hg = Gx - Ab
        i = int(hg.argmin())
        gd = float(hg[i]) - (xGx - xAb)
        denom = diag[i] - 2 * float(Gx[i]) + xGx
        if denom <= 0:
            break
        step = min(max(-gd / denom, 0.0), 1.0)
        x *= 1 - step
        x[i] += step
        Gx *= 1 - step
        Gx += step * G[:, i]
        xGx = float(x @ Gx)
        xAb = (1 - step) * xAb + step * float(Ab[i])
        new = (xGx - 2 * xAb + bb) / n
        if val - new <= tol:
            break
        val = new
    return x


def _solve(X: np.ndarray, target: np.ndarray, zeta: np.ndarray, intercept: bool, sparsify: bool,
           min_decrease: np.ndarray) -> np.ndarray:
    """Simplex weights minimising ‖target − c − Xw‖² + ζ²·rows·‖w‖² (c free when ``intercept``), per problem.

    Frank–Wolfe from uniform weights: 100 steps, then (``sparsify``) weights at most a
    quarter of the largest set to zero and the rest rescaled, then Frank–Wolfe again to
    convergence (at most 10,000 steps) — the paper's computational procedure.
    """
    if intercept:
        X = X - X.mean(axis=1, keepdims=True)
        target = target - target.mean(axis=1, keepdims=True)
    B, n, k = X.shape
    eta = n * zeta**2
    x = np.full((B, k), 1.0 / k)
    if sparsify:
        x = _frank_wolfe(X, target, eta, x, 100, min_decrease)
        x = np.where(x <= x.max(axis=1, keepdims=True) / 4, 0.0, x)
        x = x / x.sum(axis=1, keepdims=True)
    return _frank_wolfe(X, target, eta, x, 10_000, min_decrease)


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


def _matrix(data: pd.DataFrame, outcome: str, unit: str, time: str, treated: list, start: Any
            ) -> tuple[pd.DataFrame, np.ndarray, list, list[str]]:
    check_columns(data, {"outcome": outcome, "unit": unit, "time": time})
    num = pd.to_numeric(data[outcome], errors="coerce")
    bad = (num.isna() & data[outcome].notna()).to_numpy()
    if bad.any():
        raise DataError("values are not numbers", column=outcome, rows=tuple(int(i) + 2 for i in np.flatnonzero(bad)[:5]),
                        count=int(bad.sum()), fix="make the outcome numeric (leave missing values empty)")
    dup = data.duplicated([unit, time], keep=False).to_numpy()
    if dup.any():
        raise DataError("the same unit and period appear more than once", column=unit,
                        rows=tuple(int(i) + 2 for i in np.flatnonzero(dup)[:5]), count=int(dup.sum()),
                        fix="aggregate to one row per unit and period")
    wide = data.assign(**{outcome: num}).pivot(index=unit, columns=time, values=outcome).sort_index(axis=1)
    missing = [u for u in treated if u not in wide.index]
    if missing:
        raise DataError(f"treated unit(s) not in the panel: {', '.join(map(str, missing))}", column=unit,
                        fix="check the spelling of the treated units")
    try:
        cols = wide.columns
        s = pd.Timestamp(start) if pd.api.types.is_datetime64_any_dtype(cols) else start
        post = np.asarray(cols >= s)
    except TypeError as exc:
        raise DesignError(f"treatment_start {start!r} cannot be compared with the periods in '{time}'") from exc
    warnings: list[str] = []
    if wide.loc[treated].isna().any().any():
        raise DataError("a treated unit misses periods or outcome values", column=outcome,
                        fix="supply every period for the treated units")
    controls = [u for u in wide.index if u not in set(treated)]
    incomplete = [u for u in controls if wide.loc[u].isna().any()]
    if incomplete:
        warnings.append(Caution(f"{len(incomplete)} comparison unit(s) excluded because they miss periods: "
                                f"{', '.join(map(str, incomplete[:8]))}{' ...' if len(incomplete) > 8 else ''}.",
                                code="sdid.units_incomplete"))
        controls = [u for u in controls if u not in set(incomplete)]
    return wide.loc[controls + list(treated)], post, controls, warnings


def fit(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    treated_units: Any,
    treatment_start: Any,
    *,
    method: str = "sdid",
    se: str = "placebo",
    replications: int = 200,
    seed: int = 12345,
    level: float = 0.95,
    sparsify: bool = True,
    outcome_label: str | None = None,
) -> SDIDResult:
    """Synthetic difference-in-differences (or SC / DiD in the same framework) with placebo standard errors.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period (balanced for the treated units).
    outcome, unit, time : str
        Columns.
    treated_units : unit or list of units
        Units with the scheme; several give their average effect (all must start at
        ``treatment_start``: a block design).
    treatment_start
        First treated period.
    method : {"sdid", "sc", "did"}
        Estimator (see :func:`estimate`).
    se : {"placebo", "none"}
        Placebo standard errors (Algorithm 4) or none.
    replications : int
        Placebo draws; all assignments are enumerated when there are no more than this.
    seed : int
        Seed for the placebo draws.
    level : float
        Confidence level; interval τ̂ ± z·SE (normal, as the paper).
    sparsify : bool
        Sparsify the weights as the paper.
    outcome_label : str, optional

    Returns
    -------
    SDIDResult

    Notes
    -----
    See :func:`estimate` for the weights and τ̂.  Placebo variance:
    V = (1/B) Σ_b (τ̂_b − τ̄)² over placebo estimates τ̂_b computed on the comparison
    units alone with N₁ of them pseudo-treated; SE = √V.  Needs more comparison
    units than treated ones.  Reproduces the paper's Table 1 for Proposition 99
    (see the tests).
    """
    if se not in ("placebo", "none"):
        raise DesignError("se must be 'placebo' or 'none'")
    if method not in METHODS:
        raise DesignError(f"method must be one of {', '.join(METHODS)}")
    treated = list(treated_units) if isinstance(treated_units, (list, tuple, set, pd.Index, np.ndarray)) \
        else [treated_units]
    wide, post, controls, warnings = _matrix(data, outcome, unit, time, treated, treatment_start)
    t0, n0, n1 = int((~post).sum()), len(controls), len(treated)
    if t0 < 2 or post.sum() < 1:
        raise DesignError(f"treatment_start {treatment_start!r} leaves {t0} pre and {int(post.sum())} post "
                          "period(s); at least 2 pre and 1 post are needed")
    if n0 < 2:
        raise DesignError(f"only {n0} usable comparison unit(s); at least 2 are needed")
    Y = wide.to_numpy(float)
    est = estimate(Y, n0, t0, method=method, sparsify=sparsify)
    tau = est["tau"]
    sd = p = lo = hi = float("nan")
    plac = None
    if se == "placebo":
        if n0 <= n1:
            warnings.append(Caution("Placebo standard errors need more comparison units than treated units; none given.",
                                    code="sdid.no_placebo_se"))
        else:
            plac = placebo_estimates(Y[:n0], n1, t0, method=method, replications=replications, seed=seed,
                                     sparsify=sparsify)
            sd = float(np.sqrt(np.mean((plac - plac.mean()) ** 2)))
            z = stats.norm.ppf(1 - (1 - level) / 2)
            lo, hi = tau - z * sd, tau + z * sd
            p = float(2 * stats.norm.sf(abs(tau) / sd)) if sd > 0 else float("nan")
            if n0 < 20:
                warnings.append(Caution(f"Only {n0} comparison units: the placebo standard error rests on few placebos.",
                                        code="sdid.few_placebos"))
    times = wide.columns.to_numpy()
    tr = Y[n0:].mean(axis=0)
    co = est["omega"] @ Y[:n0]
    lam = est["lam"]
    shift = (tr[:t0] - co[:t0]) @ lam if lam.sum() > 0 else 0.0
    traj = pd.DataFrame({"time": times, "post": post, "treated": tr, "synthetic": co + shift})
    traj["gap"] = traj["treated"] - traj["synthetic"]
    uw = pd.DataFrame({"unit": controls, "weight": est["omega"]}).sort_values("weight", ascending=False,
                                                                             kind="stable").reset_index(drop=True)
    tw = pd.DataFrame({"time": times[:t0], "weight": lam})
    se_txt = ("placebo standard errors (" + (f"all {len(plac)} assignments" if plac is not None and
              len(plac) == math.comb(n0, n1) else f"{replications} draws, seed {seed}") + ")"
              if plac is not None else "no standard error")
    method_txt = (f"{METHODS[method]} (Arkhangelsky et al. 2021) with {n1} treated and {n0} comparison units, "
                  f"{t0} pre and {int(post.sum())} post periods; {se_txt}")
    table = pd.DataFrame([{"term": f"att_{method}", "estimate": tau, "se": sd, "ci_low": lo, "ci_high": hi,
                           "p_value": p, "n_obs": int(Y.size)}])
    return SDIDResult(
        estimate=tau, se=sd, ci_low=lo, ci_high=hi, p_value=p, n_obs=int(Y.size), method=method_txt,
        level=level, outcome=outcome_label or outcome, name=f"att_{method}", table=table,
        extra={"method": method, "treated_units": tuple(treated), "n_treated": n1, "n_control": n0, "n_pre": t0,
               "n_post": int(post.sum()), "zeta_omega": est["zeta_omega"], "noise_sd": est["sigma"]},
        warnings=tuple(warnings), unit_weights=uw, time_weights=tw, trajectory=traj, placebo_estimates=plac,
    )


def compare(data: pd.DataFrame, outcome: str, unit: str, time: str, treated_units: Any, treatment_start: Any,
            *, methods: Sequence[str] = ("sdid", "sc", "did"), **kwargs: Any) -> pd.DataFrame:
    """The paper's Table 1: estimate and placebo SE of each method, one row each."""
    rows = []
    for m in methods:
        r = fit(data, outcome, unit, time, treated_units, treatment_start, method=m, **kwargs)
        rows.append({"method": m, "label": METHODS[m], "estimate": r.estimate, "se": r.se, "ci_low": r.ci_low,
                     "ci_high": r.ci_high})
    return pd.DataFrame(rows)
