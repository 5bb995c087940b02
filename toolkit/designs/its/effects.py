"""What the fitted ITS model says happened: the counterfactual line and the effect at chosen horizons.

Formulas are in the Notes of :func:`toolkit.designs.its.segmented`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from toolkit.designs._timeseries import crit_value, linear_row, p_from_z
from toolkit.designs.its.design import Series
from toolkit.errors import DesignError

__all__ = ["Paths", "paths", "counterfactual_frame", "horizon_effects"]


@dataclass(frozen=True)
class Paths:
    """The fitted and counterfactual values of every row (and their seasonally averaged trends).

    ``Xa``/``Xcf`` are the design with/without the effect terms; ``fitted``, ``cf``,
    ``trend`` and ``cf_trend`` are on the outcome scale (exponentiated for counts).
    """

    Xa: np.ndarray
    Xcf: np.ndarray
    fitted: np.ndarray
    cf: np.ndarray
    trend: np.ndarray
    cf_trend: np.ndarray


def paths(res, X: pd.DataFrame, season: pd.DataFrame, effect_terms: Sequence[str], n_first: int,
          offset: np.ndarray | None, ratio: bool) -> Paths:
    """Fitted and counterfactual (effect terms set to 0) values; trends hold the seasonal terms at their mean."""
    names = list(X.columns)
    Xa = X.to_numpy(float)
    Xcf = Xa.copy()
    for term in effect_terms:
        Xcf[:, names.index(term)] = 0.0
    scols = [names.index(c) for c in season.columns]
    Xtr, Xcf_tr = Xa.copy(), Xcf.copy()
    if scols:
        means = Xa[:n_first][:, scols].mean(axis=0)
        Xtr[:, scols] = means
        Xcf_tr[:, scols] = means
    beta = np.asarray(res.params)
    off = offset if offset is not None else np.zeros(len(X))
    if ratio:
        fitted, cf = np.exp(Xa @ beta + off), np.exp(Xcf @ beta + off)
        trend, cf_trend = np.exp(Xtr @ beta + off), np.exp(Xcf_tr @ beta + off)
    else:
        fitted, cf, trend, cf_trend = Xa @ beta, Xcf @ beta, Xtr @ beta, Xcf_tr @ beta
    return Paths(Xa, Xcf, fitted, cf, trend, cf_trend)


def counterfactual_frame(s: Series, p: Paths, y: np.ndarray, time: str, denominator: str | None, ratio: bool,
                         per: float) -> pd.DataFrame:
    """Per period: time, series, post, observed, fitted, counterfactual, trend, counterfactual_trend (+ rates)."""
    df = s.df
    cfd = pd.DataFrame({"time": df[time].to_numpy(), "series": df["_series"].to_numpy(), "post": s.post,
                        "observed": y, "fitted": p.fitted, "counterfactual": p.cf, "trend": p.trend,
                        "counterfactual_trend": p.cf_trend})
    if ratio and denominator is not None:
        den = df[denominator].to_numpy(float)
        for c in ("observed", "fitted", "counterfactual", "trend", "counterfactual_trend"):
            cfd[f"{c}_rate"] = cfd[c] / den * per
    cfd.loc[~cfd["post"], "counterfactual"] = cfd.loc[~cfd["post"], "fitted"]
    return cfd


def horizon_effects(res, names: list[str], s: Series, p: Paths, horizons: Sequence[int] | None, time: str,
                    level: float, ratio: bool, slope_change: bool, n: int) -> tuple[pd.DataFrame, list[dict]]:
    """The effect at each horizon (periods after the start; 0 = first intervention period).

    Returns the horizons table (measure ``difference`` or ``rate_ratio``, then for counts
    ``difference_in_events``, and ``cumulative_difference``) and the rows to add to the
    coefficient table (one per horizon, the headline measure).
    """
    first, n_post = s.first, s.n_post
    idx_post = np.flatnonzero(s.post[: len(first)])
    hz = list(horizons) if horizons is not None else [n_post - 1]
    bad = [h for h in hz if not (isinstance(h, (int, np.integer)) and 0 <= h < n_post)]
    if bad:
        raise DesignError(f"horizons {bad} are outside the observed intervention period (0 to {n_post - 1})")
    beta = np.asarray(res.params)
    V = np.asarray(res.cov_params())
    c = crit_value(res, level)
    hrows, rows = [], []
    i_lv = names.index("level_change")
    i_sl = names.index("slope_change") if slope_change else None
    for h in hz:
        a = np.zeros(len(names))
        a[i_lv] = 1.0
        if i_sl is not None:
            a[i_sl] = float(h)
        base = linear_row(res, a, level, ratio, f"{'rate_ratio' if ratio else 'difference'}_at_h{h}", n)
        hrow = {"horizon": h, "time": first[time].iloc[idx_post[h]], **{k: base[k] for k in
                ("estimate", "se", "ci_low", "ci_high", "p_value")}, "measure": "rate_ratio" if ratio else "difference"}
        hrows.append(hrow)
        # absolute and cumulative differences
        sel = idx_post[: h + 1]
        if ratio:
            mu, mucf = p.fitted[sel], p.cf[sel]
            grads = mu[:, None] * p.Xa[sel] - mucf[:, None] * p.Xcf[sel]
            diffs = mu - mucf
        else:
            grads = p.Xa[sel] - p.Xcf[sel]
            diffs = grads @ beta
        for meas, d, gvec in (("difference_in_events" if ratio else None, diffs[-1], grads[-1]),
                              ("cumulative_difference", diffs.sum(), grads.sum(axis=0))):
            if meas is None:
                continue
            se = float(np.sqrt(gvec @ V @ gvec))
            hrows.append({"horizon": h, "time": hrow["time"], "estimate": float(d), "se": se,
                          "ci_low": float(d - c * se), "ci_high": float(d + c * se),
                          "p_value": p_from_z(res, d / se) if se > 0 else float("nan"), "measure": meas})
        rows.append({**base, "term": f"{hrow['measure']}_at_h{h}"})
    return pd.DataFrame(hrows), rows
