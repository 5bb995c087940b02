"""Checks on a fitted ITS model (residual autocorrelation, over-dispersion) and the words for its method."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.cautions import Caution
from toolkit.designs._timeseries import residual_diagnostics

__all__ = ["diagnose", "method_text"]


def diagnose(res, names: list[str], Xa: np.ndarray, n_first: int, *, family: str, cov: str, controlled: bool,
             test_lags: int) -> tuple[pd.DataFrame, list[str]]:
    """Durbin–Watson, Ljung–Box and Breusch–Godfrey on the intervention series' residuals, and cautions.

    ``test_lags`` lags (capped at n/4).  Pearson residuals for GLMs; with ``cov="ar"``
    the innovations left after the AR filter (and the whitened design).  The comparison series' own terms are left out of
    the Breusch–Godfrey auxiliary regression.
    """
    ratio = family != "gaussian"
    warnings: list[str] = []
    resid = (res.resid_pearson if ratio else res.resid)[:n_first]
    X_diag = Xa[:n_first]
    if cov == "ar":  # test the innovations left after the AR filter
        resid, X_diag = res.model.whiten(np.asarray(res.resid)), res.model.wexog
    own = [i for i, c in enumerate(names)
           if not (controlled and (c.startswith("intervention") or c in ("level_change", "slope_change")))]
    diag = residual_diagnostics(np.asarray(resid), np.asarray(X_diag)[:, own], test_lags)
    lb_p = diag.loc[diag["test"] == "Ljung-Box", "p_value"].iloc[0]
    if lb_p < 0.05:
        warnings.append(Caution(
            f"The residuals are autocorrelated (Ljung-Box p = {lb_p:.3g}); "
            + ("HAC standard errors allow for this, but check seasonality and the model."
               if cov == "hac" else "use cov='hac', a higher ar_order, or model the seasonality."),
            code="its.autocorrelation"))
    if family == "poisson":
        disp = float(np.sum(np.asarray(res.resid_pearson) ** 2) / res.df_resid)
        if disp > 1.5 and cov == "model":
            warnings.append(Caution(f"Counts are over-dispersed (Pearson dispersion {disp:.2f}); use "
                                    "family='quasipoisson'.", code="its.overdispersion"))
    return diag, warnings


def method_text(res, *, family: str, cov: str, lags: int, ar_order: int, denominator: str | None, offset: bool,
                seasonality, controlled: bool) -> str:
    """e.g. "Interrupted time series: segmented regression, OLS; Newey-West HAC SEs (Bartlett kernel, 3 lags)"."""
    kind = {"gaussian": "OLS", "poisson": "Poisson GLM (log link)",
            "quasipoisson": "quasi-Poisson GLM (log link)"}[family]
    if offset:
        kind += f", log({denominator}) offset"
    if cov == "hac":
        se_text = f"Newey-West HAC SEs (Bartlett kernel, {lags} lag{'s' if lags != 1 else ''})"
    elif cov == "ar":
        rhos = ", ".join(f"{r:.3f}" for r in np.atleast_1d(res.model.rho))
        se_text = f"AR({ar_order}) errors by iterated feasible GLS (rho = {rhos})"
    else:
        se_text = "model-based SEs" + (" (Pearson dispersion)" if family == "quasipoisson" else "")
    seas_text = "" if seasonality is None else (", month indicators" if seasonality == "month"
                                                 else f", {seasonality} Fourier pair(s)")
    design = "Controlled interrupted time series" if controlled else "Interrupted time series"
    return f"{design}: segmented regression, {kind}{seas_text}; {se_text}"
