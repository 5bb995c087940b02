"""Structured warnings: every caution the toolkit raises carries a code.

Two kinds of caution reach a report:

- **Python warnings** raised by indicators and estimators while they compute
  (:class:`ToolkitWarning`, always with a ``code``), which a template collects with
  :func:`collect` instead of silencing them;
- **result warnings** that a design keeps in its result's ``warnings`` tuple: each is a
  :class:`Caution`, a ``str`` (so existing text consumers keep working) that also
  carries a ``code``.

Code that reacts to a particular caution compares its ``code`` — never its wording,
which is free to change.  Codes are dotted, ``<area>.<what>`` (``spc.short_series``,
``sii.many_quantiles``); :data:`CODES` lists every one the toolkit raises.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Iterator

__all__ = ["ToolkitWarning", "Caution", "warn", "collect", "code_of", "CODES", "GENERAL"]

#: Code of a caution raised without one (older call sites and third-party text).
GENERAL = "general"

#: Every code the toolkit raises, with what it means (a test checks raised codes are listed).
CODES: dict[str, str] = {
    GENERAL: "a caution without a more specific code",
    "spc.short_series": "an SPC chart has fewer than 12 points, so its limits are unreliable",
    "sii.many_quantiles": "SII asked for over more than 10 quantiles",
    "sii_trend.population_shift": "the population mix across deprivation quantiles shifted between periods",
    "gaps.no_decile": "rows without an IMD decile are left out of the Core20 gap",
    "quantiles.no_score": "rows without a score get no quantile",
    "quantiles.small_group": "a group has fewer scored areas than quantiles",
    "standardised.missing_bands": "a group lacks some standard age bands (weights of the bands present only)",
    "baseline.single_period": "only one period, so the trend and SPC chart are skipped",
    "its.short_pre": "fewer than 12 periods before an interrupted time series' intervention",
    "its.short_post": "fewer than 12 periods after an interrupted time series' intervention",
    "its.autocorrelation": "the segmented regression's residuals are autocorrelated",
    "its.overdispersion": "Poisson counts are over-dispersed",
    "estimator.runtime": "a numerical routine warned while fitting (e.g. a division by zero or no convergence)",
    "rd.reference_routine": "rdrobust/rddensity printed or warned something",
    "rd.density_jump": "the running variable's density jumps at the cutoff (possible manipulation)",
    "rd.missing_running": "rows without a running-variable value are left out of the density test",
    "rd.missing_rows": "rows with a missing outcome, running variable or group are excluded",
    "rd.few_in_bandwidth": "few observations inside the bandwidth on one side",
    "rd.weak_first_stage": "the share treated barely changes at the cutoff (weak first stage)",
    "power.size_off": "the simulated size of the power calculation's test is not the nominal level",
    "power.few_units": "few units of assignment (t-test with few degrees of freedom)",
    "power.incomplete_baseline": "baseline units missing a period are left out of the power calculation",
    # difference-in-differences (result warnings of toolkit.designs.did and the DiD stage)
    "did.missing_rows": "rows with a missing outcome, weight or covariate are excluded (counted, rows named)",
    "did.text_periods": "the time column holds text, so periods keep the order they first appear in",
    "did.few_clusters": "fewer than 30 clusters: clustered standard errors can be too small",
    "did.few_treated_clusters": "fewer than 10 clusters contain treated observations",
    "did.treatment_on_again": "treatment switches off and on again in some units",
    "did.treatment_off": "treatment switches off in some units",
    "did.no_never_treated": "no never-treated units (comparison by timing only, or the last cohort dropped)",
    "did.staggered_timing": "treatment starts at several times (plain TWFE can be biased)",
    "did.always_treated": "units treated from their first observed period (no pre-period of their own)",
    "did.late_adopters": "units first treated after the last period count as never treated",
    "did.unbalanced_panel": "units not observed in every period (each ATT(g,t) uses the units observed)",
    "did.time_varying_weights": "weights vary materially over time within units (first period's used)",
    "did.empty_cells": "group-time cells with no treated or no comparison units are left out",
    "did.cs_pretest_not_reported": "the chi-squared test over all pre-adoption ATT(g,t) is not reported",
    "did.cs_pretest_rejected": "the chi-squared test over all pre-adoption ATT(g,t) rejects parallel trends",
    "did.cs_pretrend_untestable": "the headline (Callaway & Sant'Anna) pre-trend test could not be made",
    "did.pretrend_rejected": "the headline pre-trend test rejects parallel trends",
    "did.es_pretrend_untestable": "the event study has only the reference pre-period, so no pre-trend test",
    "did.es_pretest_not_computed": "the event study's joint pre-trend test cannot be computed",
    "did.es_pretrend_rejected": "the event study's joint pre-trend test rejects parallel trends",
    "did.event_study_missing": "the comparison event study could not be estimated",
    "did.sa_pretrend_rejected": "the Sun & Abraham pre-adoption coefficients reject parallel trends",
    "did.last_cohort_control": "the last cohort to adopt is the comparison group (its periods dropped)",
    "did.not_imputable": "treated rows that cannot be imputed are left out",
    "did.small_cell": "a 2x2 cell has fewer than 10 observations",
    "did.group_not_estimable": "no estimate for a deprivation group",
    "did.wild_bootstrap_used": "few clusters: intervals and p-values come from the wild cluster bootstrap",
    "did.wild_not_staggered": "the wild bootstrap applies to the TWFE path only",
    "did.blank_rate_parts": "unit-periods with a blank numerator or denominator in some rows",
    "did.wild_not_needed": "enough clusters, so no wild bootstrap is shown",
    "did.honest_not_run": "the sensitivity analysis for non-parallel trends could not be run",
    # synthetic control and its relatives
    "synth.short_pre": "fewer than 10 pre-treatment periods for a synthetic control",
    "synth.donors_incomplete": "donors missing periods or outcome values are excluded",
    "synth.donors_no_predictor": "donors missing a predictor are excluded",
    "synth.poor_fit": "the synthetic control fits the treated unit poorly before the scheme",
    "synth.placebos_dropped": "placebos with a poor pre-period fit are left out of the p-value",
    "synth.few_donors": "few donors, so the smallest possible placebo p-value is large",
    "sdid.units_incomplete": "comparison units missing periods are excluded",
    "sdid.no_placebo_se": "too few comparison units for placebo standard errors",
    "sdid.few_placebos": "the placebo standard error rests on few comparison units",
    "augsynth.conformal_edge": "the conformal interval reaches the edge of the searched range",
    "augsynth.extrapolation": "the augmented weights extrapolate (negative weights)",
}


class ToolkitWarning(UserWarning):
    """A condition the analyst should know about; reports show these in plain English.

    Parameters
    ----------
    message : str
        The caution in plain English.
    code : str
        Its machine code (see :data:`CODES`); ``"general"`` when not given.
    """

    def __init__(self, message: str = "", code: str = GENERAL):
        super().__init__(message)
        self.message = str(message)
        self.code = code

    def __str__(self) -> str:
        return self.message


class Caution(str):
    """A caution kept with a result: its text (a ``str``) and its ``code``.

    >>> c = Caution("Only 6 periods before the intervention", code="its.short_pre")
    >>> c.code, c.startswith("Only")
    ('its.short_pre', True)
    """

    code: str

    def __new__(cls, text: str, code: str = GENERAL) -> "Caution":
        obj = super().__new__(cls, text)
        obj.code = getattr(text, "code", code) if code == GENERAL else code
        return obj

    def __reduce__(self):
        return (Caution, (str(self), self.code))

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": str(self)}


def code_of(item) -> str:
    """The code of a :class:`Caution`, a :class:`ToolkitWarning` or a recorded warning ("general" for text)."""
    msg = getattr(item, "message", item)
    return getattr(item, "code", None) or getattr(msg, "code", None) or GENERAL


def warn(message: str, code: str, *, stacklevel: int = 2) -> None:
    """Raise a :class:`ToolkitWarning` with ``code`` (``stacklevel`` as :func:`warnings.warn`)."""
    warnings.warn(ToolkitWarning(message, code=code), stacklevel=stacklevel + 1)


@contextlib.contextmanager
def collect(*, runtime: bool = True) -> Iterator[list[Caution]]:
    """Collect the cautions raised inside the block, instead of printing or silencing them.

    Yields a list that fills with one :class:`Caution` per distinct (code, text):
    every :class:`ToolkitWarning`, and — with ``runtime`` — every ``RuntimeWarning``
    (numpy's division by zero, an optimiser that did not converge), coded
    ``"estimator.runtime"``, so that it reaches the report instead of a log.
    Other warnings (deprecations of libraries) are left to the normal filters.
    """
    found: list[Caution] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ToolkitWarning)
            if runtime:
                warnings.simplefilter("always", RuntimeWarning)
            yield found
    finally:
        seen = set()
        for w in caught:
            if issubclass(w.category, ToolkitWarning):
                c = Caution(str(w.message), code=code_of(w.message))
            elif runtime and issubclass(w.category, RuntimeWarning):
                c = Caution(f"A numerical routine warned: {w.message}", code="estimator.runtime")
            else:  # not ours: back to the normal filters
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
                continue
            if (c.code, str(c)) not in seen:
                seen.add((c.code, str(c)))
                found.append(c)
