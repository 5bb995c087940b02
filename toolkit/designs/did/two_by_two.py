"""The canonical 2×2 difference-in-differences: treated/control × before/after."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.cautions import Caution
from toolkit.designs.did import _panel as P
from toolkit.designs.did._fe import ols_crv1
from toolkit.designs.did._tidy import coef_row
from toolkit.designs.did.results import TwoByTwoResult
from toolkit.errors import DataError, DesignError, Problem

__all__ = ["two_by_two"]

VCOVS = ("HC1", "iid")


def two_by_two(
    data: pd.DataFrame,
    outcome: str,
    group: str,
    period: str,
    *,
    cluster: str | None = None,
    weights: str | None = None,
    vcov: str = "HC1",
    level: float = 0.95,
) -> TwoByTwoResult:
    """Difference-in-differences of means with its regression standard error.

    Parameters
    ----------
    data : DataFrame
        One row per observation (a panel or repeated cross-sections).
    outcome : str
        Numeric outcome column.
    group : str
        0/1 column, 1 = treated group.
    period : str
        0/1 column, 1 = after the scheme started.
    cluster : str, optional
        Cluster column (e.g. the unit in a panel); CRV1 standard errors.
    weights : str, optional
        Observation weights (weighted cell means, WLS).
    vcov : {"HC1", "iid"}
        Covariance when ``cluster`` is not given: heteroskedasticity-robust
        HC1 (default, fixest ``"hetero"``/Stata ``robust``) or classical.
    level : float
        Confidence level.

    Returns
    -------
    TwoByTwoResult
        Headline DiD; ``means`` has the four cell means and counts; ``table``
        the regression coefficients.

    Notes
    -----
    :math:`DiD = (\\bar y_{T,post} - \\bar y_{T,pre}) - (\\bar y_{C,post} - \\bar y_{C,pre})`,
    identical to :math:`\\beta_3` in
    :math:`y = \\beta_0 + \\beta_1 T + \\beta_2 Post + \\beta_3 T\\cdot Post + e`
    (weighted means and WLS with weights).  Covariances, with :math:`K=4`:
    HC1 :math:`\\frac{N}{N-K}(X'WX)^{-1}(\\sum_i w_i^2 e_i^2 x_i x_i')(X'WX)^{-1}`;
    iid :math:`s^2 (X'WX)^{-1}`, :math:`s^2 = \\sum w_i e_i^2/(N-K)`;
    CRV1 with :math:`\\frac{G}{G-1}\\frac{N-1}{N-K}` and t with :math:`G-1` df.
    HC1 and iid use t with :math:`N-K` df (as fixest and Stata).
    """
    if vcov not in VCOVS:
        raise DesignError(f"vcov must be one of {VCOVS}")
    if not 0 < level < 1:
        raise DesignError("level must be between 0 and 1")
    P.require_columns(data, {"outcome": outcome, "group": group, "period": period, "weights": weights})
    P.check_cluster_column(data, cluster)
    kept, warns, pos = P.drop_missing(data, [outcome, group, period, weights], "the 2×2 comparison")
    y = pd.to_numeric(kept[outcome], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(y)
    if bad.any():
        raise DataError(
            "the outcome must be numeric", column=outcome,
            rows=P.spreadsheet_rows(bad, positions=pos), count=int(bad.sum()),
            fix="convert the outcome to numbers (remove text such as '*')",
        )
    g = P.check_binary(kept, group, "treated group", positions=pos)
    p = P.check_binary(kept, period, "post-period", positions=pos)
    w = P.check_weights(kept, weights, positions=pos)
    ww = np.ones_like(y) if w is None else w
    cells = []
    missing = []
    for gv, gname in ((1.0, "treated"), (0.0, "control")):
        for pv, pname in ((0.0, "pre"), (1.0, "post")):
            m = (g == gv) & (p == pv)
            n = int(m.sum())
            if n == 0:
                missing.append(f"{gname} {pname}")
                mean = float("nan")
            else:
                mean = float(np.dot(ww[m], y[m]) / ww[m].sum())
            cells.append({"group": gname, "period": pname, "mean": mean, "n": n})
    if missing:
        raise DesignError(
            "A 2×2 comparison needs observations in all four cells.",
            [Problem(f"there are no rows for: {', '.join(missing)}", column=f"{group}/{period}",
                     fix="check the group and period columns (1 = treated / after); a comparison "
                     "group and a pre-period are both required")],
        )
    means = pd.DataFrame(cells)
    X = np.column_stack([np.ones_like(y), g, p, g * p])
    N, K = X.shape
    names = ["(Intercept)", group, period, f"{group}:{period}"]
    if cluster is not None:
        cl, _ = P.codes(kept[cluster])
        G, cwarn = P.check_clusters(cl, cluster)
        warns += cwarn
        fit = ols_crv1(X, y, cluster=cl, n_clusters=G, fe_params=0, weights=w, names=names)
        V, df = fit.vcov, G - 1
        vtxt = f"CRV1 standard errors clustered by {cluster} ({G:,} clusters)"
    else:
        # HC1 is CRV1 with one cluster per observation: N/(N-1)·(N-1)/(N-K) = N/(N-K)
        fit = ols_crv1(X, y, cluster=np.arange(N), n_clusters=N, fe_params=0, weights=w, names=names)
        V, df = fit.vcov, N - K
        vtxt = "heteroskedasticity-robust (HC1) standard errors"
        if vcov == "iid":
            Xw = X * ww[:, None]
            s2 = float(np.dot(ww, fit.resid**2) / (N - K))
            V = s2 * np.linalg.inv(X.T @ Xw)
            vtxt = "classical (iid) standard errors"
    se = np.sqrt(np.diag(V))
    rows = [coef_row(nm, fit.coef[j], se[j], level, df) for j, nm in enumerate(names)]
    table = pd.DataFrame(rows)
    head = rows[3]
    for c in cells:
        if c["n"] < 10:
            warns.append(Caution(f"Only {c['n']} observation(s) in the {c['group']} {c['period']} cell; the estimate is fragile.",
                                 code="did.small_cell"))
    wtxt = f", weighted by {weights}" if weights else ""
    return TwoByTwoResult(
        estimate=head["estimate"], se=head["se"], ci_low=head["ci_low"], ci_high=head["ci_high"],
        p_value=head["p_value"], n_obs=N,
        method=f"2×2 difference-in-differences of means{wtxt}; regression with {vtxt}",
        level=level, outcome=outcome, name="did_2x2", table=table,
        extra={"means": means, "vcov": pd.DataFrame(V, index=names, columns=names),
               "n_excluded": len(data) - len(kept)},
        warnings=tuple(warns),
    )
