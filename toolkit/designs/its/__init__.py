"""Interrupted time series: segmented regression, single or controlled.

:func:`segmented` fits y = β₀ + β₁t + β₂·post + β₃·(t − t₀)·post (+ seasonality) by OLS
or a Poisson / quasi-Poisson GLM with a log-population offset, with Newey–West
(HAC) standard errors by default, and reports the level change, the slope change,
the counterfactual line and the difference at chosen horizons, with residual
autocorrelation diagnostics (:class:`ITSResult`).  :func:`segmented_by` repeats it
within groups (e.g. IMD quintiles) and tests whether the effect differs across them.

The package splits along the fit's seams: :mod:`.design` (validated series, periods
either side of ``treatment_start``, design matrix), :mod:`.model` (the fit and the
result), :mod:`.effects` (counterfactual and horizons), :mod:`.checks` (residual
diagnostics, method text) and :mod:`.by_group`.
"""

from toolkit.designs.its.by_group import segmented_by
from toolkit.designs.its.design import FAMILIES, MIN_PRE_PERIODS, WARN_PERIODS
from toolkit.designs.its.model import ITSResult, default_hac_lags, segmented



__all__ = ["ITSResult", "segmented", "segmented_by", "default_hac_lags", "FAMILIES", "MIN_PRE_PERIODS",
           "WARN_PERIODS"]
