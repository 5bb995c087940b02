"""Staggered adoption: Callaway & Sant'Anna (2021) group-time effects.

Written here (no maintained permissively licensed Python implementation of
the analytic influence-function inference existed when it was written; the
reference R package ``did`` is GPL).  Cross-checked against ``did`` output on
its ``mpdta`` example in the tests.

:class:`CallawaySantAnna` is the model: it validates the data
(:mod:`~toolkit.designs.did.cs_sample`), plans and estimates the group-time
cells (:mod:`~toolkit.designs.did.cs_cells`) and returns a read-only
:class:`~toolkit.designs.did.results.StaggeredResult`, which aggregates
itself from the numbers it carries (:mod:`~toolkit.designs.did.cs_aggregate`).
:func:`staggered` is the one-call form.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

from toolkit.cautions import Caution
from toolkit.designs.did import drdid
from toolkit.designs.did._blas import single_thread_blas
from toolkit.designs.did._tidy import coef_table, dot
from toolkit.designs.did.cs_aggregate import KINDS, PRETEST_UNITS_PER_CELL, GroupTimeEffects, wald_pretest
from toolkit.designs.did.cs_cells import BASE_PERIODS, cell_plan, estimate_cells
from toolkit.designs.did.cs_sample import WEIGHT_CV_LIMIT, WEIGHT_RATIO_LIMIT, CSSample, build_sample
from toolkit.designs.did.pretrend import PretrendTest, pretrend_from_grid
from toolkit.designs.did.results import AggregateResult, StaggeredResult
from toolkit.errors import DesignError, Problem

__all__ = ["CallawaySantAnna", "staggered", "aggregate_att", "KINDS", "PRETEST_UNITS_PER_CELL",
           "WEIGHT_CV_LIMIT", "WEIGHT_RATIO_LIMIT"]

CONTROLS = ("never", "not_yet")


def _check_options(control, level, method, anticipation, base_period) -> None:
    problems = []
    if control not in CONTROLS:
        problems.append(Problem(f"control must be 'never' or 'not_yet', not {control!r}",
                                fix='use control="never" (never-treated units) or "not_yet"'))
    if not 0 < level < 1:
        problems.append(Problem(f"level must be between 0 and 1, not {level!r}", fix="use e.g. level=0.95"))
    if method not in drdid.METHODS:
        problems.append(Problem(f"method must be one of {', '.join(drdid.METHODS)}, not {method!r}",
                                fix='use "dr" (doubly robust), "ipw" or "reg"'))
    if base_period not in BASE_PERIODS:
        problems.append(Problem(f"base_period must be 'varying' or 'universal', not {base_period!r}",
                                fix='use base_period="varying" (the default) or "universal"'))
    if isinstance(anticipation, bool) or not isinstance(anticipation, (int, np.integer)) or anticipation < 0:
        problems.append(Problem(f"anticipation must be a whole number of periods >= 0, not {anticipation!r}",
                                fix="use anticipation=0 unless units react before they adopt"))
    if problems:
        raise DesignError("The staggered-adoption options cannot be used:", problems)


def _norm(psi: np.ndarray) -> float:
    psi = np.ascontiguousarray(psi)
    return math.sqrt(dot(psi, psi))


class CallawaySantAnna:
    """Callaway & Sant'Anna (2021) model: validates a staggered-adoption panel and fits ATT(g,t).

    Construct with the data and options of :func:`staggered` (which
    documents them); :meth:`fit` returns a read-only
    :class:`~toolkit.designs.did.results.StaggeredResult`.  The model keeps
    the validated sample (:attr:`sample`) and the warnings found while
    validating it (:attr:`warnings`).
    """

    def __init__(self, data: pd.DataFrame, outcome: str, unit: str, time: str, first_treated: str, *,
                 control: str = "never", weights: str | None = None, covariates: Sequence[str] | None = None,
                 method: str = "dr", anticipation: int = 0, base_period: str = "varying",
                 level: float = 0.95) -> None:
        _check_options(control, level, method, anticipation, base_period)
        if isinstance(covariates, str):
            covariates = [covariates]
        self.outcome, self.weights, self.control, self.level = outcome, weights, control, level
        self.method, self.base_period = method, base_period
        self.sample, warns = build_sample(data, outcome, unit, time, first_treated, control=control,
                                          weights=weights, covariates=covariates or (), anticipation=anticipation)
        self.warnings: tuple = tuple(warns)

    def _method_text(self) -> str:
        s = self.sample
        comp = "never-treated" if s.control == "never" else "not-yet-treated"
        wtxt = f", weighted by {self.weights}" if self.weights else ""
        extras = []
        if s.covariates:
            how = {"dr": "doubly robust (Sant'Anna & Zhao 2020)", "ipw": "inverse probability weighting",
                   "reg": "outcome regression"}[self.method]
            extras.append(f"{how} on {', '.join(s.covariates)}")
        if s.anticipation:
            extras.append(f"{s.anticipation} anticipation period(s)")
        if self.base_period == "universal":
            extras.append("universal base period")
        more = "".join(f", {e}" for e in extras)
        return (f"Callaway & Sant'Anna (2021) group-time ATT, {comp} comparison{wtxt}{more}; influence-function "
                "standard errors clustered by unit")

    def fit(self) -> StaggeredResult:
        """Estimate every ATT(g,t) with its influence function; the headline is the simple aggregate."""
        with single_thread_blas():
            return self._fit()

    def _fit(self) -> StaggeredResult:
        s: CSSample = self.sample
        level = self.level
        warns = list(self.warnings)
        plan = cell_plan(s, self.base_period)
        att, infl, n1, n0 = estimate_cells(s, plan, self.method)
        ref = plan["reference"].to_numpy(dtype=bool)
        se = np.array([_norm(infl[:, k]) / s.n if np.isfinite(att[k]) and not ref[k] else float("nan")
                       for k in range(len(plan))], dtype=float)
        empty = np.isnan(att)
        if empty.any():
            warns.append(
                Caution(f"{int(empty.sum())} group-time cell(s) have no treated or no comparison units observed in both "
                        "of their periods and are left out of the aggregates.", code="did.empty_cells")
            )
        effects = GroupTimeEffects(group=plan["group"].to_numpy(dtype=float), time=plan["time"].to_numpy(dtype=float),
                                   att=att, influence=infl, unit_cohort=s.G, unit_weight=s.w, reference=ref)
        g, t = effects.group, effects.time
        tab = coef_table([f"ATT({a:g},{b:g})" for a, b in zip(g, t)], att, se, level, group=g, time=t,
                         event_time=t - g, post=t >= g, n_treated=n1, n_comparison=n0)
        if self.base_period == "universal":
            tab["reference"] = ref
        pretrend, why = wald_pretest(effects)
        note = ""
        if why:
            note = Caution(f"The joint test that all pre-adoption ATT(g,t) are zero is not reported: {why}, so its "
                           "p-value would be unreliable. Use the event-study pre-trend test (with a few leads) instead.",
                           code="did.cs_pretest_not_reported")
            warns.append(note)
        elif np.isfinite(pretrend["p_value"]) and pretrend["p_value"] < 0.05:
            warns.append(
                Caution(f"The joint test that all pre-adoption ATT(g,t) are zero rejects parallel trends "
                        f"(p = {pretrend['p_value']:.3g}): the estimates may be biased.",
                        code="did.cs_pretest_rejected")
            )
        method = self._method_text()
        extra = {"att_gt": tab, "n_units": s.n, "n_periods": int(s.times.size), "control": s.control,
                 "cohorts": tuple(float(c) for c in s.cohorts), "pretrend": pretrend, "pretrend_note": note,
                 "method": self.method if s.covariates else "means", "anticipation": s.anticipation,
                 "base_period": self.base_period, "covariates": s.covariates}
        proto = StaggeredResult(
            estimate=float("nan"), se=float("nan"), ci_low=float("nan"), ci_high=float("nan"),
            p_value=float("nan"), n_obs=s.n_obs, method=method, level=level, outcome=self.outcome,
            name="att_simple", table=tab, extra=extra, warnings=tuple(warns), effects=effects, sample=s,
        )
        simple = proto.aggregate("simple")
        return StaggeredResult(
            estimate=simple.estimate, se=simple.se, ci_low=simple.ci_low, ci_high=simple.ci_high,
            p_value=simple.p_value, n_obs=s.n_obs, method=method, level=level, outcome=self.outcome,
            name="att_simple", table=tab, extra=extra, warnings=tuple(warns), effects=effects, sample=s,
        )

    def pretest(self, *, leads: int | None = None, **options) -> PretrendTest:
        """Permutation pre-trend test on this model's sample (:func:`~toolkit.designs.did.pretrend.cs_pretrend`).

        ``options`` are those of :func:`~toolkit.designs.did.pretrend.pretrend_from_grid`
        (``n_perm``, ``seed``).  The Wald pre-test that ``did`` reports is
        the fitted result's :attr:`~toolkit.designs.did.results.StaggeredResult.pretrend`.
        """
        s = self.sample
        return pretrend_from_grid(s.Y, s.G, s.times, weights=s.w, control=s.control, leads=leads,
                                  cohorts=s.cohorts, **options)


def staggered(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    first_treated: str,
    *,
    control: str = "never",
    weights: str | None = None,
    covariates: Sequence[str] | None = None,
    method: str = "dr",
    anticipation: int = 0,
    base_period: str = "varying",
    level: float = 0.95,
) -> StaggeredResult:
    """Callaway & Sant'Anna (2021) ATT(g,t) for staggered adoption, optionally with covariates.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period; ``time`` numeric.
    outcome, unit, time : str
        Column names.
    first_treated : str
        The period each unit was first treated, on the scale of ``time``;
        0 or missing = never treated.
    control : {"never", "not_yet"}
        Comparison group: never-treated units, or units not yet treated by
        period t (and by the base period).
    weights : str, optional
        Unit weights (e.g. population), taken from each unit's first period
        (as ``did`` does).  Weights that drift a little over time (list sizes)
        are expected; a warning is given only when the drift is material: for
        some unit the coefficient of variation of its weight over its periods
        (standard deviation with ``ddof=0`` over the mean) exceeds
        :data:`WEIGHT_CV_LIMIT` (10%) or its max/min ratio exceeds
        :data:`WEIGHT_RATIO_LIMIT` (1.25).
    covariates : list of str, optional
        Numeric columns for conditional parallel trends, taken in each cell's
        base period (rows where one is missing are excluded with a warning).
    method : {"dr", "ipw", "reg"}
        With covariates: doubly robust (Sant'Anna & Zhao 2020, the default, as
        ``did``), inverse probability weighting or outcome regression
        (:mod:`toolkit.designs.did.drdid`).  Without covariates all three are
        the same comparison of mean changes.
    anticipation : int
        Periods before adoption in which units may already react (``did``'s
        ``anticipation``): post-adoption cells compare with the last period
        before :math:`g - \\delta`, and not-yet-treated comparison units must
        adopt after :math:`\\max(t, b) + \\delta`.
    base_period : {"varying", "universal"}
        Base period of pre-adoption cells: the period before each (varying,
        ``did``'s default) or the same period :math:`g - \\delta - 1` as the
        post-adoption cells (universal; the cell at that period is reported
        as 0 and its event time marked ``"reference"`` in the dynamic
        aggregate).  Post-adoption ATT(g,t) are the same under both.
    level : float
        Confidence level (normal critical values, as ``did``).

    Returns
    -------
    StaggeredResult
        ``att_gt`` table and :meth:`~StaggeredResult.aggregate`; the headline
        is the ``"simple"`` aggregate.

    Notes
    -----
    For cohort :math:`g` and period :math:`t`,
    :math:`ATT(g,t) = E[Y_t - Y_b \\mid G=g] - E[Y_t - Y_b \\mid C]` with base
    period :math:`b = g-1` (the last period before adoption) when
    :math:`t \\ge g` and the varying base :math:`b = t-1` before adoption;
    :math:`C` = never treated, or (``"not_yet"``) units with :math:`G = 0` or
    :math:`G > \\max(t, b)`, :math:`G \\ne g`.  Standard errors from the
    influence functions (see :func:`toolkit.designs.did.cs_cells.estimate_cells`), clustered by unit; the R
    package's default multiplier bootstrap targets the same variance.
    Units treated in the first period are dropped and units first treated
    after the last period count as never treated (as in ``did``).

    Unbalanced panels: a unit missing in some periods is not dropped.  Each
    ATT(g,t) uses the units of its cohort and comparison group observed in
    both :math:`t` and :math:`b` (the sums and means above run over them; the
    influence function is 0 for the others), and :math:`n` stays the number
    of units.  On a balanced panel this is exactly ``did``'s panel estimator
    (the ``mpdta`` reference is unchanged).  It differs from ``did``'s
    ``allow_unbalanced_panel = TRUE``, which treats the data as repeated
    cross-sections; the pairs used here keep the panel's within-unit
    differencing and are unbiased under the same condition (whether a
    unit-period is missing is unrelated to the unit's outcome changes).  Without
    never-treated units and ``control="not_yet"``, periods from the last
    cohort's adoption on are dropped and that cohort serves as comparison
    only (as in ``did``).
    """
    return CallawaySantAnna(data, outcome, unit, time, first_treated, control=control, weights=weights,
                            covariates=covariates, method=method, anticipation=anticipation,
                            base_period=base_period, level=level).fit()


def aggregate_att(result: StaggeredResult, kind: str = "simple", *, min_e: float = -math.inf,
                  max_e: float = math.inf) -> AggregateResult:
    """Aggregate ATT(g,t) as ``did::aggte``: the same as ``result.aggregate(kind, ...)``."""
    return result.aggregate(kind, min_e=min_e, max_e=max_e)
