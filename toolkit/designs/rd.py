"""Sharp regression discontinuity, following rdrobust's conventions.

``fit`` wraps the ``rdrobust`` package (Calonico, Cattaneo, Farrell & Titiunik):
local linear fits either side of the cutoff, triangular kernel, MSE-optimal
bandwidth, conventional estimate with the robust bias-corrected SE, interval and
p-value (the conventional SE is kept in ``extra["se_conventional"]``).
It adds a manipulation (density) test from ``rddensity`` (Cattaneo, Jansson & Ma),
a bandwidth-sensitivity table and the binned means used for the RD plot.
``fit_by`` repeats the analysis within groups and tests for a gradient.

Layout: data checks in :mod:`toolkit.designs.rd_prepare`, the plot's binned means and
local fits in :mod:`toolkit.designs.rd_lines`, the density test in
:mod:`toolkit.designs.rd_density`; this module fits and assembles the result.
"""

from __future__ import annotations

import contextlib
import io
import warnings as _warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from toolkit.cautions import Caution
from toolkit.designs._timeseries import check_columns, heterogeneity, missing_rows
from toolkit.designs.rd_density import density, density_table
from toolkit.designs.rd_lines import binned_means, local_linear_lines
from toolkit.designs.rd_prepare import MIN_PER_SIDE, prepare
from toolkit.designs.result import DesignResult
from toolkit.errors import DataError, DesignError

__all__ = ["RDResult", "fit", "fit_by", "density", "binned_means", "local_linear_lines", "MIN_PER_SIDE"]

#: warned about when fewer than this fall inside the bandwidth on a side
WARN_EFFECTIVE = 30
DEFAULT_MULTIPLIERS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


@dataclass(frozen=True, repr=False)
class RDResult(DesignResult):
    """Result of :func:`fit`.

    Extra attributes
    ----------------
    sensitivity : DataFrame
        Estimates at multiples of the MSE-optimal bandwidth (``multiplier, h, estimate,
        se, ci_low, ci_high, robust_ci_low, robust_ci_high, robust_p_value, n_left, n_right``).
    density : DataFrame or None
        The manipulation test (``statistic, p_value, h_left, h_right, n_left, n_right``).
    bins : DataFrame
        Binned means for the RD plot (``side, x, y, n, x_low, x_high``).
    fit_lines : DataFrame
        The local linear fits either side on a grid (``side, x, fitted``).
    """

    sensitivity: pd.DataFrame | None = field(default=None, compare=False)
    density: pd.DataFrame | None = field(default=None, compare=False)
    bins: pd.DataFrame | None = field(default=None, compare=False)
    fit_lines: pd.DataFrame | None = field(default=None, compare=False)


def _quiet(func, *args, **kwargs):
    """Run a reference routine, capturing anything it prints or warns."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        value = func(*args, **kwargs)
    notes = [ln.strip() for ln in out.getvalue().splitlines() if ln.strip()]
    notes += [str(w.message) for w in caught if not issubclass(w.category, (DeprecationWarning, FutureWarning))]
    return value, notes


def _rdrobust(y, x, cutoff, **kw):
    from rdrobust import rdrobust

    try:
        return _quiet(rdrobust, y, x, c=cutoff, **kw)
    except Exception as exc:  # rdrobust raises bare Exceptions for unusable data
        raise DesignError(f"rdrobust could not fit the discontinuity: {exc}") from exc

def fit(
    data: pd.DataFrame,
    outcome: str,
    running: str,
    cutoff: float,
    *,
    treated: str = "above",
    treatment: str | None = None,
    h: float | None = None,
    bwselect: str = "mserd",
    kernel: str = "triangular",
    p: int = 1,
    vce: str = "nn",
    cluster: str | None = None,
    covariates: Sequence[str] | None = None,
    level: float = 0.95,
    sensitivity: Sequence[float] | None = DEFAULT_MULTIPLIERS,
    density_test: bool = True,
    bins: int = 20,
    outcome_label: str | None = None,
) -> RDResult:
    """Sharp (or, with ``treatment``, fuzzy) regression discontinuity by local polynomial regression (rdrobust).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit.
    outcome, running : str
        Outcome and running-variable columns.
    cutoff : float
        Threshold of the running variable.
    treated : {"above", "below"}
        Which side receives the scheme (``x >= cutoff`` is "above").  With "below"
        the sign is flipped so the estimate is always treated minus untreated.
    h : float, optional
        Bandwidth; default MSE-optimal (``bwselect``).
    bwselect, kernel, p, vce : passed to rdrobust (defaults "mserd", triangular, 1, "nn").
    cluster : str, optional
        Column of cluster identifiers (rdrobust cluster-robust variance).
    covariates : sequence of str, optional
        Additional covariates (rdrobust ``covs``).
    level : float
        Confidence level.
    sensitivity : sequence of float, optional
        Multiples of the MSE-optimal bandwidth for the sensitivity table.
    density_test : bool
        Run the rddensity manipulation test.
    bins : int
        Bins per side for the RD plot.
    outcome_label : str, optional
        Name of the outcome in sentences.

    Returns
    -------
    RDResult
        ``estimate`` and ``se``: rdrobust's conventional local-linear estimate and SE;
        ``ci_low``/``ci_high`` and ``p_value``: the robust bias-corrected interval and
        p-value (Calonico, Cattaneo & Titiunik 2014), exactly as rdrobust reports them.

    Notes
    -----
    τ̂ = μ̂₊(c) − μ̂₋(c), where μ̂± are intercepts of weighted least-squares fits of
    degree p on each side using kernel weights K((x − c)/h); triangular
    K(u) = (1 − |u|)₊.  The robust interval re-centres at the bias-corrected estimate
    (degree q = p + 1 with pilot bandwidth b) and uses a variance that accounts for
    the bias estimate.  Bandwidth sensitivity refits at h = m·ĥ (rdrobust then sets
    b = h, so ρ = 1).  Rows with a missing outcome or running value are excluded and
    counted in ``warnings`` and ``extra["excluded"]``; the density test uses every
    row with a running value (it concerns the running variable only).
    """
    covariates = list(covariates or [])
    df, x, y, x_density, warnings, excluded, n_left, n_right = prepare(
        data, outcome, running, cutoff, treated=treated, level=level, treatment=treatment, cluster=cluster,
        covariates=covariates, kernel=kernel)
    kern = {"triangular": "tri", "uniform": "uni", "epanechnikov": "epa"}.get(kernel, kernel)
    kw: dict[str, Any] = {"p": p, "kernel": kern, "bwselect": bwselect, "vce": vce, "level": level * 100}
    if cluster:
        kw["cluster"] = df[cluster].to_numpy()
    if covariates:
        kw["covs"] = df[covariates].to_numpy(float)
    if h is not None:
        kw["h"] = h
    if treatment:
        kw["fuzzy"] = df[treatment].to_numpy(float)
    res, notes = _rdrobust(y, x, cutoff, **kw)
    warnings += [Caution(f"rdrobust: {m}", code="rd.reference_routine") for m in notes]
    sign = 1.0 if treated == "above" or treatment else -1.0

    def _row(r, method):
        coef, se = float(r.coef.loc[method].iloc[0]), float(r.se.loc[method].iloc[0])
        lo, hi = float(r.ci.loc[method].iloc[0]), float(r.ci.loc[method].iloc[1])
        if sign < 0:
            coef, lo, hi = -coef, -hi, -lo
        return coef, se, lo, hi, float(r.pv.loc[method].iloc[0])

    table = []
    for method in ("Conventional", "Bias-Corrected", "Robust"):
        c, s, lo, hi, pv = _row(res, method)
        table.append({"term": method.lower(), "estimate": c, "se": s, "ci_low": lo, "ci_high": hi,
                      "p_value": pv, "n_obs": int(sum(res.N_h))})
    table = pd.DataFrame(table)
    est, se_conv, *_ = _row(res, "Conventional")
    _, se, rlo, rhi, rp = _row(res, "Robust")  # the SE behind the robust interval is the result's one SE
    h_l, h_r = float(res.bws.loc["h", "left"]), float(res.bws.loc["h", "right"])
    b_l, b_r = float(res.bws.loc["b", "left"]), float(res.bws.loc["b", "right"])
    nh_l, nh_r = (int(v) for v in res.N_h)
    if min(nh_l, nh_r) < WARN_EFFECTIVE:
        warnings.append(Caution(f"Only {min(nh_l, nh_r)} observations fall inside the bandwidth on one side: "
                                "the estimate rests on few units.", code="rd.few_in_bandwidth"))

    sens = None
    if sensitivity:
        srows = []
        for m in sensitivity:
            kw_s = {k: v for k, v in kw.items() if k not in ("h", "bwselect")}
            r_m, _ = _rdrobust(y, x, cutoff, h=[m * h_l, m * h_r], **kw_s)
            c, s, lo, hi, _pv = _row(r_m, "Conventional")
            _, _, rl, rh, rpv = _row(r_m, "Robust")
            srows.append({"multiplier": m, "h_left": m * h_l, "h_right": m * h_r, "estimate": c, "se": s,
                          "ci_low": lo, "ci_high": hi, "robust_ci_low": rl, "robust_ci_high": rh,
                          "robust_p_value": rpv, "n_left": int(r_m.N_h[0]), "n_right": int(r_m.N_h[1])})
        sens = pd.DataFrame(srows)

    dens = None
    if density_test:
        dens, dnotes = density_table(x_density, cutoff)
        warnings += dnotes
        if dens is not None and dens["p_value"].iloc[0] < 0.05:
            warnings.append(Caution(
                f"The density of '{running}' jumps at the cutoff (manipulation test p = {dens['p_value'].iloc[0]:.3g}): "
                "units may have sorted themselves across the threshold.", code="rd.density_jump"))

    first = None
    if treatment:
        first = {"estimate": float(np.asarray(res.tau_T)[0, 0]), "se": float(np.asarray(res.se_T)[0, 0]),
                 "robust_ci": tuple(float(v) for v in np.asarray(res.ci_T)[-1])}
        if abs(first["estimate"]) < 0.1:
            warnings.append(Caution(f"The share treated changes by only {first['estimate']:.2f} at the cutoff (weak first "
                                    "stage): the fuzzy estimate is imprecise and may be biased.",
                                    code="rd.weak_first_stage"))
    bw_text = f"h = {h_l:.4g}" if np.isclose(h_l, h_r) else f"h = {h_l:.4g} / {h_r:.4g}"
    method = (f"{'Fuzzy' if treatment else 'Sharp'} regression discontinuity (rdrobust): local {'linear' if p == 1 else f'polynomial p={p}'}, "
              f"{kernel} kernel, {bwselect if h is None else 'user'} bandwidth {bw_text}; conventional estimate "
              f"with the robust bias-corrected SE, CI and p-value")
    return RDResult(
        estimate=est, se=se, ci_low=rlo, ci_high=rhi, p_value=rp, n_obs=nh_l + nh_r, method=method,
        level=level, outcome=outcome_label or outcome, name="rd_effect", scale="difference", table=table,
        extra={"se_conventional": se_conv, "cutoff": cutoff, "treated": treated, "h_left": h_l, "h_right": h_r, "b_left": b_l,
               "b_right": b_r, "n_left": n_left, "n_right": n_right, "n_eff_left": nh_l, "n_eff_right": nh_r,
               "n_total": len(x), "excluded": excluded, "kernel": kernel, "bwselect": bwselect, "vce": vce, "p": p,
               "design": "fuzzy" if treatment else "sharp", "first_stage": first},
        warnings=tuple(warnings), sensitivity=sens, density=dens,
        bins=binned_means(x, y, cutoff, bins=bins), fit_lines=local_linear_lines(x, y, cutoff, h_l, h_r, p=p, kernel=kernel),
    )


def fit_by(data: pd.DataFrame, outcome: str, running: str, cutoff: float, *, by: str, **kwargs: Any) -> pd.DataFrame:
    """Run :func:`fit` within each group of ``by`` and test whether the effect differs.

    Parameters
    ----------
    data : pandas.DataFrame
        Unit-level data with a grouping column.
    outcome, running, cutoff
        As for :func:`fit`.
    by : str
        Grouping column (e.g. ``"imd_quintile"``, 1 = most deprived; or a PLUS group).
    **kwargs
        Passed to :func:`fit` (the sensitivity table and density test are skipped
        per group unless asked for).

    Returns
    -------
    pandas.DataFrame
        One ``rd_effect`` row per group (``group`` — the value of ``by`` —, term, estimate, se, ci_low, ci_high,
        p_value, n_obs, h, note) — conventional estimate with the robust SE and interval —
        then Cochran's Q (``difference_across_groups``) and, for numbered groups
        (quintiles, deciles), the weighted ``gradient`` ranked by their numbers, both
        computed from the robust bias-corrected estimates and SEs, with ``group`` = "all groups".

    Notes
    -----
    Each group gets its own MSE-optimal bandwidth.  See
    :func:`toolkit.designs._timeseries.heterogeneity` for the Q and gradient formulas.
    """
    check_columns(data, {"by": by})
    if data[by].isna().any():
        rows = missing_rows(data, by)
        raise DataError("group is missing", column=by, rows=tuple(rows[:5]), count=len(rows),
                        fix="assign every row to a group")
    kwargs.setdefault("sensitivity", None)
    kwargs.setdefault("density_test", False)
    rows = []
    for key in sorted(data[by].unique()):
        try:
            r = fit(data[data[by] == key], outcome, running, cutoff, **kwargs)
        except (DesignError, DataError) as exc:
            rows.append({"group": key, "term": "rd_effect", "note": str(exc)})
            continue
        robust = r.table.set_index("term").loc["robust"]
        rows.append({"group": key, "term": "rd_effect", "estimate": r.estimate, "se": r.se, "ci_low": r.ci_low,
                     "ci_high": r.ci_high, "p_value": r.p_value, "n_obs": r.n_obs, "h": r.extra["h_left"],
                     "note": "; ".join(r.warnings), "_bc": float(robust["estimate"]), "_se_rb": float(robust["se"])})
    res = pd.DataFrame(rows)
    if "estimate" not in res:
        res["estimate"], res["se"], res["_bc"], res["_se_rb"] = np.nan, np.nan, np.nan, np.nan
    # the tests across groups use the robust bias-corrected estimates and SEs (those behind the robust intervals)
    fitted = res[res["estimate"].notna()]
    het = heterogeneity(fitted[["group"]].assign(estimate=fitted["_bc"], se=fitted["_se_rb"]), by="group",
                        level=kwargs.get("level", 0.95))
    return pd.concat([res.drop(columns=["_bc", "_se_rb"]), het], ignore_index=True)
